/* spooler.c -- an office print spooler: a job queue, printers, and a log.
 *
 * The story: two printer threads take jobs from a shared queue. Every job
 * is written to the spooler log, and a rotation thread regularly flushes
 * the log and starts a new section headed with the number of jobs still
 * waiting. The log lines were added to debug a slow printer. Since then
 * the spooler freezes in the middle of the morning rush: printers idle,
 * jobs waiting, and not one more line in the log.
 *
 * Usage: spooler
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NJOBS 20
#define NPRINTERS 2
#define ROTATIONS 4

static void sleep_ms(long ms) {
  struct timespec t = {0, ms * 1000000L};
  nanosleep(&t, NULL);
}

struct job {
  char name[24];
  int pages;
};

/* The queue: filled before the printers start, drained by them. */
static struct {
  pthread_mutex_t lock; /* guards head */
  struct job jobs[NJOBS];
  int head; /* next job to print */
} queue = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The spooler log, kept in memory and "flushed" to disk on rotation. */
static struct {
  pthread_mutex_t lock; /* guards everything below */
  int job_lines;        /* lines about jobs, since start */
  int rotations;        /* sections started */
  char last[96];        /* the latest line, for the status screen */
} log_ = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* racelab: your work is here -------------------------------------------- */

/* How many jobs are still waiting. */
static int queue_depth(void) {
  pthread_mutex_lock(&queue.lock);
  int depth = NJOBS - queue.head;
  pthread_mutex_unlock(&queue.lock);
  return depth;
}

static void log_job(const char *printer, const struct job *job, int waiting) {
  pthread_mutex_lock(&log_.lock);
  snprintf(log_.last, sizeof log_.last, "%s took %s (%d pages), %d waiting",
           printer, job->name, job->pages, waiting);
  log_.job_lines++;
  pthread_mutex_unlock(&log_.lock);
}

/* Take the next job, or return 0 when the queue is empty. The log line is
 * written while the queue is locked, so that its "waiting" count is exact. */
static int take_job(const char *printer, struct job *out) {
  pthread_mutex_lock(&queue.lock);
  if (queue.head == NJOBS) {
    pthread_mutex_unlock(&queue.lock);
    return 0;
  }
  *out = queue.jobs[queue.head++];
  log_job(printer, out, NJOBS - queue.head);
  pthread_mutex_unlock(&queue.lock);
  return 1;
}

/* Flush the log to disk and open a new section, headed with the depth. */
static void rotate_log(void) {
  pthread_mutex_lock(&log_.lock);
  sleep_ms(2); /* fsync: the disk is slow, and nobody may log meanwhile */
  log_.rotations++;
  snprintf(log_.last, sizeof log_.last, "--- section %d, %d jobs waiting",
           log_.rotations, queue_depth());
  pthread_mutex_unlock(&log_.lock);
}

/* racelab: end of your work --------------------------------------------- */

static int pages_printed[NPRINTERS];

static void *printer_run(void *arg) {
  int id = (int)(long)arg;
  char name[16];
  snprintf(name, sizeof name, "printer%d", id);
  struct job job;
  while (take_job(name, &job)) {
    sleep_ms(1); /* the paper moves */
    pages_printed[id] += job.pages;
  }
  return NULL;
}

static void *rotator_run(void *arg) {
  (void)arg;
  for (int i = 0; i < ROTATIONS; i++) {
    sleep_ms(3);
    rotate_log();
  }
  return NULL;
}

int main(void) {
  for (int i = 0; i < NJOBS; i++) {
    snprintf(queue.jobs[i].name, sizeof queue.jobs[i].name, "report-%02d.pdf", i);
    queue.jobs[i].pages = 1 + i * 7 % 9;
  }
  pthread_t printers[NPRINTERS], rotator;
  for (int i = 0; i < NPRINTERS; i++)
    pthread_create(&printers[i], NULL, printer_run, (void *)(long)i);
  pthread_create(&rotator, NULL, rotator_run, NULL);

  int pages = 0;
  for (int i = 0; i < NPRINTERS; i++) {
    pthread_join(printers[i], NULL);
    pages += pages_printed[i];
  }
  pthread_join(rotator, NULL);
  printf("printed %d jobs, %d pages\n", NJOBS, pages);
  printf("log: %d job lines, %d sections\n", log_.job_lines, log_.rotations);
  return 0;
}
