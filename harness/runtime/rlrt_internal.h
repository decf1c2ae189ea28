/* rlrt_internal.h -- the runtime's internal core API: the thread and object
 * registry, stack capture, the log writer, jitter points and wait states.
 * Every wrapper file (rlrt_mutex.c, and later rlrt_uv.c) is built from these
 * and nothing else; this header is not seen by programs under test.
 *
 * Rules for code behind this header: never call a function the runtime
 * wraps by its plain name (--wrap rewrites our own references too: use
 * __real_x), never take a pthread lock or use an fd through libc (TSan would
 * see them and invent happens-before between the program's threads: use
 * atomics and rlrt__sys_*), never malloc on a path the dump can reach.
 */
#ifndef RLRT_INTERNAL_H
#define RLRT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rlrt_protocol.h"

/* ---- configuration read at start-up ------------------------------------ */

typedef enum { RLRT_MODE_OFF, RLRT_MODE_RANDOM, RLRT_MODE_PCT } rlrt_mode;

typedef struct {
  int on;           /* any bookkeeping at all (log set or mode not off) */
  rlrt_mode mode;
  uint64_t seed;
  char log_prefix[512]; /* RLRT_LOG, "" when not logging */
} rlrt_config;

extern rlrt_config rlrt__cfg;

/* ---- stacks ------------------------------------------------------------ */

#define RLRT_MAX_FRAMES 20

typedef struct {
  uint32_t n;
  uintptr_t ip[RLRT_MAX_FRAMES];
} rlrt_stack;

/* Capture the calling thread's stack, dropping every frame above `caller`
 * (the return address of the wrapper, __builtin_return_address(0)), so the
 * stack starts at the program's call into the runtime. */
void rlrt__stack_capture(rlrt_stack *st, const void *caller);
/* The calling thread's stack ends (grows down from) just below top. */
void rlrt__stack_set_top(const void *top);

/* ---- the registry: threads and objects with stable ids ------------------ */

#define RLRT_MAX_THREADS 512
#define RLRT_MAX_HELD 16

typedef enum {
  RLRT_WAIT_NONE, /* running, or in a call the runtime does not see */
  RLRT_WAIT_MUTEX,
  RLRT_WAIT_RDLOCK,
  RLRT_WAIT_WRLOCK,
  RLRT_WAIT_COND,
  RLRT_WAIT_JOIN,
  RLRT_WAIT_SEM,
  RLRT_WAIT_BARRIER,
  RLRT_WAIT_ONCE,
  RLRT_WAIT_SLEEP,
  RLRT_WAIT_UV_RUN,
  RLRT_WAIT_EXITED,
  RLRT_WAIT_GONE /* existed in the parent, not in this forked child */
} rlrt_wait;

typedef enum {
  RLRT_OBJ_MUTEX,
  RLRT_OBJ_RWLOCK,
  RLRT_OBJ_COND,
  RLRT_OBJ_SEM,
  RLRT_OBJ_BARRIER
} rlrt_obj_kind;

typedef struct rlrt_obj {
  _Atomic(const void *) addr; /* the program's object; NULL = free slot */
  _Atomic int id;             /* M<id>, C<id>...; 0 = not numbered yet */
  rlrt_obj_kind kind;
  _Atomic int holder;         /* mutex: 1 + T index of the holder, 0 if none,
                                 so that a zeroed slot needs no set-up */
  _Atomic int depth;          /* recursive mutex: times the owner holds it */
  _Atomic(struct rlrt_obj *) bound; /* condvar: the mutex it was used with */
  _Atomic int waiters;        /* condvar: threads inside a wait now */
  _Atomic int nowaiter_logged;/* condvar: a signal without waiter was logged */
} rlrt_obj;

typedef struct {
  rlrt_obj *obj;
  int write;                  /* 0 for an rwlock held for reading */
  rlrt_stack st;              /* where it was taken */
} rlrt_held;

