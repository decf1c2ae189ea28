/* report_tsan.c -- ThreadSanitizer report text to findings; it does not
 * symbolize (symbolize.c does) nor explain (explain.c does).
 *
 * Accepted grammar (after leading blanks and any "==PID==" are dropped;
 * FRAMES is zero or more frame lines as in report_text.h, or
 * "[failed to restore the stack]"; other lines are ignored):
 *
 *   report   := header section* end
 *   header   := "WARNING: ThreadSanitizer: " TITLE " (pid=N)"  FRAMES
 *             | "ERROR: ThreadSanitizer: " TITLE [" 0x..."] [" (pc ...)"] FRAMES
 *   end      := "SUMMARY: ..." | "==================" | next header | EOF
 *   section  := ["Previous "] ["atomic "|"Atomic "] ("Read"|"Write")
 *                 " of size N at 0xADDR by " WHO [" (mutexes: " MLIST ")"] ":"
 *                 FRAMES
 *             | "Location is global '" NAME "'" [" of size N"] " at 0xADDR"
 *                 " (" MODULE "+0xOFF)"
 *             | "Location is heap block of size N at 0xADDR allocated by "
 *                 WHO ":" FRAMES
 *             | "Location is stack of " WHO "." | "Location is TLS of " WHO "."
 *             | "Location is file descriptor N " ... ":" FRAMES
 *             | "Cycle in lock order graph: " MID " (0xADDR) => " ... "=> " MID
 *             | "And N more similar thread leaks."
 *             | "Mutex " MID " acquired here while holding mutex " MID
 *                 " in " WHO ":" FRAMES
 *             | "Mutex " MID " previously acquired by the same thread here:"
 *                 FRAMES
 *             | "Mutex " MID " (0xADDR) created at:" FRAMES
 *             | "and:" FRAMES                      (destroy of a locked mutex)
 *             | "Thread " TID [" '" NAME "'"] " (tid=N, running|finished)"
 *                 " created by " WHO " at:" FRAMES
 *             | "The signal is caused by a " ... [FRAMES]   (after "ERROR:",
 *             | "Hint: " ... [FRAMES]                   the report's own stack)
 *             | any other line ending in ":" FRAMES    (frames dropped)
 *   WHO      := "main thread" | "thread T" N
 *   MLIST    := ("read "|"write ") MID {", " ("read "|"write ") MID}
 *   MID      := "M" N
 *
 * A report whose TITLE is not in rl__tsan_types is kept with the closest
 * kind: anything about a race is a data race, about freed memory a memory
 * error, about a mutex, lock or signal a sync misuse, everything else (a
 * deadly signal, a new report type) a crash.
 */
#include "report_tsan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_text.h"

/* ---- report types -------------------------------------------------------- */

typedef struct {
  const char *title;    /* how the TITLE starts */
  rl_finding_kind kind;
  const char *role;     /* role of the report's own stack, "%s" = the mutex */
} rl__tsan_type;

/* The first three say no more than their kind; every other title is kept
 * in the finding's detail, where explain.c can quote it. */
#define RL__TSAN_PLAIN_TYPES 3
static const rl__tsan_type rl__tsan_types[] = {
    {"data race", RL_FINDING_DATA_RACE, NULL},
    {"lock-order-inversion", RL_FINDING_LOCK_ORDER_INVERSION, NULL},
    {"thread leak", RL_FINDING_UNJOINED_THREAD, NULL},
    {"heap-use-after-free", RL_FINDING_MEMORY_ERROR, NULL},
    {"unlock of an unlocked mutex", RL_FINDING_SYNC_MISUSE,
     "unlocks %s, which this thread does not hold"},
    {"destroy of a locked mutex", RL_FINDING_SYNC_MISUSE,
     "destroys %s while it is locked"},
    {"use of an invalid mutex", RL_FINDING_SYNC_MISUSE,
     "uses %s, which is not initialized or already destroyed"},
    {"double lock of a mutex", RL_FINDING_SYNC_MISUSE,
     "locks %s, which this thread already holds"},
    {"read lock of a write locked mutex", RL_FINDING_SYNC_MISUSE,
     "read-locks %s, which is locked for writing"},
    {"read unlock of a write locked mutex", RL_FINDING_SYNC_MISUSE,
     "read-unlocks %s, which is locked for writing"},
    {"signal-unsafe call inside of a signal", RL_FINDING_SYNC_MISUSE,
     "calls a function that is not async-signal-safe in a signal handler"},
    {"signal handler spoils errno", RL_FINDING_SYNC_MISUSE,
     "returns from a signal handler with errno changed"},
};

