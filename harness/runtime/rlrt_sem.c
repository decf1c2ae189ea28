/* rlrt_sem.c -- the semaphore wrappers: jitter, and the wait state a blocked
 * sem_wait shows in the dump. A semaphore has no owner, so it adds nothing
 * to the lock-order graph. */
#include <semaphore.h>
#include <time.h>

#include "rlrt_internal.h"

int __real_sem_wait(sem_t *s);
int __real_sem_timedwait(sem_t *s, const struct timespec *abstime);
int __real_sem_trywait(sem_t *s);
int __real_sem_post(sem_t *s);
int __wrap_sem_wait(sem_t *s);
int __wrap_sem_timedwait(sem_t *s, const struct timespec *abstime);
int __wrap_sem_trywait(sem_t *s);
int __wrap_sem_post(sem_t *s);

int __wrap_sem_wait(sem_t *s) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(s, RLRT_OBJ_SEM) : NULL;
  if (!o)
    return __real_sem_wait(s);
  rlrt__jitter(t, RLRT_POINT_SEM);
  rlrt__wait_begin(t, RLRT_WAIT_SEM, o, __builtin_return_address(0));
  int rc = __real_sem_wait(s);
  rlrt__wait_end(t);
  return rc;
}

int __wrap_sem_timedwait(sem_t *s, const struct timespec *abstime) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(s, RLRT_OBJ_SEM) : NULL;
  if (!o)
    return __real_sem_timedwait(s, abstime);
  rlrt__jitter(t, RLRT_POINT_SEM);
  rlrt__wait_begin(t, RLRT_WAIT_SEM, o, __builtin_return_address(0));
  int rc = __real_sem_timedwait(s, abstime);
  rlrt__wait_end(t);
  return rc;
}

int __wrap_sem_trywait(sem_t *s) {
  rlrt__jitter(rlrt__self(), RLRT_POINT_SEM);
  return __real_sem_trywait(s);
}

int __wrap_sem_post(sem_t *s) {
  int rc = __real_sem_post(s);
  rlrt__jitter(rlrt__self(), RLRT_POINT_SEM);
  return rc;
}
