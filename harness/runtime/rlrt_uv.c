/* rlrt_uv.c -- the libuv wrappers: numbers and logs every request started
 * with a callback and every handle created, with its stack; trampolines log
 * each completion and close; a loop stop (uv_run returning, uv_loop_close,
 * program exit) logs what is still outstanding; a call on a loop that
 * another thread is running is logged as misuse. It lives in its own object
 * so a program without libuv never pulls it in (only the __wrap_uv_*
 * symbols reference it). In ASan builds it also poisons a pending request's
 * result fields, so that reading them before the callback is reported; it
 * logs handles whose memory goes away before their close callback
 * (rlrt_free.c calls it): freed (while closing, or never closed), or
 * inside a block realloc() moves; and it tells the harness which request
 * or handle a sanitizer's report is about. It does not follow stream
 * reads, polls, signals or process exits, and it does not decide what is
 * a bug: the harness does.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <uv.h>

#include "rlrt_internal.h"

#define CALLER __builtin_return_address(0)
#define TOMB ((const void *)1) /* a removed key: probing goes on past it */
#define MAX_REQS 4096          /* in flight at once; a power of two */
#define MAX_HANDLES 2048       /* open at once; a power of two */
#define MAX_LOOPS 64
#define MAX_MISUSE_LINES 64    /* a misusing loop must not flood the log */

typedef void (*rlrt_fn)(void); /* any callback, cast back before the call */

/* ---- loops -------------------------------------------------------------- */

typedef struct {
  _Atomic(const uv_loop_t *) addr;
  _Atomic int id;      /* L<id>; 0 while being numbered */
  _Atomic int running; /* 1 + T index of the thread inside uv_run, 0 none */
  _Atomic unsigned runs; /* uv_run calls on it that returned */
} rlrt_uv_loop;

static rlrt_uv_loop loops[MAX_LOOPS];
static _Atomic int next_loop, next_req, next_handle, next_stop, misuse_lines;

/* The record of loop, numbering it on first use; NULL if the table is full
 * (the loop then goes unchecked). */
static rlrt_uv_loop *loop_of(const uv_loop_t *loop) {
  for (int i = 0; i < MAX_LOOPS; i++) {
    rlrt_uv_loop *lp = &loops[i];
    const uv_loop_t *cur = atomic_load(&lp->addr);
    if (cur == NULL) {
      const uv_loop_t *expect = NULL;
      if (atomic_compare_exchange_strong(&lp->addr, &expect, loop)) {
        atomic_store(&lp->id, atomic_fetch_add(&next_loop, 1) + 1);
        return lp;
      }
      cur = expect;
    }
    if (cur == loop)
      return lp;
  }
  return NULL;
}

/* ---- requests and handles: open addressing on the address --------------- */

typedef struct {
  _Atomic(const void *) key; /* the request or handle; NULL free, TOMB gone */
  _Atomic int live;          /* the fields below are published */
  int id;                    /* R<id> or H<id> */
  int gen;                   /* fork generation it belongs to */
  rlrt_uv_loop *loop;        /* NULL if the loop table was full */
  unsigned runs;             /* loop->runs when it was started */
  const char *what;          /* "uv_fs_open", "timer" */
  rlrt_fn cb;                /* the user's completion or close callback */
  rlrt_fn work;              /* uv_queue_work: the user's work callback */
  int closing;               /* handle: uv_close was called */
  int results;               /* request: RESULTS_*, its fields poisoned */
} rlrt_uv_entry;

/* Which fields of a request libuv fills in when it completes. */
enum { RESULTS_NONE, RESULTS_FS };

static rlrt_uv_entry reqs[MAX_REQS];
static rlrt_uv_entry handles[MAX_HANDLES];
static rlrt_stack close_stacks[MAX_HANDLES]; /* handles[i]'s uv_close */

/* reqs or handles, as searched. A search for a key not there stops at an
 * empty slot or past reach, whichever comes first: once every slot has
 * held a key (now removed, TOMB), only reach keeps it short, and free()
 * searches the handles on every call while one is open. */
typedef struct {
  rlrt_uv_entry *tab;
  size_t cap;           /* a power of two */
  _Atomic size_t reach; /* the farthest from its first slot a key was put */
} rlrt_uv_table;

static rlrt_uv_table req_table = {reqs, MAX_REQS, 0};
static rlrt_uv_table handle_table = {handles, MAX_HANDLES, 0};
/* Bumped in a forked child: what the parent started is not the child's. */
static _Atomic int gen;
/* Handles whose uv_close() has not called back yet. */
static _Atomic int closing_handles;
/* [lowest, highest + 1) of the addresses handles were ever initialized at:
 * a block outside holds none, and needs no scan (handles often live in
 * static or stack memory, far from the heap blocks being resized). */
static _Atomic uintptr_t handles_lo = UINTPTR_MAX, handles_hi;

static size_t slot_of(const void *key, size_t cap) {
  uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ULL;
  return (size_t)(h >> 40) & (cap - 1);
}

static rlrt_uv_entry *find(rlrt_uv_table *t, const void *key) {
  size_t i = slot_of(key, t->cap), reach = atomic_load(&t->reach);
  for (size_t probe = 0; probe <= reach; probe++) {
    rlrt_uv_entry *e = &t->tab[(i + probe) & (t->cap - 1)];
    const void *cur = atomic_load_explicit(&e->key, memory_order_acquire);
    if (cur == NULL)
      return NULL;
    if (cur == key && atomic_load_explicit(&e->live, memory_order_acquire))
      return e;
  }
  return NULL;
}

/* The entry for key, reusing its live one (a request started again, a
 * handle initialized again); NULL if the table is full. */
static rlrt_uv_entry *claim(rlrt_uv_table *t, const void *key) {
  rlrt_uv_entry *e = find(t, key);
  if (e)
    return e;
  size_t i = slot_of(key, t->cap);
  for (size_t probe = 0; probe < t->cap; probe++) {
    e = &t->tab[(i + probe) & (t->cap - 1)];
    const void *cur = atomic_load(&e->key);
    if ((cur == NULL || cur == TOMB) &&
        atomic_compare_exchange_strong(&e->key, &cur, key)) {
      /* Before the entry is published: whoever looks it up once it is
       * live sees a reach that covers it. */
      size_t reach = atomic_load(&t->reach);
      while (probe > reach && !atomic_compare_exchange_weak(&t->reach, &reach, probe))
        ;
      return e;
    }
  }
  return NULL;
}

