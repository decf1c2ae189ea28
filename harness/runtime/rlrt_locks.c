/* rlrt_locks.c -- lock bookkeeping shared by every lock wrapper: what each
 * thread waits on and holds (with stacks, for the dump), and the lock-order
 * graph, lockdep style: each edge "took B while holding A" is logged once,
 * with both stacks; the harness finds the cycles. It does not call any
 * real lock function. */
#include "rlrt_internal.h"

void rlrt__wait_begin(rlrt_thread *t, rlrt_wait w, rlrt_obj *o,
                      const void *caller) {
  if (!t->tsan_frame) {
    rlrt__tsan_enter(caller);
    t->tsan_frame = 1;
  }
  rlrt__stack_capture(&t->wait_st, caller);
  atomic_store_explicit(&t->wait_obj, o, memory_order_relaxed);
  /* Release: the dump sees the stack and object once it sees the state. */
  atomic_store_explicit(&t->wait, w, memory_order_release);
  RLRT_TRACE(rlrt__trace_wait(t, RLRT_TEV_WAIT));
}

void rlrt__wait_end(rlrt_thread *t) {
  RLRT_TRACE(rlrt__trace_wait(t, RLRT_TEV_WOKEN));
  if (t->tsan_frame) {
    t->tsan_frame = 0;
    rlrt__tsan_exit();
  }
  atomic_store_explicit(&t->wait, RLRT_WAIT_NONE, memory_order_release);
  atomic_store_explicit(&t->wait_obj, NULL, memory_order_relaxed);
  atomic_store_explicit(&t->wait_mutex, NULL, memory_order_relaxed);
  atomic_store_explicit(&t->wait_thread, -1, memory_order_relaxed);
}

/* ---- the lock-order graph: a set of (from id, to id) edges -------------- */

#define RLRT_MAX_EDGES 16384 /* a power of two */

static _Atomic uint64_t edges[RLRT_MAX_EDGES];

/* Insert the edge; 1 if it is new, 0 if known (or the set is full). */
static int edge_insert(const rlrt_obj *a, const rlrt_obj *b) {
  /* Key: kind and id of both ends, never 0 (0 marks a free slot). */
  uint64_t key = (uint64_t)a->kind << 61 | (uint64_t)(uint32_t)atomic_load(&a->id) << 32 |
                 (uint64_t)b->kind << 29 | (uint32_t)atomic_load(&b->id);
  uint64_t h = (key * 0x9E3779B97F4A7C15ULL) >> 50;
  for (size_t probe = 0; probe < RLRT_MAX_EDGES; probe++) {
    _Atomic uint64_t *slot = &edges[(h + probe) & (RLRT_MAX_EDGES - 1)];
    uint64_t cur = atomic_load_explicit(slot, memory_order_relaxed);
    if (cur == key)
      return 0;
    if (cur == 0) {
      uint64_t zero = 0;
      if (atomic_compare_exchange_strong(slot, &zero, key))
        return 1;
      if (zero == key)
        return 0;
    }
  }
  return 0;
}

static void log_edge(const rlrt_thread *t, const rlrt_held *from,
                     const rlrt_obj *to, const rlrt_stack *st) {
  if (!rlrt__cfg.log_prefix[0])
    return;
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "edge ");
  rlrt__put_obj(&l, from->obj);
  rlrt__put(&l, " ");
  rlrt__put_obj(&l, to);
  rlrt__put(&l, " ");
  rlrt__put_tid(&l, t->idx);
  rlrt__put(&l, " s1=");
  rlrt__put_stack(&l, &from->st);
  rlrt__put(&l, " s2=");
  rlrt__put_stack(&l, st);
  rlrt__emit(&l);
}

void rlrt__lock_acquired(rlrt_thread *t, rlrt_obj *o, int write, int edges_on,
                         const rlrt_stack *st) {
  RLRT_TRACE(rlrt__trace_obj(t, RLRT_TEV_ACQUIRED, o, (uint64_t)write,
                             st->n ? (const void *)st->ip[0] : NULL));
  int n = atomic_load_explicit(&t->nheld, memory_order_relaxed);
  if (edges_on)
    for (int i = 0; i < n; i++)
      if (t->held[i].obj != o && edge_insert(t->held[i].obj, o))
        log_edge(t, &t->held[i], o, st);
  if (n == RLRT_MAX_HELD)
    return; /* deeper nesting than any lab program: stop recording */
  t->held[n].obj = o;
  t->held[n].write = write;
  t->held[n].st = *st;
  atomic_store_explicit(&t->nheld, n + 1, memory_order_release);
}

int rlrt__lock_released(rlrt_thread *t, rlrt_obj *o) {
  int n = atomic_load_explicit(&t->nheld, memory_order_relaxed);
  /* Usually the most recent: search from the top. */
  for (int i = n - 1; i >= 0; i--) {
    if (t->held[i].obj != o)
      continue;
    for (int j = i; j + 1 < n; j++)
      t->held[j] = t->held[j + 1];
    atomic_store_explicit(&t->nheld, n - 1, memory_order_release);
    return 0;
  }
  return -1;
}
