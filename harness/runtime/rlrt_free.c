/* rlrt_free.c -- the program's own free() and realloc() calls (--wrap), so
 * that memory holding a libuv handle libuv still uses is caught where it
 * goes away: freed while the handle's close is pending, or moved (or
 * freed) by realloc() before the handle's close callback ran. libuv is not
 * instrumented, and its later use of the old address is never reported.
 * It only counts on rlrt_uv.c, and only while a handle is closing (free)
 * or open (realloc); otherwise a call costs one load more.
 */
#include <malloc.h>

#include "rlrt_internal.h"

_Atomic int rlrt__uv_closing, rlrt__uv_open;

/* AddressSanitizer's and ThreadSanitizer's allocator interface, weak: a
 * plain build has neither and asks glibc. */
extern int __sanitizer_get_ownership(const volatile void *p) __attribute__((weak));
extern size_t __sanitizer_get_allocated_size(const volatile void *p)
    __attribute__((weak));

size_t rlrt__block_size(const void *p) {
  if (!__sanitizer_get_ownership)
    return malloc_usable_size((void *)p);
  return __sanitizer_get_ownership(p) ? __sanitizer_get_allocated_size(p) : 0;
}

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p) {
  if (p && atomic_load_explicit(&rlrt__uv_closing, memory_order_relaxed) > 0 &&
      rlrt__uv_freeing)
    rlrt__uv_freeing(p, __builtin_return_address(0));
  __real_free(p);
}

/* Before a resize of p: its size while a handle is open, else 0 (nothing
 * inside it to look for). */
static size_t watched(const void *p) {
  if (!p || atomic_load_explicit(&rlrt__uv_open, memory_order_relaxed) == 0 ||
      !rlrt__uv_gone)
    return 0;
  return rlrt__block_size(p);
}

/* After the resize of p (size bytes, 0 if not watched) into q: a moved
 * block, or one freed by a resize to zero bytes, lost the handles inside.
 * A failed resize (q NULL, zero 0) leaves the block where it was. */
static void *resized(const void *p, size_t size, void *q, int zero, const void *caller) {
  if (size && q != p && (q || zero))
    rlrt__uv_gone(p, size, q != NULL, caller);
  return q;
}

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n) {
  size_t size = watched(p);
  return resized(p, size, __real_realloc(p, n), n == 0, __builtin_return_address(0));
}

void *__real_reallocarray(void *p, size_t nmemb, size_t n);
void *__wrap_reallocarray(void *p, size_t nmemb, size_t n);
void *__wrap_reallocarray(void *p, size_t nmemb, size_t n) {
  size_t size = watched(p);
  return resized(p, size, __real_reallocarray(p, nmemb, n), nmemb == 0 || n == 0,
                 __builtin_return_address(0));
}