static void publish(rlrt_uv_entry *e, int id, const uv_loop_t *loop,
                    const char *what, rlrt_fn cb) {
  e->id = id;
  e->gen = atomic_load(&gen);
  e->loop = loop ? loop_of(loop) : NULL;
  e->runs = e->loop ? atomic_load(&e->loop->runs) : 0;
  e->what = what;
  e->cb = cb;
  e->work = NULL;
  e->closing = 0;
  e->results = RESULTS_NONE;
  atomic_store_explicit(&e->live, 1, memory_order_release);
}

static void drop(rlrt_uv_entry *e) {
  atomic_store(&e->live, 0);
  atomic_store_explicit(&e->key, TOMB, memory_order_release);
}

/* ---- the loop thread's wait state, for the hang dump ----------------------- */

/* Not rlrt__wait_begin: callbacks run inside uv_run and take locks, whose
 * wait_end would pop a TSan frame pushed for uv_run out of order. The
 * state is published directly and put back after each trampolined
 * callback (a lock wait inside it resets it to running). */
static __thread rlrt_stack run_st __attribute__((tls_model("initial-exec")));
static __thread int run_depth __attribute__((tls_model("initial-exec")));

static void run_publish(rlrt_thread *t) {
  t->wait_st = run_st;
  atomic_store_explicit(&t->wait_obj, NULL, memory_order_relaxed);
  atomic_store_explicit(&t->wait, RLRT_WAIT_UV_RUN, memory_order_release);
}

/* After a user callback: back to "in uv_run" if a wait inside reset it. */
static void cb_returned(rlrt_thread *t) {
  if (t && run_depth &&
      atomic_load_explicit(&t->wait, memory_order_relaxed) == RLRT_WAIT_NONE)
    run_publish(t);
}

/* ---- log lines -------------------------------------------------------------- */

static void put_id(rlrt_line *l, const char *prefix, int id) {
  rlrt__put(l, prefix);
  rlrt__put_dec(l, (uint64_t)id);
}

static void put_int(rlrt_line *l, int v) {
  if (v < 0)
    rlrt__put(l, "-");
  rlrt__put_dec(l, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

static void put_loop(rlrt_line *l, const rlrt_uv_loop *lp) {
  if (lp)
    put_id(l, "L", atomic_load(&lp->id));
  else
    rlrt__put(l, "-");
}

/* " s=<stack at caller>"; caller NULL: "-". */
static void put_stack_at(rlrt_line *l, const void *caller) {
  rlrt_stack st = {.n = 0};
  if (caller)
    rlrt__stack_capture(&st, caller);
  rlrt__put(l, " s=");
  rlrt__put_stack(l, &st);
}

static void put_thread(rlrt_line *l, const rlrt_thread *t) {
  rlrt__put(l, " ");
  rlrt__put_tid(l, t ? t->idx : -1);
}

/* ---- every wrapped call ------------------------------------------------------ */

/* Logs "uvmisuse <call> L<n> T<n> loop=T<m> s=<ips>" when another thread is
 * inside uv_run on lp: a loop is not thread-safe. */
static void check_thread(rlrt_thread *t, rlrt_uv_loop *lp, const char *call,
                         const void *caller) {
  int running = lp ? atomic_load(&lp->running) - 1 : -1;
  if (running < 0 || running == t->idx ||
      atomic_fetch_add(&misuse_lines, 1) >= MAX_MISUSE_LINES)
    return;
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "uvmisuse ");
  rlrt__put(&l, call);
  rlrt__put(&l, " ");
  put_loop(&l, lp);
  put_thread(&l, t);
  rlrt__put(&l, " loop=");
  rlrt__put_tid(&l, running);
  put_stack_at(&l, caller);
  rlrt__emit(&l);
}

/* Every wrapper starts here. Returns the calling thread, NULL when the
 * runtime is off (the wrapper then only calls through). loop NULL: a call
 * any thread may make (uv_async_send), not checked. */
static rlrt_thread *enter(const uv_loop_t *loop, const char *call,
                          const void *caller) {
  rlrt_thread *t = rlrt__self();
  if (!t)
    return NULL;
  if (loop)
    check_thread(t, loop_of(loop), call, caller);
  rlrt__jitter(t, RLRT_POINT_UV);
  return t;
}

/* ---- results read before the callback ------------------------------------------ */

/* AddressSanitizer's interface, weak: only ASan builds have it. In them a
 * pending uv_fs_t's result, ptr and statbuf are poisoned from the start to
 * the callback, so a read of them in between is an ASan use-after-poison
 * report at the reader's line. libuv is not instrumented, so its own writes
 * go unchecked; it writes those fields itself, never through a libc call
 * ASan intercepts (uv_getaddrinfo_t.addrinfo is filled by getaddrinfo(),
 * which ASan checks: it is not poisoned). A read through uv_fs_get_result()
 * is inside libuv and not seen either.
 * TSan builds cannot see such a read cheaply: the early read and the
 * callback run on the loop's thread, in order, and the write of the result
 * is libuv's, not instrumented; they report nothing. */
extern void __asan_poison_memory_region(const volatile void *a, size_t n)
    __attribute__((weak));
extern void __asan_unpoison_memory_region(const volatile void *a, size_t n)
    __attribute__((weak));
extern void *__asan_get_report_address(void) __attribute__((weak));
extern const char *__asan_get_report_description(void) __attribute__((weak));

typedef struct {
  size_t off, len;
} rlrt_field;

/* The result fields of a request of kind results; returns how many. */
static int result_fields(int results, rlrt_field out[2]) {
  if (results != RESULTS_FS)
    return 0;
  out[0] = (rlrt_field){offsetof(uv_fs_t, result),
                        offsetof(uv_fs_t, path) - offsetof(uv_fs_t, result)};
  out[1] = (rlrt_field){offsetof(uv_fs_t, statbuf), sizeof(uv_stat_t)};
  return 2;
}

/* Poisons (on 1) or unpoisons (0) the result fields of the request e. */
static void poison_results(const rlrt_uv_entry *e, int on) {
  rlrt_field f[2];
  int n = __asan_poison_memory_region ? result_fields(e->results, f) : 0;
  const char *req = atomic_load(&e->key);
  for (int i = 0; i < n; i++) {
    if (on)
      __asan_poison_memory_region(req + f[i].off, f[i].len);
    else
      __asan_unpoison_memory_region(req + f[i].off, f[i].len);
  }
}

/* Before the real start: from now on reading a result is premature. */
static void results_pending(rlrt_uv_entry *e, int results) {
  e->results = results;
  poison_results(e, 1);
}

/* Is addr inside a result field of a pending request? Its entry, or NULL. */
static const rlrt_uv_entry *pending_result_at(uintptr_t addr) {
  for (size_t i = 0; i < MAX_REQS; i++) {
    const rlrt_uv_entry *e = &reqs[i];
    rlrt_field f[2];
    int n = atomic_load(&e->live) ? result_fields(e->results, f) : 0;
    uintptr_t req = (uintptr_t)atomic_load(&e->key);
    for (int k = 0; k < n; k++)
      if (addr >= req + f[k].off && addr < req + f[k].off + f[k].len)
        return e;
  }
  return NULL;
}

/* ---- requests ----------------------------------------------------------------- */

/* Before the real start: records req with the user's callback and builds
 * its "uvreq R<n> <what> T<n> s=<ips>" line into l. NULL if the table is
 * full: the caller then passes the user's callback unchanged. */
static rlrt_uv_entry *req_begin(rlrt_thread *t, const uv_loop_t *loop,
                                const void *req, const char *what, rlrt_fn cb,
                                rlrt_line *l, const void *caller) {
  rlrt_uv_entry *e = t ? claim(&req_table, req) : NULL;
  if (!e)
    return NULL;
  int id = atomic_fetch_add(&next_req, 1) + 1;
  publish(e, id, loop, what, cb);
  RLRT_TRACE(rlrt__trace_id(t, RLRT_TEV_REQ_START, RLRT_TOBJ_UVREQ, id, 0,
                            what, caller));
  l->n = 0;
  put_id(l, "uvreq R", id);
  rlrt__put(l, " ");
  rlrt__put(l, what);
  put_thread(l, t);
  put_stack_at(l, caller);
  return e;
}

/* After the real start: a failed start never calls back. On success e may
 * already be gone (its callback ran on another thread), so only the line
 * built before is used. */
static void req_end(rlrt_uv_entry *e, rlrt_line *l, int rc) {
  if (rc < 0) {
    poison_results(e, 0);
    drop(e);
  } else {
    rlrt__emit(l);
  }
}

/* A trampoline's first step: logs "uvdone R<n>", forgets the request
 * (its callback may start it again) and returns the user's callback. */
static rlrt_fn req_done(const void *req) {
  rlrt_uv_entry *e = find(&req_table, req);
  if (!e)
    abort(); /* a trampoline is only installed with its entry */
  rlrt_fn cb = e->cb;
  RLRT_TRACE(rlrt__trace_id(rlrt__self(), RLRT_TEV_REQ_DONE, RLRT_TOBJ_UVREQ,
                            e->id, 0, NULL, (const void *)cb));
  rlrt_line l = {.n = 0};
  put_id(&l, "uvdone R", e->id);
  poison_results(e, 0); /* the result is there now */
  drop(e);
  rlrt__emit(&l);
  rlrt__jitter(rlrt__self(), RLRT_POINT_UV);
  return cb;
}

static void work_trampoline(uv_work_t *req) {
  rlrt_uv_entry *e = find(&req_table, req);
  if (!e)
    abort();
  /* On a pool thread: perturb when the work runs against the loop. */
  rlrt__jitter(rlrt__self(), RLRT_POINT_UV);
  ((uv_work_cb)e->work)(req);
}

static void after_work_trampoline(uv_work_t *req, int status) {
  uv_after_work_cb cb = (uv_after_work_cb)req_done(req);
  if (cb)
    cb(req, status);
  cb_returned(rlrt__self());
}

static void fs_trampoline(uv_fs_t *req) {
  uv_fs_cb cb = (uv_fs_cb)req_done(req);
  if (cb)
    cb(req);
  cb_returned(rlrt__self());
}

static void getaddrinfo_trampoline(uv_getaddrinfo_t *req, int status,
                                   struct addrinfo *res) {
  uv_getaddrinfo_cb cb = (uv_getaddrinfo_cb)req_done(req);
  if (cb)
    cb(req, status, res);
  cb_returned(rlrt__self());
}

/* Requests whose callback is (req, status). */
#define STATUS_TRAMPOLINE(name, req_t, cb_t)                                   \
  static void name##_trampoline(req_t *req, int status) {                      \
    cb_t cb = (cb_t)req_done(req);                                             \
    if (cb)                                                                    \
      cb(req, status);                                                         \
    cb_returned(rlrt__self());                                                 \
  }
