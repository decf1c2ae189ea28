/* report_rlrt.c -- racelab runtime event log to findings: lock-order cycles,
 * deadlocks and hangs from the hang dump, misused sync objects. It does not
 * symbolize (symbolize.c does) nor explain (explain.c does).
 *
 * Accepted grammar: the LOG GRAMMAR of runtime/rlrt_protocol.h. Lines used
 * here: module, thread, edge, nowaiter, misuse, dump begin, dthread, dheld,
 * dump end. Every other line (rlrt, exit, anything unknown) is skipped; so
 * are malformed lines. When a log holds several dumps, the last one counts.
 */
#include "report_rlrt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_rlrt_log.h"
#include "report_text.h"

/* ---- the log, parsed ----------------------------------------------------- */

#define RL__NAME 16 /* "M12", "T3": ids as the runtime prints them */

/* A stack as the log wrote it: "<hex>,<hex>,..." or "-"; heap. */
typedef char *rl__ips;

typedef struct {
  char from[RL__NAME], to[RL__NAME];
  int tid;
  rl__ips s1, s2; /* where `from` was taken, where `to` was taken */
} rl__edge;

typedef struct {
  char cond[RL__NAME];
  int tid;
  char held[128]; /* the locks the signaller held: ",M1,M3," ("," if none) */
  rl__ips s;
} rl__nowaiter;

typedef struct {
  char what[24];
  char obj[3][RL__NAME];
  int nobj;
  int tid;
  int owner; /* -1 nobody, -2 not given */
  rl__ips s;
} rl__misuse;

typedef struct {
  int tid;
  char state[12];
  char obj[RL__NAME];   /* what it waits on, "" if nothing */
  char mutex[RL__NAME]; /* a condvar wait's mutex */
  rl__ips s;
} rl__dthread;

typedef struct {
  int tid;
  char lock[RL__NAME];
  int write;
  rl__ips s;
} rl__dheld;

typedef struct {
  int tid;
  rl__ips s;
} rl__created;

typedef struct {
  rl__rlrt_modules mods;
  rl__edge *edges;
  size_t nedges;
  rl__nowaiter *nowaiters;
  size_t nnowaiters;
  rl__misuse *misuses;
  size_t nmisuses;
  rl__created *created;
  size_t ncreated;
  rl__dthread *dthreads;
  size_t ndthreads;
  rl__dheld *dhelds;
  size_t ndhelds;
  int dumped; /* a complete dump was read */
  int oom;
} rl__log;

/* Appends a zeroed element to *items; NULL (and log->oom) when out of
 * memory. */
static void *rl__push(rl__log *log, void *items_p, size_t *n, size_t size) {
  void **items = items_p;
  char *grown = realloc(*items, (*n + 1) * size);
  if (!grown) {
    log->oom = 1;
    return NULL;
  }
  *items = grown;
  memset(grown + *n * size, 0, size);
  return grown + (*n)++ * size;
}

static void rl__log_free(rl__log *log) {
  rl__rlrt_modules_free(&log->mods);
  for (size_t i = 0; i < log->nedges; i++) {
    free(log->edges[i].s1);
    free(log->edges[i].s2);
  }
  for (size_t i = 0; i < log->nnowaiters; i++)
    free(log->nowaiters[i].s);
  for (size_t i = 0; i < log->nmisuses; i++)
    free(log->misuses[i].s);
  for (size_t i = 0; i < log->ncreated; i++)
    free(log->created[i].s);
  for (size_t i = 0; i < log->ndthreads; i++)
    free(log->dthreads[i].s);
  for (size_t i = 0; i < log->ndhelds; i++)
    free(log->dhelds[i].s);
  free(log->edges);
  free(log->nowaiters);
  free(log->misuses);
  free(log->created);
  free(log->dthreads);
  free(log->dhelds);
}

/* ---- reading one line ---------------------------------------------------- */

#define RL__MAX_TOKENS 12

typedef struct {
  char *tok[RL__MAX_TOKENS];
  int n;
} rl__tokens;

/* Splits buf (modified) on single spaces; the last token keeps the rest. */
static void rl__split(char *buf, rl__tokens *t) {
  t->n = 0;
  char *p = buf;
  while (*p && t->n < RL__MAX_TOKENS) {
    t->tok[t->n++] = p;
    char *sp = t->n < RL__MAX_TOKENS ? strchr(p, ' ') : NULL;
    if (!sp)
      break;
    *sp = '\0';
    p = sp + 1;
  }
}

/* The value of "key=value" among tokens from index `from`, or NULL. */
static const char *rl__val(const rl__tokens *t, int from, const char *key) {
  size_t k = strlen(key);
  for (int i = from; i < t->n; i++)
    if (strncmp(t->tok[i], key, k) == 0 && t->tok[i][k] == '=')
      return t->tok[i] + k + 1;
  return NULL;
}

/* Copies an id ("M3", "T1") into dst; 0, or -1 if it does not look like
 * one (a letter then digits). */
