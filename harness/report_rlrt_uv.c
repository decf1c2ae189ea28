/* report_rlrt_uv.c -- the libuv lines of racelab's runtime log to findings:
 * requests that never completed and handles never closed when a loop
 * stopped, calls on a loop from a thread other than the one running it,
 * handles freed while closing, handles realloc() moved or that were freed
 * before their close callback; and an AddressSanitizer report the runtime
 * said was about a request or a handle, in libuv's words. It does not
 * symbolize (symbolize.c does) nor explain (explain.c does), and it leaves
 * every other line to report_rlrt.c.
 *
 * Accepted grammar: the LOG GRAMMAR of runtime/rlrt_protocol.h. Lines used
 * here: module, thread, uvreq, uvdone, uvhandle, uvclosed, uvstop,
 * uvpending, uvopen, uvmisuse, uvfree, uvgone, uvearly, uvlate. Every other line
 * and every malformed line is skipped. Lines may come in any order (a callback can run on the loop
 * thread before the starting thread has logged the start).
 */
#include "report_rlrt_uv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_rlrt_log.h"
#include "report_text.h"
#include "util.h"

#define RL__UV_MAX_ID (1L << 24) /* ids past this are taken as malformed */
#define RL__UV_EBUSY (-16)       /* UV_EBUSY on Linux */
#define RL__UV_LISTED_IDS 5      /* ids named in a finding's object */

/* ---- the log, parsed --------------------------------------------------------- */

/* A request (R<id>) or a handle (H<id>), at index id of its array. */
typedef struct {
  char *what;   /* the starting call or the handle type; NULL: never seen */
  int tid;      /* the thread that started or created it */
  char *ips;    /* where */
  int finished; /* uvdone / uvclosed seen */
  int stop;     /* E<id> of the first stop that found it outstanding, 0 none */
  int flag;     /* request: the loop ran after its start; handle: closing */
  int grouped;  /* already part of a finding */
} rl__uv_item;

typedef struct {
  char why[8];  /* run, close, exit, or hang (a dump found a thread in
                   uv_run); "" never seen */
  int loop;     /* L<id>, 0 for none */
  int tid;
  int rc;
  char *ips;
  int listed;   /* items found outstanding by it */
} rl__uv_stop;

typedef struct {
  char *call;
  int loop, tid, loop_tid;
  char *ips;
} rl__uv_misuse;

typedef struct {
  int tid;
  char *ips;
} rl__uv_created;

/* "uvfree": H<id> freed (at free_ips) by T<tid> while closing (close_ips);
 * "uvgone" (no close_ips): moved by realloc() or freed (at free_ips) before
 * its close callback; "uvlate" (tid -1, no free_ips): a sanitizer report is
 * about a block freed while closing. */
typedef struct {
  int id, tid;
  char *close_ips, *free_ips;
  int moved;   /* uvgone: moved, not freed */
  int grouped; /* already part of a finding */
} rl__uv_freed;

typedef struct {
  rl__rlrt_modules mods;
  rl__uv_item *reqs, *handles; /* indexed by id; [0] unused */
  size_t nreqs, nhandles;      /* array lengths */
  rl__uv_stop *stops;
  size_t nstops;
  rl__uv_misuse *misuses;
  size_t nmisuses;
  rl__uv_created *created;
  size_t ncreated;
  rl__uv_freed *frees;
  size_t nfrees;
  rl__uv_freed *gones;  /* "uvgone" lines */
  size_t ngones;
  rl__uv_freed *lates;  /* "uvlate" lines */
  size_t nlates;
  int early;            /* "uvearly R<id>": id, 0 if none */
  rl__uv_stop dump_run; /* the last dump's thread in uv_run (why "hang") */
  int dumped;           /* that dump was complete */
  int oom;
} rl__uv_log;

/* Element id of *arr (growing it, zeroed, to id + 1 elements); NULL when
 * out of memory (log->oom) or id is out of range. */
static void *rl__uv_at(rl__uv_log *log, void *arr_p, size_t *len, size_t size, long id) {
  void **arr = arr_p;
  if (id < 1 || id > RL__UV_MAX_ID)
    return NULL;
  if ((size_t)id >= *len) {
    size_t want = (size_t)id + 1 > *len * 2 ? (size_t)id + 1 : *len * 2;
    char *grown = realloc(*arr, want * size);
    if (!grown) {
      log->oom = 1;
      return NULL;
    }
    memset(grown + *len * size, 0, (want - *len) * size);
    *arr = grown;
    *len = want;
  }
  return (char *)*arr + (size_t)id * size;
}

/* Appends a zeroed element; NULL (and log->oom) when out of memory. */
static void *rl__uv_push(rl__uv_log *log, void *arr_p, size_t *n, size_t size) {
  void **arr = arr_p;
  char *grown = realloc(*arr, (*n + 1) * size);
  if (!grown) {
    log->oom = 1;
    return NULL;
  }
  *arr = grown;
  memset(grown + *n * size, 0, size);
  return grown + (*n)++ * size;
}

static void rl__uv_log_free(rl__uv_log *log) {
  rl__rlrt_modules_free(&log->mods);
  for (size_t i = 0; i < log->nreqs; i++)
    free(log->reqs[i].what), free(log->reqs[i].ips);
  for (size_t i = 0; i < log->nhandles; i++)
    free(log->handles[i].what), free(log->handles[i].ips);
  for (size_t i = 0; i < log->nstops; i++)
    free(log->stops[i].ips);
  for (size_t i = 0; i < log->nmisuses; i++)
    free(log->misuses[i].call), free(log->misuses[i].ips);
  for (size_t i = 0; i < log->ncreated; i++)
    free(log->created[i].ips);
  for (size_t i = 0; i < log->nfrees; i++)
    free(log->frees[i].close_ips), free(log->frees[i].free_ips);
  for (size_t i = 0; i < log->ngones; i++)
    free(log->gones[i].free_ips);
  free(log->gones);
  for (size_t i = 0; i < log->nlates; i++)
    free(log->lates[i].close_ips);
  free(log->lates);
  free(log->frees);
  free(log->dump_run.ips);
  free(log->reqs);
  free(log->handles);
  free(log->stops);
  free(log->misuses);
  free(log->created);
}

