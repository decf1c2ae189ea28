/* rlrt_sleep.c -- the sleep wrappers: a jitter point before, and the
 * "sleep" state during, so pct does not wait for a sleeping thread and the
 * dump tells a sleeping thread from a blocked one. */
#include <time.h>
#include <unistd.h>

#include "rlrt_internal.h"

unsigned __real_sleep(unsigned s);
int __real_usleep(useconds_t us);
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
unsigned __wrap_sleep(unsigned s);
int __wrap_usleep(useconds_t us);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem);

static rlrt_thread *before(const void *caller) {
  rlrt_thread *t = rlrt__self();
  if (t) {
    rlrt__jitter(t, RLRT_POINT_SLEEP);
    rlrt__wait_begin(t, RLRT_WAIT_SLEEP, NULL, caller);
  }
  return t;
}

unsigned __wrap_sleep(unsigned s) {
  rlrt_thread *t = before(__builtin_return_address(0));
  unsigned rc = __real_sleep(s);
  if (t)
    rlrt__wait_end(t);
  return rc;
}

int __wrap_usleep(useconds_t us) {
  rlrt_thread *t = before(__builtin_return_address(0));
  int rc = __real_usleep(us);
  if (t)
    rlrt__wait_end(t);
  return rc;
}

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem) {
  rlrt_thread *t = before(__builtin_return_address(0));
  int rc = __real_nanosleep(req, rem);
  if (t)
    rlrt__wait_end(t);
  return rc;
}
