/* rlrt_stack.c -- captures the calling thread's own stack as raw return
 * addresses by walking the frame-pointer chain (the harness compiles every
 * program with -fno-omit-frame-pointer), without the runtime's own frames.
 * Symbolization is the harness's job, after the run.
 *
 * Why not libunwind's unw_backtrace: measured here, its per-thread cache
 * destructor runs pthread_mutex_lock after gcc's TSan has torn the thread
 * down (SIGSEGV at every thread exit), and its internal locks go through
 * TSan's interceptors, which would invent happens-before between the
 * program's threads and hide races. The walk is also much cheaper. */
#include "rlrt_internal.h"

/* [lo, top) is the part of this thread's stack a frame may lie in. */
static __thread uintptr_t stack_top
    __attribute__((tls_model("initial-exec")));

/* For threads the runtime did not start (the main thread is set from
 * __libc_stack_end), walk at most this far up from the current frame. */
#define UNKNOWN_STACK_SPAN (64 * 1024)

void rlrt__stack_set_top(const void *top) { stack_top = (uintptr_t)top; }

void rlrt__stack_capture(rlrt_stack *st, const void *caller) {
  uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
  uintptr_t top = stack_top ? stack_top : fp + UNKNOWN_STACK_SPAN;
  uint32_t n = 0;
  int started = 0;
  int hops = 0;
  while (fp >= (uintptr_t)__builtin_frame_address(0) && fp + 16 <= top &&
         fp % sizeof(uintptr_t) == 0 && n < RLRT_MAX_FRAMES && hops++ < 64) {
    uintptr_t next = ((const uintptr_t *)fp)[0];
    uintptr_t ret = ((const uintptr_t *)fp)[1];
    if (ret == (uintptr_t)caller)
      started = 1;
    if (started && ret)
      st->ip[n++] = ret;
    if (next <= fp)
      break;
    fp = next;
  }
  st->n = n;
}
