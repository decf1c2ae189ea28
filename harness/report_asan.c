/* report_asan.c -- AddressSanitizer report text to memory-error findings;
 * it does not symbolize, explain, or report leaks.
 *
 * Accepted grammar (after leading blanks and any "==PID==" are dropped;
 * FRAMES as in report_text.h; other lines are ignored):
 *
 *   report  := "ERROR: AddressSanitizer: " BUGTYPE [" on " ...]
 *                [" in thread T" N ":" | " T" N ")"]  FRAMES  section* end
 *   end     := "ABORTING" | next "ERROR: " line | EOF
 *   (the "SUMMARY: AddressSanitizer: " BUGTYPE line comes before the end,
 *    sometimes followed by sections, which are kept)
 *   section := ("READ"|"WRITE") " of size N at 0xADDR thread T" N ... FRAMES
 *            | "0xADDR is located N bytes " ("inside of"|"to the left of"
 *                |"to the right of") " N-byte region [...)"
 *            | "0xADDR is located N bytes ... of global variable '" NAME "'"
 *                " defined in '" FILE:LINE:COL "'" ...
 *            | "Address 0xADDR is located in stack of thread T" N ... FRAMES
 *            | "[A, B) '" NAME "'" ... "<== Memory access" ...
 *            | "freed by thread T" N " here:" FRAMES
 *            | ["previously "] "allocated by thread T" N " here:" FRAMES
 *            | "Thread T" N [" (" NAME ")"] " created by T" N " here:" FRAMES
 *            | "The signal is caused by a " ("READ"|"WRITE"|"UNKNOWN")
 *                " memory access." [FRAMES]
 *            | "Hint: " ... [FRAMES]      (a deadly signal's stack follows)
 *            | any other line ending in ":" FRAMES   (frames dropped)
 *
 * ABRT, FPE, ILL and TRAP make crash findings, every other report a
 * memory-error one. BUGTYPE is taken from the SUMMARY line when there is
 * one (it is ASan's short name: "double-free", "bad-free"), else from the
 * header.
 * "ERROR: LeakSanitizer: detected memory leaks" is not a report here.
 */
#include "report_asan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_text.h"

/* Plain-words summaries of the common bug types, after "T<n> ". */
static const struct {
  const char *bug;
  const char *summary;
} rl__asan_summaries[] = {
    {"heap-use-after-free", "uses heap memory after it was freed"},
    {"heap-buffer-overflow", "accesses memory outside a heap block"},
    {"stack-buffer-overflow", "accesses memory outside a local array"},
    {"global-buffer-overflow", "accesses memory outside a global array"},
    {"stack-use-after-return", "uses a local variable of a function that has returned"},
    {"stack-use-after-scope", "uses a local variable after its scope ended"},
    {"double-free", "frees a heap block that was already freed"},
    {"bad-free", "frees memory that malloc() did not return"},
    {"SEGV", "crashes on an invalid address"},
    {"ABRT", "aborts the program (SIGABRT)"},
    {"FPE", "divides by zero (SIGFPE)"},
    {"ILL", "executes an illegal instruction (SIGILL)"},
};

/* Deadly signals that say nothing about memory: crashes, not memory errors. */
static const char *const rl__asan_crashes[] = {"ABRT", "FPE", "ILL", "TRAP"};

/* The plain-words phrase for bug, or NULL. */
static const char *rl__asan_phrase(const char *bug) {
  for (size_t i = 0; i < sizeof rl__asan_summaries / sizeof *rl__asan_summaries; i++)
    if (strcmp(bug, rl__asan_summaries[i].bug) == 0)
      return rl__asan_summaries[i].summary;
  return NULL;
}

typedef struct {
  rl_finding *f;
  char bug[128];      /* ASan's bug type */
  int thread;         /* thread of the faulting access or call */
  int freed_by;       /* thread that freed the block, -1 if not shown */
  long access_size;   /* bytes read or written, -1 if not an access */
  int write;          /* the access is a write */
  char where[96];     /* ", 4 bytes past its end" and the like */
  const char *signal; /* "reads", "writes" or NULL: the SEGV's access */
  int oom;
} rl__asan_block;

static void rl__set(rl__asan_block *b, char **dst, char *value) {
  if (!value) {
    b->oom = 1;
    return;
  }
  free(*dst);
  *dst = value;
}

/* The thread number after the last " T" in t, or -1. */
static int rl__last_thread(rl__line t) {
  for (size_t i = t.len; i-- > 1;)
    if (t.s[i] == 'T' && t.s[i - 1] == ' ')
      return rl__parse_thread(t.s + i, t.s + t.len);
  return -1;
}

static void rl__copy_token(rl__line t, const char *from, const char *stop,
                           char *buf, size_t cap) {
  const char *end = t.s + t.len;
  const char *q = from;
  while (q < end && !strchr(stop, *q))
    q++;
  size_t n = (size_t)(q - from) < cap - 1 ? (size_t)(q - from) : cap - 1;
  memcpy(buf, from, n);
  buf[n] = '\0';
}