typedef struct {
  int idx;                    /* T<idx>; also the slot index */
  _Atomic int used;           /* slot taken (a thread was registered) */
  _Atomic int wait;           /* rlrt_wait */
  _Atomic(rlrt_obj *) wait_obj;   /* what it waits on (lock, cond, sem) */
  _Atomic(rlrt_obj *) wait_mutex; /* condvar wait: its mutex */
  _Atomic int wait_thread;        /* join: T index of the joined thread */
  rlrt_stack wait_st;         /* where it waits */
  int tsan_frame;             /* wait_begin pushed the caller as a TSan frame */
  _Atomic int nheld;
  rlrt_held held[RLRT_MAX_HELD];
  unsigned long pthread;      /* pthread_t, to find a join target */
  void *(*start)(void *);     /* pthread_create trampoline: the real start */
  void *start_arg;
  /* jitter state, touched only by the thread itself */
  uint64_t rng;               /* sync-point PRNG, from seed and idx */
  uint64_t access_rng;        /* memory-access PRNG (separate stream) */
  uint64_t sync_countdown;    /* random: sync points until the next jitter */
  uint64_t sync_jitters;      /* random: sync jitters taken: widens the gap */
  uint64_t access_countdown;  /* accesses until the next access jitter */
  uint64_t access_jitters;    /* access jitters taken: widens the gap */
  uint64_t decisions;         /* jitter points evaluated */
  uint64_t hash;              /* FNV-1a over the decisions */
  _Atomic int prio;           /* pct priority; higher runs first */
  uint64_t pct_waited_us;     /* pct: total time this thread held back */
  int spurious_left;          /* random: spurious wakeups still to inject */
  rlrt_obj *spurious_cond;    /* its last wait returned spuriously and the
                                 thread has not waited again yet */
  rlrt_stack spurious_st;     /* where that wait was */
} rlrt_thread;

extern rlrt_thread rlrt__threads[RLRT_MAX_THREADS];
extern _Atomic int rlrt__nthreads;    /* slots ever taken */

/* The calling thread's record once registered, else NULL: for hot paths
 * that cannot afford a call (rlrt_access.c). */
extern __thread rlrt_thread *rlrt__self_tls
    __attribute__((tls_model("initial-exec")));
/* The calling thread's record, registering it on first use (threads the
 * program did not create through pthread_create, e.g. libuv's pool, get the
 * next index then). NULL when the runtime is off or the table is full. */
rlrt_thread *rlrt__self(void);
/* Take the next slot for a thread about to be created; NULL if full. */
rlrt_thread *rlrt__thread_new(void);
/* Bind the calling thread to a slot taken by rlrt__thread_new. */
void rlrt__thread_enter(rlrt_thread *t);
/* The slot of a thread by its pthread_t, NULL if unknown. */
rlrt_thread *rlrt__thread_find(unsigned long pthread);

/* The record of the program object at addr, numbering it on first use;
 * NULL if the table is full (the wrappers then only call through). */
rlrt_obj *rlrt__obj(const void *addr, rlrt_obj_kind kind);
/* Forget addr after destroy, so a new object there gets a new id. */
void rlrt__obj_forget(const void *addr);
/* "M3", "C1"...: the id as text, into buf (>= 16 bytes). */
void rlrt__obj_name(const rlrt_obj *o, char *buf);

/* Mutex o's holder (a T index, -1 if none) and how often a recursive one
 * is held. They change only under the program's mutex itself, so relaxed
 * accesses suffice (a seq_cst store is a locked xchg on x86, paid on every
 * lock call). */
static inline int rlrt__owner(const rlrt_obj *o) {
  return atomic_load_explicit(&o->holder, memory_order_relaxed) - 1;
}
static inline int rlrt__depth(const rlrt_obj *o) {
  return atomic_load_explicit(&o->depth, memory_order_relaxed);
}
static inline void rlrt__set_owner(rlrt_obj *o, int owner, int depth) {
  atomic_store_explicit(&o->holder, owner + 1, memory_order_relaxed);
  atomic_store_explicit(&o->depth, depth, memory_order_relaxed);
}

/* ---- the log ------------------------------------------------------------ */