static int rl__name(char dst[RL__NAME], const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 2 || n >= RL__NAME || !strchr("TMRCSB", s[0]) ||
      strspn(s + 1, "0123456789") != n - 1)
    return -1;
  memcpy(dst, s, n + 1);
  return 0;
}

static int rl__tid(const char *s) {
  char name[RL__NAME];
  if (rl__name(name, s) < 0 || name[0] != 'T')
    return -1;
  return atoi(name + 1);
}

/* Keeps a stack field ("a,b,c" in hex, or "-") as text; 0, or -1 if it is
 * missing or malformed. */
static int rl__parse_ips(rl__log *log, const char *s, rl__ips *out) {
  *out = NULL;
  if (!s || !*s || strspn(s, "0123456789abcdef,-") != strlen(s))
    return -1;
  if (!(*out = strdup(s)))
    log->oom = 1;
  return *out ? 0 : -1;
}

static void rl__parse_line(rl__log *log, char *line) {
  int module = rl__rlrt_module_line(&log->mods, line);
  if (module != 0) {
    log->oom |= module < 0;
    return;
  }
  rl__tokens t;
  rl__split(line, &t);
  if (t.n == 0)
    return;
  const char *k = t.tok[0];
  if (strcmp(k, "thread") == 0 && t.n >= 3) {
    rl__created *c = rl__push(log, &log->created, &log->ncreated, sizeof *c);
    if (c && ((c->tid = rl__tid(t.tok[1])) < 0 ||
              rl__parse_ips(log, rl__val(&t, 2, "s"), &c->s) < 0))
      log->ncreated--, free(c->s);
  } else if (strcmp(k, "edge") == 0 && t.n >= 6) {
    rl__edge *e = rl__push(log, &log->edges, &log->nedges, sizeof *e);
    if (e && (rl__name(e->from, t.tok[1]) < 0 || rl__name(e->to, t.tok[2]) < 0 ||
              (e->tid = rl__tid(t.tok[3])) < 0 ||
              rl__parse_ips(log, rl__val(&t, 4, "s1"), &e->s1) < 0 ||
              rl__parse_ips(log, rl__val(&t, 4, "s2"), &e->s2) < 0))
      log->nedges--, free(e->s1), free(e->s2);
  } else if (strcmp(k, "nowaiter") == 0 && t.n >= 4) {
    rl__nowaiter *w = rl__push(log, &log->nowaiters, &log->nnowaiters, sizeof *w);
    const char *held = rl__val(&t, 3, "held");
    if (w && (rl__name(w->cond, t.tok[1]) < 0 || (w->tid = rl__tid(t.tok[2])) < 0 ||
              rl__parse_ips(log, rl__val(&t, 3, "s"), &w->s) < 0))
      log->nnowaiters--, free(w->s);
    else if (w)
      snprintf(w->held, sizeof w->held, ",%s,", held && strcmp(held, "-") ? held : "");
  } else if (strcmp(k, "misuse") == 0 && t.n >= 5) {
    rl__misuse *m = rl__push(log, &log->misuses, &log->nmisuses, sizeof *m);
    if (!m)
      return;
    snprintf(m->what, sizeof m->what, "%s", t.tok[1]);
    int i = 2;
    while (i < t.n && m->nobj < 3 && t.tok[i][0] != 'T' &&
           rl__name(m->obj[m->nobj], t.tok[i]) == 0)
      m->nobj++, i++;
    const char *owner = rl__val(&t, i, "owner");
    m->owner = owner ? rl__tid(owner) : -2;
    if (m->nobj == 0 || i >= t.n || (m->tid = rl__tid(t.tok[i])) < 0 ||
        rl__parse_ips(log, rl__val(&t, i, "s"), &m->s) < 0)
      log->nmisuses--, free(m->s);
  } else if (strcmp(k, "dump") == 0 && t.n == 2) {
    if (strcmp(t.tok[1], "begin") == 0) {
      /* A later dump replaces an earlier one. */
      for (size_t i = 0; i < log->ndthreads; i++)
        free(log->dthreads[i].s);
      for (size_t i = 0; i < log->ndhelds; i++)
        free(log->dhelds[i].s);
      log->ndthreads = log->ndhelds = 0;
      log->dumped = 0;
    } else if (strcmp(t.tok[1], "end") == 0) {
      log->dumped = 1;
    }
  } else if (strcmp(k, "dthread") == 0 && t.n >= 4) {
    rl__dthread *d = rl__push(log, &log->dthreads, &log->ndthreads, sizeof *d);
    if (!d)
      return;
    const char *state = rl__val(&t, 2, "state"), *obj = rl__val(&t, 2, "obj"),
               *mutex = rl__val(&t, 2, "mutex");
    if (obj)
      rl__name(d->obj, obj);
    if (mutex)
      rl__name(d->mutex, mutex);
    if ((d->tid = rl__tid(t.tok[1])) < 0 || !state ||
        strlen(state) >= sizeof d->state ||
        rl__parse_ips(log, rl__val(&t, 2, "s"), &d->s) < 0)
      log->ndthreads--, free(d->s);
    else
      strcpy(d->state, state);
  } else if (strcmp(k, "dheld") == 0 && t.n >= 5) {
    rl__dheld *h = rl__push(log, &log->dhelds, &log->ndhelds, sizeof *h);
    const char *mode = rl__val(&t, 3, "mode");
    if (h && ((h->tid = rl__tid(t.tok[1])) < 0 || rl__name(h->lock, t.tok[2]) < 0 ||
              !mode || rl__parse_ips(log, rl__val(&t, 3, "s"), &h->s) < 0))
      log->ndhelds--, free(h->s);
    else if (h)
      h->write = strcmp(mode, "w") == 0;
  }
}

