/* rlrt_trace.c -- the verbose trace (RLRT_TRACE=1): every synchronization
 * and libuv event, with its time, thread, object and call site, as a
 * fixed-size record in a bounded ring that lives in a MAP_SHARED file, so
 * the latest events survive a crash or a SIGKILL and a long run stays
 * bounded. The wrappers decide what to record; this file only stores it. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rlrt_internal.h"
#include "rlrt_protocol.h"

_Static_assert(sizeof(rlrt_trace_header) == 64, "the header is 64 bytes");
_Static_assert(sizeof(rlrt_trace_record) == 64, "a record is 64 bytes");
_Static_assert((RLRT_TRACE_CAP & (RLRT_TRACE_CAP - 1)) == 0,
               "the ring's capacity is a power of two");
_Static_assert(RLRT_TOBJ_MUTEX == RLRT_OBJ_MUTEX + 1 &&
                   RLRT_TOBJ_BARRIER == RLRT_OBJ_BARRIER + 1,
               "registry kinds are trace kinds minus one");

int rlrt__trace_on;

static rlrt_trace_header *ring;   /* the mapping: header, then the records */
static rlrt_trace_record *recs;

#define RING_SIZE                                                              \
  (sizeof(rlrt_trace_header) + RLRT_TRACE_CAP * sizeof(rlrt_trace_record))

/* The dump's names of rlrt_wait, in its order. */
static const char *const wait_names[] = {
    "running", "mutex", "rdlock", "wrlock", "cond",   "join",  "sem",
    "barrier", "once",  "sleep",  "uv_run", "exited", "gone"};
_Static_assert(sizeof wait_names / sizeof *wait_names == RLRT_WAIT_GONE + 1,
               "one name per wait state");

/* clock_gettime through libc: the vDSO, no system call; TSan's interceptor
 * for it only marks the timespec written. */
static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Map a fresh "<prefix>-trace.<pid>"; 0 or -1. Raw system calls: TSan's fd
 * interceptors would turn the file into synchronization. */
static int open_ring(void) {
  rlrt_line path = {.n = 0};
  pid_t pid = (pid_t)syscall(SYS_getpid);
  rlrt__put(&path, rlrt__cfg.log_prefix);
  rlrt__put(&path, "-trace.");
  rlrt__put_dec(&path, (uint64_t)pid);
  path.b[path.n] = '\0';
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path.b,
                        O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  long m = -1;
  if (syscall(SYS_ftruncate, fd, (long)RING_SIZE) == 0)
    m = syscall(SYS_mmap, NULL, RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                fd, 0L);
  syscall(SYS_close, fd);
  if (m < 0 && m > -4096)
    return -1;
  rlrt_trace_header *h = (rlrt_trace_header *)m;
  memcpy(h->magic, RLRT_TRACE_MAGIC, sizeof h->magic);
  h->rec_size = sizeof(rlrt_trace_record);
  h->cap = RLRT_TRACE_CAP;
  h->start_ns = now_ns();
  h->pid = (uint32_t)pid;
  recs = (rlrt_trace_record *)(h + 1);
  ring = h;
  return 0;
}

void rlrt__trace_id(const rlrt_thread *t, int ev, int kind, int id,
                    uint64_t arg, const char *name, const void *ip) {
  rlrt_trace_header *h = ring;
  if (!t || !h)
    return;
  uint64_t ns = now_ns() - h->start_ns;
  uint64_t seq = __atomic_add_fetch(&h->next, 1, __ATOMIC_RELAXED);
  rlrt_trace_record *r = &recs[(seq - 1) & (RLRT_TRACE_CAP - 1)];
  /* Unpublish first: a crash mid-write leaves seq 0, never a torn record
   * under a valid seq (x86-64 keeps stores in order; the fences keep the
   * compiler from reordering them). */
  __atomic_store_n(&r->seq, 0, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  r->ns = ns;
  r->ip = (uint64_t)(uintptr_t)ip;
  r->arg = arg;
  r->thread = (uint32_t)t->idx;
  r->obj = (uint32_t)id;
  r->event = (uint8_t)ev;
  r->obj_kind = (uint8_t)kind;
  size_t n = 0;
  for (; name && name[n] && n < sizeof r->name - 1; n++)
    r->name[n] = name[n];
  memset(r->name + n, 0, sizeof r->name - n);
  __atomic_store_n(&r->seq, seq, __ATOMIC_RELEASE);
}

/* o as a record names it: (trace kind, id), or none for NULL. */
static void record_obj(const rlrt_thread *t, int ev, const rlrt_obj *o,
                       uint64_t arg, const char *name, const void *ip) {
  rlrt__trace_id(t, ev, o ? (int)o->kind + 1 : RLRT_TOBJ_NONE,
                 o ? atomic_load(&o->id) : 0, arg, name, ip);
}

void rlrt__trace_obj(const rlrt_thread *t, int ev, const rlrt_obj *o,
                     uint64_t arg, const void *ip) {
  record_obj(t, ev, o, arg, NULL, ip);
}

void rlrt__trace_wait(const rlrt_thread *t, int ev) {
  int w = atomic_load_explicit(&t->wait, memory_order_relaxed);
  const void *ip = t->wait_st.n ? (const void *)t->wait_st.ip[0] : NULL;
  const char *name = w >= 0 && w <= RLRT_WAIT_GONE ? wait_names[w] : NULL;
  if (w == RLRT_WAIT_JOIN) {
    int j = atomic_load_explicit(&t->wait_thread, memory_order_relaxed);
    rlrt__trace_id(t, ev, j >= 0 ? RLRT_TOBJ_THREAD : RLRT_TOBJ_NONE,
                   j >= 0 ? j : 0, 0, name, ip);
    return;
  }
  record_obj(t, ev, atomic_load_explicit(&t->wait_obj, memory_order_relaxed),
             0, name, ip);
}

void rlrt__trace_cond(int ev, const void *c, const void *ip) {
  rlrt_thread *t = rlrt__self();
  rlrt_obj *o = t ? rlrt__obj(c, RLRT_OBJ_COND) : NULL;
  if (o)
    rlrt__trace_obj(t, ev, o, (uint64_t)atomic_load(&o->waiters), ip);
}

void rlrt__trace_delay(const rlrt_thread *t, int happened, unsigned us,
                       const char *why) {
  if (happened)
    rlrt__trace_id(t, RLRT_TEV_DELAY, RLRT_TOBJ_NONE, 0, (uint64_t)us * 1000u, why, NULL);
}

/* A forked child records into its own file, from seq 1 again. */
static void after_fork_child(void) {
  rlrt_trace_header *old = ring;
  ring = NULL;
  syscall(SYS_munmap, old, RING_SIZE);
  rlrt__trace_on = open_ring() == 0;
}

/* After rlrt_init (102), which read RLRT_LOG and registered T0. */
__attribute__((constructor(103))) static void trace_init(void) {
  const char *v = getenv(RLRT_ENV_TRACE);
  if (!v || strcmp(v, "1") != 0 || !rlrt__cfg.log_prefix[0] ||
      open_ring() != 0)
    return;
  rlrt__trace_on = 1;
  pthread_atfork(NULL, NULL, after_fork_child);
  rlrt__trace_id(rlrt__self(), RLRT_TEV_START, RLRT_TOBJ_NONE, 0, 0, NULL, NULL);
}