/* ---- reading one line ------------------------------------------------------------ */

#define RL__UV_TOKENS 8

/* Splits line (modified) on spaces into at most RL__UV_TOKENS tokens;
 * returns how many. */
static int rl__uv_split(char *line, char **tok) {
  int n = 0;
  for (char *save = NULL, *p = strtok_r(line, " ", &save);
       p && n < RL__UV_TOKENS; p = strtok_r(NULL, " ", &save))
    tok[n++] = p;
  return n;
}

/* "<prefix><decimal>" -> the number; -1 if s is not that ("-" included). */
static long rl__uv_id(const char *s, char prefix) {
  if (s[0] != prefix || !s[1] || strspn(s + 1, "0123456789") != strlen(s + 1) ||
      strlen(s + 1) > 9)
    return -1;
  return atol(s + 1);
}

/* The value of token "key=value", or NULL. */
static const char *rl__uv_val(const char *tok, const char *key) {
  size_t k = strlen(key);
  return strncmp(tok, key, k) == 0 && tok[k] == '=' ? tok + k + 1 : NULL;
}

/* A copy of the stack of token "<key>=<ips>"; NULL if malformed (or out
 * of memory: log->oom). */
static char *rl__uv_ips(rl__uv_log *log, const char *tok, const char *key) {
  const char *ips = rl__uv_val(tok, key);
  if (!ips || !*ips ||
      (strcmp(ips, "-") != 0 && strspn(ips, "0123456789abcdef,") != strlen(ips)))
    return NULL;
  char *copy = strdup(ips);
  if (!copy)
    log->oom = 1;
  return copy;
}

/* "uvreq R<n> <call> T<n> s=<ips>", "uvhandle H<n> <type> T<n> s=<ips>" */
static void rl__uv_started(rl__uv_log *log, char **tok, int n, rl__uv_item **arr,
                           size_t *len, char prefix) {
  if (n < 5)
    return;
  long id = rl__uv_id(tok[1], prefix), tid = rl__uv_id(tok[3], 'T');
  char *ips = rl__uv_ips(log, tok[4], "s");
  rl__uv_item *it = id > 0 && tid >= 0 && ips ? rl__uv_at(log, arr, len, sizeof **arr, id) : NULL;
  if (!it || it->what) {
    free(ips);
    return;
  }
  it->tid = (int)tid;
  it->ips = ips;
  if (!(it->what = strdup(tok[2])))
    log->oom = 1;
}

/* "uvdone R<n>", "uvclosed H<n>" */
static void rl__uv_finished(rl__uv_log *log, char **tok, int n, rl__uv_item **arr,
                            size_t *len, char prefix) {
  rl__uv_item *it = n >= 2 ? rl__uv_at(log, arr, len, sizeof **arr, rl__uv_id(tok[1], prefix)) : NULL;
  if (it)
    it->finished = 1;
}

/* "uvpending R<n> E<n> ran=<0|1>", "uvopen H<n> E<n> <open|closing>" */
static void rl__uv_outstanding(rl__uv_log *log, char **tok, int n, rl__uv_item **arr,
                               size_t *len, char prefix) {
  if (n < 4)
    return;
  long ev = rl__uv_id(tok[2], 'E');
  const char *ran = rl__uv_val(tok[3], "ran");
  int flag = prefix == 'R' ? ran && strcmp(ran, "1") == 0 : strcmp(tok[3], "closing") == 0;
  if (ev < 1 || (prefix == 'R' && !ran) ||
      (prefix == 'H' && !flag && strcmp(tok[3], "open") != 0))
    return;
  rl__uv_stop *st = rl__uv_at(log, &log->stops, &log->nstops, sizeof *st, ev);
  rl__uv_item *it = st ? rl__uv_at(log, arr, len, sizeof **arr, rl__uv_id(tok[1], prefix)) : NULL;
  if (!it)
    return;
  st->listed++;
  /* The first stop that found it outstanding is when it was forgotten. */
  if (!it->stop || ev < it->stop) {
    it->stop = (int)ev;
    it->flag = flag;
  }
}

/* "uvstop E<n> <run|close|exit> <L<n>|-> T<n> rc=<dec> s=<ips>" */
static void rl__uv_stopped(rl__uv_log *log, char **tok, int n) {
  if (n < 7)
    return;
  long ev = rl__uv_id(tok[1], 'E'), loop = rl__uv_id(tok[3], 'L'),
       tid = rl__uv_id(tok[4], 'T');
  const char *rc = rl__uv_val(tok[5], "rc");
  if (strcmp(tok[2], "run") != 0 && strcmp(tok[2], "close") != 0 &&
      strcmp(tok[2], "exit") != 0)
    return;
  char *ips = rc ? rl__uv_ips(log, tok[6], "s") : NULL;
  rl__uv_stop *st = ips ? rl__uv_at(log, &log->stops, &log->nstops, sizeof *st, ev) : NULL;
  if (!st || st->why[0]) {
    free(ips);
    return;
  }
  strcpy(st->why, tok[2]);
  st->loop = loop > 0 ? (int)loop : 0;
  st->tid = (int)tid;
  st->rc = atoi(rc);
  st->ips = ips;
}

