/* costs.h - timing and summary helpers shared by the bench/costs programs.
 *
 * Each program measures one operation REPS times, one sample per repetition
 * (or per batch, for operations too short to time singly), and prints one
 * tab-separated line: name, median us, p90 us, samples, description.
 * bench/costs.sh turns those lines into the table in bench/COSTS.md. */
#ifndef COSTS_H
#define COSTS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPS 1000

static inline double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts samples[0..n) in place and prints the summary line. */
static inline void report(const char *name, const char *what, double *samples, int n)
{
    qsort(samples, (size_t)n, sizeof *samples, cmp_double);
    double median = samples[n / 2];
    double p90 = samples[(n * 9) / 10];
    printf("%s\t%.3f\t%.3f\t%d\t%s\n", name, median, p90, n, what);
}

#endif
