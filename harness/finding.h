/* finding.h -- the one data contract between parsing, analysis, explanation
 * and output.
 *
 * Parsers (report_tsan.c, report_asan.c, report_rlrt.c, the oracle) turn raw
 * evidence into rl_finding values; explain.c adds words; the emitters only
 * format. Nothing downstream of a parser reads raw sanitizer text.
 */
#ifndef RL_FINDING_H
#define RL_FINDING_H

#include <stddef.h>
#include <stdint.h>

/* The finding-kind table: the single source of truth for every kind.
 * XX(enum suffix, stable name, title, how such bugs are usually fixed) */
#define RL_FINDING_KIND_MAP(XX)                                                \
  XX(DATA_RACE, "data-race", "Data race",                                     \
     "Protect every access to the shared data with the same mutex, make it a " \
     "C11 atomic, or give each thread its own copy and combine the copies "    \
     "after pthread_join().")                                                  \
  XX(LOCK_ORDER_INVERSION, "lock-order-inversion", "Lock-order inversion",   \
     "Make every thread take the locks in one global order (for example by "   \
     "address or by id), or hold only one lock at a time.")                    \
  XX(DEADLOCK, "deadlock", "Deadlock",                                         \
     "Break the cycle: take the locks in one global order, or release the "    \
     "first lock before waiting for the second.")                              \
  XX(HANG, "hang", "Hang",                                                     \
     "Wait on a condition variable only inside a while loop that re-checks "   \
     "the predicate, and change the predicate and signal while holding the "   \
     "mutex.")                                                                 \
  XX(FORGOTTEN_AWAIT, "forgotten-await", "Forgotten await",                    \
     "Read the result only in the completion callback (or after uv_run() "     \
     "has returned), keep the request alive until then, and close every "      \
     "handle before uv_loop_close().")                                         \
  XX(UNJOINED_THREAD, "unjoined-thread", "Thread never joined",               \
     "pthread_join() every thread you create before using its result or "      \
     "returning from main(), or detach it if nobody needs its result.")        \
  XX(UNWAITED_CHILD, "unwaited-child", "Child never waited for",             \
     "waitpid() every child you fork before the parent exits, and check its "  \
     "status (WIFEXITED and WEXITSTATUS) to learn whether its work succeeded.") \
  XX(SYNC_MISUSE, "sync-misuse", "Misused synchronization",                 \
     "Unlock only what this thread locked, destroy only unlocked objects, "   \
     "and call pthread_cond_wait() with its mutex held, always the same one.") \
  XX(MEMORY_ERROR, "memory-error", "Memory error",                             \
     "Make the owner of the memory outlive every thread or callback that "     \
     "uses it: free it only after they have finished (join, or the "           \
     "completion callback).")                                                  \
  XX(WRONG_OUTPUT, "wrong-output", "Wrong output",                             \
     "Find the read-modify-write or check-then-act sequence that another "     \
     "thread or process can interleave with, and make it one atomic step.")    \
  XX(CRASH, "crash", "Crash",                                                  \
     "Run it again with the reproduce command and read the stack: a crash in " \
     "concurrent code is most often memory used after another thread freed "   \
     "it.")                                                                    \
  XX(TIMEOUT, "timeout", "Timeout",                                            \
     "Look for a loop that never ends or a wait that is never satisfied; "     \
     "racelab could not tell which.")                                          \
  XX(BUILD_ERROR, "build-error", "Build error",                                \
     "Fix the compiler errors above, starting with the first one.")             \
  XX(CHECK_BYPASS, "check-bypass", "Turns the checks off",                     \
     "Remove what turns the checks off: share data through a mutex or a C11 " \
     "atomic instead of annotations or assembly, call glibc's function "       \
     "instead of syscall() and functions by name instead of through dlsym(), " \
     "rename a macro of your own that has a reserved name, and leave the "     \
     "logs in the scratch folder alone.")

typedef enum {
#define XX(e, name, title, fix) RL_FINDING_##e,
  RL_FINDING_KIND_MAP(XX)
#undef XX
      RL_FINDING_KIND_COUNT
} rl_finding_kind;