/* "0x.. is located N bytes to the right of 16-byte region [..)" and the
 * global-variable and stack forms: what the memory is. */
static void rl__located(rl__asan_block *b, rl__line t, rl_stack **target) {
  const char *end = t.s + t.len;
  const char *p;
  if ((p = rl__find(t, "located in stack of "))) {
    int tid = rl__parse_thread(p, end);
    rl__set(b, &b->f->object, rl__fmt("a local variable of T%d", tid));
    *target = &b->f->object_origin; /* the frame owning the variable */
    return;
  }
  p = rl__find(t, " is located ");
  long dist = p ? rl__parse_num(&p, end) : -1;
  if (dist < 0)
    return;
  if (rl__find(t, "to the right of"))
    snprintf(b->where, sizeof b->where,
             dist == 0 ? " just past its end" : " %ld bytes past its end", dist);
  else if (rl__find(t, "to the left of"))
    snprintf(b->where, sizeof b->where, " %ld bytes before its start", dist);
  const char *q;
  if ((q = rl__find(t, "global variable '"))) {
    char name[128];
    rl__copy_token(t, q, "'", name, sizeof name);
    rl__set(b, &b->f->object, rl__fmt("global `%s`", name));
    /* "defined in 'FILE:LINE:COL'": where the global is, as one frame. */
    const char *def = rl__find(t, "defined in '");
    const char *close = def ? memchr(def, '\'', (size_t)(end - def)) : NULL;
    rl_frame *fr = close ? rl_stack_push(&b->f->object_origin) : NULL;
    if (close && (!fr || !(fr->function = rl__strndup(name, strlen(name))) ||
                  rl__parse_source(def, close, fr) < 0))
      b->oom = 1;
  } else if ((q = rl__find(t, " bytes inside of ")) || (q = rl__find(t, " of "))) {
    long size = rl__parse_num(&q, end);
    if (size >= 0 && rl__find(t, "-byte region"))
      rl__set(b, &b->f->object, rl__fmt("heap block of %ld bytes", size));
  }
}

static void rl__section(rl__asan_block *b, rl__line t, rl_stack **target) {
  rl_finding *f = b->f;
  const char *end = t.s + t.len;
  const char *p;
  if ((rl__starts_with(t, "READ of size ") || rl__starts_with(t, "WRITE of size "))) {
    b->write = t.s[0] == 'W';
    p = t.s + (b->write ? 14 : 13);
    b->access_size = rl__parse_num(&p, end);
    b->thread = rl__last_thread(t);
    rl_location *loc = rl_finding_add_location(f);
    if (!loc) {
      b->oom = 1;
      return;
    }
    loc->thread = b->thread;
    *target = &loc->stack;
  } else if (rl__find(t, " is located ")) {
    rl__located(b, t, target);
  } else if ((p = rl__find(t, "<== Memory access"))) {
    /* "[32, 36) 'local' (line 8) <== Memory access ...": name the local. */
    const char *q = rl__find(t, ") '");
    static const char prefix[] = "a local variable of ";
    if (q && q < p && f->object && strncmp(f->object, prefix, sizeof prefix - 1) == 0) {
      char name[128];
      rl__copy_token(t, q, "'", name, sizeof name);
      rl__set(b, &f->object, rl__fmt("local variable `%s` of %s", name,
                                      f->object + sizeof prefix - 1));
    }
  } else if (rl__starts_with(t, "freed by thread ")) {
    b->freed_by = rl__parse_thread(t.s + 9, end);
    rl_location *loc = rl_finding_add_location(f);
    if (!loc) {
      b->oom = 1;
      return;
    }
    loc->thread = b->freed_by;
    rl__set(b, &loc->role, rl__fmt("frees the block"));
    *target = &loc->stack;
  } else if (rl__find(t, "allocated by thread ") && !f->object_origin.count) {
    *target = &f->object_origin;
  } else if (rl__starts_with(t, "Thread T") && (p = rl__find(t, " created by "))) {
    rl_thread *th = rl_finding_add_thread(f, rl__parse_thread(t.s + 7, end));
    if (!th) {
      b->oom = 1;
      return;
    }
    *target = &th->created_at;
  } else if (rl__starts_with(t, "The signal is caused by a ") ||
             rl__starts_with(t, "Hint: ")) {
    /* A deadly signal: the stack comes after these lines, not the header. */
    if ((p = rl__find(t, "caused by a ")))
      b->signal = rl__starts_with((rl__line){p, (size_t)(end - p)}, "READ") ? "reads"
                  : rl__starts_with((rl__line){p, (size_t)(end - p)}, "WRITE") ? "writes"
                                                                              : NULL;
    rl_location *loc = f->nlocations ? &f->locations[0] : rl_finding_add_location(f);
    if (!loc) {
      b->oom = 1;
      return;
    }
    loc->thread = b->thread;
    if (!loc->stack.count)
      *target = &loc->stack;
  }
}

