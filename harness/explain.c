/* explain.c -- the words a finding's structure cannot carry: what its
 * object is and why this kind of bug matters; and the quoted source lines. */
#include "explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Why a kind of bug matters, in one or two sentences. A switch with no
 * default: the compiler names any kind added to the table and missed here. */
static const char *why(const rl_finding *f) {
  switch (f->kind) {
    case RL_FINDING_DATA_RACE:
      return "Nothing orders these accesses: no lock held by both, no join, no atomic. In C that is a data race, "
             "which is undefined behaviour: updates are lost, readers see half-written values, and the compiler "
             "may optimise as if it could never happen. It shows up rarely, which is why it survives testing.";
    case RL_FINDING_LOCK_ORDER_INVERSION:
      return "The same locks are taken in different orders by different code paths. This run got away with it, "
             "but when two threads each take their first lock at the same moment, each waits forever for the "
             "lock the other holds: a deadlock.";
    case RL_FINDING_DEADLOCK:
      return "Each of these threads holds a lock the next one is waiting for, so none can ever proceed: the "
             "program stopped making progress and had to be killed.";
    case RL_FINDING_HANG:
      return "The program stopped making progress, with no cycle of threads waiting for each other: a thread "
             "waits for something that will never happen any more (the reason is in the summary above). The "
             "most common cause is a lost wakeup: a condition-variable signal sent before anyone waited, by "
             "code that waits without re-checking a predicate.";
    case RL_FINDING_FORGOTTEN_AWAIT:
      return "Work was started but its completion was never waited for: its callback never ran, so anything "
             "read from its result was read before it existed, and the work itself was silently dropped.";
    case RL_FINDING_UNJOINED_THREAD:
      return "A thread was created and never joined (nor detached). Its result is lost, and whatever it was "
             "still doing when main() returned was cut off.";
    case RL_FINDING_UNWAITED_CHILD:
      return "A child process was forked and never waited for. One that exited is left a zombie (a process-table "
             "entry holding its exit status) and one still running is orphaned; either way nobody read its exit "
             "status, so whether its work succeeded was never checked.";
    case RL_FINDING_SYNC_MISUSE:
      return "A synchronization object was used against its contract. POSIX leaves this undefined: it may work "
             "here and hang or corrupt state elsewhere.";
    case RL_FINDING_MEMORY_ERROR:
      if (f->object && strncmp(f->object, "open handle", 11) == 0)
        return "libuv keeps the address of every handle from its uv_*_init() until its close callback has run: "
               "the loop's list of handles, its timer heap and its watchers point at it. Until then the "
               "handle's memory must stay where it is: freed, or moved by realloc() (which copies the handle "
               "to a new address and frees the old one), it is still read and written by libuv, which is not "
               "instrumented, so no sanitizer sees it.";
      if (f->object && strncmp(f->object, "handle ", 7) == 0)
        return "uv_close() only starts closing a handle: libuv keeps using the handle's memory until it calls "
               "the close callback, on a later turn of the loop. Memory freed before then is read and written "
               "after it was freed, by libuv and by the callbacks it still runs.";
      return "Memory was used outside its lifetime. Across threads this usually means one thread freed or "
             "reused memory while another still used it.";
    case RL_FINDING_WRONG_OUTPUT:
      return "The program ran to the end but its result is wrong. In concurrent code this is typically a "
             "read-modify-write or check-then-act sequence that another thread or process interleaved with, "
             "or an update made in a forked child's own copy of memory.";
    case RL_FINDING_CRASH:
      return "The program died. In concurrent code the first suspect is memory another thread freed or "
             "changed underneath it.";
    case RL_FINDING_TIMEOUT:
      return "The run did not finish in time and was killed. It may loop forever, or wait for something that "
             "never happens.";
    case RL_FINDING_BUILD_ERROR:
      return "The program does not compile, so nothing else could be checked.";
    case RL_FINDING_CHECK_BYPASS:
      if (!rl_finding_before_runs(f))
        return "The sanitizers write their reports from inside the program, with its rights, and this run "
               "removed them before racelab could read them. racelab vouches only for runs whose evidence it "
               "has: it watches the logs from outside the program, it cannot protect them.";
      return "racelab vouches for a program only with every check on, and this can turn a check off or hide "
             "from it the very bug it looks for, so the program was not run. racelab finds such names in the "
             "program's own source, after its macros are expanded; it does not prove a program harmless.";
    case RL_FINDING_KIND_COUNT:
      break;
  }
  return "";
}

/* The explanation says what the structure cannot: what the object is and
 * why this kind of bug matters. Who did what where is in the locations,
 * which every output format shows on its own. */
void rl_explain(rl_finding *f) {
  if (!f->summary) f->summary = rl_xstrdup(rl_finding_kind_title(f->kind));
  free(f->explanation);
  f->explanation = f->object ? rl_xasprintf("It is about %s. %s", f->object, why(f))
                             : rl_xstrdup(why(f));
}

void rl_explain_all(rl_findings *list) {
  for (size_t i = 0; i < list->count; i++) rl_explain(&list->items[i]);
}

/* A tiny cache: findings quote the same few files over and over. */
static struct {
  char *path;
  char *text;
} sources[16];

const char *rl_source_line(const char *file, int line) {
  static char *last;
  if (!file || line < 1) return NULL;
  size_t i;
  for (i = 0; i < 16 && sources[i].path; i++)
    if (strcmp(sources[i].path, file) == 0) break;
  if (i == 16) return NULL;
  if (!sources[i].path) {
    sources[i].path = rl_xstrdup(file);
    sources[i].text = rl_read_file(file, NULL);
  }
  if (!sources[i].text) return NULL;
  free(last);
  last = rl_text_line(sources[i].text, line);
  return last;
}