const char *rl_finding_kind_name(rl_finding_kind kind);
const char *rl_finding_kind_title(rl_finding_kind kind);
const char *rl_finding_kind_fix(rl_finding_kind kind);
/* Returns 0 and sets *kind, or -1 if name is not a stable kind name. */
int rl_finding_kind_parse(const char *name, rl_finding_kind *kind);

/* One stack frame. Parsers fill module and offset; symbolize.c fills the
 * rest. A frame outside the program under test (libc, the sanitizer
 * runtime, racelab's runtime) keeps function/file NULL unless the report
 * itself named them. */
typedef struct {
  char *module;      /* basename or path of the object the pc belongs to */
  uint64_t offset;   /* pc relative to the module's load address */
  char *function;    /* NULL until symbolized */
  char *file;        /* source path, NULL if unknown */
  int line;          /* 0 if unknown */
} rl_frame;

typedef struct {
  rl_frame *frames;
  size_t count;
} rl_stack;

/* A place in the source with what happened there, e.g. "writes `hits`
 * without a lock" or "holds M1, takes M2". */
typedef struct {
  char *file;
  int line;
  char *function;
  char *role;        /* plain words, never a raw address */
  int thread;        /* T<n> of the thread that was here, -1 if none */
  rl_stack stack;    /* the full stack this location is the top of */
} rl_location;

typedef struct {
  int id;            /* T<n>: 0 is the main thread */
  rl_stack created_at;
} rl_thread;

typedef struct {
  rl_finding_kind kind;
  char *summary;      /* one line, plain words */
  char *explanation;  /* filled by explain.c */
  char *detail;       /* raw evidence worth quoting: compiler output, a diff */
  char *object;       /* what it is about, in words: "global `hits`",
                         "heap block of 16 bytes", "mutex M1"; NULL if none */
  rl_stack object_origin; /* where that object was allocated or defined
                             (malloc stack; a global as one data frame) */
  rl_location *locations;
  size_t nlocations;
  rl_thread *threads;
  size_t nthreads;
  int runtime_ids;    /* its T<n> and M<n> are the runtime's, the ids of the
                         trace (a sanitizer numbers threads and mutexes its
                         own way); set by the pipeline */
  /* Across runs (filled by the pipeline, not by parsers). */
  int first_run;      /* 1-based index of the first run that showed it */
  uint64_t seed;      /* seed of that run */
  const char *mode;   /* perturbation mode of that run: "off", "random", "pct" */
  const char *build;  /* "tsan" or "asan" */
  int count;          /* how many runs showed it */
} rl_finding;

typedef struct {
  rl_finding *items;
  size_t count;
} rl_findings;

/* Ownership: every string and array inside a finding is heap memory owned
 * by the finding, except mode and build, which point to static strings. */
rl_finding *rl_findings_add(rl_findings *list, rl_finding_kind kind);
rl_location *rl_finding_add_location(rl_finding *f);
rl_thread *rl_finding_add_thread(rl_finding *f, int id);
rl_frame *rl_stack_push(rl_stack *stack);
void rl_stack_copy(rl_stack *dst, const rl_stack *src);
void rl_stack_free(rl_stack *stack); /* frees the frames, leaves it empty */
void rl_finding_free(rl_finding *f);
void rl_findings_free(rl_findings *list);

/* Whether f was found before the program ran (from its source or its
 * compiler), so that no run, seed or build is part of it. */
int rl_finding_before_runs(const rl_finding *f);

/* The first frame of the stack that lies in user source (symbolized, with a
 * file that is not a system header or a runtime), or NULL. */
const rl_frame *rl_stack_user_frame(const rl_stack *stack);

/* Fill each location's file/line/function from the first user frame of its
 * stack, where the parser left them empty. */
void rl_finding_locate(rl_finding *f);

/* Merge `more` into `into`, deduplicating: two findings are the same when
 * they have the same kind and the same user locations (file:line, in
 * order; but a data race's two accesses, and a lock cycle's locations, in
 * any order). A merged finding keeps its place, first run and seed and sums
 * counts; its words (summary, roles, ids) are the first's, unless only the
 * other one's ids are the runtime's: then those, so that one bug seen by
 * TSan and by the runtime names its mutexes as the trace does.
 * Takes ownership of the findings in `more` and leaves it empty. */
void rl_findings_merge(rl_findings *into, rl_findings *more);

#endif
