/* report_rlrt_thread.c -- the lifetime lines of racelab's runtime log to
 * findings: threads never joined and child processes never waited for when
 * the process exited, and joins of a thread whose creation failed. It
 * does not symbolize (symbolize.c does) nor explain
 * (explain.c does), and it leaves every other line to report_rlrt.c and
 * report_rlrt_uv.c.
 *
 * Accepted grammar: the LOG GRAMMAR of runtime/rlrt_protocol.h. Lines used
 * here:
 *   module base=<hex> lo=<hex> hi=<hex> path=<path to end of line>
 *   unjoined T<n> parent=T<m> state=<running|exited> s=<ips>
 *   unwaited P<n> pid=<dec> T<m> state=<running|exited> s=<ips>
 *   joinfailed T<n> T<m> parent=T<p> rc=<dec> s1=<ips> s2=<ips>
 * Every other line and every malformed line is skipped.
 */
#include "report_rlrt_thread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_rlrt_log.h"
#include "report_text.h"

#define RL__OWED_LISTED 5 /* ids named in a finding */
#define RL__OWED_TOKENS 7

/* A thread owed a join, or a child owed a wait, when the process exited. */
typedef struct {
  int id;      /* T<id> or P<id> */
  int by;      /* T<n> that created or forked it */
  int running; /* state=running; else it had exited */
  char *ips;   /* where it was created or forked */
  int grouped; /* already part of a finding */
} rl__owed;

typedef struct {
  rl__owed *items;
  size_t count;
} rl__owed_list;

/* The words that differ between threads and children; [0] singular, [1]
 * plural. */
typedef struct {
  rl_finding_kind kind;
  char prefix;               /* of the ids: 'T', 'P' */
  const char *noun[2];       /* "thread", "threads" */
  const char *verb;          /* what the location does: "creates" */
  const char *debt;          /* "joined" */
  const char *running[2];    /* why it matters if still running */
  const char *exited[2];     /* why it matters if it had exited */
  const char *mixed;         /* a mixed group: "%zu ... %zu ...", how
                                many ran, how many had exited */
} rl__owed_words;

static const rl__owed_words rl__thread_words = {
    RL_FINDING_UNJOINED_THREAD, 'T', {"thread", "threads"}, "creates", "joined",
    {"it was still running when the program exited, so its work was cut off",
     "they were still running when the program exited, so their work was cut off"},
    {"it finished, but its result was never collected",
     "they finished, but their results were never collected"},
    "%zu still running when the program exited (work cut off), %zu finished with results "
    "never collected"};

static const rl__owed_words rl__child_words = {
    RL_FINDING_UNWAITED_CHILD, 'P', {"child process", "child processes"}, "forks",
    "waited for",
    {"it was still running when the program exited, so nobody learns whether it succeeded "
     "(it runs on as an orphan)",
     "they were still running when the program exited, so nobody learns whether they "
     "succeeded (they run on as orphans)"},
    {"it exited, but nobody read its exit status, so whether its work succeeded was never "
     "checked (it stayed a zombie until the program exited)",
     "they exited, but nobody read their exit status, so whether their work succeeded was "
     "never checked (they stayed zombies until the program exited)"},
    "%zu still running when the program exited (orphans), %zu exited with exit status "
    "never read (zombies)"};

/* A join of what a failed pthread_create() left in its pthread_t. */
typedef struct {
  int tid, id, by; /* T<tid> joins T<id>, which T<by> failed to create */
  int rc;          /* pthread_create()'s error */
  char *create;    /* where it failed (s1) */
  char *join;      /* where it is joined (s2) */
} rl__joinfail;

typedef struct {
  rl__rlrt_modules mods;
  rl__owed_list threads, children;
  rl__joinfail *joins;
  size_t njoins;
  int oom;
} rl__owed_log;

static void rl__owed_log_free(rl__owed_log *log) {
  rl__rlrt_modules_free(&log->mods);
  rl__owed_list *lists[] = {&log->threads, &log->children};
  for (size_t l = 0; l < 2; l++) {
    for (size_t i = 0; i < lists[l]->count; i++)
      free(lists[l]->items[i].ips);
    free(lists[l]->items);
  }
  for (size_t i = 0; i < log->njoins; i++)
    free(log->joins[i].create), free(log->joins[i].join);
  free(log->joins);
}

/* ---- reading one line ---------------------------------------------------------- */

/* "<prefix><decimal>" -> the number; -1 if s is not that. */
static long rl__owed_id(const char *s, char prefix) {
  size_t n = strlen(s);
  if (s[0] != prefix || n < 2 || n > 10 || strspn(s + 1, "0123456789") != n - 1)
    return -1;
  return atol(s + 1);
}