/* "uvmisuse <call> L<n> T<n> loop=T<m> s=<ips>" */
static void rl__uv_misused(rl__uv_log *log, char **tok, int n) {
  if (n < 6)
    return;
  long loop = rl__uv_id(tok[2], 'L'), tid = rl__uv_id(tok[3], 'T');
  const char *lt = rl__uv_val(tok[4], "loop");
  long loop_tid = lt ? rl__uv_id(lt, 'T') : -1;
  char *ips = loop > 0 && tid >= 0 && loop_tid >= 0 ? rl__uv_ips(log, tok[5], "s") : NULL;
  rl__uv_misuse *m = ips ? rl__uv_push(log, &log->misuses, &log->nmisuses, sizeof *m) : NULL;
  if (!m) {
    free(ips);
    return;
  }
  *m = (rl__uv_misuse){.call = strdup(tok[1]), .loop = (int)loop, .tid = (int)tid,
                       .loop_tid = (int)loop_tid, .ips = ips};
  if (!m->call)
    log->oom = 1;
}

/* The hang dump: "dump begin", "dthread T<n> state=uv_run ... s=<ips>",
 * "dump end". A later dump replaces an earlier one. */
static void rl__uv_dump_line(rl__uv_log *log, char **tok, int n) {
  if (strcmp(tok[0], "dump") == 0 && n == 2 && strcmp(tok[1], "begin") == 0) {
    free(log->dump_run.ips);
    memset(&log->dump_run, 0, sizeof log->dump_run);
    log->dumped = 0;
  } else if (strcmp(tok[0], "dump") == 0 && n == 2 && strcmp(tok[1], "end") == 0) {
    log->dumped = 1;
  } else if (strcmp(tok[0], "dthread") == 0 && n >= 4 && !log->dump_run.ips &&
             strcmp(tok[2], "state=uv_run") == 0 && rl__uv_id(tok[1], 'T') >= 0) {
    log->dump_run.ips = rl__uv_ips(log, tok[n - 1], "s");
    log->dump_run.tid = (int)rl__uv_id(tok[1], 'T');
    strcpy(log->dump_run.why, "hang");
  }
}

/* "uvfree H<n> T<n> s1=<ips> s2=<ips>" */
static void rl__uv_freed_line(rl__uv_log *log, char **tok, int n) {
  long id = n >= 5 ? rl__uv_id(tok[1], 'H') : -1, tid = n >= 5 ? rl__uv_id(tok[2], 'T') : -1;
  char *close_ips = id > 0 && tid >= 0 ? rl__uv_ips(log, tok[3], "s1") : NULL;
  char *free_ips = close_ips ? rl__uv_ips(log, tok[4], "s2") : NULL;
  rl__uv_freed *fr = free_ips ? rl__uv_push(log, &log->frees, &log->nfrees, sizeof *fr) : NULL;
  if (!fr) {
    free(close_ips);
    free(free_ips);
    return;
  }
  *fr = (rl__uv_freed){.id = (int)id, .tid = (int)tid, .close_ips = close_ips,
                       .free_ips = free_ips};
}

/* "uvgone H<n> T<n> <moved|freed> s=<ips>" */
static void rl__uv_gone_line(rl__uv_log *log, char **tok, int n) {
  long id = n >= 5 ? rl__uv_id(tok[1], 'H') : -1, tid = n >= 5 ? rl__uv_id(tok[2], 'T') : -1;
  int moved = n >= 5 && strcmp(tok[3], "moved") == 0;
  char *ips = id > 0 && tid >= 0 && (moved || strcmp(tok[3], "freed") == 0)
                  ? rl__uv_ips(log, tok[4], "s")
                  : NULL;
  rl__uv_freed *g = ips ? rl__uv_push(log, &log->gones, &log->ngones, sizeof *g) : NULL;
  if (!g) {
    free(ips);
    return;
  }
  *g = (rl__uv_freed){.id = (int)id, .tid = (int)tid, .free_ips = ips, .moved = moved};
}

/* "uvearly R<n>", "uvlate H<n> s=<ips>": a sanitizer report's subject. */
static void rl__uv_asan_line(rl__uv_log *log, char **tok, int n) {
  if (strcmp(tok[0], "uvearly") == 0) {
    long id = n >= 2 ? rl__uv_id(tok[1], 'R') : -1;
    if (id > 0)
      log->early = (int)id;
    return;
  }
  long id = n >= 3 ? rl__uv_id(tok[1], 'H') : -1;
  char *ips = id > 0 ? rl__uv_ips(log, tok[2], "s") : NULL;
  rl__uv_freed *late = ips ? rl__uv_push(log, &log->lates, &log->nlates, sizeof *late) : NULL;
  if (!late) {
    free(ips);
    return;
  }
  *late = (rl__uv_freed){.id = (int)id, .tid = -1, .close_ips = ips};
}

/* "thread T<n> parent=T<m> s=<ips>": where a thread was created. */
static void rl__uv_thread_line(rl__uv_log *log, char **tok, int n) {
  long tid = n >= 4 ? rl__uv_id(tok[1], 'T') : -1;
  char *ips = tid >= 0 ? rl__uv_ips(log, tok[3], "s") : NULL;
  rl__uv_created *c = ips ? rl__uv_push(log, &log->created, &log->ncreated, sizeof *c) : NULL;
  if (!c) {
    free(ips);
    return;
  }
  c->tid = (int)tid;
  c->ips = ips;
}