static void rl__read_log(rl__log *log, const char *text, size_t len) {
  rl__lines it = {text, text + len};
  rl__line line;
  while (!log->oom && rl__next_line(&it, &line)) {
    char *buf = rl__strndup(line.s, line.len);
    if (!buf) {
      log->oom = 1;
      return;
    }
    rl__parse_line(log, buf);
    free(buf);
  }
}

/* ---- from the log to finding parts ---------------------------------------- */

/* A finding's stack from the log's text (rules in report_rlrt_log.h). */
static void rl__stack(rl__log *log, const rl__ips *ips, rl_stack *out) {
  if (rl__rlrt_stack(&log->mods, *ips, out) == -ENOMEM)
    log->oom = 1;
}

/* What a lock id is, in words: "mutex M1". */
static const char *rl__word(const char *name) {
  switch (name[0]) {
  case 'M':
    return "mutex";
  case 'R':
    return "rwlock";
  case 'C':
    return "condvar";
  case 'S':
    return "semaphore";
  case 'B':
    return "barrier";
  default:
    return "thread";
  }
}

static void rl__set(rl__log *log, char **dst, char *value) {
  if (!value)
    log->oom = 1;
  free(*dst);
  *dst = value;
}

static void rl__add_loc(rl__log *log, rl_finding *f, int tid, char *role,
                        const rl__ips *ips) {
  rl_location *loc = rl_finding_add_location(f);
  if (!loc) {
    free(role);
    log->oom = 1;
    return;
  }
  loc->thread = tid;
  rl__set(log, &loc->role, role);
  if (ips)
    rl__stack(log, ips, &loc->stack);
}

/* Lists tid among f's threads (once), with where it was created. */
static void rl__add_thread(rl__log *log, rl_finding *f, int tid) {
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
      rl__stack(log, &log->created[i].s, &th->created_at);
}

/* Appends "piece" to a growing "; "-separated text. */
static void rl__append(rl__log *log, char **text, const char *piece) {
  char *next = *text ? rl__fmt("%s; %s", *text, piece) : strdup(piece);
  rl__set(log, text, next);
}

/* ---- lock-order cycles ----------------------------------------------------- */

/* Orders ids "M2" < "M10" < "R1": by kind letter, then number. */
static int rl__cmp_name(const char *a, const char *b) {
  if (a[0] != b[0])
    return a[0] - b[0];
  return atoi(a + 1) - atoi(b + 1);
}

static int rl__cmp_name_qsort(const void *a, const void *b) {
  return rl__cmp_name(a, b);
}

/* Shortest path of edges from node `from` to node `to`, by BFS over edge
 * indices; fills path (edge indices, in order) and returns its length, or
 * 0 if there is none. */
static size_t rl__edge_path(const rl__log *log, const char *from,
                            const char *to, size_t *path) {
  size_t n = log->nedges;
  size_t *prev = malloc(n * sizeof *prev), *queue = malloc(n * sizeof *queue);
  size_t len = 0, head = 0, tail = 0;
  if (!prev || !queue)
    goto out;
  for (size_t i = 0; i < n; i++)
    prev[i] = SIZE_MAX;
  for (size_t i = 0; i < n; i++)
    if (strcmp(log->edges[i].from, from) == 0 &&
        strcmp(log->edges[i].from, log->edges[i].to) != 0) {
      prev[i] = i; /* a start edge is its own predecessor */
      queue[tail++] = i;
    }
  while (head < tail) {
    size_t e = queue[head++];
    if (strcmp(log->edges[e].to, to) == 0) {
      for (size_t x = e;; x = prev[x]) {
        len++;
        if (prev[x] == x)
          break;
      }
      size_t k = len;
      for (size_t x = e;; x = prev[x]) {
        path[--k] = x;
        if (prev[x] == x)
          break;
      }
      goto out;
    }
    for (size_t i = 0; i < n; i++)
      if (prev[i] == SIZE_MAX &&
          strcmp(log->edges[i].from, log->edges[e].to) == 0) {
        prev[i] = e;
        queue[tail++] = i;
      }
  }
out:
  free(prev);
  free(queue);
  return len;
}

