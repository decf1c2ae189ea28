/* rlrt_thread.c -- the thread-lifecycle wrappers: create (numbering the new
 * thread in creation order and logging where it was created), the start
 * trampoline, join (a wait on another thread), detach and exit. The
 * trampoline's record lives in the thread table, not on the heap: a malloc
 * here would move glibc's per-thread arena creation and change which races
 * show up (research/perf.md). */
#include <pthread.h>

#include "rlrt_internal.h"

int __real_pthread_create(pthread_t *th, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t th, void **ret);
int __real_pthread_detach(pthread_t th);
void __real_pthread_exit(void *ret) __attribute__((noreturn));
int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg);
int __wrap_pthread_join(pthread_t th, void **ret);
int __wrap_pthread_detach(pthread_t th);
void __wrap_pthread_exit(void *ret) __attribute__((noreturn));

static void finish(rlrt_thread *t) {
  rlrt__jitter(t, RLRT_POINT_EXIT);
  RLRT_TRACE(
      rlrt__trace_id(t, RLRT_TEV_EXIT, RLRT_TOBJ_NONE, 0, 0, NULL, NULL));
  rlrt__jitter_log_exit(t);
  atomic_store(&t->wait, RLRT_WAIT_EXITED);
}

static void *trampoline(void *arg) {
  rlrt_thread *t = arg;
  rlrt__stack_set_top(__builtin_frame_address(0));
  rlrt__thread_enter(t);
  RLRT_TRACE(rlrt__trace_id(t, RLRT_TEV_START, RLRT_TOBJ_NONE, 0, 0, NULL,
                            (const void *)t->start));
  rlrt__jitter(t, RLRT_POINT_START);
  void *ret = t->start(t->start_arg);
  finish(t);
  return ret;
}

int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg) {
  rlrt_thread *self = rlrt__self();
  /* Before the new slot exists: pct must not wait for an unborn thread. */
  rlrt__jitter(self, RLRT_POINT_CREATE);
  rlrt_thread *t = self ? rlrt__thread_new() : NULL;
  if (!t)
    return __real_pthread_create(th, attr, fn, arg);
  t->start = fn;
  t->start_arg = arg;
  RLRT_TRACE(rlrt__trace_id(self, RLRT_TEV_CREATE, RLRT_TOBJ_THREAD, t->idx, 0,
                            NULL, __builtin_return_address(0)));
  if (rlrt__cfg.log_prefix[0]) {
    rlrt_stack st;
    rlrt__stack_capture(&st, __builtin_return_address(0));
    rlrt_line l = {.n = 0};
    rlrt__put(&l, "thread ");
    rlrt__put_tid(&l, t->idx);
    rlrt__put(&l, " parent=");
    rlrt__put_tid(&l, self->idx);
    rlrt__put(&l, " s=");
    rlrt__put_stack(&l, &st);
    rlrt__emit(&l);
  }
  rlrt__tsan_enter(__builtin_return_address(0));
  int rc = __real_pthread_create(th, attr, trampoline, t);
  rlrt__tsan_exit();
  rlrt__thread_created(self, t, th, attr, rc, __builtin_return_address(0));
  if (rc != 0)
    atomic_store(&t->wait, RLRT_WAIT_EXITED);
  else
    t->pthread = (unsigned long)*th; /* the child stores the same value */
  return rc;
}

int __wrap_pthread_join(pthread_t th, void **ret) {
  rlrt_thread *self = rlrt__self();
  if (!self)
    return __real_pthread_join(th, ret);
  rlrt__jitter(self, RLRT_POINT_JOIN);
  rlrt__thread_joining(self, (unsigned long)th, __builtin_return_address(0));
  rlrt_thread *target = rlrt__thread_find((unsigned long)th);
  atomic_store(&self->wait_thread, target ? target->idx : -1);
  rlrt__wait_begin(self, RLRT_WAIT_JOIN, NULL, __builtin_return_address(0));
  int rc = __real_pthread_join(th, ret);
  rlrt__wait_end(self);
  rlrt__thread_settled((unsigned long)th, rc);
  return rc;
}

int __wrap_pthread_detach(pthread_t th) {
  rlrt__jitter(rlrt__self(), RLRT_POINT_JOIN);
  int rc = __real_pthread_detach(th);
  rlrt__thread_settled((unsigned long)th, rc);
  return rc;
}

void __wrap_pthread_exit(void *ret) {
  rlrt_thread *self = rlrt__self();
  if (self)
    finish(self);
  __real_pthread_exit(ret);
}