/* A line being built; never heap, never longer than one write. */
typedef struct {
  char b[2048];
  size_t n;
} rlrt_line;

void rlrt__put(rlrt_line *l, const char *s);
void rlrt__put_dec(rlrt_line *l, uint64_t v);
void rlrt__put_hex(rlrt_line *l, uint64_t v);
void rlrt__put_tid(rlrt_line *l, int idx);        /* "T3" */
void rlrt__put_obj(rlrt_line *l, const rlrt_obj *o); /* "M1" */
void rlrt__put_stack(rlrt_line *l, const rlrt_stack *st); /* "ips" */
/* Append the newline and write the line; async-signal-safe. */
void rlrt__emit(rlrt_line *l);
/* Open "<prefix>.<pid>" and write the header and modules; 0 or -errno. */
int rlrt__log_open(void);
void rlrt__log_modules(void);

/* Raw system calls, invisible to the sanitizers' interceptors. */
long rlrt__sys_write(int fd, const void *buf, size_t n);
void rlrt__sys_sleep_us(unsigned us);

/* ---- jitter ------------------------------------------------------------- */

typedef enum {
  RLRT_POINT_LOCK,
  RLRT_POINT_UNLOCK,
  RLRT_POINT_COND,
  RLRT_POINT_SIGNAL,
  RLRT_POINT_SEM,
  RLRT_POINT_BARRIER,
  RLRT_POINT_ONCE,
  RLRT_POINT_CREATE,
  RLRT_POINT_JOIN,
  RLRT_POINT_START,
  RLRT_POINT_EXIT,
  RLRT_POINT_SLEEP,
  RLRT_POINT_UV,
  RLRT_POINT_FUNC
} rlrt_point;

/* Seed t's PRNGs and pct priority from the run seed and t->idx. */
void rlrt__jitter_thread_init(rlrt_thread *t);
/* A scheduling point: maybe yield or sleep (random), or hold back while a
 * higher-priority thread is runnable (pct). Counts into t's decision hash. */
void rlrt__jitter(rlrt_thread *t, rlrt_point p);
/* The memory-access hook's slow path, once t->access_countdown is down to
 * 1 (rlrt_access.c counts down inline): maybe sleep, draw the next gap. */
void rlrt__jitter_access(rlrt_thread *t);
/* random: should this condvar wait return at once, as POSIX allows (a
 * spurious wakeup)? A few per thread; counted into the decision hash. */
int rlrt__jitter_spurious(rlrt_thread *t);
/* Log "exit T<n> n=.. h=..". */
void rlrt__jitter_log_exit(rlrt_thread *t);

/* ---- waits and held locks ------------------------------------------------ */

/* TSan attributes a call it intercepts to the pc that made it, which for a
 * wrapped call lies in this uninstrumented runtime: the user's line (the
 * lock of a lock-order report, the pthread_create of a thread) would be
 * lost. Pushing the user's call site as a TSan frame around the real call
 * keeps it in every report. Weak: ASan and plain builds have no TSan. */
extern void __tsan_func_entry(void *pc) __attribute__((weak));
extern void __tsan_func_exit(void) __attribute__((weak));
static inline void rlrt__tsan_enter(const void *caller) {
  if (__tsan_func_entry)
    __tsan_func_entry((void *)caller);
}
static inline void rlrt__tsan_exit(void) {
  if (__tsan_func_exit)
    __tsan_func_exit();
}

/* Publish that t is about to block (before the real call), with its stack. */
void rlrt__wait_begin(rlrt_thread *t, rlrt_wait w, rlrt_obj *o,
                      const void *caller);
void rlrt__wait_end(rlrt_thread *t);

/* t now holds o (write or read): log new lock-order edges from every lock
 * t already holds unless `edges` is 0 (trylock), then record it with st. */
void rlrt__lock_acquired(rlrt_thread *t, rlrt_obj *o, int write, int edges,
                         const rlrt_stack *st);
/* t releases o; returns 0, or -1 if t did not hold it. */
int rlrt__lock_released(rlrt_thread *t, rlrt_obj *o);

