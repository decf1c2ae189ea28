/* rlrt_barrier_once.c -- the barrier and pthread_once wrappers: the two
 * "everyone meets here" calls. Jitter before, and a wait state while
 * blocked, so a barrier short of a thread shows in the dump. */
#include <pthread.h>

#include "rlrt_internal.h"

int __real_pthread_barrier_wait(pthread_barrier_t *b);
int __real_pthread_once(pthread_once_t *once, void (*fn)(void));
int __wrap_pthread_barrier_wait(pthread_barrier_t *b);
int __wrap_pthread_once(pthread_once_t *once, void (*fn)(void));

int __wrap_pthread_barrier_wait(pthread_barrier_t *b) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(b, RLRT_OBJ_BARRIER) : NULL;
  if (!o)
    return __real_pthread_barrier_wait(b);
  rlrt__jitter(t, RLRT_POINT_BARRIER);
  rlrt__wait_begin(t, RLRT_WAIT_BARRIER, o, __builtin_return_address(0));
  int rc = __real_pthread_barrier_wait(b);
  rlrt__wait_end(t);
  return rc;
}

int __wrap_pthread_once(pthread_once_t *once, void (*fn)(void)) {
  rlrt_thread *t = rlrt__self();
  if (!t)
    return __real_pthread_once(once, fn);
  rlrt__jitter(t, RLRT_POINT_ONCE);
  rlrt__wait_begin(t, RLRT_WAIT_ONCE, NULL, __builtin_return_address(0));
  int rc = __real_pthread_once(once, fn);
  rlrt__wait_end(t);
  return rc;
}
