/* trace.h -- a run's verbose trace: the runtime's ring files (RLRT_TRACE,
 * format in runtime/rlrt_protocol.h) read into one ordered list of events
 * with short object ids and symbolized call sites, and where in it a
 * finding arose. It reads and relates; the emit_*.c files format. */
#ifndef RL_TRACE_H
#define RL_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "report_rlrt_log.h"
#include "runtime/rlrt_protocol.h"
#include "symbolize.h"

typedef struct {
  uint64_t seq;      /* order within its process */
  uint64_t ns;       /* since the first process started */
  int pid;
  int thread;        /* T<n> */
  int event;         /* RLRT_TEV_* */
  char object[16];   /* "M1", "C2", "T3", "R4"; "" if none */
  uint64_t arg;      /* see RLRT_TEV_* in rlrt_protocol.h */
  char name[24];     /* wait state, libuv call, delay kind; "" if none */
  rl_frame at;       /* the call site; module NULL if unknown */
} rl_trace_event;

typedef struct {
  rl_trace_event *items; /* processes in start order, each in seq order */
  size_t count;
  uint64_t dropped;      /* older events the rings overwrote */
  uint64_t start_ns;     /* CLOCK_MONOTONIC start of the first process */
  int nthreads;          /* 1 + the highest T<n> seen */
} rl_trace;

/* The event's name in the protocol ("wait", "acquired"...). */
const char *rl_trace_event_name(int event);

/* Appends the events of the ring file at path in seq order, their call
 * sites as (module, offset) through mods (NULL: raw ips). A file cut short
 * yields the whole records it holds. Returns 0, -EINVAL if it is not a
 * ring, -errno if it cannot be read. */
int rl_trace_read_ring(const char *path, const rl__rlrt_modules *mods, rl_trace *out);

/* Reads every "<prefix>-trace.<pid>" in dir, each with the modules of the
 * log "<prefix>.<pid>". Returns the number of rings read, or -errno. */
int rl_trace_read_dir(const char *dir, const char *prefix, rl_trace *out);

/* Fills function, file and line of the call sites that lie in binary. */
void rl_trace_symbolize(rl_trace *t, rl_symbolizer *s, const char *binary);

/* The event in words, for people: "lock M1", "signal C1 (1 waiting)",
 * "delay 37 us (random)"; "" for an event not worth a line of its own (the
 * end of a lock wait: "acquired" follows). Returns buf. */
char *rl_trace_label(const rl_trace_event *e, char *buf, size_t cap);

/* The index of the event where loc arose, or -1: the last event of its
 * thread at its file:line, else at any thread's, else the last event of
 * its thread in its function. */
long rl_trace_locate(const rl_trace *t, const rl_location *loc);
/* Where finding f arose: the latest event rl_trace_locate finds for any
 * of its locations (the piece that completed it: a deadlock's last lock
 * request, the later of a race's two threads), or -1. */
long rl_trace_mark(const rl_trace *t, const rl_finding *f);

/* Intervals on a thread: a lock held, a blocking wait, an injected delay,
 * a libuv request from its start to its callback. */
typedef enum { RL_SLICE_HOLD, RL_SLICE_WAIT, RL_SLICE_DELAY, RL_SLICE_REQUEST } rl_slice_kind;

typedef struct {
  rl_slice_kind kind;
  size_t begin;      /* the event that opened it (its thread and pid) */
  long end;          /* the event that closed it; -1 if it never ended */
  uint64_t begin_ns; /* a delay began before the event that records it */
  uint64_t end_ns;   /* end == -1: the time of the last event */
} rl_trace_slice;

/* Every slice of t, in the order they began; *out is malloc'd. */
size_t rl_trace_slices(const rl_trace *t, rl_trace_slice **out);

void rl_trace_free(rl_trace *t);

#endif