static void rl__uv_line(rl__uv_log *log, char *line) {
  int rc = rl__rlrt_module_line(&log->mods, line);
  if (rc != 0) {
    log->oom |= rc < 0;
    return;
  }
  char *tok[RL__UV_TOKENS];
  int n = rl__uv_split(line, tok);
  if (n == 0)
    return;
  const char *k = tok[0];
  if (strcmp(k, "uvreq") == 0)
    rl__uv_started(log, tok, n, &log->reqs, &log->nreqs, 'R');
  else if (strcmp(k, "uvhandle") == 0)
    rl__uv_started(log, tok, n, &log->handles, &log->nhandles, 'H');
  else if (strcmp(k, "uvdone") == 0)
    rl__uv_finished(log, tok, n, &log->reqs, &log->nreqs, 'R');
  else if (strcmp(k, "uvclosed") == 0)
    rl__uv_finished(log, tok, n, &log->handles, &log->nhandles, 'H');
  else if (strcmp(k, "uvpending") == 0)
    rl__uv_outstanding(log, tok, n, &log->reqs, &log->nreqs, 'R');
  else if (strcmp(k, "uvopen") == 0)
    rl__uv_outstanding(log, tok, n, &log->handles, &log->nhandles, 'H');
  else if (strcmp(k, "uvstop") == 0)
    rl__uv_stopped(log, tok, n);
  else if (strcmp(k, "uvmisuse") == 0)
    rl__uv_misused(log, tok, n);
  else if (strcmp(k, "uvfree") == 0)
    rl__uv_freed_line(log, tok, n);
  else if (strcmp(k, "uvgone") == 0)
    rl__uv_gone_line(log, tok, n);
  else if (strcmp(k, "uvearly") == 0 || strcmp(k, "uvlate") == 0)
    rl__uv_asan_line(log, tok, n);
  else if (strcmp(k, "thread") == 0)
    rl__uv_thread_line(log, tok, n);
  else if (strcmp(k, "dump") == 0 || strcmp(k, "dthread") == 0)
    rl__uv_dump_line(log, tok, n);
}

/* ---- from the log to finding parts --------------------------------------------------- */

static void rl__uv_stack(rl__uv_log *log, const char *ips, rl_stack *out) {
  if (rl__rlrt_stack(&log->mods, ips, out) == -ENOMEM)
    log->oom = 1;
}

/* Takes ownership of value. */
static void rl__uv_set(rl__uv_log *log, char **dst, char *value) {
  if (!value)
    log->oom = 1;
  free(*dst);
  *dst = value;
}

static void rl__uv_loc(rl__uv_log *log, rl_finding *f, int tid, char *role, const char *ips) {
  rl_location *loc = rl_finding_add_location(f);
  if (!loc) {
    free(role);
    log->oom = 1;
    return;
  }
  loc->thread = tid;
  rl__uv_set(log, &loc->role, role);
  rl__uv_stack(log, ips, &loc->stack);
}

/* Lists tid among f's threads (once), with where it was created. */
static void rl__uv_thread(rl__uv_log *log, rl_finding *f, int tid) {
  if (tid < 0)
    return;
  for (size_t i = 0; i < f->nthreads; i++)
    if (f->threads[i].id == tid)
      return;
  rl_thread *th = rl_finding_add_thread(f, tid);
  if (!th) {
    log->oom = 1;
    return;
  }
  for (size_t i = 0; i < log->ncreated; i++)
    if (log->created[i].tid == tid)
      rl__uv_stack(log, log->created[i].ips, &th->created_at);
}

static rl_finding *rl__uv_finding(rl__uv_log *log, rl_findings *out, rl_finding_kind kind,
                                  int *added) {
  rl_finding *f = rl_findings_add(out, kind);
  if (!f)
    log->oom = 1;
  else
    (*added)++;
  return f;
}

/* "R1, R4", "H1, H2, H3, H4, H5, ...": the first RL__UV_LISTED_IDS ids of
 * a group. */
static char *rl__uv_ids(char prefix, const int *ids, size_t n) {
  char list[128] = "";
  size_t len = 0;
  for (size_t i = 0; i < n && i < RL__UV_LISTED_IDS; i++)
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%c%d", i ? ", " : "", prefix, ids[i]);
  return rl__fmt("%s%s", list, n > RL__UV_LISTED_IDS ? ", ..." : "");
}

/* "request R3 (uv_fs_open)", "handles H1, H2 (timer)". */
static char *rl__uv_object(const char *word, char prefix, const int *ids, size_t n,
                           const char *what) {
  char *list = rl__uv_ids(prefix, ids, n);
  char *object = list ? rl__fmt("%s%s %s (%s)", word, n > 1 ? "s" : "", list, what) : NULL;
  free(list);
  return object;
}

/* Where a stop happened, as a location, when it was a call; state is
 * "the request is pending", "the handles are open"... */
static void rl__uv_stop_loc(rl__uv_log *log, rl_finding *f, const rl__uv_stop *st,
                            const char *state) {
  if (!st->ips || strcmp(st->ips, "-") == 0)
    return;
  char *role = strcmp(st->why, "run") == 0    ? rl__fmt("uv_run() returns while %s", state)
               : strcmp(st->why, "hang") == 0 ? rl__fmt("waits in uv_run() forever while %s", state)
                                              : rl__fmt("closes the loop while %s", state);
  rl__uv_loc(log, f, st->tid, role, st->ips);
  rl__uv_thread(log, f, st->tid);
}

/* Gathers into ids the outstanding items of arr that share item i's start
 * (what and stack), marking them grouped; returns how many. */
static size_t rl__uv_group(rl__uv_item *arr, size_t len, size_t i, int *ids) {
  size_t n = 0;
  for (size_t j = i; j < len; j++) {
    rl__uv_item *it = &arr[j];
    if (!it->what || it->finished || !it->stop || it->grouped ||
        strcmp(it->what, arr[i].what) != 0 || strcmp(it->ips, arr[i].ips) != 0)
      continue;
    it->grouped = 1;
    ids[n++] = (int)j;
  }
  return n;
}

