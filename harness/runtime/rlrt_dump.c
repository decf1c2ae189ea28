/* rlrt_dump.c -- the hang dump: on RLRT_DUMP_SIGNAL, append every thread's
 * state (what it waits on, where, and the locks it holds with their
 * stacks) to the log, ending with "dump end". Async-signal-safe: it reads
 * what the threads published before blocking and writes with raw write(2);
 * it never unwinds another thread. It does not classify anything: the
 * harness finds the cycles. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "rlrt_internal.h"
#include "rlrt_protocol.h"

/* libc's own sigaction, which the sanitizers do not intercept: TSan would
 * defer our handler until the receiving thread leaves its blocking call,
 * and a deadlocked thread never does. */
extern int __sigaction(int sig, const struct sigaction *act,
                       struct sigaction *old);

static const char *const state_names[] = {
    [RLRT_WAIT_NONE] = "running",    [RLRT_WAIT_MUTEX] = "mutex",
    [RLRT_WAIT_RDLOCK] = "rdlock",   [RLRT_WAIT_WRLOCK] = "wrlock",
    [RLRT_WAIT_COND] = "cond",       [RLRT_WAIT_JOIN] = "join",
    [RLRT_WAIT_SEM] = "sem",         [RLRT_WAIT_BARRIER] = "barrier",
    [RLRT_WAIT_ONCE] = "once",       [RLRT_WAIT_SLEEP] = "sleep",
    [RLRT_WAIT_UV_RUN] = "uv_run",   [RLRT_WAIT_EXITED] = "exited",
    [RLRT_WAIT_GONE] = "gone"};

static void dump_thread(const rlrt_thread *t) {
  int w = atomic_load_explicit(&t->wait, memory_order_acquire);
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "dthread ");
  rlrt__put_tid(&l, t->idx);
  rlrt__put(&l, " state=");
  rlrt__put(&l, state_names[w]);
  const rlrt_obj *o = atomic_load(&t->wait_obj);
  const rlrt_obj *m = atomic_load(&t->wait_mutex);
  if (w == RLRT_WAIT_JOIN && atomic_load(&t->wait_thread) >= 0) {
    rlrt__put(&l, " obj=");
    rlrt__put_tid(&l, atomic_load(&t->wait_thread));
  } else if (o && w != RLRT_WAIT_NONE) {
    rlrt__put(&l, " obj=");
    rlrt__put_obj(&l, o);
  }
  if (w == RLRT_WAIT_COND && m) {
    rlrt__put(&l, " mutex=");
    rlrt__put_obj(&l, m);
  }
  rlrt__put(&l, " s=");
  static const rlrt_stack none = {.n = 0};
  int waiting = w != RLRT_WAIT_NONE && w != RLRT_WAIT_EXITED &&
                w != RLRT_WAIT_GONE;
  rlrt__put_stack(&l, waiting ? &t->wait_st : &none);
  rlrt__emit(&l);

  int n = atomic_load_explicit(&t->nheld, memory_order_acquire);
  for (int i = 0; i < n && i < RLRT_MAX_HELD; i++) {
    const rlrt_held *h = &t->held[i];
    l.n = 0;
    rlrt__put(&l, "dheld ");
    rlrt__put_tid(&l, t->idx);
    rlrt__put(&l, " ");
    rlrt__put_obj(&l, h->obj);
    rlrt__put(&l, h->write ? " mode=w s=" : " mode=r s=");
    rlrt__put_stack(&l, &h->st);
    rlrt__emit(&l);
  }
}

void rlrt__dump(void) {
  static _Atomic int dumping;
  if (atomic_exchange(&dumping, 1))
    return; /* a second signal during a dump adds nothing */
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "dump begin");
  rlrt__emit(&l);
  int n = atomic_load(&rlrt__nthreads);
  for (int i = 0; i < n && i < RLRT_MAX_THREADS; i++)
    if (atomic_load(&rlrt__threads[i].used))
      dump_thread(&rlrt__threads[i]);
  l.n = 0;
  rlrt__put(&l, RLRT_DUMP_END_LINE);
  rlrt__emit(&l);
  atomic_store(&dumping, 0);
}

static void on_signal(int sig) {
  (void)sig;
  int saved = errno;
  rlrt__dump();
  errno = saved;
}

void rlrt__dump_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  __sigaction(RLRT_DUMP_SIGNAL, &sa, NULL);
}
