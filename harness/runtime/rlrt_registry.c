/* rlrt_registry.c -- gives every thread and every synchronization object of
 * the program a stable id (T0 for main, then T1.. in creation order; M1..,
 * C1.. in order of first use) and a record the wrappers and the dump share.
 * Fixed tables, lock-free: no malloc, no pthread lock. It does not log. */
#include <pthread.h>

#include "rlrt_internal.h"

rlrt_thread rlrt__threads[RLRT_MAX_THREADS];
_Atomic int rlrt__nthreads;

__thread rlrt_thread *rlrt__self_tls
    __attribute__((tls_model("initial-exec")));

rlrt_thread *rlrt__thread_new(void) {
  int idx = atomic_fetch_add(&rlrt__nthreads, 1);
  if (idx >= RLRT_MAX_THREADS) {
    atomic_store(&rlrt__nthreads, RLRT_MAX_THREADS);
    return NULL;
  }
  rlrt_thread *t = &rlrt__threads[idx];
  t->idx = idx;
  atomic_store(&t->wait_thread, -1);
  rlrt__jitter_thread_init(t);
  atomic_store(&t->used, 1);
  return t;
}

void rlrt__thread_enter(rlrt_thread *t) {
  rlrt__self_tls = t;
  t->pthread = (unsigned long)pthread_self();
}

rlrt_thread *rlrt__self(void) {
  rlrt_thread *t = rlrt__self_tls;
  if (t || !rlrt__cfg.on)
    return t;
  t = rlrt__thread_new();
  if (t)
    rlrt__thread_enter(t);
  return t;
}

rlrt_thread *rlrt__thread_find(unsigned long pthread) {
  int n = atomic_load(&rlrt__nthreads);
  for (int i = 0; i < n; i++)
    if (atomic_load(&rlrt__threads[i].used) &&
        rlrt__threads[i].pthread == pthread &&
        atomic_load(&rlrt__threads[i].wait) != RLRT_WAIT_EXITED)
      return &rlrt__threads[i];
  return NULL;
}

/* ---- objects: open addressing on the address --------------------------- */

#define RLRT_MAX_OBJS 8192 /* a power of two */

/* Zeroed: every slot free, every mutex unowned, without a pass over the
 * table in each run (a forked run would fault in all its pages). Claiming
 * a slot must not write its owner: a thread that found the slot just
 * claimed may already hold the mutex. */
static rlrt_obj objs[RLRT_MAX_OBJS];
static _Atomic int next_id[RLRT_OBJ_BARRIER + 1];

static size_t slot_of(const void *addr) {
  uint64_t h = (uint64_t)(uintptr_t)addr * 0x9E3779B97F4A7C15ULL;
  return (size_t)(h >> 51) & (RLRT_MAX_OBJS - 1);
}

rlrt_obj *rlrt__obj(const void *addr, rlrt_obj_kind kind) {
  size_t i = slot_of(addr);
  for (size_t probe = 0; probe < RLRT_MAX_OBJS; probe++) {
    rlrt_obj *o = &objs[(i + probe) & (RLRT_MAX_OBJS - 1)];
    const void *cur = atomic_load_explicit(&o->addr, memory_order_acquire);
    if (cur == NULL) {
      const void *expect = NULL;
      if (!atomic_compare_exchange_strong(&o->addr, &expect, addr)) {
        if (expect != addr)
          continue;
      } else {
        o->kind = kind;
      }
      cur = addr;
    }
    if (cur != addr)
      continue;
    int zero = 0;
    /* First use (or first after destroy): claim the numbering with -1 so
     * two racing first uses do not burn two ids. */
    if (atomic_load_explicit(&o->id, memory_order_acquire) == 0 &&
        atomic_compare_exchange_strong(&o->id, &zero, -1)) {
      o->kind = kind;
      atomic_store(&o->id, atomic_fetch_add(&next_id[kind], 1) + 1);
    }
    return o;
  }
  return NULL;
}

void rlrt__obj_forget(const void *addr) {
  size_t i = slot_of(addr);
  for (size_t probe = 0; probe < RLRT_MAX_OBJS; probe++) {
    rlrt_obj *o = &objs[(i + probe) & (RLRT_MAX_OBJS - 1)];
    const void *cur = atomic_load(&o->addr);
    if (cur == NULL)
      return;
    if (cur != addr)
      continue;
    rlrt__set_owner(o, -1, 0);
    atomic_store(&o->bound, NULL);
    atomic_store(&o->nowaiter_logged, 0);
    atomic_store(&o->id, 0);
    return;
  }
}

void rlrt__obj_name(const rlrt_obj *o, char *buf) {
  static const char prefix[] = "MRCSB";
  unsigned id = (unsigned)atomic_load(&o->id);
  char digits[12];
  int n = 0;
  do {
    digits[n++] = (char)('0' + id % 10);
    id /= 10;
  } while (id);
  int k = 0;
  buf[k++] = prefix[o->kind];
  while (n > 0)
    buf[k++] = digits[--n];
  buf[k] = '\0';
}