/* Log "misuse <what> <a> [<b> [<c>]] T<n> [owner=T<m>] s=<stack at
 * caller>"; b and c may be NULL, owner < -1 leaves the owner field out. */
void rlrt__misuse(rlrt_thread *t, const char *what, const rlrt_obj *a,
                  const rlrt_obj *b, const rlrt_obj *c, int owner,
                  const void *caller);
/* The same, with the stack given rather than captured here. */
void rlrt__misuse_at(rlrt_thread *t, const char *what, const rlrt_obj *a,
                     const rlrt_obj *b, const rlrt_obj *c, int owner,
                     const rlrt_stack *st);
/* t is about to unlock mutex o: if its last condvar wait returned
 * spuriously and it did not wait again, log a "cond-no-loop" misuse. */
void rlrt__cond_unlocking(rlrt_thread *t, const rlrt_obj *o);

/* ---- the trace (RLRT_TRACE=1; rlrt_trace.c, format in rlrt_protocol.h) -- */

/* Set once before main when tracing; every hook is RLRT_TRACE(call), so a
 * run without it pays one predictable branch and evaluates no argument. */
extern int rlrt__trace_on;
#define RLRT_TRACE(call)                                                       \
  do {                                                                         \
    if (__builtin_expect(rlrt__trace_on, 0))                                   \
      call;                                                                    \
  } while (0)

/* Record event ev of t (NULL: nothing) on object (kind, id). */
void rlrt__trace_id(const rlrt_thread *t, int ev, int kind, int id,
                    uint64_t arg, const char *name, const void *ip);
/* The same on a registry object o (NULL: none). */
void rlrt__trace_obj(const rlrt_thread *t, int ev, const rlrt_obj *o,
                     uint64_t arg, const void *ip);
/* wait or woken, from what t has published (rlrt__wait_begin). */
void rlrt__trace_wait(const rlrt_thread *t, int ev);
/* signal or broadcast on the program's condvar c, by the calling thread. */
void rlrt__trace_cond(int ev, const void *c, const void *ip);
/* An injected delay of us microseconds (0: a yield), if it happened. */
void rlrt__trace_delay(const rlrt_thread *t, int happened, unsigned us,
                       const char *why);

/* ---- joins owed at exit (rlrt_unjoined.c) -------------------------------- */

/* pthread_create(th, attr) by self for t returned rc: a joinable thread
 * is owed a join from now on, a failure is remembered; caller is the
 * wrapper's return address. */
void rlrt__thread_created(const rlrt_thread *self, const rlrt_thread *t,
                          const pthread_t *th, const pthread_attr_t *attr,
                          int rc, const void *caller);
/* self is about to join pthread: logs it if that is only what a failed
 * pthread_create left behind. */
void rlrt__thread_joining(const rlrt_thread *self, unsigned long pthread,
                          const void *caller);
/* pthread_join or pthread_detach of pthread returned rc. */
void rlrt__thread_settled(unsigned long pthread, int rc);

/* ---- frees and moves of memory libuv holds (rlrt_free.c, rlrt_uv.c) ----- */

/* Handles initialized whose close callback has not run (closing or not);
 * rlrt_uv.c counts. */
extern _Atomic int rlrt__uv_open;
/* The bytes of the heap block at p; 0 if p is no block's start. */
size_t rlrt__block_size(const void *p);
/* Whether a heap block starts at p, which may point anywhere. */
int rlrt__block_start(const void *p);
/* Weak, defined by rlrt_uv.c, which only programs that use libuv pull in.
 * The program frees p at caller while a handle is open: logs each handle
 * inside the block that libuv still uses. */
void rlrt__uv_freeing(void *p, const void *caller) __attribute__((weak));
/* realloc() at caller moved (or, moved 0, freed) the block [p, p + size):
 * logs each handle not closed yet inside it. */
void rlrt__uv_gone(const void *p, size_t size, int moved, const void *caller)
    __attribute__((weak));

/* ---- the hang dump ------------------------------------------------------- */

void rlrt__dump_install(void);
void rlrt__dump(void);

#endif