static void rl__lock_cycles(rl__log *log, rl_findings *out, int *added) {
  size_t n = log->nedges;
  size_t *cycle = malloc((n + 1) * sizeof *cycle);
  char **seen = calloc(n, sizeof *seen);
  size_t nseen = 0;
  if (!cycle || !seen) {
    log->oom = n > 0;
    goto out;
  }
  for (size_t e = 0; e < n && !log->oom; e++) {
    const rl__edge *first = &log->edges[e];
    if (strcmp(first->from, first->to) == 0)
      continue;
    cycle[0] = e;
    size_t len = 1 + rl__edge_path(log, first->to, first->from, cycle + 1);
    if (len == 1)
      continue;
    /* Canonical form: start at the edge leaving the lowest id. */
    size_t start = 0;
    for (size_t i = 1; i < len; i++)
      if (rl__cmp_name(log->edges[cycle[i]].from,
                       log->edges[cycle[start]].from) < 0)
        start = i;
    char key[1024] = "";
    size_t kl = 0;
    for (size_t i = 0; i < len && kl + 24 < sizeof key; i++)
      kl += (size_t)snprintf(key + kl, sizeof key - kl, "%zu,",
                             cycle[(start + i) % len]);
    int dup = 0;
    for (size_t i = 0; i < nseen && !dup; i++)
      dup = strcmp(seen[i], key) == 0;
    if (dup)
      continue;
    if (!(seen[nseen++] = strdup(key))) {
      log->oom = 1;
      break;
    }

    rl_finding *f = rl_findings_add(out, RL_FINDING_LOCK_ORDER_INVERSION);
    if (!f) {
      log->oom = 1;
      break;
    }
    (*added)++;
    char *summary = NULL, *object = rl__fmt("lock cycle %s", log->edges[cycle[start]].from);
    for (size_t i = 0; i < len && !log->oom; i++) {
      const rl__edge *ed = &log->edges[cycle[(start + i) % len]];
      char *piece = rl__fmt("T%d takes %s %s while holding %s %s", ed->tid,
                            rl__word(ed->to), ed->to, rl__word(ed->from), ed->from);
      if (piece)
        rl__append(log, &summary, piece);
      free(piece);
      rl__set(log, &object, rl__fmt("%s => %s", object ? object : "", ed->to));
      rl__add_loc(log, f, ed->tid, rl__fmt("holds %s, takes %s", ed->from, ed->to), &ed->s2);
      rl__add_loc(log, f, ed->tid, rl__fmt("takes %s first", ed->from), &ed->s1);
      rl__add_thread(log, f, ed->tid);
    }
    rl__set(log, &f->summary, summary ? rl__fmt("Locks taken in a cycle: %s", summary) : NULL);
    free(summary);
    f->object = object;
  }
out:
  for (size_t i = 0; i < nseen; i++)
    free(seen[i]);
  free(seen);
  free(cycle);
}

/* ---- the dump: deadlocks and hangs ------------------------------------------ */

static const rl__dthread *rl__dthread_of(const rl__log *log, int tid) {
  for (size_t i = 0; i < log->ndthreads; i++)
    if (log->dthreads[i].tid == tid)
      return &log->dthreads[i];
  return NULL;
}

static int rl__is(const rl__dthread *d, const char *state) {
  return strcmp(d->state, state) == 0;
}

static int rl__waits_on_lock(const rl__dthread *d) {
  return rl__is(d, "mutex") || rl__is(d, "wrlock") || rl__is(d, "rdlock");
}

/* Is d blocked in a way another thread would have to end? */
static int rl__blocked(const rl__dthread *d) {
  return !rl__is(d, "running") && !rl__is(d, "exited") && !rl__is(d, "gone") &&
         !rl__is(d, "sleep");
}

/* Does thread `holder` hold lock `lock` in a way that blocks d's wait?
 * A reader blocks only writers. */
static const rl__dheld *rl__blocking_hold(const rl__log *log, const rl__dthread *d,
                                          int holder) {
  for (size_t i = 0; i < log->ndhelds; i++) {
    const rl__dheld *h = &log->dhelds[i];
    if (h->tid == holder && strcmp(h->lock, d->obj) == 0 &&
        (h->write || !rl__is(d, "rdlock")))
      return h;
  }
  return NULL;
}

/* The threads d waits for (other than itself), into targets; count. */
static size_t rl__wait_targets(const rl__log *log, const rl__dthread *d,
                               int *targets, size_t cap) {
  size_t n = 0;
  if (rl__waits_on_lock(d)) {
    for (size_t i = 0; i < log->ndthreads && n < cap; i++) {
      int u = log->dthreads[i].tid;
      if (u != d->tid && rl__blocking_hold(log, d, u))
        targets[n++] = u;
    }
  } else if (rl__is(d, "join") && d->obj[0] == 'T' && n < cap) {
    targets[n++] = atoi(d->obj + 1);
  }
  return n;
}

