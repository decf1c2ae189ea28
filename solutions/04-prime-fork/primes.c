/* primes.c -- count primes below a limit on every core, one process each.
 *
 * The story: a number-theory class uses this to check its homework. Counting
 * primes is pure computation, so the program forks one worker process per
 * core and gives each a slice of the range; four cores should make it four
 * times faster. It is indeed fast. It also says there are 0 primes below
 * 300000, on every machine, every time.
 *
 * Usage: primes
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMIT 300000L
#define NWORKERS 4

/* Trial division: slow, and that is the point -- it is CPU-bound work. */
static int is_prime(long n) {
  if (n < 2)
    return 0;
  for (long d = 2; d * d <= n; d++)
    if (n % d == 0)
      return 0;
  return 1;
}

static long count_primes(long lo, long hi) {
  long count = 0;
  for (long n = lo; n < hi; n++)
    count += is_prime(n);
  return count;
}

/* racelab: your work is here -------------------------------------------- */

/* Read exactly n bytes (a pipe may hand them over in pieces). Returns 0, or
 * -1 on error or when the writer closed the pipe early. */
static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r <= 0)
      return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int main(void) {
  /* A child cannot change the parent's memory: fork() gave it a copy. So
   * each worker gets a pipe, made before the fork so that both processes
   * hold its two ends, and sends its count back through it. */
  pid_t pids[NWORKERS];
  int fds[NWORKERS]; /* the parent's read end of each worker's pipe */
  for (int i = 0; i < NWORKERS; i++) {
    long lo = LIMIT * i / NWORKERS, hi = LIMIT * (i + 1) / NWORKERS;
    int p[2];
    if (pipe(p) < 0) {
      perror("pipe");
      return 1;
    }
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("fork");
      return 1;
    }
    if (pids[i] == 0) {
      close(p[0]);
      long count = count_primes(lo, hi);
      int ok = write(p[1], &count, sizeof count) == (ssize_t)sizeof count;
      _exit(ok ? 0 : 1);
    }
    close(p[1]); /* the parent only reads */
    fds[i] = p[0];
  }

  long total = 0;
  int failed = 0;
  for (int i = 0; i < NWORKERS; i++) {
    long count;
    if (read_all(fds[i], &count, sizeof count) < 0)
      failed = 1;
    else
      total += count;
    close(fds[i]);
    int status;
    if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      failed = 1;
  }
  if (failed) {
    fprintf(stderr, "primes: a worker failed\n");
    return 1;
  }
  printf("primes below %ld: %ld\n", LIMIT, total);
  return 0;
}

/* racelab: end of your work --------------------------------------------- */
