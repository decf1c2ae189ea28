/* rlrt_mutex.c -- the pthread mutex wrappers: jitter, owner and held-lock
 * bookkeeping, lock-order edges and misuse, then the real call (which still
 * reaches the sanitizer's interceptor). Condvars live in rlrt_cond.c. */
#include <pthread.h>
#include <time.h>

#include "rlrt_internal.h"

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_timedlock(pthread_mutex_t *m,
                                   const struct timespec *abstime);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_mutex_destroy(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m);
int __wrap_pthread_mutex_timedlock(pthread_mutex_t *m,
                                   const struct timespec *abstime);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_mutex_destroy(pthread_mutex_t *m);

/* glibc keeps the type in the mutex itself, static initializers included. */
static int is_recursive(const pthread_mutex_t *m) {
  return (m->__data.__kind & 3) == PTHREAD_MUTEX_RECURSIVE;
}

/* t got m (o); st is where. A recursive re-lock only counts depth. */
static void acquired(rlrt_thread *t, rlrt_obj *o, const pthread_mutex_t *m,
                     int edges, const rlrt_stack *st) {
  if (rlrt__owner(o) == t->idx && is_recursive(m)) {
    rlrt__set_owner(o, t->idx, rlrt__depth(o) + 1);
    return;
  }
  rlrt__set_owner(o, t->idx, 1);
  rlrt__lock_acquired(t, o, 1, edges, st);
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(m, RLRT_OBJ_MUTEX) : NULL;
  if (!o)
    return __real_pthread_mutex_lock(m);
  rlrt__jitter(t, RLRT_POINT_LOCK);
  rlrt__wait_begin(t, RLRT_WAIT_MUTEX, o, __builtin_return_address(0));
  int rc = __real_pthread_mutex_lock(m);
  rlrt__wait_end(t);
  if (rc == 0)
    acquired(t, o, m, 1, &t->wait_st);
  return rc;
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(m, RLRT_OBJ_MUTEX) : NULL;
  if (!o)
    return __real_pthread_mutex_trylock(m);
  rlrt__jitter(t, RLRT_POINT_LOCK);
  int rc = __real_pthread_mutex_trylock(m);
  if (rc == 0) {
    /* A trylock cannot deadlock, so it adds no edge (as in TSan). */
    rlrt_stack st;
    rlrt__stack_capture(&st, __builtin_return_address(0));
    acquired(t, o, m, 0, &st);
  }
  return rc;
}

int __wrap_pthread_mutex_timedlock(pthread_mutex_t *m,
                                   const struct timespec *abstime) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(m, RLRT_OBJ_MUTEX) : NULL;
  if (!o)
    return __real_pthread_mutex_timedlock(m, abstime);
  rlrt__jitter(t, RLRT_POINT_LOCK);
  rlrt__wait_begin(t, RLRT_WAIT_MUTEX, o, __builtin_return_address(0));
  int rc = __real_pthread_mutex_timedlock(m, abstime);
  rlrt__wait_end(t);
  if (rc == 0)
    acquired(t, o, m, 0, &t->wait_st);
  return rc;
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(m, RLRT_OBJ_MUTEX) : NULL;
  if (!o)
    return __real_pthread_mutex_unlock(m);
  rlrt__cond_unlocking(t, o);
  int owner = rlrt__owner(o);
  if (owner != t->idx) {
    rlrt__misuse(t, "unlock-unheld", o, NULL, NULL, owner,
                 __builtin_return_address(0));
  } else if (rlrt__depth(o) > 1) {
    rlrt__set_owner(o, owner, rlrt__depth(o) - 1);
  } else {
    /* Before the real unlock: afterwards another thread may own it. */
    rlrt__set_owner(o, -1, 0);
    rlrt__lock_released(t, o);
    RLRT_TRACE(rlrt__trace_obj(t, RLRT_TEV_RELEASED, o, 0,
                               __builtin_return_address(0)));
  }
  int rc = __real_pthread_mutex_unlock(m);
  rlrt__jitter(t, RLRT_POINT_UNLOCK);
  return rc;
}

int __wrap_pthread_mutex_destroy(pthread_mutex_t *m) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(m, RLRT_OBJ_MUTEX) : NULL;
  if (o) {
    int owner = rlrt__owner(o);
    if (owner >= 0)
      rlrt__misuse(t, "destroy-locked", o, NULL, NULL, owner,
                   __builtin_return_address(0));
    rlrt__obj_forget(m);
  }
  return __real_pthread_mutex_destroy(m);
}
