/* rlrt_jitter.c -- seeded schedule perturbation at sync points: `random`
 * (with a small probability, yield or sleep a few tens of microseconds) and
 * `pct` (random thread priorities and priority-change points; a thread
 * waits, boundedly, while a higher-priority thread is runnable). Each
 * thread's decisions come from its own PRNG seeded by the run seed and its
 * creation index, never by OS ids, so a seed replays the same decisions.
 * The OS still schedules: a replay repeats the decisions, not the timing.
 * It does not know which call it is in; the wrappers tell it. */
#include <sched.h>
#include <time.h>

#include "rlrt_internal.h"
#include "rlrt_protocol.h"

/* random: a jitter about every SYNC_GAP sync points at first, the gap
 * doubling every SYNC_DOUBLE jitters, so a thread with a million lock calls
 * sleeps a few hundred times, not a hundred thousand (measured: 21x on a
 * lock-heavy TSan run with a flat 1 in 8). Thread start: 1 in 2. */
#define SYNC_GAP 8
#define SYNC_DOUBLE 32
#define SYNC_MAX 128 /* then no more: ~10 ms of sleep per thread at most */
#define RANDOM_MAX_SLEEP_US 60
/* random: at most this many spurious condvar wakeups per thread, each
 * untimed wait with a chance of 1 in 2 until they are used up. */
#define SPURIOUS_PER_THREAD 4
/* pct: PCT draws its d-1 change points uniformly over the run's n sync
 * points, and n is not known ahead. Guessing it (the seed picked n among
 * 50..3200) put every change point past the end of a short run in three
 * seeds out of four: pct found a 26-step inversion in 7% of runs, random in
 * 25%. Instead step s (counted over all threads) is a change point with
 * probability 1 / max(s, PCT_STEP0): each doubling of the run holds about
 * 0.7 of them whatever its length, a run of n steps about ln(n) in all, at
 * most PCT_MAX_CHANGES (that inversion: 28% of runs). The k-th change
 * drops its thread below every priority given before it, as PCT's change
 * point k sets priority d - k. */
#define PCT_STEP0 4
#define PCT_MAX_CHANGES 16
#define PCT_POLL_US 20
#define PCT_MAX_WAIT_US 2000    /* per point: never a deadlock of our own */
#define PCT_BUDGET_US 100000    /* per thread: then pct stops holding it */
/* memory accesses: the mean gap between two jitters starts at ACCESS_GAP
 * and doubles every ACCESS_DOUBLE jitters, so a long loop pays O(log n). */
#define ACCESS_GAP 2
#define ACCESS_DOUBLE 16
#define ACCESS_MAX_SLEEP_US 30
/* ...and stops after ACCESS_MAX jitters: about 10 ms of sleep per thread
 * at most (an access-heavy TSan run paid 1.7x without the cap). */
#define ACCESS_MAX 128

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static void note(rlrt_thread *t, uint64_t v) {
  t->decisions++;
  t->hash = (t->hash ^ v) * 0x100000001B3ULL; /* FNV-1a, 64-bit */
}

void rlrt__jitter_thread_init(rlrt_thread *t) {
  uint64_t s = rlrt__cfg.seed ^ (0xD1B54A32D192ED03ULL * (uint64_t)(t->idx + 1));
  t->rng = splitmix(&s);
  t->access_rng = splitmix(&s);
  t->sync_countdown = 1 + t->rng % SYNC_GAP;
  t->access_countdown = 1 + t->access_rng % ACCESS_GAP;
  t->hash = 0xCBF29CE484222325ULL;
  t->decisions = 0;
  /* pct priorities above PCT_MAX_CHANGES; change points lower them to
   * PCT_MAX_CHANGES..1. */
  atomic_store(&t->prio, PCT_MAX_CHANGES + 1 + (int)(splitmix(&s) % 1000000));
  t->pct_waited_us = 0;
  t->spurious_left = SPURIOUS_PER_THREAD;
}

/* ---- random -------------------------------------------------------------- */

/* One step of a jitter countdown: 1 when it fires, and then the next gap is
 * drawn from r, with a mean of gap0 << (jitters taken / dbl); after max
 * jitters it never fires again. */
static int countdown(uint64_t *count, uint64_t *taken, uint64_t r,
                     unsigned gap0, unsigned dbl, unsigned max) {
  if (--*count)
    return 0;
  unsigned shift = (unsigned)(*taken / dbl);
  uint64_t gap = (uint64_t)gap0 << (shift > 20 ? 20 : shift);
  *count = ++*taken >= max ? UINT64_MAX : 1 + r % (2 * gap);
  return 1;
}

