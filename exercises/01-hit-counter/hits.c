/* hits.c -- hit counters for a small web-server log analyzer.
 *
 * The story: ops run this tool every night over the access log to see how
 * many requests ended in 2xx, 3xx, 4xx and 5xx, and how many bytes went out.
 * To go faster on big logs it splits the log into equal slices and hands
 * each slice to a worker thread. On a quiet laptop the numbers look right;
 * on the busy build server the totals come out a little low, and never the
 * same twice. Nobody changed the log.
 *
 * Usage: hits access.log
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NWORKERS 4

/* One slice of the log: [begin, end) of a buffer that holds whole lines. */
struct slice {
  const char *begin;
  const char *end;
};

/* racelab: your work is here -------------------------------------------- */

/* The report every worker adds into. */
struct report {
  long by_class[6]; /* [2] = 2xx ... [5] = 5xx; [0], [1] unused */
  long bytes;       /* response bytes, all requests */
};

static struct report report;

/* Parse one line of Common Log Format: "... \"GET / HTTP/1.1\" 200 5120".
 * Returns 0 and fills *status and *bytes, or -1 for a line it cannot read. */
static int parse_line(const char *line, const char *end, int *status,
                      long *bytes) {
  const char *quote = memchr(line, '"', (size_t)(end - line));
  if (quote == NULL)
    return -1;
  quote = memchr(quote + 1, '"', (size_t)(end - quote - 1));
  if (quote == NULL)
    return -1;
  char field[64];
  size_t n = (size_t)(end - quote - 1);
  if (n >= sizeof field)
    return -1;
  memcpy(field, quote + 1, n);
  field[n] = '\0';
  return sscanf(field, "%d %ld", status, bytes) == 2 ? 0 : -1;
}

/* Worker: count every line of its slice into the shared report. */
static void *count_slice(void *arg) {
  const struct slice *s = arg;
  const char *line = s->begin;
  while (line < s->end) {
    const char *nl = memchr(line, '\n', (size_t)(s->end - line));
    const char *eol = nl ? nl : s->end;
    int status;
    long bytes;
    if (parse_line(line, eol, &status, &bytes) == 0 && status >= 200 &&
        status < 600) {
      report.by_class[status / 100]++;
      report.bytes += bytes;
    }
    line = eol + 1;
  }
  return NULL;
}

/* racelab: end of your work --------------------------------------------- */

/* Read the whole file into one heap buffer; *len gets its size. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
  if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf != NULL) {
    buf[size] = '\0';
    *len = (size_t)size;
  }
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s access.log\n", argv[0]);
    return 2;
  }
  size_t len;
  char *log = read_file(argv[1], &len);
  if (log == NULL) {
    perror(argv[1]);
    return 1;
  }

  /* Cut the buffer into NWORKERS slices, each ending after a newline so
   * that no line is split between two workers. */
  struct slice slices[NWORKERS];
  const char *p = log, *end = log + len;
  for (int i = 0; i < NWORKERS; i++) {
    const char *cut = p + (size_t)(end - p) / (size_t)(NWORKERS - i);
    const char *nl = cut < end ? memchr(cut, '\n', (size_t)(end - cut)) : NULL;
    slices[i].begin = p;
    slices[i].end = nl ? nl + 1 : end;
    p = slices[i].end;
  }

  pthread_t workers[NWORKERS];
  for (int i = 0; i < NWORKERS; i++)
    pthread_create(&workers[i], NULL, count_slice, &slices[i]);
  for (int i = 0; i < NWORKERS; i++)
    pthread_join(workers[i], NULL);

  long total = 0;
  for (int c = 2; c <= 5; c++) {
    printf("%dxx %ld\n", c, report.by_class[c]);
    total += report.by_class[c];
  }
  printf("requests %ld\n", total);
  printf("bytes %ld\n", report.bytes);
  free(log);
  return 0;
}
