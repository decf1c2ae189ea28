/* rlrt_free.c -- the program's own free() and realloc() calls (--wrap), so
 * that memory holding a libuv handle libuv still uses is caught where it
 * goes away before the handle's close callback ran: freed (while the
 * handle's close is pending, or with the handle never closed), or moved
 * (or freed) by realloc(). libuv is not instrumented, and its later use of
 * the old address is never reported. It only counts on rlrt_uv.c, and only
 * while a handle is open; otherwise a call costs one load more.
 */
#include <malloc.h>

#include "rlrt_internal.h"

_Atomic int rlrt__uv_open;

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

/* ThreadSanitizer owns a pointer inside a block too, but knows the size
 * of a block only at its start. Without a sanitizer's allocator to ask,
 * yes: glibc cannot tell for a pointer that may point anywhere. */
int rlrt__block_start(const void *p) {
  return __sanitizer_get_ownership ? rlrt__block_size(p) > 0 : 1;
}

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p) {
  if (p && atomic_load_explicit(&rlrt__uv_open, memory_order_relaxed) > 0 &&
      rlrt__uv_freeing)
    rlrt__uv_freeing(p, __builtin_return_address(0));
  __real_free(p);
}

/* Might p's block hold a handle libuv still uses? Only if one is open. */
static inline int watched(const void *p) {
  return p && atomic_load_explicit(&rlrt__uv_open, memory_order_relaxed) > 0 &&
         rlrt__uv_gone;
}

void *__real_realloc(void *p, size_t n);
void *__real_reallocarray(void *p, size_t nmemb, size_t n);

/* realloc(p, n) (array 0) or reallocarray(p, nmemb, n) of a watched block,
 * called at caller: a moved block, or one freed by a resize to zero bytes,
 * lost the handles inside. A failed resize (NULL, not to zero bytes) leaves
 * the block where it was. Out of line, so that the common case (no handle
 * open) stays a load and a jump. */
static __attribute__((noinline)) void *resize_watched(void *p, size_t nmemb, size_t n, int array,
                                                      const void *caller) {
  size_t size = rlrt__block_size(p);
  void *q = array ? __real_reallocarray(p, nmemb, n) : __real_realloc(p, n);
  if (size && q != p && (q || nmemb == 0 || n == 0))
    rlrt__uv_gone(p, size, q != NULL, caller);
  return q;
}

void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n) {
  if (!watched(p))
    return __real_realloc(p, n);
  return resize_watched(p, 1, n, 0, __builtin_return_address(0));
}

void *__wrap_reallocarray(void *p, size_t nmemb, size_t n);
void *__wrap_reallocarray(void *p, size_t nmemb, size_t n) {
  if (!watched(p))
    return __real_reallocarray(p, nmemb, n);
  return resize_watched(p, nmemb, n, 1, __builtin_return_address(0));
}