/* Shortest wait-for cycle through thread `start`; fills cyc (thread ids,
 * cyc[i] waits for cyc[i+1], the last for cyc[0]) and returns its length,
 * 0 if start is on no cycle. BFS over the dump's threads. */
static size_t rl__wait_cycle(const rl__log *log, int start, int *cyc) {
  size_t n = log->ndthreads, len = 0;
  int *prev = malloc(n * sizeof *prev), *queue = malloc(n * sizeof *queue);
  if (!prev || !queue)
    goto out;
  for (size_t i = 0; i < n; i++)
    prev[i] = -2;
  size_t head = 0, tail = 0;
  queue[tail++] = start;
  int found = -1;
  while (head < tail && found < 0) {
    const rl__dthread *d = rl__dthread_of(log, queue[head++]);
    int targets[64];
    size_t nt = d ? rl__wait_targets(log, d, targets, 64) : 0;
    for (size_t k = 0; k < nt && found < 0; k++) {
      if (targets[k] == start) {
        found = d->tid;
        break;
      }
      const rl__dthread *u = rl__dthread_of(log, targets[k]);
      if (!u || !rl__blocked(u))
        continue;
      size_t ui = (size_t)(u - log->dthreads);
      if (prev[ui] != -2)
        continue;
      prev[ui] = d->tid;
      queue[tail++] = u->tid;
    }
  }
  if (found >= 0) {
    /* Walk back from `found` to start, then reverse into cyc. */
    int rev[256];
    size_t k = 0;
    for (int x = found; k < 256; x = prev[rl__dthread_of(log, x) - log->dthreads]) {
      rev[k++] = x;
      if (x == start)
        break;
    }
    for (size_t i = 0; i < k; i++)
      cyc[i] = rev[k - 1 - i];
    len = k;
  }
out:
  free(prev);
  free(queue);
  return len;
}

/* "holds M1 and waits for M2", "waits for T3 to finish": what cyc[i] does
 * in the cycle (next is the thread it waits for, prev the one waiting for
 * it). Adds its locations to f. */
static char *rl__cycle_step(rl__log *log, rl_finding *f, const rl__dthread *d,
                            const rl__dthread *prev, int next) {
  const rl__dheld *held = NULL;
  if (rl__waits_on_lock(prev))
    held = rl__blocking_hold(log, prev, d->tid);
  if (held)
    rl__add_loc(log, f, d->tid, rl__fmt("holds %s", held->lock), &held->s);
  char *step;
  if (rl__is(d, "join")) {
    step = held ? rl__fmt("T%d holds %s and waits for T%d to finish", d->tid, held->lock, next)
                : rl__fmt("T%d waits for T%d to finish", d->tid, next);
    rl__add_loc(log, f, d->tid, rl__fmt("waits for T%d to finish (pthread_join)", next), &d->s);
  } else {
    step = held ? rl__fmt("T%d holds %s and waits for %s", d->tid, held->lock, d->obj)
                : rl__fmt("T%d waits for %s", d->tid, d->obj);
    rl__add_loc(log, f, d->tid, rl__fmt("waits for %s, held by T%d", d->obj, next), &d->s);
  }
  rl__add_thread(log, f, d->tid);
  return step;
}

static int rl__deadlocks(rl__log *log, rl_findings *out, int *added) {
  int found = 0;
  char seen[64][256];
  size_t nseen = 0;
  for (size_t i = 0; i < log->ndthreads && !log->oom; i++) {
    int cyc[256];
    size_t len = rl__wait_cycle(log, log->dthreads[i].tid, cyc);
    if (len == 0)
      continue;
    found = 1;
    /* Canonical: rotate to the lowest thread id; skip cycles seen. */
    size_t start = 0;
    for (size_t k = 1; k < len; k++)
      if (cyc[k] < cyc[start])
        start = k;
    char key[256] = "";
    size_t kl = 0;
    for (size_t k = 0; k < len && kl + 12 < sizeof key; k++)
      kl += (size_t)snprintf(key + kl, sizeof key - kl, "%d,", cyc[(start + k) % len]);
    int dup = 0;
    for (size_t k = 0; k < nseen && !dup; k++)
      dup = strcmp(seen[k], key) == 0;
    if (dup || nseen == 64)
      continue;
    strcpy(seen[nseen++], key);

    rl_finding *f = rl_findings_add(out, RL_FINDING_DEADLOCK);
    if (!f) {
      log->oom = 1;
      break;
    }
    (*added)++;
    char *summary = NULL, *object = NULL;
    char locks[256][RL__NAME];
    size_t nlocks = 0;
    for (size_t k = 0; k < len; k++) {
      const rl__dthread *d = rl__dthread_of(log, cyc[(start + k) % len]);
      const rl__dthread *p = rl__dthread_of(log, cyc[(start + k + len - 1) % len]);
      char *step = rl__cycle_step(log, f, d, p, cyc[(start + k + 1) % len]);
      if (step)
        rl__append(log, &summary, step);
      free(step);
      if (!rl__is(d, "join"))
        strcpy(locks[nlocks++], d->obj);
    }
    /* The object: the locks of the cycle, each once, in id order. */
    qsort(locks, nlocks, sizeof *locks, rl__cmp_name_qsort);
    for (size_t k = 0; k < nlocks; k++) {
      if (k && strcmp(locks[k], locks[k - 1]) == 0)
        continue;
      char *word = rl__fmt("%s %s", rl__word(locks[k]), locks[k]);
      if (word && object)
        rl__set(log, &object, rl__fmt("%s, %s", object, word));
      else if (word)
        object = strdup(word);
      free(word);
    }
    f->summary = summary;
    f->object = object;
  }
  return found;
}