static rl_finding_kind rl__closest_kind(rl__line title) {
  if (rl__find(title, "race"))
    return RL_FINDING_DATA_RACE;
  if (rl__find(title, "free"))
    return RL_FINDING_MEMORY_ERROR;
  if (rl__find(title, "mutex") || rl__find(title, "lock") ||
      rl__find(title, "signal"))
    return RL_FINDING_SYNC_MISUSE;
  return RL_FINDING_CRASH;
}

/* ---- one report ---------------------------------------------------------- */

typedef struct {
  rl_finding *f;
  int own;                   /* locations[0] is the report's own stack */
  size_t also;               /* 1 + index of the "and:" location, 0 if none */
  char mutex[32];            /* first mutex the report names, "" if none */
  int writes[2];             /* the first two accesses are writes */
  long similar;              /* "And N more similar thread leaks." */
  int oom;
} rl__tsan_block;

/* Copies the token "M<n>" at s into buf (size cap); returns its end. */
static const char *rl__mutex_id(const char *s, const char *end, char *buf,
                                size_t cap) {
  size_t n = 0;
  while (s < end && *s != ' ' && *s != ',' && *s != ':' && *s != ')' &&
         n + 1 < cap)
    buf[n++] = *s++;
  buf[n] = '\0';
  return s;
}

static void rl__set(rl__tsan_block *b, char **dst, char *value) {
  if (!value) {
    b->oom = 1;
    return;
  }
  free(*dst);
  *dst = value;
}

static rl_location *rl__add_location(rl__tsan_block *b, int thread) {
  rl_location *loc = rl_finding_add_location(b->f);
  if (!loc)
    b->oom = 1;
  else
    loc->thread = thread;
  return loc;
}

/* "(mutexes: write M0, read M1)" -> " while holding M0, M1 (read)". */
static char *rl__held_mutexes(rl__line line) {
  const char *p = rl__find(line, "(mutexes: ");
  const char *end = line.s + line.len;
  char buf[256] = "";
  size_t n = 0;
  while (p && p < end && *p != ')' && n + 40 < sizeof buf) {
    int read = end - p >= 5 && memcmp(p, "read ", 5) == 0;
    if (read)
      p += 5;
    else if (end - p >= 6 && memcmp(p, "write ", 6) == 0)
      p += 6;
    char id[32];
    p = rl__mutex_id(p, end, id, sizeof id);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s%s",
                          n ? ", " : " while holding ", id, read ? " (read)" : "");
    /* On to the next ", " (anything unexpected before it is skipped). */
    while (p < end && *p != ',' && *p != ')')
      p++;
    while (p < end && (*p == ',' || *p == ' '))
      p++;
  }
  return rl__strndup(buf, n);
}

/* "[Previous ][atomic ]Read|Write of size N at 0x.. by WHO[ (mutexes..)]:" */
static void rl__access(rl__tsan_block *b, rl__line t, rl_stack **target) {
  const char *size_at = rl__find(t, " of size ");
  const char *by = rl__find(t, " by ");
  if (!size_at || !by || !rl__find(t, " at 0x"))
    return;
  int previous = rl__starts_with(t, "Previous ");
  const char *atomic_word = rl__find(t, "tomic ");
  int atomic = atomic_word && atomic_word < size_at;
  int write = rl__find(t, "rite of size") != NULL;
  long size = rl__parse_num(&size_at, t.s + t.len);
  rl_location *loc = rl__add_location(b, rl__parse_thread(by, t.s + t.len));
  if (!loc)
    return;
  if (b->f->nlocations <= 2)
    b->writes[b->f->nlocations - 1] = write;
  char *held = rl__held_mutexes(t);
  if (b->f->kind == RL_FINDING_MEMORY_ERROR)
    rl__set(b, &loc->role,
            previous ? rl__fmt("frees the block")
                     : rl__fmt("%s %ld bytes after the block was freed",
                               write ? "writes" : "reads", size));
  else
    rl__set(b, &loc->role,
            rl__fmt("%s%s %ld bytes%s", atomic ? "atomically " : "",
                    write ? "writes" : "reads", size, held ? held : ""));
  free(held);
  *target = &loc->stack;
}