STATUS_TRAMPOLINE(write, uv_write_t, uv_write_cb)
STATUS_TRAMPOLINE(connect, uv_connect_t, uv_connect_cb)
STATUS_TRAMPOLINE(shutdown, uv_shutdown_t, uv_shutdown_cb)
STATUS_TRAMPOLINE(udp_send, uv_udp_send_t, uv_udp_send_cb)
#undef STATUS_TRAMPOLINE

int __real_uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
                         uv_after_work_cb after_work_cb);
int __wrap_uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
                         uv_after_work_cb after_work_cb);
int __wrap_uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
                         uv_after_work_cb after_work_cb) {
  rlrt_thread *t = enter(loop, "uv_queue_work", CALLER);
  rlrt_line l;
  /* A NULL after_work_cb is allowed: the trampoline still sees the end. */
  rlrt_uv_entry *e = work_cb ? req_begin(t, loop, req, "uv_queue_work",
                                         (rlrt_fn)after_work_cb, &l, CALLER)
                             : NULL;
  if (!e)
    return __real_uv_queue_work(loop, req, work_cb, after_work_cb);
  e->work = (rlrt_fn)work_cb;
  int rc = __real_uv_queue_work(loop, req, work_trampoline, after_work_trampoline);
  req_end(e, &l, rc);
  return rc;
}

/* uv_fs_* calls: asynchronous (tracked) when cb is set, else synchronous,
 * and then safe on any thread: libuv does not touch the loop (work_cb
 * often does such blocking calls). XX(name, parameters, arguments);
 * `loop`, `req` and `cb` are always there. */
