/* rlrt_free.c -- the program's own free() calls (--wrap=free), so that
 * memory freed while a libuv handle inside it is still closing is caught at
 * the free: libuv is not instrumented, and its later use of the handle is
 * never reported. It only counts on rlrt_uv.c, and only while a close is
 * pending; otherwise a free costs one load more.
 */
#include "rlrt_internal.h"

_Atomic int rlrt__uv_closing;

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p) {
  if (p && atomic_load_explicit(&rlrt__uv_closing, memory_order_relaxed) > 0 &&
      rlrt__uv_freeing)
    rlrt__uv_freeing(p, __builtin_return_address(0));
  __real_free(p);
}
