/* indexer.c -- build a search index over documents with map/reduce on
 * processes.
 *
 * The story: the intranet's search box is backed by an index rebuilt every
 * night. One mapper process per document splits it into words and emits a
 * posting "word doc:line" for every word it sees; the parent is the
 * reducer: it collects all the postings through pipes and counts them per
 * word. It worked when the documents were short notes. Now that someone
 * added three real handbooks, the nightly job never finishes: all the
 * processes sit there, asleep, using no CPU at all.
 *
 * Usage: indexer FILE...
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_DOCS 8

/* ---- the mapper (runs in a child process) ------------------------------ */

/* Emit one posting per word of path into out, then exit. stdio buffers the
 * postings and writes them to the pipe in 4 KiB pieces. */
static void map_document(const char *path, int out) {
  FILE *in = fopen(path, "r");
  FILE *pipe_out = fdopen(out, "w");
  if (in == NULL || pipe_out == NULL)
    _exit(1);
  const char *doc = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char line[1024];
  for (int lineno = 1; fgets(line, sizeof line, in); lineno++)
    for (char *w = strtok(line, " \t\r\n"); w; w = strtok(NULL, " \t\r\n"))
      fprintf(pipe_out, "%s %s:%d\n", w, doc, lineno);
  fclose(in);
  _exit(fclose(pipe_out) == 0 ? 0 : 1);
}

/* ---- the reducer (the parent) ------------------------------------------- */

#define NBUCKETS 4096 /* open addressing; more than enough distinct words */

static struct {
  char word[32];
  long postings;
} table[NBUCKETS];

static void count_word(const char *w) {
  size_t len = strlen(w);
  if (len >= sizeof table[0].word) /* not a word we index */
    return;
  unsigned h = 2166136261u;
  for (const char *p = w; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  for (unsigned i = h % NBUCKETS;; i = (i + 1) % NBUCKETS) {
    if (table[i].word[0] == '\0')
      memcpy(table[i].word, w, len + 1);
    if (strcmp(table[i].word, w) == 0) {
      table[i].postings++;
      return;
    }
  }
}

/* Read all postings from fd until end-of-file and count them. */
static void reduce_stream(int fd) {
  FILE *in = fdopen(fd, "r");
  if (in == NULL)
    return;
  char line[256];
  while (fgets(line, sizeof line, in)) {
    char *space = strchr(line, ' ');
    if (space) {
      *space = '\0';
      count_word(line);
    }
  }
  fclose(in); /* also closes fd */
}

static int by_postings(const void *a, const void *b) {
  const long pa = ((const long *)a)[0], pb = ((const long *)b)[0];
  if (pa != pb)
    return pa < pb ? 1 : -1;
  return strcmp(table[((const long *)a)[1]].word, table[((const long *)b)[1]].word);
}

static void print_index_summary(void) {
  static long order[NBUCKETS][2]; /* {postings, bucket}, for sorting */
  long words = 0, postings = 0;
  for (long i = 0; i < NBUCKETS; i++)
    if (table[i].word[0]) {
      order[words][0] = table[i].postings;
      order[words][1] = i;
      words++;
      postings += table[i].postings;
    }
  qsort(order, (size_t)words, sizeof order[0], by_postings);
  printf("distinct words %ld\npostings %ld\n", words, postings);
  for (long i = 0; i < 5 && i < words; i++)
    printf("top %ld: %s (%ld)\n", i + 1, table[order[i][1]].word, order[i][0]);
}

int main(int argc, char **argv) {
  int ndocs = argc - 1;
  if (ndocs < 1 || ndocs > MAX_DOCS) {
    fprintf(stderr, "usage: %s FILE... (at most %d)\n", argv[0], MAX_DOCS);
    return 2;
  }
  fflush(stdout); /* children must not inherit unflushed output (see 13) */

  pid_t pids[MAX_DOCS];
  int fds[MAX_DOCS];
  for (int i = 0; i < ndocs; i++) {
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
      for (int j = 0; j < i; j++) /* earlier mappers' pipes: not ours */
        close(fds[j]);
      map_document(argv[i + 1], p[1]);
    }
    close(p[1]);
    fds[i] = p[0];
  }

  /* racelab: your work is here ------------------------------------------ */

  /* First make sure every mapper succeeded, then reduce their output. */
  int failed = 0;
  for (int i = 0; i < ndocs; i++) {
    int status;
    if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      fprintf(stderr, "indexer: mapper for %s failed\n", argv[i + 1]);
      failed = 1;
    }
  }
  for (int i = 0; i < ndocs; i++)
    reduce_stream(fds[i]);

  /* racelab: end of your work ------------------------------------------- */

  if (failed)
    return 1;
  print_index_summary();
  return 0;
}