/* "Location is ..." : what the racing memory is. */
static void rl__object(rl__tsan_block *b, rl__line t, rl_stack **target) {
  rl_finding *f = b->f;
  const char *end = t.s + t.len;
  const char *p;
  /* A misused mutex is the object itself ("mutex M0"), whatever memory it
   * lives in. */
  if (f->kind == RL_FINDING_SYNC_MISUSE)
    return;
  /* The first "Location is" wins: gcc follows "stack of main thread" with a
   * meaningless "global '<null>' ... ([stack]+0x...)". */
  if (f->object)
    return;
  if ((p = rl__find(t, "Location is global '"))) {
    const char *q = memchr(p, '\'', (size_t)(end - p));
    if (!q)
      return;
    int named = !(q - p == 6 && memcmp(p, "<null>", 6) == 0) &&
                !(q - p == 2 && memcmp(p, "??", 2) == 0);
    rl__set(b, &f->object,
            named ? rl__fmt("global `%.*s`", (int)(q - p), p) : rl__fmt("global"));
    /* The global's address as one data frame, for symbolize.c. */
    const char *open = q;
    while (open < end && *open != '(')
      open++;
    const char *close = end;
    while (close > open && *close != ')')
      close--;
    if (open >= close)
      return;
    rl_frame *fr = rl_stack_push(&f->object_origin);
    if (!fr || rl__parse_module_ref(open + 1, close, fr) < 0)
      b->oom = 1;
    else if (named && !(fr->function = rl__strndup(p, (size_t)(q - p))))
      b->oom = 1;
  } else if ((p = rl__find(t, "Location is heap block of size "))) {
    long size = rl__parse_num(&p, end);
    rl__set(b, &f->object, rl__fmt("heap block of %ld bytes", size));
    *target = &f->object_origin;
  } else if ((p = rl__find(t, "Location is stack of "))) {
    int tid = rl__parse_thread(p, end);
    rl__set(b, &f->object, tid == 0 ? rl__fmt("a local variable of the main thread")
                                    : rl__fmt("a local variable of T%d", tid));
  } else if ((p = rl__find(t, "Location is TLS of "))) {
    int tid = rl__parse_thread(p, end);
    rl__set(b, &f->object, rl__fmt("thread-local storage of T%d", tid));
  } else if ((p = rl__find(t, "Location is file descriptor "))) {
    long fd = rl__parse_num(&p, end);
    rl__set(b, &f->object, rl__fmt("file descriptor %ld", fd));
    *target = &f->object_origin;
  }
}

/* "Cycle in lock order graph: M0 (0x..) => M1 (0x..) => M0" -> the ids. */
static void rl__cycle(rl__tsan_block *b, rl__line t) {
  const char *p = rl__find(t, "graph: ");
  const char *end = t.s + t.len;
  char buf[512];
  size_t n = (size_t)snprintf(buf, sizeof buf, "lock cycle ");
  while (p && p < end && n + 40 < sizeof buf) {
    char id[32];
    p = rl__mutex_id(p, end, id, sizeof id);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", id);
    const char *arrow = NULL;
    for (const char *q = p; q + 4 <= end; q++)
      if (memcmp(q, " => ", 4) == 0) {
        arrow = q + 4;
        break;
      }
    if (!arrow)
      break;
    n += (size_t)snprintf(buf + n, sizeof buf - n, " => ");
    p = arrow;
  }
  rl__set(b, &b->f->object, rl__strndup(buf, n));
}

/* "Mutex M1 acquired here while holding mutex M0 in thread T1:" and
 * "Mutex M0 previously acquired by the same thread here:" and
 * "Mutex M0 (0x...) created at:". */
static void rl__mutex_section(rl__tsan_block *b, rl__line t, rl_stack **target) {
  const char *end = t.s + t.len;
  char id[32];
  rl__mutex_id(t.s + 6, end, id, sizeof id);
  const char *p;
  if ((p = rl__find(t, " while holding mutex "))) {
    char held[32];
    p = rl__mutex_id(p, end, held, sizeof held);
    const char *in = rl__find(t, " in ");
    rl_location *loc = rl__add_location(b, in ? rl__parse_thread(in, end) : -1);
    if (!loc)
      return;
    rl__set(b, &loc->role, rl__fmt("holds %s, takes %s", held, id));
    *target = &loc->stack;
  } else if (rl__find(t, " previously acquired by the same thread")) {
    int tid = b->f->nlocations ? b->f->locations[b->f->nlocations - 1].thread : -1;
    rl_location *loc = rl__add_location(b, tid);
    if (!loc)
      return;
    rl__set(b, &loc->role, rl__fmt("takes %s first", id));
    *target = &loc->stack;
  } else if (rl__find(t, " created at:")) {
    if (!b->mutex[0])
      memcpy(b->mutex, id, sizeof id);
    /* For a misused mutex, where it was created is where the object is. */
    if (b->f->kind == RL_FINDING_SYNC_MISUSE && !b->f->object_origin.count &&
        strcmp(b->mutex, id) == 0)
      *target = &b->f->object_origin;
  }
}

