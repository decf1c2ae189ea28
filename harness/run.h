/* run.h -- one supervised run of a built program: the environment that
 * makes it reproducible (seed, jitter mode, sanitizer options), its limits,
 * and every finding its evidence shows (sanitizer logs, racelab's runtime
 * log, exit status, the oracle). Symbolizing and merging across runs are
 * the caller's. */
#ifndef RL_RUN_H
#define RL_RUN_H

#include <stdint.h>

#include "build.h"
#include "finding.h"
#include "forkserver.h"
#include "sandbox.h"
#include "target.h"
#include "trace.h"

/* Perturbation modes, chosen from the seed so a seed alone replays a run. */
#define RL_MODE_COUNT 3
const char *rl_run_mode(uint64_t seed);

typedef struct {
  const rl_target *target;
  rl_build_kind build;
  const char *binary;
  uint64_t seed;
  int timeout_ms;
  const char *scratch;   /* an empty folder this run may use and litter */
  const rl_sandbox *sandbox; /* limits and isolation for the run, or NULL */
  int trace;             /* record the verbose trace (RLRT_TRACE) */
  rl_forkserver *server; /* fork the run from it (rl_run_server_start) when
                            it is usable and there is no sandbox; NULL:
                            a fresh process */
} rl_run_config;

typedef struct {
  rl_findings findings;  /* unsymbolized; first_run etc. left to the caller */
  long wall_ms;
  int timed_out;
  rl_trace trace;        /* config trace: every process's, unsymbolized */
} rl_run_outcome;

/* Returns 0, or -1 with a one-line reason in err if racelab could not run
 * the program at all (an internal error, not a finding). A run the fork
 * server fails is run again as a fresh process. */
int rl_run_once(const rl_run_config *cfg, rl_run_outcome *out, char *err, size_t errcap);

/* A fork server for the runs of cfg's binary, build and target (its
 * scratch holds the server's own files; seed and trace are unused), or
 * NULL when it cannot start or cfg has a sandbox: run fresh processes.
 * Stop it with rl_forkserver_stop. */
rl_forkserver *rl_run_server_start(const rl_run_config *cfg);

#endif
