/* convert.c -- a batch converter that forks one child per file, in a
 * program that also runs a logging thread.
 *
 * The story: the converter runs each conversion in a child process, so that
 * a crash in the (untrusted) decoder kills only that child. It has always
 * logged through the team's small logging library. Last month the library
 * gained a heartbeat thread that writes "alive" to the log every few
 * milliseconds, for the monitoring system. Since then the nightly batch
 * hangs: ps shows the children asleep, each stuck inside log_msg(), and
 * the parent waiting for them forever.
 *
 * Usage: convert
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NFILES 4

static void sleep_us(long us) {
  struct timespec t = {0, us * 1000L};
  nanosleep(&t, NULL);
}

/* ---- the logging library ------------------------------------------------ */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER; /* one writer */
static int log_stop;          /* guarded by log_lock: heartbeat exits */
static pthread_t heartbeat;

/* Write one line to the log (stderr). The device is slow, so the lock is
 * held while the line goes out: lines never interleave. */
static void log_msg(const char *fmt, ...) {
  pthread_mutex_lock(&log_lock);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  sleep_us(2000); /* the slow log device */
  pthread_mutex_unlock(&log_lock);
}

static void *heartbeat_main(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&log_lock);
    int stop = log_stop;
    pthread_mutex_unlock(&log_lock);
    if (stop)
      return NULL;
    log_msg("heartbeat: alive\n");
  }
}

/* racelab: your work is here -------------------------------------------- */

static int log_start(void) {
  return pthread_create(&heartbeat, NULL, heartbeat_main, NULL);
}

static void log_finish(void) {
  pthread_mutex_lock(&log_lock);
  log_stop = 1;
  pthread_mutex_unlock(&log_lock);
  pthread_join(heartbeat, NULL);
}

/* racelab: end of your work --------------------------------------------- */

/* ---- the converter ------------------------------------------------------ */

/* The child's work: "decode" and "encode" one file (a checksum stands in). */
static int convert(int i) {
  unsigned h = 2166136261u;
  for (int k = 0; k < 100000; k++)
    h = (h ^ (unsigned)(k * (i + 1))) * 16777619u;
  log_msg("child: converted file %d (%08x)\n", i, h);
  return h == 0; /* 0: success */
}

int main(void) {
  if (log_start() != 0)
    return 1;
  log_msg("converter: %d files\n", NFILES);

  pid_t pids[NFILES];
  for (int i = 0; i < NFILES; i++) {
    sleep_us(700); /* read the file's header to pick a decoder */
    fflush(NULL);  /* children must not inherit unwritten output */
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("fork");
      return 1;
    }
    if (pids[i] == 0)
      _exit(convert(i));
  }
  int ok = 0;
  for (int i = 0; i < NFILES; i++) {
    int status;
    if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0)
      ok++;
    else
      printf("file %d: conversion failed\n", i);
  }
  printf("converted %d of %d files\n", ok, NFILES);
  log_finish();
  return ok == NFILES ? 0 : 1;
}