/* Why d waits, in words, for a dump without a cycle; may add locations
 * beyond d's own wait (the lock's acquisition, the lost signal). */
static char *rl__hang_reason(rl__log *log, rl_finding *f, const rl__dthread *d,
                             int *root) {
  *root = 1;
  if (rl__waits_on_lock(d)) {
    const rl__dheld *self = rl__blocking_hold(log, d, d->tid);
    if (!self && rl__is(d, "wrlock"))
      for (size_t i = 0; i < log->ndhelds && !self; i++)
        if (log->dhelds[i].tid == d->tid && strcmp(log->dhelds[i].lock, d->obj) == 0)
          self = &log->dhelds[i];
    if (self) {
      rl__add_loc(log, f, d->tid, rl__fmt("takes %s first", d->obj), &self->s);
      rl__add_loc(log, f, d->tid, rl__fmt("takes %s again, while holding it", d->obj), &d->s);
      if (d->obj[0] == 'R')
        return rl__fmt("T%d asks for %s %s for %s while it holds it for %s: it waits for itself",
                       d->tid, rl__word(d->obj), d->obj,
                       rl__is(d, "wrlock") ? "writing" : "reading",
                       self->write ? "writing" : "reading");
      return rl__fmt("T%d locks %s %s again while holding it: a mutex that is not "
                     "recursive waits for itself forever", d->tid, rl__word(d->obj), d->obj);
    }
    rl__add_loc(log, f, d->tid, rl__fmt("waits for %s", d->obj), &d->s);
    for (size_t i = 0; i < log->ndthreads; i++) {
      const rl__dthread *u = &log->dthreads[i];
      const rl__dheld *h = u->tid != d->tid ? rl__blocking_hold(log, d, u->tid) : NULL;
      if (!h)
        continue;
      rl__add_loc(log, f, u->tid, rl__fmt("takes %s", d->obj), &h->s);
      rl__add_thread(log, f, u->tid);
      if (rl__is(u, "exited"))
        return rl__fmt("T%d waits for %s %s, which T%d still held when it exited",
                       d->tid, rl__word(d->obj), d->obj, u->tid);
      if (rl__is(u, "gone"))
        return rl__fmt("T%d waits for %s %s, which T%d held when the process forked: "
                       "that thread does not exist in the child, so nobody unlocks it",
                       d->tid, rl__word(d->obj), d->obj, u->tid);
      *root = !rl__blocked(u);
      if (*root)
        return rl__fmt("T%d waits for %s %s, held by T%d, which is still running "
                       "(busy, or blocked where racelab cannot see)",
                       d->tid, rl__word(d->obj), d->obj, u->tid);
      return rl__fmt("T%d waits for %s %s, held by T%d", d->tid, rl__word(d->obj),
                     d->obj, u->tid);
    }
    return rl__fmt("T%d waits for %s %s, which no thread holds", d->tid,
                   rl__word(d->obj), d->obj);
  }
  if (rl__is(d, "cond")) {
    rl__add_loc(log, f, d->tid, rl__fmt("waits on %s", d->obj), &d->s);
    for (size_t i = 0; i < log->nnowaiters; i++) {
      const rl__nowaiter *w = &log->nowaiters[i];
      if (strcmp(w->cond, d->obj) != 0)
        continue;
      rl__add_loc(log, f, w->tid, rl__fmt("signals %s while no thread waits", d->obj), &w->s);
      rl__add_thread(log, f, w->tid);
      /* Did the signaller hold the mutex the waiter waits with? */
      char key[RL__NAME + 2];
      snprintf(key, sizeof key, ",%s,", d->mutex);
      int unheld = d->mutex[0] && !strstr(w->held, key);
      return rl__fmt("T%d waits on condvar %s, but T%d signalled it earlier, when no "
                     "thread was waiting%s%s: a lost wakeup", d->tid, d->obj, w->tid,
                     unheld ? " and without holding mutex " : "", unheld ? d->mutex : "");
    }
    return rl__fmt("T%d waits on condvar %s and no thread is left to signal it",
                   d->tid, d->obj);
  }
  if (rl__is(d, "join")) {
    if (d->obj[0] != 'T') {
      rl__add_loc(log, f, d->tid, rl__fmt("waits in pthread_join"), &d->s);
      return rl__fmt("T%d waits in pthread_join for a thread racelab did not see start",
                     d->tid);
    }
    int target = atoi(d->obj + 1);
    const rl__dthread *u = rl__dthread_of(log, target);
    rl__add_loc(log, f, d->tid, rl__fmt("waits for T%d to finish (pthread_join)", target), &d->s);
    *root = !u || !rl__blocked(u);
    if (*root)
      return rl__fmt("T%d waits for T%d to finish, and T%d is still running",
                     d->tid, target, target);
    return rl__fmt("T%d waits for T%d to finish, but T%d is blocked", d->tid,
                   target, target);
  }
  rl__add_loc(log, f, d->tid, rl__fmt("waits (%s)", d->state), &d->s);
  if (rl__is(d, "sem"))
    return rl__fmt("T%d waits on semaphore %s and no thread is left to post it",
                   d->tid, d->obj);
  if (rl__is(d, "barrier"))
    return rl__fmt("T%d waits at barrier %s for threads that never arrive",
                   d->tid, d->obj);
  if (rl__is(d, "once"))
    return rl__fmt("T%d waits in pthread_once for an initializer that never ends", d->tid);
  return rl__fmt("T%d is blocked in %s", d->tid, d->state);
}