/* "Thread T1 ['name'] (tid=N, finished) created by main thread at:" */
static void rl__thread_section(rl__tsan_block *b, rl__line t, rl_stack **target,
                               int *leak_creator) {
  const char *end = t.s + t.len;
  int id = rl__parse_thread(t.s + 7, end);
  const char *by = rl__find(t, " created by ");
  if (id < 0 || !by)
    return;
  rl_thread *th = rl_finding_add_thread(b->f, id);
  if (!th) {
    b->oom = 1;
    return;
  }
  *target = &th->created_at;
  *leak_creator = rl__parse_thread(by, end);
}

/* The report's own stack becomes locations[0]; returns it (NULL on
 * out-of-memory). */
static rl_location *rl__own_location(rl__tsan_block *b) {
  if (b->own)
    return &b->f->locations[0];
  rl_location *loc = rl__add_location(b, -1);
  b->own = loc != NULL;
  return loc;
}

/* For a thread leak, the place the leaked thread was created is the
 * finding's location. */
static void rl__leak_location(rl__tsan_block *b, int creator) {
  rl_thread *th = &b->f->threads[b->f->nthreads - 1];
  rl_location *loc = rl__add_location(b, creator);
  if (!loc)
    return;
  rl__set(b, &loc->role, rl__fmt("creates T%d, which is never joined", th->id));
  rl_stack_copy(&loc->stack, &th->created_at);
  if (loc->stack.count != th->created_at.count)
    b->oom = 1;
}

static char *rl__summary(const rl__tsan_block *b, rl__line title) {
  const rl_finding *f = b->f;
  switch (f->kind) {
  case RL_FINDING_DATA_RACE:
    if (f->nlocations >= 2 && b->writes[0] && b->writes[1])
      return rl__fmt("T%d and T%d both write the same memory without "
                     "synchronization", f->locations[0].thread, f->locations[1].thread);
    if (f->nlocations >= 2)
      return rl__fmt("T%d %s and T%d %s the same memory without synchronization",
                     f->locations[0].thread, b->writes[0] ? "writes" : "reads",
                     f->locations[1].thread, b->writes[1] ? "writes" : "reads");
    break;
  case RL_FINDING_LOCK_ORDER_INVERSION:
    return rl__fmt("threads take mutexes in an order that can deadlock (%s)",
                   f->object ? f->object : "a lock cycle");
  case RL_FINDING_UNJOINED_THREAD:
    if (f->nthreads && b->similar > 0)
      return rl__fmt("thread T%d and %ld more created at the same place are never "
                     "joined", f->threads[0].id, b->similar);
    if (f->nthreads)
      return rl__fmt("thread T%d is never joined", f->threads[0].id);
    break;
  case RL_FINDING_MEMORY_ERROR:
    if (f->nlocations)
      return rl__fmt("T%d uses heap memory after it was freed", f->locations[0].thread);
    break;
  default:
    break;
  }
  return rl__strndup(title.s, title.len);
}

/* Parses one report with this TITLE; the cursor is just past the header,
 * which was an "ERROR:" (a deadly signal) if deadly is set. Returns 0 or
 * -ENOMEM. */