static char *rl__role(const rl__asan_block *b) {
  if (b->access_size >= 0) {
    if (b->freed_by >= 0 && strstr(b->bug, "use-after-free"))
      return rl__fmt("%s %ld bytes freed by T%d", b->write ? "writes" : "reads",
                     b->access_size, b->freed_by);
    return rl__fmt("%s %ld bytes%s", b->write ? "writes" : "reads",
                   b->access_size, b->where);
  }
  if (strcmp(b->bug, "double-free") == 0)
    return rl__fmt("frees the block a second time");
  if (strcmp(b->bug, "SEGV") == 0 && b->signal)
    return rl__fmt("%s an invalid address", b->signal);
  const char *phrase = rl__asan_phrase(b->bug);
  return rl__fmt("%s", phrase ? phrase : b->bug);
}

static char *rl__asan_summary(const rl__asan_block *b) {
  char who[32] = "a thread"; /* when ASan named none */
  if (b->thread >= 0)
    snprintf(who, sizeof who, "T%d", b->thread);
  const char *phrase = rl__asan_phrase(b->bug);
  return phrase ? rl__fmt("%s %s", who, phrase) : rl__fmt("%s in %s", b->bug, who);
}

/* Parses one report; header is the text after "ERROR: AddressSanitizer: ". */
static int rl__asan_report(rl__lines *it, rl__line header, rl_findings *out) {
  rl_finding *f = rl_findings_add(out, RL_FINDING_MEMORY_ERROR);
  if (!f)
    return -ENOMEM;
  rl__asan_block b = {.f = f, .thread = rl__last_thread(header),
                      .freed_by = -1, .access_size = -1};
  const char *on = rl__find(header, " on ");
  rl__copy_token(header, header.s, "", b.bug, sizeof b.bug);
  if (on && (size_t)(on - 4 - header.s) < sizeof b.bug)
    b.bug[on - 4 - header.s] = '\0';

  /* Frames right under the header (double-free, SEGV): the first location. */
  rl_stack own = {0};
  if (rl__read_stack(it, &own) < 0)
    b.oom = 1;
  if (own.count) {
    rl_location *loc = rl_finding_add_location(f);
    if (loc) {
      loc->stack = own;
      loc->thread = b.thread;
    } else {
      rl_stack_free(&own);
      b.oom = 1;
    }
  }

  rl_stack scratch = {0};
  rl__lines save;
  rl__line line;
  for (;;) {
    save = *it;
    if (!rl__next_line(it, &line))
      break;
    rl__line t = rl__trim(line);
    /* A deadly signal's "Thread T1 created by" comes after SUMMARY, so
     * only ABORTING ends a report. */
    if (rl__starts_with(t, "SUMMARY: AddressSanitizer: "))
      rl__copy_token(t, t.s + 27, " ", b.bug, sizeof b.bug);
    if (rl__starts_with(t, "ABORTING"))
      break;
    if (rl__starts_with(t, "ERROR: ")) {
      *it = save;
      break;
    }
    rl_stack *target = &scratch;
    rl__section(&b, t, &target);
    if (rl__read_stack(it, b.oom ? NULL : target) < 0)
      b.oom = 1;
    rl_stack_free(&scratch);
  }

  if (f->nlocations && !f->locations[0].role)
    rl__set(&b, &f->locations[0].role, rl__role(&b));
  rl__set(&b, &f->detail, rl__strndup(b.bug, strlen(b.bug)));
  for (size_t i = 0; i < sizeof rl__asan_crashes / sizeof *rl__asan_crashes; i++)
    if (strcmp(b.bug, rl__asan_crashes[i]) == 0)
      f->kind = RL_FINDING_CRASH;
  rl__set(&b, &f->summary, rl__asan_summary(&b));
  return b.oom ? -ENOMEM : 0;
}

int rl_report_asan_parse(const char *text, size_t len, rl_findings *out) {
  static const char header[] = "ERROR: AddressSanitizer: ";
  rl__lines it = {text, text + len};
  rl__line line;
  int n = 0;
  while (rl__next_line(&it, &line)) {
    rl__line t = rl__trim(line);
    if (!rl__starts_with(t, header))
      continue;
    rl__line rest = {t.s + sizeof header - 1, t.len - (sizeof header - 1)};
    int r = rl__asan_report(&it, rest, out);
    if (r < 0)
      return r;
    n++;
  }
  return n;
}

int rl_report_asan_runtime_error(const char *text, size_t len, char *msg,
                                 size_t msgcap) {
  static const char *const needles[] = {
      "Tracer caught signal",
      "LeakSanitizer has encountered a fatal error",
      "AddressSanitizer CHECK failed",
      "AddressSanitizer: CHECK failed",
      "Shadow memory range interleaves with an existing memory mapping",
      NULL,
  };
  return rl__find_runtime_error(text, len, needles, msg, msgcap);
}
