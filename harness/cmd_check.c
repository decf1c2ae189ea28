/* cmd_check.c -- `racelab run` and `racelab check`: resolve the target,
 * run the pipeline, explain, print, and remember an exercise's state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "commands.h"
#include "emit.h"
#include "exercise.h"
#include "explain.h"
#include "progress.h"
#include "util.h"

#define DEFAULT_RUNS 10
#define DEFAULT_TIMEOUT_S 10

/* Writes path with emit; says why on failure and returns -1. */
static int write_report(const char *path, int (*emit)(const rl_emit_ctx *, FILE *), const rl_emit_ctx *ctx) {
  FILE *f = fopen(path, "w");
  int rc = f ? emit(ctx, f) : -1;
  if (f && fclose(f) != 0) rc = -1;
  if (rc != 0) fprintf(stderr, "racelab: cannot write %s: %s\n", path, strerror(errno));
  return rc;
}

static int diagnose(const rl_options *opts, int stop_at_first) {
  char err[512];
  rl_lab lab;
  if (rl_lab_load(rl_lab_root(), &lab, err, sizeof err) != 0) {
    /* A program of the user's own needs no course: check it regardless. */
    if (!rl_target_is_path(opts->target)) {
      fprintf(stderr, "racelab: the course is invalid: %s\n", err);
      return RL_EXIT_USAGE;
    }
    lab = (rl_lab){.root = rl_xstrdup(rl_lab_root())};
  }
  rl_target target;
  if (rl_target_resolve(&lab, opts->target, opts->against, opts->expect_stdout, &target, err, sizeof err) != 0) {
    rl_cli_usage_error(opts->command, "%s", err);
    rl_lab_free(&lab);
    return RL_EXIT_USAGE;
  }
  rl_check_config cfg = {
      .runs = opts->runs ? opts->runs : DEFAULT_RUNS,
      .seed = opts->seed,
      .timeout_ms = 1000 * (opts->timeout_s ? opts->timeout_s : target.timeout_s ? target.timeout_s : DEFAULT_TIMEOUT_S),
      .stop_at_first = stop_at_first,
      .builds = opts->builds ? (unsigned)opts->builds : ~0u,
      .progress = opts->format == RL_FORMAT_HUMAN && isatty(STDERR_FILENO),
      .trace = opts->trace || opts->trace_out || opts->html,
      .fresh_processes = opts->no_fork_server,
  };
  rl_check_result result;
  rl_verdict verdict = rl_check(&target, &cfg, &result);
  rl_explain_all(&result.findings);
  rl_emit_ctx ctx = {.command = opts->command, .target_spec = opts->target, .against = opts->against,
                     .target = &target, .result = &result, .runs_per_build = cfg.runs};
  int code = verdict == RL_VERDICT_PASS ? RL_EXIT_OK : verdict == RL_VERDICT_FAIL ? RL_EXIT_FINDINGS : RL_EXIT_INTERNAL;
  if (opts->format == RL_FORMAT_JSON) {
    if (rl_emit_json(&ctx, stdout) != 0) code = RL_EXIT_INTERNAL;
  } else {
    rl_emit_human(&ctx, stdout);
  }
  /* The trace follows the report; with --format json, stdout is the JSON. */
  if (opts->trace) rl_emit_trace(&ctx, opts->format == RL_FORMAT_JSON ? stderr : stdout);
  if (opts->trace_out && write_report(opts->trace_out, rl_emit_chrome, &ctx) != 0) code = RL_EXIT_INTERNAL;
  if (opts->html && write_report(opts->html, rl_emit_html, &ctx) != 0) code = RL_EXIT_INTERNAL;
  if (verdict == RL_VERDICT_ERROR) fprintf(stderr, "racelab: %s\n", result.error);
  /* Only a check of the learner's own copy moves them through the course. */
  if (target.exercise && !opts->against && strcmp(opts->command, "check") == 0 && verdict != RL_VERDICT_ERROR)
    rl_progress_set_state(lab.root, target.exercise->id,
                          verdict == RL_VERDICT_PASS ? RL_STATE_SOLVED : RL_STATE_FAILING);
  rl_check_result_free(&result);
  rl_target_free(&target);
  rl_lab_free(&lab);
  return code;
}

int rl_cmd_run(const rl_options *opts) { return diagnose(opts, RL_STOP_CHECK); }

int rl_cmd_check(const rl_options *opts) { return diagnose(opts, opts->keep_going ? RL_STOP_NEVER : RL_STOP_BUILD); }
