/* check.h -- the pipeline for one target: build each sanitizer build, run
 * it N times with distinct seeds, symbolize and merge the findings, and
 * reach a verdict. Explaining and printing are the caller's. */
#ifndef RL_CHECK_H
#define RL_CHECK_H

#include <stdint.h>

#include "finding.h"
#include "sandbox.h"
#include "target.h"
#include "trace.h"

typedef enum { RL_VERDICT_PASS, RL_VERDICT_FAIL, RL_VERDICT_ERROR } rl_verdict;
const char *rl_verdict_name(rl_verdict v);

/* A failing run ends... nothing (every run is done: grading counts k/N);
 * its build (the other build still runs, so a learner sees what both
 * sanitizers say: TSan's race on a free and ASan's use-after-free); or the
 * whole check (`run`: the first finding is the answer). */
enum { RL_STOP_NEVER = 0, RL_STOP_BUILD = 1, RL_STOP_CHECK = 2 };

typedef struct {
  int runs;            /* per build */
  uint64_t seed;       /* run i of a build uses seed + i */
  int timeout_ms;      /* per run */
  int stop_at_first;   /* RL_STOP_*: how soon a run with a finding ends the check */
  unsigned builds;     /* bit set of 1 << rl_build_kind */
  int progress;        /* a progress line on stderr */
  const rl_sandbox *sandbox; /* runs of untrusted code go in it; NULL: none */
  int trace;           /* keep a run's verbose trace in the result */
  int fresh_processes; /* no fork server: every run starts the program
                          afresh (runs in a sandbox always do) */
} rl_check_config;

typedef struct {
  rl_verdict verdict;
  int runs;            /* runs done, over every build */
  uint64_t seed;
  long elapsed_ms;
  rl_findings findings; /* merged, symbolized, located */
  char *error;         /* RL_VERDICT_ERROR: what failed inside racelab */
  rl_trace *trace;     /* cfg trace: the first failing run's, else the last
                          run's, symbolized; NULL without */
  int trace_run;       /* the 1-based run it comes from */
} rl_check_result;

/* Always fills res (free it with rl_check_result_free); returns its verdict. */
rl_verdict rl_check(const rl_target *t, const rl_check_config *cfg, rl_check_result *res);
void rl_check_result_free(rl_check_result *res);

#endif
