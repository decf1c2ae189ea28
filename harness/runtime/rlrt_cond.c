/* rlrt_cond.c -- the condition-variable wrappers: jitter; the wait's mutex
 * is released for the wait and taken back after it in the bookkeeping, as
 * the real call does; misuse (wait without the mutex, a second mutex) and
 * signals that found no waiter (the raw material of a lost wakeup) are
 * logged. */
#include <pthread.h>
#include <time.h>

#include "rlrt_internal.h"

int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *abstime);
int __real_pthread_cond_signal(pthread_cond_t *c);
int __real_pthread_cond_broadcast(pthread_cond_t *c);
int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *abstime);
int __wrap_pthread_cond_signal(pthread_cond_t *c);
int __wrap_pthread_cond_broadcast(pthread_cond_t *c);

/* Everything around one wait; `timed` selects the real call. */
static int wait(pthread_cond_t *c, pthread_mutex_t *m,
                const struct timespec *abstime, int timed,
                const void *caller) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(c, RLRT_OBJ_COND) : NULL;
  rlrt_obj *mo = o ? rlrt__obj(m, RLRT_OBJ_MUTEX) : NULL;
  if (!mo)
    return timed ? __real_pthread_cond_timedwait(c, m, abstime)
                 : __real_pthread_cond_wait(c, m);
  int holds = rlrt__owner(mo) == t->idx;
  if (!holds)
    rlrt__misuse(t, "cond-unheld", o, mo, NULL, -2, caller);
  rlrt_obj *prev = NULL;
  if (!atomic_compare_exchange_strong(&o->bound, &prev, mo) && prev != mo) {
    rlrt__misuse(t, "cond-two-mutexes", o, prev, mo, -2, caller);
    atomic_store(&o->bound, mo); /* log each switch once, not each wait */
  }
  rlrt__jitter(t, RLRT_POINT_COND);
  t->spurious_cond = NULL; /* waiting again: whatever loop it is in re-checked */
  if (!timed && holds && rlrt__jitter_spurious(t)) {
    /* A spurious wakeup, which POSIX allows: return at once, the mutex
     * never released, so the condition it guards cannot have changed. A
     * loop that re-checks it waits again; code that does not goes on, and
     * if it then unlocks the mutex, rlrt__cond_unlocking reports it. */
    t->spurious_cond = o;
    rlrt__stack_capture(&t->spurious_st, caller);
    return 0;
  }
  int depth = rlrt__depth(mo);
  if (holds) {
    rlrt__set_owner(mo, -1, 0);
    rlrt__lock_released(t, mo);
    RLRT_TRACE(rlrt__trace_obj(t, RLRT_TEV_RELEASED, mo, 0, caller));
  }
  atomic_fetch_add(&o->waiters, 1);
  atomic_store(&t->wait_mutex, mo);
  rlrt__wait_begin(t, RLRT_WAIT_COND, o, caller);
  int rc = timed ? __real_pthread_cond_timedwait(c, m, abstime)
                 : __real_pthread_cond_wait(c, m);
  rlrt__wait_end(t);
  atomic_fetch_sub(&o->waiters, 1);
  /* The real call returns with the mutex locked, held before or not. */
  rlrt__set_owner(mo, t->idx, holds ? depth : 1);
  rlrt__lock_acquired(t, mo, 1, 0, &t->wait_st);
  return rc;
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  return wait(c, m, NULL, 0, __builtin_return_address(0));
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *abstime) {
  return wait(c, m, abstime, 1, __builtin_return_address(0));
}

void rlrt__cond_unlocking(rlrt_thread *t, const rlrt_obj *o) {
  rlrt_obj *c = t->spurious_cond;
  if (!c || atomic_load(&c->bound) != o)
    return;
  t->spurious_cond = NULL;
  rlrt__misuse_at(t, "cond-no-loop", c, o, NULL, -2, &t->spurious_st);
}

/* A signal or broadcast: note the first one that found nobody waiting. */
static void signalled(pthread_cond_t *c, const void *caller) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(c, RLRT_OBJ_COND) : NULL;
  if (!o)
    return;
  rlrt__jitter(t, RLRT_POINT_SIGNAL);
  int zero = 0;
  if (atomic_load(&o->waiters) == 0 && rlrt__cfg.log_prefix[0] &&
      atomic_compare_exchange_strong(&o->nowaiter_logged, &zero, 1)) {
    rlrt_stack st;
    rlrt__stack_capture(&st, caller);
    rlrt_line l = {.n = 0};
    rlrt__put(&l, "nowaiter ");
    rlrt__put_obj(&l, o);
    rlrt__put(&l, " ");
    rlrt__put_tid(&l, t->idx);
    /* Whether the signaller held the waiter's mutex is known only when the
     * waiter comes, so list what it held. */
    rlrt__put(&l, " held=");
    int n = atomic_load_explicit(&t->nheld, memory_order_relaxed);
    for (int i = 0; i < n; i++) {
      if (i)
        rlrt__put(&l, ",");
      rlrt__put_obj(&l, t->held[i].obj);
    }
    if (n == 0)
      rlrt__put(&l, "-");
    rlrt__put(&l, " s=");
    rlrt__put_stack(&l, &st);
    rlrt__emit(&l);
  }
}

int __wrap_pthread_cond_signal(pthread_cond_t *c) {
  signalled(c, __builtin_return_address(0));
  RLRT_TRACE(
      rlrt__trace_cond(RLRT_TEV_SIGNAL, c, __builtin_return_address(0)));
  return __real_pthread_cond_signal(c);
}

int __wrap_pthread_cond_broadcast(pthread_cond_t *c) {
  signalled(c, __builtin_return_address(0));
  RLRT_TRACE(
      rlrt__trace_cond(RLRT_TEV_BROADCAST, c, __builtin_return_address(0)));
  return __real_pthread_cond_broadcast(c);
}
