/* check.c -- build, run N times per build, merge: the heart of `racelab run`
 * and `racelab check`. It decides nothing about words or formats. */
#include "check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "run.h"
#include "screen.h"
#include "symbolize.h"
#include "util.h"

const char *rl_verdict_name(rl_verdict v) {
  switch (v) {
    case RL_VERDICT_PASS: return "pass";
    case RL_VERDICT_FAIL: return "fail";
    case RL_VERDICT_ERROR: return "error";
  }
  return "error";
}

static void progress(const rl_check_config *cfg, rl_build_kind build, int run, uint64_t seed) {
  if (!cfg->progress) return;
  fprintf(stderr, "\r\033[Kracelab: %s build, run %d/%d (seed %" PRIu64 ", %s)", rl_build_kind_name(build), run,
          cfg->runs, seed, rl_run_mode(seed));
  fflush(stderr);
}

static void progress_done(const rl_check_config *cfg) {
  if (cfg->progress) fputs("\r\033[K", stderr);
}

/* The compiler's output as a build-error finding, located at the first
 * "file:line:col: error:" it printed. */
static void add_build_error(rl_check_result *res, rl_build_kind kind, const rl_build_result *b) {
  rl_finding *f = rl_findings_add(&res->findings, RL_FINDING_BUILD_ERROR);
  f->build = rl_build_kind_name(kind);
  f->summary = rl_xstrdup("the program does not compile");
  f->detail = rl_xstrdup(b->diagnostics);
  f->count = 1;
  f->first_run = 0;
  for (int n = 1;; n++) {
    char *line = rl_text_line(b->diagnostics, n);
    if (!line) break;
    char *err = strstr(line, ": error:");
    char *colon = strchr(line, ':');
    if (err && colon && colon < err) {
      rl_location *loc = rl_finding_add_location(f);
      loc->file = rl_xstrndup(line, (size_t)(colon - line));
      loc->line = atoi(colon + 1);
      loc->role = rl_xstrdup(err + 9);
      loc->thread = -1;
      free(line);
      break;
    }
    free(line);
  }
}

/* Keeps the trace of the run just done (before its findings are merged)
 * unless the one kept comes from a run that showed a finding first. */
static void keep_trace(rl_check_result *res, rl_trace *trace, rl_symbolizer *sym, const char *binary) {
  int kept_failing = 0;
  for (size_t k = 0; res->trace && k < res->findings.count; k++)
    kept_failing |= res->findings.items[k].first_run == res->trace_run;
  if (!trace->count || kept_failing) {
    rl_trace_free(trace);
    return;
  }
  if (res->trace) rl_trace_free(res->trace);
  else res->trace = rl_xcalloc(1, sizeof *res->trace);
  *res->trace = *trace;
  res->trace_run = res->runs;
  rl_trace_symbolize(res->trace, sym, binary);
}

/* A fork server for the runs of one build, when the config allows one:
 * local runs fork from it, a sandbox's never do (forkserver.h). */
static rl_forkserver *start_server(const rl_target *t, const rl_check_config *cfg, rl_build_kind kind,
                                   const char *binary, const char *scratch) {
  if (cfg->fresh_processes || cfg->sandbox) return NULL;
  char *dir = rl_xasprintf("%s/%s-server", scratch, rl_build_kind_name(kind));
  rl_mkdirs(dir);
  rl_run_config sc = {.target = t, .build = kind, .binary = binary, .timeout_ms = cfg->timeout_ms, .scratch = dir};
  rl_forkserver *server = rl_run_server_start(&sc);
  free(dir);
  return server;
}

/* The runs of one build. Returns -1 when racelab failed (res->error set),
 * 1 when a finding ends the whole check, 0 otherwise. */
