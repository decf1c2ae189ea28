/* tally.c -- count an election's ballots in parallel processes.
 *
 * The story: the county's results office counts the ballots' scanned
 * records, split into one slice per counting process so that all cores
 * work. The counts live in a shared memory area that every process can
 * see, and every counted ballot gets a sequence number in the audit trail.
 * The parent prints the totals once the counters are done. Every recount
 * gives different totals, always short of the 6000 ballots cast, and the
 * audit trail has ballots sharing a number. Observers are asking questions.
 *
 * Usage: tally ballots.csv
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, besides POSIX */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NCOUNTERS 4
#define NCANDIDATES 4

static const char *candidates[NCANDIDATES] = {"Okafor", "Lindqvist", "Tanaka",
                                              "Moreau"};

/* racelab: your work is here -------------------------------------------- */

/* Lives in memory shared by the parent and all counting processes. */
struct tally {
  long votes[NCANDIDATES];
  long ballots; /* ballots counted, valid or not */
};

/* Add one ballot to the shared tally, and to the audit trail under the
 * next sequence number. */
static void record(struct tally *t, int candidate, int audit_fd) {
  long seq = t->ballots + 1;
  dprintf(audit_fd, "%ld %s\n", seq,
          candidate >= 0 ? candidates[candidate] : "spoiled");
  t->ballots = seq;
  if (candidate >= 0)
    t->votes[candidate]++;
}

static struct tally *tally_create(void) {
  void *p = mmap(NULL, sizeof(struct tally), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  memset(p, 0, sizeof(struct tally));
  return p;
}

static void tally_destroy(struct tally *t) { munmap(t, sizeof *t); }

/* racelab: end of your work --------------------------------------------- */

static int candidate_index(const char *name) {
  for (int i = 0; i < NCANDIDATES; i++)
    if (strcmp(name, candidates[i]) == 0)
      return i;
  return -1; /* spoiled ballot */
}

/* A counting process: every ballot line whose number is congruent to
 * slice modulo NCOUNTERS is ours. */
static void count_slice(const char *path, int slice, struct tally *t,
                        int audit_fd) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    _exit(1);
  char line[128];
  long n = 0;
  if (fgets(line, sizeof line, f) == NULL) /* header */
    _exit(1);
  while (fgets(line, sizeof line, f)) {
    if (n++ % NCOUNTERS != slice)
      continue;
    char *comma = strchr(line, ',');
    if (comma == NULL)
      continue;
    comma[1 + strcspn(comma + 1, "\r\n")] = '\0';
    record(t, candidate_index(comma + 1), audit_fd);
  }
  fclose(f);
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ballots.csv\n", argv[0]);
    return 2;
  }
  struct tally *t = tally_create();
  if (t == NULL) {
    perror("tally");
    return 1;
  }
  /* The audit trail, shared by all counters; O_APPEND makes each line land
   * whole at the end of the file. */
  char audit_path[512];
  const char *tmp = getenv("TMPDIR");
  snprintf(audit_path, sizeof audit_path, "%s/audit.log", tmp ? tmp : "/tmp");
  int audit_fd = open(audit_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (audit_fd < 0) {
    perror(audit_path);
    return 1;
  }

  pid_t pids[NCOUNTERS];
  for (int i = 0; i < NCOUNTERS; i++) {
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("fork");
      return 1;
    }
    if (pids[i] == 0)
      count_slice(argv[1], i, t, audit_fd);
  }
  int failed = 0;
  for (int i = 0; i < NCOUNTERS; i++) {
    int status;
    if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      failed = 1;
  }
  for (int i = 0; i < NCANDIDATES; i++)
    printf("%-10s %5ld\n", candidates[i], t->votes[i]);
  printf("%-10s %5ld\n", "ballots", t->ballots);
  tally_destroy(t);
  close(audit_fd);
  return failed;
}