/* The value of token "key=value", or NULL. */
static const char *rl__owed_val(const char *tok, const char *key) {
  size_t k = strlen(key);
  return strncmp(tok, key, k) == 0 && tok[k] == '=' ? tok + k + 1 : NULL;
}

/* The value of token "key=<ips>" if well formed, else NULL. */
static const char *rl__owed_ips(const char *tok, const char *key) {
  const char *ips = rl__owed_val(tok, key);
  return ips && *ips && (strcmp(ips, "-") == 0 || strspn(ips, "0123456789abcdef,") == strlen(ips))
             ? ips
             : NULL;
}

/* "unjoined T<n> parent=T<m> state=<s> s=<ips>" (tok[3] the state), or
 * "unwaited P<n> pid=<dec> T<m> state=<s> s=<ips>" (tok[4]). */
static void rl__owed_line(rl__owed_log *log, char **tok, int n) {
  int child = strcmp(tok[0], "unwaited") == 0;
  if (n != (child ? 6 : 5))
    return;
  const char *parent = child ? tok[3] : rl__owed_val(tok[2], "parent");
  const char *pid = child ? rl__owed_val(tok[2], "pid") : NULL;
  const char *state = rl__owed_val(tok[n - 2], "state");
  const char *ips = rl__owed_ips(tok[n - 1], "s");
  long id = rl__owed_id(tok[1], child ? 'P' : 'T'), by = parent ? rl__owed_id(parent, 'T') : -1;
  if (id < 0 || by < 0 || (child && (!pid || !*pid || strspn(pid, "0123456789") != strlen(pid))) ||
      !state || (strcmp(state, "running") != 0 && strcmp(state, "exited") != 0) || !ips)
    return;
  rl__owed_list *list = child ? &log->children : &log->threads;
  rl__owed *grown = realloc(list->items, (list->count + 1) * sizeof *grown);
  char *copy = strdup(ips);
  if (grown)
    list->items = grown;
  if (!grown || !copy) {
    free(copy);
    log->oom = 1;
    return;
  }
  list->items[list->count++] = (rl__owed){.id = (int)id, .by = (int)by,
                                          .running = strcmp(state, "running") == 0,
                                          .ips = copy};
}

/* "joinfailed T<n> T<m> parent=T<p> rc=<dec> s1=<ips> s2=<ips>" */
static void rl__joinfail_line(rl__owed_log *log, char **tok, int n) {
  if (n != 7)
    return;
  const char *parent = rl__owed_val(tok[3], "parent"), *rc = rl__owed_val(tok[4], "rc");
  const char *create = rl__owed_ips(tok[5], "s1"), *join = rl__owed_ips(tok[6], "s2");
  long tid = rl__owed_id(tok[1], 'T'), id = rl__owed_id(tok[2], 'T');
  long by = parent ? rl__owed_id(parent, 'T') : -1;
  if (tid < 0 || id < 0 || by < 0 || !rc || !*rc || strlen(rc) > 9 ||
      strspn(rc, "0123456789") != strlen(rc) || !create || !join)
    return;
  rl__joinfail *grown = realloc(log->joins, (log->njoins + 1) * sizeof *grown);
  if (!grown) {
    log->oom = 1;
    return;
  }
  log->joins = grown;
  rl__joinfail *j = &log->joins[log->njoins++];
  *j = (rl__joinfail){.tid = (int)tid, .id = (int)id, .by = (int)by, .rc = atoi(rc),
                      .create = strdup(create), .join = strdup(join)};
  if (!j->create || !j->join)
    log->oom = 1;
}

static void rl__owed_read(rl__owed_log *log, char *line) {
  int rc = rl__rlrt_module_line(&log->mods, line);
  if (rc != 0) {
    log->oom |= rc < 0;
    return;
  }
  char *tok[RL__OWED_TOKENS];
  int n = 0;
  for (char *save = NULL, *p = strtok_r(line, " ", &save); p && n < RL__OWED_TOKENS;
       p = strtok_r(NULL, " ", &save))
    tok[n++] = p;
  if (n > 0 && (strcmp(tok[0], "unjoined") == 0 || strcmp(tok[0], "unwaited") == 0))
    rl__owed_line(log, tok, n);
  else if (n > 0 && strcmp(tok[0], "joinfailed") == 0)
    rl__joinfail_line(log, tok, n);
}

/* ---- from the log to findings ------------------------------------------------- */

/* Takes ownership of value. */
static void rl__owed_set(rl__owed_log *log, char **dst, char *value) {
  if (!value)
    log->oom = 1;
  free(*dst);
  *dst = value;
}

static void rl__owed_stack(rl__owed_log *log, const char *ips, rl_stack *out) {
  if (rl__rlrt_stack(&log->mods, ips, out) == -ENOMEM)
    log->oom = 1;
}