/* One reason of a hang, shared by every thread it applies to: "T1 waits on
 * condvar C1, but ... (T2 and T3 too)" rather than the clause three times. */
typedef struct {
  char *rest;   /* the reason after its "T<n> " */
  int tid;      /* the first thread it was found for */
  char *others; /* ", T2", " and T3"... as collected; NULL if none */
} rl__reason;

static void rl__reason_add(rl__log *log, rl__reason *list, size_t *n, size_t cap, int tid, const char *why) {
  char prefix[16];
  int plen = snprintf(prefix, sizeof prefix, "T%d ", tid);
  const char *rest = strncmp(why, prefix, (size_t)plen) == 0 ? why + plen : why;
  for (size_t i = 0; i < *n; i++) {
    if (strcmp(list[i].rest, rest) != 0)
      continue;
    rl__set(log, &list[i].others, rl__fmt("%s%sT%d", list[i].others ? list[i].others : "",
                                          list[i].others ? ", " : "", tid));
    return;
  }
  if (*n == cap)
    return; /* more distinct reasons than threads a dump holds: keep the first */
  list[*n] = (rl__reason){.rest = strdup(rest), .tid = tid};
  if (!list[*n].rest)
    log->oom = 1;
  else
    (*n)++;
}

/* The reasons as one text, each freed. */
static char *rl__reasons_text(rl__log *log, rl__reason *list, size_t n) {
  char *text = NULL;
  for (size_t i = 0; i < n; i++) {
    char *piece = list[i].others ? rl__fmt("T%d %s (%s too)", list[i].tid, list[i].rest, list[i].others)
                                 : rl__fmt("T%d %s", list[i].tid, list[i].rest);
    if (piece)
      rl__append(log, &text, piece);
    free(piece);
    free(list[i].rest);
    free(list[i].others);
  }
  return text;
}

/* Whether f already has this location: the same thread, role and place
 * (a signaller named once, not once per waiter). */
static int rl__has_location(const rl_finding *f, const rl_location *loc) {
  for (size_t i = 0; i < f->nlocations; i++) {
    const rl_location *o = &f->locations[i];
    if (o->thread == loc->thread && o->role && loc->role && strcmp(o->role, loc->role) == 0 &&
        o->stack.count && loc->stack.count && o->stack.frames[0].offset == loc->stack.frames[0].offset)
      return 1;
  }
  return 0;
}

static void rl__hang(rl__log *log, rl_findings *out, int *added) {
  size_t nblocked = 0;
  for (size_t i = 0; i < log->ndthreads; i++)
    nblocked += rl__blocked(&log->dthreads[i]);
  if (nblocked == 0)
    return; /* busy or sleeping: a timeout, not a hang racelab can explain */
  rl_finding *f = rl_findings_add(out, RL_FINDING_HANG);
  if (!f) {
    log->oom = 1;
    return;
  }
  (*added)++;
  /* Root causes first, then the threads that wait on them. */
  char *text[2] = {NULL, NULL};
  for (int pass = 0; pass < 2; pass++) {
    rl__reason reasons[64];
    size_t nreasons = 0;
    for (size_t i = 0; i < log->ndthreads && !log->oom; i++) {
      const rl__dthread *d = &log->dthreads[i];
      if (!rl__blocked(d))
        continue;
      rl_finding scratch = {.kind = RL_FINDING_HANG};
      int root;
      char *why = rl__hang_reason(log, &scratch, d, &root);
      if (root == (pass == 0) && why) {
        rl__reason_add(log, reasons, &nreasons, sizeof reasons / sizeof *reasons, d->tid, why);
        for (size_t k = 0; k < scratch.nlocations; k++) {
          if (rl__has_location(f, &scratch.locations[k]))
            continue;
          rl_location *loc = rl_finding_add_location(f);
          if (!loc) {
            log->oom = 1;
            break;
          }
          *loc = scratch.locations[k];
          memset(&scratch.locations[k], 0, sizeof scratch.locations[k]);
        }
        for (size_t k = 0; k < scratch.nthreads; k++)
          rl__add_thread(log, f, scratch.threads[k].id);
        rl__add_thread(log, f, d->tid);
        if (!f->object && root && d->obj[0] && d->obj[0] != 'T')
          f->object = rl__fmt("%s %s", rl__word(d->obj), d->obj);
      }
      free(why);
      rl_finding_free(&scratch);
    }
    text[pass] = rl__reasons_text(log, reasons, nreasons);
  }
  if (text[0] && text[1])
    rl__set(log, &text[0], rl__fmt("%s; %s", text[0], text[1]));
  f->summary = text[0] ? text[0] : text[1];
  if (text[0])
    free(text[1]);
}