/* Why a request never completed, for n requests. */
static char *rl__uv_req_reason(const rl__uv_item *it, const rl__uv_stop *st, size_t n) {
  const char *its = n > 1 ? "their callbacks" : "its callback";
  if (!it->flag)
    return rl__fmt("uv_run() did not run the loop after %s started, so %s never ran",
                   n > 1 ? "they were" : "it was", its);
  if (strcmp(st->why, "run") == 0)
    return rl__fmt("uv_run() returned (the loop was stopped) before %s ran", its);
  if (strcmp(st->why, "close") == 0)
    return rl__fmt("the loop was closed (uv_loop_close() returned UV_EBUSY) before %s ran", its);
  return rl__fmt("the program exited before %s ran", its);
}

/* Why a handle is still open, for n handles. */
static char *rl__uv_handle_reason(const rl__uv_item *it, const rl__uv_stop *st, size_t n) {
  if (it->flag)
    return rl__fmt("never finished closing: the loop did not run after uv_close(), so %s never ran",
                   n > 1 ? "their close callbacks" : "its close callback");
  if (strcmp(st->why, "close") == 0)
    return rl__fmt("never closed: uv_loop_close() returned UV_EBUSY");
  if (strcmp(st->why, "hang") == 0)
    return rl__fmt("never closed, and uv_run() never returned: an open handle keeps the loop "
                   "running");
  return rl__fmt("never closed: the program exited with %s open", n > 1 ? "them" : "it");
}

static void rl__uv_requests(rl__uv_log *log, rl_findings *out, int *added) {
  int *ids = malloc(log->nreqs * sizeof *ids);
  if (!ids) {
    log->oom = log->nreqs > 0;
    return;
  }
  for (size_t i = 1; i < log->nreqs && !log->oom; i++) {
    const rl__uv_item *it = &log->reqs[i];
    if (!it->what || it->finished || !it->stop || it->grouped)
      continue;
    const rl__uv_stop *st = (size_t)it->stop < log->nstops ? &log->stops[it->stop] : NULL;
    if (!st || !st->why[0])
      continue; /* the stop line itself was lost: nothing to say why */
    size_t n = rl__uv_group(log->reqs, log->nreqs, i, ids);
    rl_finding *f = rl__uv_finding(log, out, RL_FINDING_FORGOTTEN_AWAIT, added);
    if (!f)
      break;
    char *reason = rl__uv_req_reason(it, st, n);
    rl__uv_set(log, &f->summary,
               n > 1 ? rl__fmt("%zu %s requests never completed: %s", n, it->what, reason ? reason : "")
                     : rl__fmt("%s never completed: %s", it->what, reason ? reason : ""));
    free(reason);
    rl__uv_set(log, &f->object, rl__uv_object("request", 'R', ids, n, it->what));
    rl__uv_loc(log, f, it->tid, strdup(n > 1 ? "starts the requests" : "starts the request"), it->ips);
    rl__uv_thread(log, f, it->tid);
    rl__uv_stop_loc(log, f, st, n > 1 ? "the requests are pending" : "the request is pending");
  }
  free(ids);
}

/* A program killed while a thread waited in uv_run: every handle still
 * open (no stop found it) is what may keep the loop running. The dump
 * becomes one more stop, after the others. */
static void rl__uv_hang_stop(rl__uv_log *log) {
  if (!log->dumped || !log->dump_run.ips)
    return;
  long ev = log->nstops > 1 ? (long)log->nstops : 1;
  rl__uv_stop *st = rl__uv_at(log, &log->stops, &log->nstops, sizeof *st, ev);
  if (!st)
    return;
  *st = log->dump_run;
  memset(&log->dump_run, 0, sizeof log->dump_run);
  for (size_t i = 1; i < log->nhandles; i++)
    if (log->handles[i].what && !log->handles[i].finished && !log->handles[i].stop) {
      log->handles[i].stop = (int)ev;
      st->listed++;
    }
}

static void rl__uv_handles(rl__uv_log *log, rl_findings *out, int *added) {
  rl__uv_hang_stop(log);
  int *ids = malloc(log->nhandles * sizeof *ids);
  if (!ids) {
    log->oom = log->nhandles > 0;
    return;
  }
  for (size_t i = 1; i < log->nhandles && !log->oom; i++) {
    const rl__uv_item *it = &log->handles[i];
    if (!it->what || it->finished || !it->stop || it->grouped)
      continue;
    const rl__uv_stop *st = (size_t)it->stop < log->nstops ? &log->stops[it->stop] : NULL;
    if (!st || !st->why[0])
      continue;
    size_t n = rl__uv_group(log->handles, log->nhandles, i, ids);
    rl_finding *f = rl__uv_finding(log, out, RL_FINDING_FORGOTTEN_AWAIT, added);
    if (!f)
      break;
    char *reason = rl__uv_handle_reason(it, st, n);
    rl__uv_set(log, &f->summary,
               n > 1 ? rl__fmt("%zu %s handles were %s", n, it->what, reason ? reason : "")
                     : rl__fmt("%s handle was %s", it->what, reason ? reason : ""));
    free(reason);
    rl__uv_set(log, &f->object, rl__uv_object("handle", 'H', ids, n, it->what));
    rl__uv_loc(log, f, it->tid, strdup(n > 1 ? "creates the handles" : "creates the handle"), it->ips);
    rl__uv_thread(log, f, it->tid);
    rl__uv_stop_loc(log, f, st, n > 1 ? "the handles are open" : "the handle is open");
  }
  free(ids);
}