static int rl__tsan_report(rl__lines *it, rl__line title, int deadly,
                           rl_findings *out) {
  /* Drop " (pid=N)", " (pc 0x..." and addresses, and what follows. */
  static const char *const cuts[] = {" (pid=", " (pc ", " 0x"};
  for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
    const char *cut = rl__find(title, cuts[i]);
    if (cut)
      title.len = (size_t)(cut - strlen(cuts[i]) - title.s);
  }

  const rl__tsan_type *type = NULL;
  for (size_t i = 0; i < sizeof rl__tsan_types / sizeof *rl__tsan_types; i++)
    if (rl__starts_with(title, rl__tsan_types[i].title)) {
      type = &rl__tsan_types[i];
      break;
    }
  rl_finding *f = rl_findings_add(out, type ? type->kind : rl__closest_kind(title));
  if (!f)
    return -ENOMEM;
  rl__tsan_block b = {.f = f};
  rl_stack scratch = {0};
  /* Frames printed right under the header: where a misuse or a crash
   * happened. They make the first location; its role needs the mutex id,
   * which comes later. */
  rl_stack own = {0};
  if (rl__read_stack(it, &own) < 0)
    b.oom = 1;
  if (own.count) {
    rl_location *loc = rl__own_location(&b);
    if (loc)
      loc->stack = own;
    else
      rl_stack_free(&own);
  }

  rl__lines save;
  rl__line line;
  for (;;) {
    save = *it;
    if (!rl__next_line(it, &line))
      break;
    rl__line t = rl__trim(line);
    if (rl__starts_with(t, "SUMMARY:") || rl__starts_with(t, "=================="))
      break;
    if (rl__starts_with(t, "WARNING: ThreadSanitizer: ") ||
        rl__starts_with(t, "ERROR: ThreadSanitizer: ")) {
      *it = save; /* the next report starts here */
      break;
    }
    rl_stack *target = &scratch;
    int leak_creator = -2;
    if (rl__starts_with(t, "Location is "))
      rl__object(&b, t, &target);
    else if (rl__starts_with(t, "And ") && rl__find(t, " more similar thread leaks")) {
      const char *p = t.s + 4;
      b.similar = rl__parse_num(&p, t.s + t.len);
    } else if (rl__starts_with(t, "Cycle in lock order graph: "))
      rl__cycle(&b, t);
    else if (rl__starts_with(t, "Mutex "))
      rl__mutex_section(&b, t, &target);
    else if (rl__starts_with(t, "Thread T"))
      rl__thread_section(&b, t, &target, &leak_creator);
    else if (rl__starts_with(t, "and:") && f->kind == RL_FINDING_SYNC_MISUSE) {
      /* Where the destroyed mutex was locked; its role needs the id. */
      rl_location *loc = rl__add_location(&b, -1);
      if (loc) {
        b.also = f->nlocations;
        target = &loc->stack;
      }
    } else if (deadly && (rl__starts_with(t, "The signal is caused by") ||
                          rl__starts_with(t, "Hint: "))) {
      /* A deadly signal: its stack follows these lines. (A lock-order
       * report may have a "Hint:" too, about second_deadlock_stack.) */
      rl_location *loc = rl__own_location(&b);
      if (loc && !loc->stack.count)
        target = &loc->stack;
    } else
      rl__access(&b, t, &target);
    if (rl__read_stack(it, b.oom ? NULL : target) < 0)
      b.oom = 1;
    if (leak_creator != -2 && f->kind == RL_FINDING_UNJOINED_THREAD && !b.oom)
      rl__leak_location(&b, leak_creator);
    rl_stack_free(&scratch);
  }

  const char *id = b.mutex[0] ? b.mutex : "a mutex";
  if (b.also)
    rl__set(&b, &f->locations[b.also - 1].role,
            rl__fmt("locks %s here, and it is still locked", id));
  if (b.own) {
    rl__set(&b, &f->locations[0].role,
            type && type->role ? rl__fmt(type->role, id)
                               : rl__strndup(title.s, title.len));
  }
  if (f->kind == RL_FINDING_SYNC_MISUSE && b.mutex[0])
    rl__set(&b, &f->object, rl__fmt("mutex %s", b.mutex));
  if (!type || type - rl__tsan_types >= RL__TSAN_PLAIN_TYPES)
    rl__set(&b, &f->detail, rl__strndup(title.s, title.len));
  rl__set(&b, &f->summary, rl__summary(&b, title));
  return b.oom ? -ENOMEM : 0;
}

int rl_report_tsan_parse(const char *text, size_t len, rl_findings *out) {
  rl__lines it = {text, text + len};
  rl__line line;
  int n = 0;
  while (rl__next_line(&it, &line)) {
    rl__line t = rl__trim(line);
    int deadly = rl__starts_with(t, "ERROR: ThreadSanitizer: ");
    size_t skip = deadly ? 24 : 26;
    if (!deadly && !rl__starts_with(t, "WARNING: ThreadSanitizer: "))
      continue;
    rl__line title = {t.s + skip, t.len - skip};
    int r = rl__tsan_report(&it, title, deadly, out);
    if (r < 0)
      return r;
    n++;
  }
  return n;
}

int rl_report_tsan_runtime_error(const char *text, size_t len, char *msg,
                                 size_t msgcap) {
  static const char *const needles[] = {
      "ThreadSanitizer: CHECK failed",
      "FATAL: ThreadSanitizer",
      "starting new threads after multi-threaded fork is not supported",
      "ThreadSanitizer: unexpected memory mapping",
      "ThreadSanitizer: dup thread with used id",
      NULL,
  };
  return rl__find_runtime_error(text, len, needles, msg, msgcap);
}