static void random_point(rlrt_thread *t, rlrt_point p) {
  uint64_t r = splitmix(&t->rng);
  int act = p == RLRT_POINT_START
                ? (int)(r & 1)
                : countdown(&t->sync_countdown, &t->sync_jitters, r >> 24,
                            SYNC_GAP, SYNC_DOUBLE, SYNC_MAX);
  int sleep = act && ((r >> 16) & 1);
  unsigned us = 1 + (unsigned)((r >> 32) % RANDOM_MAX_SLEEP_US);
  note(t, (uint64_t)p | (uint64_t)act << 8 | (uint64_t)sleep << 9 |
              (uint64_t)(sleep ? us : 0) << 10);
  if (sleep)
    rlrt__sys_sleep_us(us);
  else if (act)
    sched_yield();
  RLRT_TRACE(rlrt__trace_delay(t, act, sleep ? us : 0, "random"));
}

/* ---- pct ----------------------------------------------------------------- */

static _Atomic uint64_t pct_steps;
static _Atomic int pct_changes;

/* Whether step s is a change point: a function of the seed and s alone. */
static int pct_change_at(uint64_t s) {
  uint64_t h = (rlrt__cfg.seed ^ 0x5EED5EED5EED5EEDULL) + s * 0xD6E8FEB86659FD93ULL;
  return splitmix(&h) % (s > PCT_STEP0 ? s : PCT_STEP0) == 0;
}

static int higher_runnable(const rlrt_thread *self) {
  int mine = atomic_load_explicit(&self->prio, memory_order_relaxed);
  int n = atomic_load(&rlrt__nthreads);
  for (int i = 0; i < n && i < RLRT_MAX_THREADS; i++) {
    const rlrt_thread *u = &rlrt__threads[i];
    if (u == self || !atomic_load_explicit(&u->used, memory_order_relaxed))
      continue;
    if (atomic_load_explicit(&u->wait, memory_order_relaxed) !=
        RLRT_WAIT_NONE)
      continue;
    if (atomic_load_explicit(&u->prio, memory_order_relaxed) > mine)
      return 1;
  }
  return 0;
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void pct_point(rlrt_thread *t, rlrt_point p) {
  uint64_t step = atomic_fetch_add(&pct_steps, 1) + 1;
  int changed = 0;
  if (pct_change_at(step)) {
    int k = atomic_fetch_add(&pct_changes, 1) + 1;
    if (k <= PCT_MAX_CHANGES) {
      atomic_store(&t->prio, PCT_MAX_CHANGES + 1 - k);
      changed = 1;
    }
  }
  note(t, (uint64_t)p | (uint64_t)changed << 8);
  uint64_t waited = 0;
  if (t->pct_waited_us < PCT_BUDGET_US && higher_runnable(t)) {
    /* Bounded by the clock, not by counting polls: a 20 us sleep takes
     * about 120 us here. */
    uint64_t start = now_us(), now = start;
    while (now - start < PCT_MAX_WAIT_US && higher_runnable(t)) {
      rlrt__sys_sleep_us(PCT_POLL_US);
      now = now_us();
    }
    waited = now - start;
    t->pct_waited_us += waited;
  }
  RLRT_TRACE(rlrt__trace_delay(t, waited > 0, (unsigned)waited, "pct"));
}

void rlrt__jitter(rlrt_thread *t, rlrt_point p) {
  if (!t)
    return;
  switch (rlrt__cfg.mode) {
  case RLRT_MODE_OFF:
    return;
  case RLRT_MODE_RANDOM:
    random_point(t, p);
    return;
  case RLRT_MODE_PCT:
    pct_point(t, p);
    return;
  }
}

/* ---- memory accesses (hot: called for every instrumented access) -------- */

void rlrt__jitter_access(rlrt_thread *t) {
  uint64_t r = splitmix(&t->access_rng);
  if (countdown(&t->access_countdown, &t->access_jitters, r, ACCESS_GAP,
                ACCESS_DOUBLE, ACCESS_MAX))
    rlrt__sys_sleep_us(1 + (unsigned)((r >> 40) % ACCESS_MAX_SLEEP_US));
}

int rlrt__jitter_spurious(rlrt_thread *t) {
  if (rlrt__cfg.mode != RLRT_MODE_RANDOM || t->spurious_left == 0)
    return 0;
  uint64_t r = splitmix(&t->rng);
  int fire = (int)(r & 1);
  note(t, (uint64_t)RLRT_POINT_COND | (uint64_t)fire << 8 | 1u << 12);
  t->spurious_left -= fire;
  return fire;
}

void rlrt__jitter_log_exit(rlrt_thread *t) {
  if (!rlrt__cfg.log_prefix[0])
    return;
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "exit ");
  rlrt__put_tid(&l, t->idx);
  rlrt__put(&l, " n=");
  rlrt__put_dec(&l, t->decisions);
  rlrt__put(&l, " h=");
  rlrt__put_hex(&l, t->hash);
  rlrt__emit(&l);
}