#define FS_MAP(XX)                                                             \
  XX(open, (uv_loop_t *loop, uv_fs_t *req, const char *path, int flags,       \
            int mode, uv_fs_cb cb), (loop, req, path, flags, mode, cb))        \
  XX(close, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),       \
     (loop, req, file, cb))                                                    \
  XX(read, (uv_loop_t *loop, uv_fs_t *req, uv_file file,                      \
            const uv_buf_t bufs[], unsigned int nbufs, int64_t offset,         \
            uv_fs_cb cb), (loop, req, file, bufs, nbufs, offset, cb))          \
  XX(write, (uv_loop_t *loop, uv_fs_t *req, uv_file file,                     \
             const uv_buf_t bufs[], unsigned int nbufs, int64_t offset,        \
             uv_fs_cb cb), (loop, req, file, bufs, nbufs, offset, cb))         \
  XX(stat, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),    \
     (loop, req, path, cb))                                                    \
  XX(fstat, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),       \
     (loop, req, file, cb))                                                    \
  XX(lstat, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),   \
     (loop, req, path, cb))                                                    \
  XX(unlink, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),  \
     (loop, req, path, cb))                                                    \
  XX(mkdir, (uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,       \
             uv_fs_cb cb), (loop, req, path, mode, cb))                        \
  XX(rmdir, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),   \
     (loop, req, path, cb))                                                    \
  XX(scandir, (uv_loop_t *loop, uv_fs_t *req, const char *path, int flags,    \
               uv_fs_cb cb), (loop, req, path, flags, cb))                     \
  XX(rename, (uv_loop_t *loop, uv_fs_t *req, const char *path,                \
              const char *new_path, uv_fs_cb cb), (loop, req, path, new_path, cb)) \
  XX(fsync, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),       \
     (loop, req, file, cb))                                                    \
  XX(ftruncate, (uv_loop_t *loop, uv_fs_t *req, uv_file file, int64_t offset, \
                 uv_fs_cb cb), (loop, req, file, offset, cb))                  \
  XX(access, (uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,      \
              uv_fs_cb cb), (loop, req, path, mode, cb))                       \
  XX(copyfile, (uv_loop_t *loop, uv_fs_t *req, const char *path,              \
                const char *new_path, int flags, uv_fs_cb cb),                 \
     (loop, req, path, new_path, flags, cb))                                   \
  XX(mkdtemp, (uv_loop_t *loop, uv_fs_t *req, const char *tpl, uv_fs_cb cb),  \
     (loop, req, tpl, cb))                                                     \
  XX(realpath, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),\
     (loop, req, path, cb))                                                    \
  XX(opendir, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb), \
     (loop, req, path, cb))                                                    \
  XX(readdir, (uv_loop_t *loop, uv_fs_t *req, uv_dir_t *dir, uv_fs_cb cb),    \
     (loop, req, dir, cb))                                                     \
  XX(closedir, (uv_loop_t *loop, uv_fs_t *req, uv_dir_t *dir, uv_fs_cb cb),   \
     (loop, req, dir, cb))                                                     \
  XX(fdatasync, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),   \
     (loop, req, file, cb))                                                    \
  XX(mkstemp, (uv_loop_t *loop, uv_fs_t *req, const char *tpl, uv_fs_cb cb),  \
     (loop, req, tpl, cb))                                                     \
  XX(link, (uv_loop_t *loop, uv_fs_t *req, const char *path,                  \
            const char *new_path, uv_fs_cb cb), (loop, req, path, new_path, cb)) \
  XX(symlink, (uv_loop_t *loop, uv_fs_t *req, const char *path,               \
               const char *new_path, int flags, uv_fs_cb cb),                  \
     (loop, req, path, new_path, flags, cb))                                   \
  XX(readlink, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),\
     (loop, req, path, cb))                                                    \
  XX(chmod, (uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,       \
             uv_fs_cb cb), (loop, req, path, mode, cb))                        \
  XX(fchmod, (uv_loop_t *loop, uv_fs_t *req, uv_file file, int mode,          \
              uv_fs_cb cb), (loop, req, file, mode, cb))                       \
  XX(statfs, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),  \
     (loop, req, path, cb))                                                    \
  XX(sendfile, (uv_loop_t *loop, uv_fs_t *req, uv_file out_fd, uv_file in_fd, \
                int64_t in_offset, size_t length, uv_fs_cb cb),                \
     (loop, req, out_fd, in_fd, in_offset, length, cb))                        \
  XX(utime, (uv_loop_t *loop, uv_fs_t *req, const char *path, double atime,   \
             double mtime, uv_fs_cb cb), (loop, req, path, atime, mtime, cb))  \
  XX(futime, (uv_loop_t *loop, uv_fs_t *req, uv_file file, double atime,      \
              double mtime, uv_fs_cb cb), (loop, req, file, atime, mtime, cb))

#define XX(name, params, args)                                                 \
  int __real_uv_fs_##name params;                                              \
  int __wrap_uv_fs_##name params;                                              \
  int __wrap_uv_fs_##name params {                                             \
    rlrt_thread *t = enter(cb ? loop : NULL, "uv_fs_" #name, CALLER);          \
    rlrt_line l;                                                               \
    rlrt_uv_entry *e = cb ? req_begin(t, loop, req, "uv_fs_" #name,            \
                                      (rlrt_fn)cb, &l, CALLER)                 \
                          : NULL;                                              \
    if (e) {                                                                   \
      cb = fs_trampoline;                                                      \
      results_pending(e, RESULTS_FS);                                          \
    }                                                                          \
    int rc = __real_uv_fs_##name args;                                         \
    if (e)                                                                     \
      req_end(e, &l, rc);                                                      \
    return rc;                                                                 \
  }
FS_MAP(XX)
#undef XX

int __real_uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req,
                          uv_getaddrinfo_cb cb, const char *node,
                          const char *service, const struct addrinfo *hints);
int __wrap_uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req,
                          uv_getaddrinfo_cb cb, const char *node,
                          const char *service, const struct addrinfo *hints);
int __wrap_uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req,
                          uv_getaddrinfo_cb cb, const char *node,
                          const char *service, const struct addrinfo *hints) {
  rlrt_thread *t = enter(loop, "uv_getaddrinfo", CALLER);
  rlrt_line l;
  /* Without a callback the call is synchronous. */
  rlrt_uv_entry *e = cb ? req_begin(t, loop, req, "uv_getaddrinfo",
                                    (rlrt_fn)cb, &l, CALLER)
                        : NULL;
  if (!e)
    return __real_uv_getaddrinfo(loop, req, cb, node, service, hints);
  int rc = __real_uv_getaddrinfo(loop, req, getaddrinfo_trampoline, node,
                                 service, hints);
  req_end(e, &l, rc);
  return rc;
}

/* Stream and socket requests: the callback may be NULL, the trampoline
 * still sees the end. XX(name, parameters, arguments, the loop, the
 * trampoline); `req` and `cb` are always there. */