static int run_build(const rl_target *t, const rl_check_config *cfg, rl_check_result *res, const char *scratch,
                     rl_symbolizer *sym, rl_build_kind kind, const char *binary, rl_forkserver *server) {
  char err[512];
  for (int i = 0; i < cfg->runs; i++) {
    uint64_t seed = cfg->seed + (uint64_t)i;
    progress(cfg, kind, i + 1, seed);
    char *dir = rl_xasprintf("%s/%s-%d", scratch, rl_build_kind_name(kind), i + 1);
    rl_mkdirs(dir);
    rl_run_config rc_cfg = {.target = t, .build = kind, .binary = binary, .seed = seed,
                            .timeout_ms = cfg->timeout_ms, .scratch = dir, .sandbox = cfg->sandbox,
                            .trace = cfg->trace, .server = server};
    rl_run_outcome out;
    int ok = rl_run_once(&rc_cfg, &out, err, sizeof err);
    rl_remove_tree(dir);
    free(dir);
    if (ok != 0) {
      res->error = rl_xstrdup(err);
      return -1;
    }
    res->runs++;
    rl_symbolize_findings(sym, binary, &out.findings);
    for (size_t k = 0; k < out.findings.count; k++) rl_finding_locate(&out.findings.items[k]);
    /* One bug reported several times in one run (TSan and the runtime
     * both see a lock cycle) is one sighting: merge within the run first. */
    rl_findings seen = {0};
    rl_findings_merge(&seen, &out.findings);
    for (size_t k = 0; k < seen.count; k++) {
      rl_finding *f = &seen.items[k];
      f->first_run = res->runs;
      f->seed = seed;
      f->mode = rl_run_mode(seed);
      f->build = rl_build_kind_name(kind);
      f->count = 1;
    }
    keep_trace(res, &out.trace, sym, binary);
    int found = seen.count > 0;
    rl_findings_merge(&res->findings, &seen);
    rl_findings_free(&out.findings);
    rl_findings_free(&seen);
    if (found && cfg->stop_at_first == RL_STOP_CHECK) return 1;
    if (found && cfg->stop_at_first == RL_STOP_BUILD) break;
  }
  return 0;
}

static int run_builds(const rl_target *t, const rl_check_config *cfg, rl_check_result *res, const char *scratch,
                      rl_symbolizer *sym) {
  char err[512];
  /* An exercise's program is checked with every check on, or not run: a
   * program of one's own may use the sanitizers' annotations as it likes. */
  if (t->exercise) {
    if (rl_screen(t, cfg->sandbox, &res->findings, err, sizeof err) < 0) {
      res->error = rl_xstrdup(err);
      return -1;
    }
    if (res->findings.count) return 0;
  }
  for (int kind = 0; kind < RL_BUILD_COUNT; kind++) {
    if (!(cfg->builds & (1u << kind))) continue;
    rl_build_result b;
    int rc = rl_build(t, (rl_build_kind)kind, cfg->sandbox, &b, err, sizeof err);
    if (rc < 0) {
      res->error = rl_xstrdup(err);
      return -1;
    }
    if (rc > 0) {
      add_build_error(res, (rl_build_kind)kind, &b);
      rl_build_result_free(&b);
      return 0;
    }
    rl_forkserver *server = start_server(t, cfg, (rl_build_kind)kind, b.binary, scratch);
    rc = run_build(t, cfg, res, scratch, sym, (rl_build_kind)kind, b.binary, server);
    rl_forkserver_stop(server);
    rl_build_result_free(&b);
    if (rc != 0) return rc < 0 ? -1 : 0;
  }
  return 0;
}

rl_verdict rl_check(const rl_target *t, const rl_check_config *cfg, rl_check_result *res) {
  memset(res, 0, sizeof *res);
  res->seed = cfg->seed;
  long start = rl_now_ms();
  /* Every run makes and removes its folder and logs there: on tmpfs that
   * costs about 10% less of a short run than on this machine's ext4 /tmp.
   * Sandboxed runs keep /tmp, which is what the sandbox expects. */
  char shm[] = "/dev/shm/racelab.XXXXXX", tmp[] = "/tmp/racelab.XXXXXX";
  char *scratch = cfg->sandbox ? NULL : mkdtemp(shm);
  if (!scratch) scratch = mkdtemp(tmp);
  rl_symbolizer *sym = rl_symbolizer_new();
  if (!scratch) {
    res->error = rl_xasprintf("cannot create a scratch folder: %s", strerror(errno));
  } else {
    run_builds(t, cfg, res, scratch, sym);
    rl_remove_tree(scratch);
  }
  progress_done(cfg);
  rl_symbolizer_free(sym);
  res->elapsed_ms = rl_now_ms() - start;
  res->verdict = res->error ? RL_VERDICT_ERROR : res->findings.count ? RL_VERDICT_FAIL : RL_VERDICT_PASS;
  return res->verdict;
}

void rl_check_result_free(rl_check_result *res) {
  rl_findings_free(&res->findings);
  free(res->error);
  if (res->trace) rl_trace_free(res->trace);
  free(res->trace);
  memset(res, 0, sizeof *res);
}
