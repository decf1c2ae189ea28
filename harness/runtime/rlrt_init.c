/* rlrt_init.c -- start-up: read the environment, open the log, register the
 * main thread as T0, and keep all of that right across fork() and exit. It
 * does not wrap any call itself. */
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "rlrt_internal.h"
#include "rlrt_protocol.h"

rlrt_config rlrt__cfg;

extern void *__libc_stack_end; /* the main thread's stack top, from ld.so */

/* wrap.rsp forces this symbol in with -Wl,--undefined, which pulls this
 * object, and so the constructor, into every program. */
const int rlrt_anchor = RLRT_PROTOCOL_VERSION;

static rlrt_mode parse_mode(const char *s) {
  if (s && strcmp(s, "random") == 0)
    return RLRT_MODE_RANDOM;
  if (s && strcmp(s, "pct") == 0)
    return RLRT_MODE_PCT;
  return RLRT_MODE_OFF;
}

/* In the child of fork(): only the forking thread exists now. Every other
 * thread becomes "gone" (its held locks stay on record: a child that blocks
 * on one of them is a classic fork bug), and the child gets its own log. */
static void after_fork_child(void) {
  rlrt_thread *self = rlrt__self();
  int n = atomic_load(&rlrt__nthreads);
  for (int i = 0; i < n; i++) {
    rlrt_thread *t = &rlrt__threads[i];
    if (t != self && atomic_load(&t->wait) != RLRT_WAIT_EXITED)
      atomic_store(&t->wait, RLRT_WAIT_GONE);
  }
  if (self) {
    /* Parent and child would otherwise draw the same jitter stream. */
    self->rng ^= 0xc41dc41dc41dc41dULL;
  }
  if (rlrt__cfg.log_prefix[0])
    rlrt__log_open();
}

static void at_exit(void) {
  rlrt_thread *self = rlrt__self();
  /* A main thread that ended with pthread_exit has logged its exit. */
  if (self && atomic_load(&self->wait) != RLRT_WAIT_EXITED)
    rlrt__jitter_log_exit(self);
}

/* 102: after the fork server (101, rlrt_forkserver.c), so that a forked run
 * reads its own environment here. */
__attribute__((constructor(102))) static void rlrt_init(void) {
  const char *log = getenv(RLRT_ENV_LOG);
  const char *seed = getenv(RLRT_ENV_SEED);
  rlrt__cfg.mode = parse_mode(getenv(RLRT_ENV_MODE));
  rlrt__cfg.seed = seed ? strtoull(seed, NULL, 10) : 0;
  if (log && *log && strlen(log) < sizeof rlrt__cfg.log_prefix)
    strcpy(rlrt__cfg.log_prefix, log);
  /* RLRT_TRACE is read by rlrt_trace.c's own constructor, after this one. */
  rlrt__cfg.on = rlrt__cfg.log_prefix[0] || rlrt__cfg.mode != RLRT_MODE_OFF;
  if (!rlrt__cfg.on)
    return;
  rlrt__stack_set_top(__libc_stack_end);
  rlrt__self(); /* the main thread is T0 */
  if (rlrt__cfg.log_prefix[0] && rlrt__log_open() == 0)
    rlrt__dump_install();
  pthread_atfork(NULL, NULL, after_fork_child);
  atexit(at_exit);
}