static void rl__owed_loc(rl__owed_log *log, rl_finding *f, int tid, char *role, const char *ips) {
  rl_location *loc = rl_finding_add_location(f);
  if (!loc) {
    free(role);
    log->oom = 1;
    return;
  }
  loc->thread = tid;
  rl__owed_set(log, &loc->role, role);
  rl__owed_stack(log, ips, &loc->stack);
}

/* The finding for the items of list created where item i was (marking
 * them grouped); returns how many findings were added. */
static int rl__owed_finding(rl__owed_log *log, rl__owed_list *list, size_t i,
                            const rl__owed_words *w, rl_findings *out) {
  char ids[128] = "";
  size_t n = 0, running = 0, len = 0;
  rl_finding *f = rl_findings_add(out, w->kind);
  if (!f) {
    log->oom = 1;
    return 0;
  }
  for (size_t j = i; j < list->count; j++) {
    rl__owed *it = &list->items[j];
    if (it->grouped || strcmp(it->ips, list->items[i].ips) != 0)
      continue;
    it->grouped = 1;
    running += (size_t)it->running;
    if (n++ >= RL__OWED_LISTED)
      continue;
    len += (size_t)snprintf(ids + len, sizeof ids - len, "%s%c%d", n > 1 ? ", " : "",
                            w->prefix, it->id);
    if (w->kind == RL_FINDING_UNJOINED_THREAD) {
      rl_thread *th = rl_finding_add_thread(f, it->id);
      if (th)
        rl__owed_stack(log, it->ips, &th->created_at);
      else
        log->oom = 1;
    }
  }
  if (n > RL__OWED_LISTED)
    snprintf(ids + len, sizeof ids - len, ", ...");
  int many = n > 1;
  char *reason = running == n ? rl__fmt("%s", w->running[many])
                 : running == 0 ? rl__fmt("%s", w->exited[many])
                                : rl__fmt(w->mixed, running, n - running);
  rl__owed_set(log, &f->summary, rl__fmt("%s %s %s never %s: %s", w->noun[many], ids,
                                         many ? "are" : "is", w->debt, reason ? reason : ""));
  free(reason);
  rl__owed_set(log, &f->object, rl__fmt("%s %s", w->noun[many], ids));
  rl__owed_loc(log, f, list->items[i].by,
               rl__fmt("%s %s, which %s never %s", w->verb, ids, many ? "are" : "is", w->debt),
               list->items[i].ips);
  return 1;
}

static int rl__owed_findings(rl__owed_log *log, rl__owed_list *list, const rl__owed_words *w,
                             rl_findings *out) {
  int added = 0;
  for (size_t i = 0; i < list->count && !log->oom; i++)
    if (!list->items[i].grouped)
      added += rl__owed_finding(log, list, i, w, out);
  return added;
}

/* One finding per join site and create site. */
static int rl__joinfail_findings(rl__owed_log *log, rl_findings *out) {
  int added = 0;
  for (size_t i = 0; i < log->njoins && !log->oom; i++) {
    const rl__joinfail *j = &log->joins[i];
    int dup = 0;
    for (size_t k = 0; k < i && !dup; k++)
      dup = strcmp(log->joins[k].create, j->create) == 0 && strcmp(log->joins[k].join, j->join) == 0;
    if (dup)
      continue;
    rl_finding *f = rl_findings_add(out, RL_FINDING_SYNC_MISUSE);
    if (!f) {
      log->oom = 1;
      break;
    }
    added++;
    rl__owed_set(log, &f->summary,
                 rl__fmt("T%d joins T%d, whose pthread_create() failed (%s): the error was not "
                         "checked, and the pthread_t joined was never set",
                         j->tid, j->id, strerror(j->rc)));
    rl__owed_set(log, &f->object, rl__fmt("thread T%d, which never started", j->id));
    rl__owed_loc(log, f, j->tid, rl__fmt("joins T%d, which never started", j->id), j->join);
    rl__owed_loc(log, f, j->by, rl__fmt("creates T%d: pthread_create() fails, unchecked", j->id),
                 j->create);
  }
  return added;
}

int rl_report_rlrt_thread_parse(const char *text, size_t len, rl_findings *out) {
  rl__owed_log log = {0};
  rl__lines it = {text, text + len};
  rl__line line;
  while (!log.oom && rl__next_line(&it, &line)) {
    char *buf = rl__strndup(line.s, line.len);
    if (!buf) {
      log.oom = 1;
      break;
    }
    rl__owed_read(&log, buf);
    free(buf);
  }
  int added = 0;
  if (!log.oom)
    added += rl__owed_findings(&log, &log.threads, &rl__thread_words, out);
  if (!log.oom)
    added += rl__owed_findings(&log, &log.children, &rl__child_words, out);
  if (!log.oom)
    added += rl__joinfail_findings(&log, out);
  int oom = log.oom;
  rl__owed_log_free(&log);
  return oom ? -ENOMEM : added;
}