#define STREAM_MAP(XX)                                                         \
  XX(write, (uv_write_t *req, uv_stream_t *handle, const uv_buf_t bufs[],     \
             unsigned int nbufs, uv_write_cb cb),                              \
     (req, handle, bufs, nbufs, cb), handle->loop, write_trampoline)           \
  XX(tcp_connect, (uv_connect_t *req, uv_tcp_t *handle,                       \
                   const struct sockaddr *addr, uv_connect_cb cb),             \
     (req, handle, addr, cb), handle->loop, connect_trampoline)                \
  XX(shutdown, (uv_shutdown_t *req, uv_stream_t *handle, uv_shutdown_cb cb),  \
     (req, handle, cb), handle->loop, shutdown_trampoline)                     \
  XX(udp_send, (uv_udp_send_t *req, uv_udp_t *handle, const uv_buf_t bufs[],  \
                unsigned int nbufs, const struct sockaddr *addr,               \
                uv_udp_send_cb cb),                                            \
     (req, handle, bufs, nbufs, addr, cb), handle->loop, udp_send_trampoline)

#define XX(name, params, args, loop, trampoline)                               \
  int __real_uv_##name params;                                                 \
  int __wrap_uv_##name params;                                                 \
  int __wrap_uv_##name params {                                                \
    rlrt_thread *t = enter(loop, "uv_" #name, CALLER);                         \
    rlrt_line l;                                                               \
    rlrt_uv_entry *e =                                                         \
        req_begin(t, loop, req, "uv_" #name, (rlrt_fn)cb, &l, CALLER);         \
    if (e)                                                                     \
      cb = trampoline;                                                         \
    int rc = __real_uv_##name args;                                            \
    if (e)                                                                     \
      req_end(e, &l, rc);                                                      \
    return rc;                                                                 \
  }
STREAM_MAP(XX)
#undef XX

void __real_uv_pipe_connect(uv_connect_t *req, uv_pipe_t *handle,
                            const char *name, uv_connect_cb cb);
void __wrap_uv_pipe_connect(uv_connect_t *req, uv_pipe_t *handle,
                            const char *name, uv_connect_cb cb);
void __wrap_uv_pipe_connect(uv_connect_t *req, uv_pipe_t *handle,
                            const char *name, uv_connect_cb cb) {
  rlrt_thread *t = enter(handle->loop, "uv_pipe_connect", CALLER);
  rlrt_line l;
  rlrt_uv_entry *e = req_begin(t, handle->loop, req, "uv_pipe_connect",
                               (rlrt_fn)cb, &l, CALLER);
  /* It cannot fail: errors arrive through the callback. */
  __real_uv_pipe_connect(req, handle, name, e ? connect_trampoline : cb);
  if (e)
    req_end(e, &l, 0);
}

/* ---- handles ------------------------------------------------------------------ */

/* Handles that do not start a heap block: inside a struct, on a stack or
 * in static memory. free() looks for them inside the block it frees (a
 * handle at a block's start it finds in the table at once); a program has
 * few, so a short list beats a scan of the table, up to MAX_INNER of them
 * at a time; past that, free() scans the table. */
#define MAX_INNER 64
static rlrt_uv_entry *_Atomic inner[MAX_INNER];
static _Atomic size_t inner_used; /* slots ever used: [0, inner_used) */
static _Atomic int inner_overflow;

static void note_inner(rlrt_uv_entry *e, const void *h) {
  if (rlrt__block_start(h))
    return;
  for (size_t i = 0; i < MAX_INNER; i++) {
    rlrt_uv_entry *cur = atomic_load(&inner[i]);
    if (cur == e)
      return;
    if (cur && atomic_load(&cur->live) && cur->gen == atomic_load(&gen))
      continue;
    if (atomic_compare_exchange_strong(&inner[i], &cur, e)) {
      size_t used = atomic_load(&inner_used);
      while (used < i + 1 && !atomic_compare_exchange_weak(&inner_used, &used, i + 1))
        ;
      return;
    }
  }
  atomic_store(&inner_overflow, 1);
}

/* Logs "uvhandle H<n> <type> T<n> s=<ips>" for a handle just initialized.
 * A handle initialized again while closing is left alone: libuv forbids
 * it, and the pending close callback must still be found. */
static void handle_created(rlrt_thread *t, const uv_loop_t *loop,
                           const void *h, const char *type,
                           const void *caller) {
  rlrt_uv_entry *e = t ? claim(&handle_table, h) : NULL;
  if (!e || (atomic_load(&e->live) && e->closing))
    return;
  if (!atomic_load(&e->live)) /* not a handle initialized again */
    atomic_fetch_add(&rlrt__uv_open, 1);
  uintptr_t at = (uintptr_t)h, cur = atomic_load(&handles_lo);
  while (at < cur && !atomic_compare_exchange_weak(&handles_lo, &cur, at))
    ;
  cur = atomic_load(&handles_hi);
  while (at >= cur && !atomic_compare_exchange_weak(&handles_hi, &cur, at + 1))
    ;
  int id = atomic_fetch_add(&next_handle, 1) + 1;
  publish(e, id, loop, type, NULL);
  note_inner(e, h);
  rlrt_line l = {.n = 0};
  put_id(&l, "uvhandle H", id);
  rlrt__put(&l, " ");
  rlrt__put(&l, type);
  put_thread(&l, t);
  put_stack_at(&l, caller);
  rlrt__emit(&l);
}

/* XX(type, parameters, arguments); `loop` and `h` are always there. */
#define HANDLE_MAP(XX)                                                         \
  XX(timer, (uv_loop_t *loop, uv_timer_t *h), (loop, h))                       \
  XX(async, (uv_loop_t *loop, uv_async_t *h, uv_async_cb cb), (loop, h, cb))   \
  XX(tcp, (uv_loop_t *loop, uv_tcp_t *h), (loop, h))                           \
  XX(pipe, (uv_loop_t *loop, uv_pipe_t *h, int ipc), (loop, h, ipc))           \
  XX(udp, (uv_loop_t *loop, uv_udp_t *h), (loop, h))                           \
  XX(tty, (uv_loop_t *loop, uv_tty_t *h, uv_file fd, int readable),           \
     (loop, h, fd, readable))                                                  \
  XX(idle, (uv_loop_t *loop, uv_idle_t *h), (loop, h))                         \
  XX(prepare, (uv_loop_t *loop, uv_prepare_t *h), (loop, h))                   \
  XX(check, (uv_loop_t *loop, uv_check_t *h), (loop, h))                       \
  XX(signal, (uv_loop_t *loop, uv_signal_t *h), (loop, h))                     \
  XX(poll, (uv_loop_t *loop, uv_poll_t *h, int fd), (loop, h, fd))             \
  XX(fs_event, (uv_loop_t *loop, uv_fs_event_t *h), (loop, h))

#define XX(type, params, args)                                                 \
  int __real_uv_##type##_init params;                                          \
  int __wrap_uv_##type##_init params;                                          \
  int __wrap_uv_##type##_init params {                                         \
    rlrt_thread *t = enter(loop, "uv_" #type "_init", CALLER);                 \
    int rc = __real_uv_##type##_init args;                                     \
    if (rc == 0)                                                               \
      handle_created(t, loop, h, #type, CALLER);                               \
    return rc;                                                                 \
  }
HANDLE_MAP(XX)
#undef XX

int __real_uv_spawn(uv_loop_t *loop, uv_process_t *h,
                    const uv_process_options_t *options);
int __wrap_uv_spawn(uv_loop_t *loop, uv_process_t *h,
                    const uv_process_options_t *options);
int __wrap_uv_spawn(uv_loop_t *loop, uv_process_t *h,
                    const uv_process_options_t *options) {
  rlrt_thread *t = enter(loop, "uv_spawn", CALLER);
  int rc = __real_uv_spawn(loop, h, options);
  /* The handle is initialized even when spawning fails, and must still be
   * closed. */
  handle_created(t, loop, h, "process", CALLER);
  return rc;
}

static void close_trampoline(uv_handle_t *h) {
  rlrt_uv_entry *e = find(&handle_table, h);
  if (!e)
    abort(); /* installed only with its entry, kept while closing */
  uv_close_cb cb = (uv_close_cb)e->cb;
  rlrt_line l = {.n = 0};
  put_id(&l, "uvclosed H", e->id);
  drop(e);
  atomic_fetch_sub(&closing_handles, 1);
  atomic_fetch_sub(&rlrt__uv_open, 1);
  rlrt__emit(&l);
  rlrt_thread *t = rlrt__self();
  rlrt__jitter(t, RLRT_POINT_UV);
  if (cb)
    cb(h);
  cb_returned(t);
}

void __real_uv_close(uv_handle_t *h, uv_close_cb cb);
void __wrap_uv_close(uv_handle_t *h, uv_close_cb cb);
void __wrap_uv_close(uv_handle_t *h, uv_close_cb cb) {
  rlrt_thread *t = enter(h->loop, "uv_close", CALLER);
  rlrt_uv_entry *e = t ? find(&handle_table, h) : NULL;
  if (!e || e->closing) {
    __real_uv_close(h, cb); /* untracked, or closed twice (libuv aborts) */
    return;
  }
  e->cb = (rlrt_fn)cb;
  rlrt__stack_capture(&close_stacks[e - handles], CALLER);
  e->closing = 1;
  atomic_fetch_add(&closing_handles, 1);
  __real_uv_close(h, close_trampoline);
}

/* ---- memory freed or moved while libuv holds a handle in it --------------------- */

/* The last blocks freed with a closing handle inside, for a sanitizer's
 * report about them later (a ring: only the latest survive). */
#define MAX_FREED 16
static struct {
  _Atomic uintptr_t lo; /* [lo, hi) the block; lo 0: unused */
  uintptr_t hi;
  int id;               /* H<id> */
  rlrt_stack close;     /* its uv_close */
} freed[MAX_FREED];
static _Atomic unsigned next_freed;

/* Might the block [lo, hi) hold a handle? */
static int may_hold(uintptr_t lo, uintptr_t hi) {
  return lo < atomic_load(&handles_hi) && hi > atomic_load(&handles_lo);
}

/* Is e a handle of this process (not a forked parent's), in [lo, hi)? */
static int held_in(const rlrt_uv_entry *e, uintptr_t lo, uintptr_t hi) {
  uintptr_t h = (uintptr_t)atomic_load(&e->key);
  return h >= lo && h < hi && atomic_load(&e->live) && e->gen == atomic_load(&gen);
}

/* Logs "uvgone H<n> T<n> <moved|freed> s=<ips>" for e, whose block was
 * moved or freed at caller; st is that stack, captured on first use. */
static void gone(rlrt_thread *t, const rlrt_uv_entry *e, int moved, rlrt_stack *st, const void *caller) {
  if (st->n == 0)
    rlrt__stack_capture(st, caller);
  rlrt_line l = {.n = 0};
  put_id(&l, "uvgone H", e->id);
  put_thread(&l, t);
  rlrt__put(&l, moved ? " moved s=" : " freed s=");
  rlrt__put_stack(&l, st);
  rlrt__emit(&l);
}

/* Logs "uvfree H<n> T<n> s1=<uv_close ips> s2=<free ips>" for each handle
 * still closing inside the block [lo, hi) the program frees at caller; st
 * is that stack, captured on first use. */
static void freeing_closing(rlrt_thread *t, uintptr_t lo, uintptr_t hi, rlrt_stack *st, const void *caller) {
  if (!may_hold(lo, hi))
    return;
  for (size_t i = 0; i < MAX_HANDLES; i++) {
    const rlrt_uv_entry *e = &handles[i];
    if (!held_in(e, lo, hi) || !e->closing)
      continue;
    unsigned slot = atomic_fetch_add(&next_freed, 1) % MAX_FREED;
    freed[slot].hi = hi;
    freed[slot].id = e->id;
    freed[slot].close = close_stacks[i];
    atomic_store(&freed[slot].lo, lo);
    rlrt_line l = {.n = 0};
    put_id(&l, "uvfree H", e->id);
    put_thread(&l, t);
    rlrt__put(&l, " s1=");
    rlrt__put_stack(&l, &close_stacks[i]);
    rlrt__put(&l, " s2=");
    if (st->n == 0)
      rlrt__stack_capture(st, caller);
    rlrt__put_stack(&l, st);
    rlrt__emit(&l);
  }
}

/* Logs "uvgone H<n> T<n> freed s=<ips>" for each handle never passed to
 * uv_close() inside the block [lo, hi) freed at caller but the one at its
 * start: those on the inner list, or in the whole table once the list has
 * overflowed. st is the free's stack, captured on first use. */
static void freeing_inner(rlrt_thread *t, uintptr_t lo, uintptr_t hi, rlrt_stack *st, const void *caller) {
  if (!may_hold(lo + 1, hi))
    return;
  int all = atomic_load(&inner_overflow);
  size_t n = all ? MAX_HANDLES : atomic_load(&inner_used);
  for (size_t i = 0; i < n; i++) {
    const rlrt_uv_entry *e = all ? &handles[i] : atomic_load(&inner[i]);
    if (e && held_in(e, lo + 1, hi) && !e->closing)
      gone(t, e, 0, st, caller);
  }
}

/* The program frees p at caller while a handle is open: libuv, which is
 * not instrumented, will use a handle inside after the free without any
 * report. While a close is pending, every closing handle inside the block
 * is logged (uvfree); a handle never passed to uv_close() (uvgone ...
 * freed) is looked up in the table at the block's start, where a handle
 * allocated alone, or first in its struct, lies, and on the short list of
 * handles that start no block: this runs on every free() while a handle
 * is open. Called by rlrt_free.c's free(). */
void rlrt__uv_freeing(void *p, const void *caller) {
  rlrt_thread *t = rlrt__self();
  if (!t)
    return;
  int closing = atomic_load(&closing_handles) > 0;
  int inner_open = atomic_load(&inner_used) > 0 || atomic_load(&inner_overflow);
  uintptr_t lo = (uintptr_t)p, hi = closing || inner_open ? lo + rlrt__block_size(p) : lo;
  rlrt_stack st = {.n = 0};
  if (closing)
    freeing_closing(t, lo, hi, &st, caller);
  if (inner_open)
    freeing_inner(t, lo, hi, &st, caller);
  const rlrt_uv_entry *e = find(&handle_table, p);
  if (e && !e->closing && e->gen == atomic_load(&gen))
    gone(t, e, 0, &st, caller);
}

/* Logs "uvgone H<n> T<n> <moved|freed> s=<ips>" for each handle not
 * closed yet (its close callback has not run) that was inside the block
 * [p, p + size) realloc() at caller just moved (moved 1) or freed (a new
 * size of 0): libuv still points at the old address. Called by
 * rlrt_free.c's realloc() and reallocarray(). */
void rlrt__uv_gone(const void *p, size_t size, int moved, const void *caller) {
  rlrt_thread *t = rlrt__self();
  uintptr_t lo = (uintptr_t)p;
  if (!t || !may_hold(lo, lo + size))
    return;
  rlrt_stack st = {.n = 0};
  for (size_t i = 0; i < MAX_HANDLES; i++)
    if (held_in(&handles[i], lo, lo + size))
      gone(t, &handles[i], moved, &st, caller);
}

/* Calls checked for the loop's thread, then passed through unchanged.
 * XX(name, parameters, arguments); `h` is always the handle. */
#define CALL_MAP(XX)                                                           \
  XX(timer_start, (uv_timer_t *h, uv_timer_cb cb, uint64_t timeout,           \
                   uint64_t repeat), (h, cb, timeout, repeat))                 \
  XX(timer_stop, (uv_timer_t *h), (h))                                         \
  XX(read_start, (uv_stream_t *h, uv_alloc_cb alloc_cb, uv_read_cb read_cb),  \
     (h, alloc_cb, read_cb))                                                   \
  XX(read_stop, (uv_stream_t *h), (h))                                         \
  XX(listen, (uv_stream_t *h, int backlog, uv_connection_cb cb),              \
     (h, backlog, cb))

#define XX(name, params, args)                                                 \
  int __real_uv_##name params;                                                 \
  int __wrap_uv_##name params;                                                 \
  int __wrap_uv_##name params {                                                \
    enter(h->loop, "uv_" #name, CALLER);                                       \
    return __real_uv_##name args;                                              \
  }
CALL_MAP(XX)
#undef XX

int __real_uv_async_send(uv_async_t *h);
int __wrap_uv_async_send(uv_async_t *h);
int __wrap_uv_async_send(uv_async_t *h) {
  enter(NULL, "uv_async_send", CALLER); /* the one call any thread may make */
  return __real_uv_async_send(h);
}

/* ---- loop stops --------------------------------------------------------------- */

static int outstanding(const rlrt_uv_entry *e, const rlrt_uv_loop *lp,
                       int all) {
  return atomic_load(&e->live) && e->gen == atomic_load(&gen) &&
         (all || e->loop == lp);
}

/* Logs a stop, "uvstop E<n> <why> <L<n>|-> T<n> rc=<dec> s=<ips>", then
 * each request of lp (every loop's when all) not completed,
 * "uvpending R<n> E<n> ran=<0|1>", and with handles each handle not closed,
 * "uvopen H<n> E<n> <open|closing>". A stop other than close with nothing
 * outstanding is not logged. */
static void stop(rlrt_thread *t, rlrt_uv_loop *lp, int all, const char *why,
                 int rc, int with_handles, const void *caller) {
  int always = why[0] == 'c'; /* "close": its rc is worth a line */
  int n = 0;
  for (size_t i = 0; i < MAX_REQS; i++)
    n += outstanding(&reqs[i], lp, all);
  for (size_t i = 0; with_handles && i < MAX_HANDLES; i++)
    n += outstanding(&handles[i], lp, all);
  if (n == 0 && !always)
    return;
  int ev = atomic_fetch_add(&next_stop, 1) + 1;
  rlrt_line l = {.n = 0};
  put_id(&l, "uvstop E", ev);
  rlrt__put(&l, " ");
  rlrt__put(&l, why);
  rlrt__put(&l, " ");
  put_loop(&l, all ? NULL : lp);
  put_thread(&l, t);
  rlrt__put(&l, " rc=");
  put_int(&l, rc);
  put_stack_at(&l, caller);
  rlrt__emit(&l);
  for (size_t i = 0; i < MAX_REQS; i++) {
    const rlrt_uv_entry *e = &reqs[i];
    if (!outstanding(e, lp, all))
      continue;
    /* Did the loop run (and return, or is it running) since the start? */
    int ran = e->loop && (atomic_load(&e->loop->runs) != e->runs ||
                          atomic_load(&e->loop->running) != 0);
    l.n = 0;
    put_id(&l, "uvpending R", e->id);
    put_id(&l, " E", ev);
    rlrt__put(&l, ran ? " ran=1" : " ran=0");
    rlrt__emit(&l);
  }
  for (size_t i = 0; with_handles && i < MAX_HANDLES; i++) {
    const rlrt_uv_entry *e = &handles[i];
    if (!outstanding(e, lp, all))
      continue;
    l.n = 0;
    put_id(&l, "uvopen H", e->id);
    put_id(&l, " E", ev);
    rlrt__put(&l, e->closing ? " closing" : " open");
    rlrt__emit(&l);
  }
}

int __real_uv_run(uv_loop_t *loop, uv_run_mode mode);
int __wrap_uv_run(uv_loop_t *loop, uv_run_mode mode);
int __wrap_uv_run(uv_loop_t *loop, uv_run_mode mode) {
  rlrt_thread *t = enter(loop, "uv_run", CALLER);
  rlrt_uv_loop *lp = t ? loop_of(loop) : NULL;
  if (!lp)
    return __real_uv_run(loop, mode);
  int prev = atomic_exchange(&lp->running, t->idx + 1);
  rlrt_stack outer = run_st;
  rlrt__stack_capture(&run_st, CALLER);
  run_depth++;
  run_publish(t);
  RLRT_TRACE(rlrt__trace_wait(t, RLRT_TEV_WAIT));
  int rc = __real_uv_run(loop, mode);
  RLRT_TRACE(rlrt__trace_id(t, RLRT_TEV_WOKEN, RLRT_TOBJ_NONE, 0, 0, "uv_run",
                            CALLER));
  run_depth--;
  run_st = outer;
  if (run_depth)
    run_publish(t);
  else if (atomic_load(&t->wait) == RLRT_WAIT_UV_RUN)
    atomic_store_explicit(&t->wait, RLRT_WAIT_NONE, memory_order_release);
  atomic_store(&lp->running, prev);
  atomic_fetch_add(&lp->runs, 1);
  /* DEFAULT returns with requests pending only after uv_stop(); the other
   * modes return early by design, and a later uv_run may finish them. */
  if (mode == UV_RUN_DEFAULT)
    stop(t, lp, 0, "run", rc, 0, CALLER);
  return rc;
}

int __real_uv_loop_close(uv_loop_t *loop);
int __wrap_uv_loop_close(uv_loop_t *loop);
int __wrap_uv_loop_close(uv_loop_t *loop) {
  rlrt_thread *t = enter(loop, "uv_loop_close", CALLER);
  int rc = __real_uv_loop_close(loop);
  rlrt_uv_loop *lp = t ? loop_of(loop) : NULL;
  /* UV_EBUSY: requests or handles remain, listed whether or not the
   * program checks rc. */
  if (lp)
    stop(t, lp, 0, "close", rc, 1, CALLER);
  return rc;
}

/* ---- what a sanitizer's report is about ---------------------------------------- */

/* strcmp(a, b) == 0 without the sanitizers' strcmp interceptor: this runs
 * inside their report hooks, where an intercepted call may check memory and
 * re-enter the reporter. */
static int same(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

/* The block freed while a close was pending that addr lies in, or -1. */
static int freed_at(uintptr_t addr) {
  for (int i = 0; i < MAX_FREED; i++) {
    uintptr_t lo = atomic_load(&freed[i].lo);
    if (lo && addr >= lo && addr < freed[i].hi)
      return i;
  }
  return -1;
}

/* Logs "uvlate H<n> s=<uv_close ips>" when addr, used after it was freed,
 * lies in a block freed while H<n> was closing. */
static void used_after_free(uintptr_t addr) {
  int i = freed_at(addr);
  if (i < 0)
    return;
  rlrt_line l = {.n = 0};
  put_id(&l, "uvlate H", freed[i].id);
  rlrt__put(&l, " s=");
  rlrt__put_stack(&l, &freed[i].close);
  rlrt__emit(&l);
}

/* ASan's hook (weak in its runtime), called once it has found an error,
 * before it prints the report and ends the process: logs "uvearly R<n>"
 * when the report is a read of pending R<n>'s result, or "uvlate", so that
 * the harness can say it in libuv's words. */
void __asan_on_error(void);
void __asan_on_error(void) {
  if (!rlrt__cfg.on || !__asan_get_report_address || !__asan_get_report_description)
    return;
  uintptr_t addr = (uintptr_t)__asan_get_report_address();
  const char *bug = __asan_get_report_description();
  if (same(bug, "heap-use-after-free")) {
    used_after_free(addr);
  } else if (same(bug, "use-after-poison")) {
    const rlrt_uv_entry *e = pending_result_at(addr);
    if (!e)
      return;
    rlrt_line l = {.n = 0};
    put_id(&l, "uvearly R", e->id);
    rlrt__emit(&l);
  }
}

/* TSan's report-inspection interface and hook (weak): TSan also reports a
 * heap-use-after-free, within one thread too, and goes on. */
extern int __tsan_get_report_data(void *report, const char **description, int *count,
                                  int *stack_count, int *mop_count, int *loc_count,
                                  int *mutex_count, int *thread_count,
                                  int *unique_tid_count, void **sleep_trace,
                                  unsigned long trace_size) __attribute__((weak));
extern int __tsan_get_report_mop(void *report, unsigned long idx, int *tid, void **addr,
                                 int *size, int *write, int *atomic, void **trace,
                                 unsigned long trace_size) __attribute__((weak));

/* Called by TSan before it prints each report: "uvlate" for a use of a
 * block freed while a handle inside was closing. */
void __tsan_on_report(void *report);
void __tsan_on_report(void *report) {
  const char *bug = NULL;
  int count, stacks, mops = 0, locs, mutexes, threads, tids, tid, size, write, atomic;
  void *addr = NULL;
  void *trace[1]; /* TSan copies a frame even when asked for none */
  if (!rlrt__cfg.on || !__tsan_get_report_data || !__tsan_get_report_mop ||
      !__tsan_get_report_data(report, &bug, &count, &stacks, &mops, &locs, &mutexes,
                              &threads, &tids, trace, 1) ||
      !bug || !same(bug, "heap-use-after-free") || mops < 1 ||
      !__tsan_get_report_mop(report, 0, &tid, &addr, &size, &write, &atomic, trace, 1))
    return;
  used_after_free((uintptr_t)addr);
}

/* ---- process exit and fork ------------------------------------------------------ */

static void at_exit(void) {
  stop(rlrt__self(), NULL, 1, "exit", 0, 1, NULL);
}

static void after_fork_child(void) { atomic_fetch_add(&gen, 1); }

/* After rlrt_init's constructor (102), which reads the configuration. */
__attribute__((constructor(103))) static void rlrt_uv_init(void) {
  if (!rlrt__cfg.on)
    return;
  atexit(at_exit);
  pthread_atfork(NULL, NULL, after_fork_child);
}