/* uv_loop_close() said UV_EBUSY but listed nothing the runtime follows. */
static void rl__uv_busy_closes(rl__uv_log *log, rl_findings *out, int *added) {
  for (size_t e = 1; e < log->nstops && !log->oom; e++) {
    const rl__uv_stop *st = &log->stops[e];
    if (strcmp(st->why, "close") != 0 || st->rc != RL__UV_EBUSY || st->listed)
      continue;
    rl_finding *f = rl__uv_finding(log, out, RL_FINDING_FORGOTTEN_AWAIT, added);
    if (!f)
      return;
    rl__uv_set(log, &f->summary,
               strdup("uv_loop_close() returned UV_EBUSY: a handle or request is still open "
                      "(one racelab does not follow, so it cannot say which)"));
    rl__uv_set(log, &f->object, rl__fmt("loop L%d", st->loop));
    rl__uv_loc(log, f, st->tid, strdup("closes the loop"), st->ips);
    rl__uv_thread(log, f, st->tid);
  }
}

static void rl__uv_misuses(rl__uv_log *log, rl_findings *out, int *added) {
  for (size_t i = 0; i < log->nmisuses && !log->oom; i++) {
    const rl__uv_misuse *m = &log->misuses[i];
    /* The same call site again (a loop) is one finding. */
    int dup = 0;
    for (size_t k = 0; k < i && !dup; k++)
      dup = strcmp(log->misuses[k].call, m->call) == 0 &&
            strcspn(log->misuses[k].ips, ",") == strcspn(m->ips, ",") &&
            strncmp(log->misuses[k].ips, m->ips, strcspn(m->ips, ",")) == 0;
    if (dup)
      continue;
    rl_finding *f = rl__uv_finding(log, out, RL_FINDING_SYNC_MISUSE, added);
    if (!f)
      return;
    rl__uv_set(log, &f->summary,
               rl__fmt("T%d calls %s() on loop L%d while T%d runs it in uv_run(): a loop "
                       "is not thread-safe, only uv_async_send() may be called from "
                       "another thread", m->tid, m->call, m->loop, m->loop_tid));
    rl__uv_set(log, &f->object, rl__fmt("loop L%d", m->loop));
    rl__uv_loc(log, f, m->tid, rl__fmt("calls %s() from a thread other than the loop's", m->call),
               m->ips);
    rl__uv_thread(log, f, m->tid);
    rl__uv_thread(log, f, m->loop_tid);
  }
}

/* The handle H<id>'s item, or NULL if its creation was never logged. */
static const rl__uv_item *rl__uv_handle(const rl__uv_log *log, int id) {
  return id > 0 && (size_t)id < log->nhandles && log->handles[id].what ? &log->handles[id] : NULL;
}

/* Where the freed handle's uv_close() was called. */
static void rl__uv_close_loc(rl__uv_log *log, rl_finding *f, const rl__uv_freed *fr) {
  const rl__uv_item *h = rl__uv_handle(log, fr->id);
  rl__uv_loc(log, f, fr->tid >= 0 ? fr->tid : h ? h->tid : -1,
             rl__fmt("closes H%d: uv_close() only starts the close, its callback runs later",
                     fr->id),
             fr->close_ips);
}

/* Where the freed handle was created, when that was logged. */
static void rl__uv_creation_loc(rl__uv_log *log, rl_finding *f, const rl__uv_freed *fr) {
  const rl__uv_item *h = rl__uv_handle(log, fr->id);
  if (!h)
    return;
  rl__uv_loc(log, f, h->tid, rl__fmt("creates H%d", fr->id), h->ips);
  rl__uv_thread(log, f, h->tid);
}

/* "the uv_timer_t handle H1", "uv_tcp_t handles H1, H2": the n handles
 * ids, of H<id>'s type, as a summary names them. */
static char *rl__uv_handles_named(const rl__uv_log *log, int id, const char *ids, size_t n) {
  const rl__uv_item *h = rl__uv_handle(log, id);
  char type[64];
  snprintf(type, sizeof type, h ? "uv_%s_t" : "%s", h ? h->what : "libuv");
  return rl__fmt("%s%s %s %s", n > 1 ? "" : "the ", type, n > 1 ? "handles" : "handle", ids);
}

/* "the uv_timer_t handle H1 was freed while its uv_close() was still
 * pending...", how: "was freed"; n > 1 handles freed at one place: "uv_timer_t
 * handles H1, H2 were freed while their ...". */
static char *rl__uv_freed_summary(const rl__uv_log *log, const rl__uv_freed *fr, const char *how,
                                  const char *ids, size_t n) {
  char *named = rl__uv_handles_named(log, fr->id, ids, n);
  char *summary = named ? rl__fmt("%s %s while %s uv_close() was still pending: libuv uses the "
                                  "handle until it calls the close callback; free it there",
                                  named, how, n > 1 ? "their" : "its")
                        : NULL;
  free(named);
  return summary;
}

/* "the uv_timer_t handle H1 was moved by realloc() before its close
 * callback ran...": n handles realloc() moved, or that were freed, at one
 * place. */
static char *rl__uv_gone_summary(const rl__uv_log *log, const rl__uv_freed *g, const char *ids,
                                 size_t n) {
  char *named = rl__uv_handles_named(log, g->id, ids, n);
  if (!named)
    return NULL;
  int many = n > 1;
  const char *before = many ? "were %s before their close callbacks ran"
                            : "was %s before its close callback ran";
  char *what = rl__fmt(before, g->moved ? "moved by realloc()" : "freed");
  char *summary =
      !what ? NULL
      : g->moved
          ? rl__fmt("%s %s: libuv still points at %s; keep each handle where it was initialized "
                    "until its close callback: allocate handles one by one, or keep pointers "
                    "in the growable array",
                    named, what, many ? "their old addresses" : "its old address")
          : rl__fmt("%s %s: libuv still points at %s; close a handle with uv_close() and free its "
                    "memory in the close callback",
                    named, what, many ? "them" : "it");
  free(what);
  free(named);
  return summary;
}