/* ---- misuse -------------------------------------------------------------------- */

static void rl__misuses(rl__log *log, rl_findings *out, int *added) {
  for (size_t i = 0; i < log->nmisuses && !log->oom; i++) {
    const rl__misuse *m = &log->misuses[i];
    /* The same call site misusing again (a loop) is one finding. */
    int dup = 0;
    for (size_t k = 0; k < i && !dup; k++)
      dup = strcmp(log->misuses[k].what, m->what) == 0 &&
            strcspn(m->s, ",") == strcspn(log->misuses[k].s, ",") &&
            strncmp(m->s, log->misuses[k].s, strcspn(m->s, ",")) == 0;
    if (dup)
      continue;
    const char *a = m->obj[0], *b = m->nobj > 1 ? m->obj[1] : "?",
               *c = m->nobj > 2 ? m->obj[2] : "?";
    char *summary, *role;
    if (strcmp(m->what, "unlock-unheld") == 0) {
      summary = m->owner >= 0
                    ? rl__fmt("T%d unlocks %s %s, which T%d holds", m->tid, rl__word(a), a, m->owner)
                    : rl__fmt("T%d unlocks %s %s, which it does not hold", m->tid, rl__word(a), a);
      role = rl__fmt("unlocks %s without holding it", a);
    } else if (strcmp(m->what, "destroy-locked") == 0) {
      summary = m->owner == m->tid
                    ? rl__fmt("T%d destroys %s %s while holding it", m->tid, rl__word(a), a)
                    : rl__fmt("T%d destroys %s %s while T%d holds it", m->tid, rl__word(a), a, m->owner);
      role = rl__fmt("destroys %s while it is locked", a);
    } else if (strcmp(m->what, "cond-unheld") == 0) {
      summary = rl__fmt("T%d waits on condvar %s without holding mutex %s", m->tid, a, b);
      role = rl__fmt("waits on %s without holding %s", a, b);
    } else if (strcmp(m->what, "cond-two-mutexes") == 0) {
      summary = rl__fmt("condvar %s is used with mutex %s and also with mutex %s", a, b, c);
      role = rl__fmt("waits on %s with %s (it was used with %s before)", a, c, b);
    } else if (strcmp(m->what, "cond-no-loop") == 0) {
      summary = rl__fmt("T%d waits on condvar %s without re-checking its condition in a loop: "
                        "racelab woke it without a signal (a spurious wakeup, which POSIX "
                        "allows), and it went on with mutex %s as if the condition held",
                        m->tid, a, b);
      role = rl__fmt("waits on %s, not in a loop that re-checks the condition", a);
    } else {
      continue; /* a misuse this parser does not know yet */
    }
    rl_finding *f = rl_findings_add(out, RL_FINDING_SYNC_MISUSE);
    if (!f) {
      free(summary);
      free(role);
      log->oom = 1;
      return;
    }
    (*added)++;
    rl__set(log, &f->summary, summary);
    rl__set(log, &f->object, rl__fmt("%s %s", rl__word(a), a));
    rl__add_loc(log, f, m->tid, role, &m->s);
    rl__add_thread(log, f, m->tid);
    if (m->owner >= 0 && m->owner != m->tid)
      rl__add_thread(log, f, m->owner);
  }
}

int rl_report_rlrt_parse(const char *text, size_t len, rl_findings *out) {
  rl__log log = {0};
  int added = 0;
  rl__read_log(&log, text, len);
  if (!log.oom)
    rl__lock_cycles(&log, out, &added);
  if (!log.oom && log.dumped && !rl__deadlocks(&log, out, &added))
    rl__hang(&log, out, &added);
  if (!log.oom)
    rl__misuses(&log, out, &added);
  int oom = log.oom;
  rl__log_free(&log);
  return oom ? -ENOMEM : added;
}
