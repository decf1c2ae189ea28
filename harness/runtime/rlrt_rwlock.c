/* rlrt_rwlock.c -- the reader-writer lock wrappers: like the mutex ones, but
 * a lock may have many readers, so who holds it is known only from the
 * threads' held lists (which the dump reads), not from an owner field. */
#include <pthread.h>
#include <time.h>

#include "rlrt_internal.h"

int __real_pthread_rwlock_rdlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_wrlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_tryrdlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_trywrlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_unlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_destroy(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_wrlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_tryrdlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_trywrlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_unlock(pthread_rwlock_t *l);
int __wrap_pthread_rwlock_destroy(pthread_rwlock_t *l);

typedef int (*lock_fn)(pthread_rwlock_t *);

/* One blocking or try acquisition, in read (write = 0) or write mode. */
static int take(pthread_rwlock_t *l, lock_fn real, int write, int try,
                const void *caller) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(l, RLRT_OBJ_RWLOCK) : NULL;
  if (!o)
    return real(l);
  rlrt__jitter(t, RLRT_POINT_LOCK);
  if (!try)
    rlrt__wait_begin(t, write ? RLRT_WAIT_WRLOCK : RLRT_WAIT_RDLOCK, o,
                     caller);
  int rc = real(l);
  if (!try)
    rlrt__wait_end(t);
  if (rc == 0) {
    if (try)
      rlrt__stack_capture(&t->wait_st, caller);
    rlrt__lock_acquired(t, o, write, !try, &t->wait_st);
  }
  return rc;
}

int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *l) {
  return take(l, __real_pthread_rwlock_rdlock, 0, 0,
              __builtin_return_address(0));
}

int __wrap_pthread_rwlock_wrlock(pthread_rwlock_t *l) {
  return take(l, __real_pthread_rwlock_wrlock, 1, 0,
              __builtin_return_address(0));
}

int __wrap_pthread_rwlock_tryrdlock(pthread_rwlock_t *l) {
  return take(l, __real_pthread_rwlock_tryrdlock, 0, 1,
              __builtin_return_address(0));
}

int __wrap_pthread_rwlock_trywrlock(pthread_rwlock_t *l) {
  return take(l, __real_pthread_rwlock_trywrlock, 1, 1,
              __builtin_return_address(0));
}

int __wrap_pthread_rwlock_unlock(pthread_rwlock_t *l) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(l, RLRT_OBJ_RWLOCK) : NULL;
  if (!o)
    return __real_pthread_rwlock_unlock(l);
  RLRT_TRACE(rlrt__trace_obj(t, RLRT_TEV_RELEASED, o, 0,
                             __builtin_return_address(0)));
  if (rlrt__lock_released(t, o) != 0)
    rlrt__misuse(t, "unlock-unheld", o, NULL, NULL, -1,
                 __builtin_return_address(0));
  int rc = __real_pthread_rwlock_unlock(l);
  rlrt__jitter(t, RLRT_POINT_UNLOCK);
  return rc;
}

int __wrap_pthread_rwlock_destroy(pthread_rwlock_t *l) {
  if (rlrt__self())
    rlrt__obj_forget(l);
  return __real_pthread_rwlock_destroy(l);
}