static int rl__uv_same_ips(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* Gathers into ids the handles of arr[i..] freed or moved at arr[i]'s
 * place (the same stacks, the same way), each id once, marking them
 * grouped; returns how many. */
static size_t rl__uv_group_freed(rl__uv_freed *arr, size_t len, size_t i, int *ids) {
  size_t n = 0;
  for (size_t k = i; k < len; k++) {
    rl__uv_freed *same = &arr[k];
    if (same->grouped || same->moved != arr[i].moved ||
        !rl__uv_same_ips(same->free_ips, arr[i].free_ips) ||
        !rl__uv_same_ips(same->close_ips, arr[i].close_ips))
      continue;
    same->grouped = 1;
    size_t seen = 0;
    while (seen < n && ids[seen] != same->id)
      seen++;
    if (seen == n)
      ids[n++] = same->id;
  }
  return n;
}

/* Fills f, the finding of the n handles ids (list: their names) that the
 * program freed or moved at fr's place. */
typedef void rl__uv_tell_fn(rl__uv_log *log, rl_finding *f, const rl__uv_freed *fr,
                            const int *ids, size_t n, const char *list);

/* Closing handles freed: the free, the uv_close, the creation. */
static void rl__uv_tell_freed(rl__uv_log *log, rl_finding *f, const rl__uv_freed *fr,
                              const int *ids, size_t n, const char *list) {
  const rl__uv_item *h = rl__uv_handle(log, fr->id);
  rl__uv_set(log, &f->summary,
             rl__uv_freed_summary(log, fr, n > 1 ? "were freed" : "was freed", list, n));
  rl__uv_set(log, &f->object, rl__uv_object("handle", 'H', ids, n, h ? h->what : "?"));
  rl__uv_loc(log, f, fr->tid,
             rl__fmt("frees the block holding H%d while its close is pending", fr->id),
             fr->free_ips);
  rl__uv_thread(log, f, fr->tid);
  rl__uv_close_loc(log, f, fr);
  rl__uv_creation_loc(log, f, fr);
}

/* Handles realloc() moved, or freed, before their close callback: the
 * realloc or the free, the creation. */
static void rl__uv_tell_gone(rl__uv_log *log, rl_finding *f, const rl__uv_freed *g,
                             const int *ids, size_t n, const char *list) {
  const rl__uv_item *h = rl__uv_handle(log, g->id);
  rl__uv_set(log, &f->summary, rl__uv_gone_summary(log, g, list, n));
  rl__uv_set(log, &f->object, rl__uv_object("open handle", 'H', ids, n, h ? h->what : "?"));
  rl__uv_loc(log, f, g->tid,
             g->moved ? rl__fmt("moves the block holding H%d with realloc()", g->id)
                      : rl__fmt("frees the block holding H%d", g->id),
             g->free_ips);
  rl__uv_thread(log, f, g->tid);
  rl__uv_creation_loc(log, f, g);
}

/* One memory-error finding per place arr's handles were freed or moved
 * (rl__uv_group_freed), told by tell. With lates, a group a sanitizer
 * reported (uvlate) is left to rl_report_rlrt_uv_retell, which says it all. */
static void rl__uv_freed_findings(rl__uv_log *log, rl_findings *out, int *added,
                                  rl__uv_freed *arr, size_t len, int lates,
                                  rl__uv_tell_fn *tell) {
  int *ids = malloc(len * sizeof *ids);
  if (!ids) {
    log->oom = len > 0;
    return;
  }
  for (size_t i = 0; i < len && !log->oom; i++) {
    if (arr[i].grouped)
      continue;
    size_t n = rl__uv_group_freed(arr, len, i, ids);
    int reported = 0;
    for (size_t k = 0; k < n && lates; k++)
      for (size_t l = 0; l < log->nlates; l++)
        reported |= ids[k] == log->lates[l].id;
    if (reported)
      continue;
    rl_finding *f = rl__uv_finding(log, out, RL_FINDING_MEMORY_ERROR, added);
    char *list = f ? rl__uv_ids('H', ids, n) : NULL;
    if (!list) {
      log->oom = 1;
      break;
    }
    tell(log, f, &arr[i], ids, n, list);
    free(list);
  }
  free(ids);
}

/* A handle realloc() took from libuv is not also "never closed": libuv was
 * left with the old copy, which the program could not close any more. */
static void rl__uv_forget_gone(rl__uv_log *log) {
  for (size_t i = 0; i < log->ngones; i++)
    if ((size_t)log->gones[i].id < log->nhandles)
      log->handles[log->gones[i].id].grouped = 1;
}

/* Reads the whole log into *log; 0, or -ENOMEM (log->oom). */
static int rl__uv_read(const char *text, size_t len, rl__uv_log *log) {
  rl__lines it = {text, text + len};
  rl__line line;
  while (!log->oom && rl__next_line(&it, &line)) {
    char *buf = rl__strndup(line.s, line.len);
    if (!buf) {
      log->oom = 1;
      break;
    }
    rl__uv_line(log, buf);
    free(buf);
  }
  return log->oom ? -ENOMEM : 0;
}

int rl_report_rlrt_uv_parse(const char *text, size_t len, rl_findings *out) {
  rl__uv_log log = {0};
  int added = 0;
  rl__uv_read(text, len, &log);
  if (!log.oom)
    rl__uv_requests(&log, out, &added);
  rl__uv_forget_gone(&log);
  if (!log.oom)
    rl__uv_handles(&log, out, &added);
  if (!log.oom)
    rl__uv_busy_closes(&log, out, &added);
  if (!log.oom)
    rl__uv_misuses(&log, out, &added);
  if (!log.oom)
    rl__uv_freed_findings(&log, out, &added, log.frees, log.nfrees, 1, rl__uv_tell_freed);
  if (!log.oom)
    rl__uv_freed_findings(&log, out, &added, log.gones, log.ngones, 0, rl__uv_tell_gone);
  int oom = log.oom;
  rl__uv_log_free(&log);
  return oom ? -ENOMEM : added;
}

/* ---- a sanitizer's report, in libuv's words ---------------------------------------- */

/* The first finding of found whose sanitizer bug type is bug, from from on;
 * NULL if none. */
static rl_finding *rl__uv_reported(rl_findings *found, const char *bug, size_t from) {
  for (size_t i = from; i < found->count; i++)
    if (found->items[i].detail && strcmp(found->items[i].detail, bug) == 0)
      return &found->items[i];
  return NULL;
}

/* A use-after-poison in a pending request's result: the read (ASan's
 * location) and where the request was started. */
static int rl__uv_early(rl__uv_log *log, rl_findings *asan) {
  rl_finding *f = rl__uv_reported(asan, "use-after-poison", 0);
  const rl__uv_item *r = (size_t)log->early < log->nreqs ? &log->reqs[log->early] : NULL;
  if (!f || !r || !r->what || !f->nlocations)
    return 0;
  f->kind = RL_FINDING_FORGOTTEN_AWAIT;
  rl__uv_set(log, &f->summary,
             rl__fmt("%s's result is read before its callback ran: the request is still "
                     "pending, and libuv fills in the result only just before the callback",
                     r->what));
  rl__uv_set(log, &f->object, rl__fmt("request R%d (%s)", log->early, r->what));
  rl__uv_set(log, &f->locations[0].role,
             rl__fmt("reads %s's result before its callback ran", r->what));
  rl__uv_set(log, &f->detail,
             strdup("AddressSanitizer: use-after-poison (racelab poisons a pending request's "
                    "result until its callback runs)"));
  rl__uv_loc(log, f, r->tid, strdup("starts the request"), r->ips);
  rl__uv_thread(log, f, r->tid);
  return 1;
}

/* Does the report's free (a stack parsed from the sanitizer's text) happen
 * where the runtime saw H<id> freed (the top of its uvfree stack)? Both are
 * module and offset: the same basename, the same call (the offsets of a
 * return address and of the call before it differ by one). No uvfree line
 * for it: any free will do, the report's address was checked already. */
static int rl__uv_freed_there(rl__uv_log *log, const rl_stack *reported, int id) {
  const rl__uv_freed *fr = NULL;
  for (size_t i = 0; i < log->nfrees && !fr; i++)
    if (log->frees[i].id == id)
      fr = &log->frees[i];
  if (!fr)
    return 1;
  rl_stack seen = {0};
  rl__uv_stack(log, fr->free_ips, &seen);
  int same = 0;
  for (size_t i = 0; i < reported->count && seen.count && !same; i++) {
    const rl_frame *a = &reported->frames[i], *b = &seen.frames[0];
    same = a->module && b->module &&
           strcmp(rl_path_basename(a->module), rl_path_basename(b->module)) == 0 &&
           a->offset + 1 >= b->offset && a->offset <= b->offset + 1;
  }
  rl_stack_free(&seen);
  return same;
}

/* A heap-use-after-free in a block freed while a handle inside was
 * closing, as the sanitizer reported it ([use, free]): retold as [free,
 * uv_close, use, the handle's creation]. */
static void rl__uv_late(rl__uv_log *log, rl_finding *f, const rl__uv_freed *fr) {
  rl_location use = f->locations[0];
  f->locations[0] = f->locations[1];
  f->nlocations = 1;
  rl__uv_set(log, &f->locations[0].role,
             rl__fmt("frees the block holding H%d while its close is pending", fr->id));
  rl__uv_close_loc(log, f, fr);
  rl_location *again = rl_finding_add_location(f);
  if (again) {
    *again = use;
  } else {
    log->oom = 1;
    free(use.file), free(use.function), free(use.role), rl_stack_free(&use.stack);
  }
  char id[16];
  snprintf(id, sizeof id, "H%d", fr->id);
  rl__uv_set(log, &f->summary, rl__uv_freed_summary(log, fr, "was freed, then used,", id, 1));
  const rl__uv_item *h = rl__uv_handle(log, fr->id);
  rl__uv_set(log, &f->object, rl__uv_object("handle", 'H', &fr->id, 1, h ? h->what : "?"));
  rl__uv_creation_loc(log, f, fr);
}

int rl_report_rlrt_uv_retell(const char *text, size_t len, rl_findings *found) {
  rl__uv_log log = {0};
  int told = 0;
  if (rl__uv_read(text, len, &log) == 0 && log.early)
    told = rl__uv_early(&log, found);
  /* One uvlate line per report the runtime recognized; a report already
   * retold has a new summary but keeps its bug type: its object says. */
  for (size_t l = 0; l < log.nlates && !log.oom; l++)
    for (rl_finding *f = rl__uv_reported(found, "heap-use-after-free", 0); f && !log.oom;
         f = rl__uv_reported(found, "heap-use-after-free", (size_t)(f - found->items) + 1)) {
      if (f->nlocations < 2 || (f->object && strncmp(f->object, "handle ", 7) == 0) ||
          !rl__uv_freed_there(&log, &f->locations[1].stack, log.lates[l].id))
        continue;
      rl__uv_late(&log, f, &log.lates[l]);
      told++;
    }
  int oom = log.oom;
  rl__uv_log_free(&log);
  return oom ? -ENOMEM : told;
}
