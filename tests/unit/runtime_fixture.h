/* runtime_fixture.h -- what the tests that build fixture programs with
 * racelab's runtime share: reading a fixture's "expect:" comments,
 * building it as harness/build.c builds programs, running it as racelab
 * runs them and reading its runtime log. Included by one test file each
 * (after cmocka.h), so its functions are static, and inline so that a
 * test may leave some unused. */
#ifndef RL_TEST_RUNTIME_FIXTURE_H
#define RL_TEST_RUNTIME_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "runtime/rlrt_protocol.h"
#include "supervise.h"
#include "util.h"

/* What a fixture declares: each line holding "expect: <kind> "<words>"". */
typedef struct {
  rl_finding_kind kind;
  int line;
  char words[128];
} expectation;

static inline size_t read_expectations(const char *src, expectation *ex, size_t cap) {
  char *text = rl_read_file(src, NULL);
  assert_non_null(text);
  size_t n = 0;
  int line = 1;
  for (char *p = text; *p; p++) {
    if (*p == '\n')
      line++;
    if (strncmp(p, "expect: ", 8) != 0)
      continue;
    assert_true(n < cap);
    char kind[32], words[128];
    assert_int_equal(sscanf(p + 8, "%31s \"%127[^\"]\"", kind, words), 2);
    assert_int_equal(rl_finding_kind_parse(kind, &ex[n].kind), 0);
    ex[n].line = line;
    strcpy(ex[n].words, words);
    n++;
  }
  free(text);
  return n;
}

/* Builds tests/fixtures/<folder>/<name>.c with cc and the sanitizer flag
 * ("-fsanitize=thread"; NULL: a plain build, the runtime alone) into dir,
 * as harness/build.c does; returns the binary. */
static inline char *build_fixture(const char *cc, const char *sanitizer, const char *folder, const char *name,
                                  const char *dir) {
  char *src = rl_xasprintf("%s/%s/%s.c", RL_TEST_FIXTURES, folder, name);
  char *bin = rl_xasprintf("%s/%s.%s.%s", dir, name, rl_path_basename(cc),
                           sanitizer ? sanitizer + 11 : "plain");
  char *wrap = rl_xasprintf("@%s", RL_TEST_RUNTIME_WRAP);
  /* The sanitizer last: a plain build's NULL ends the list there. */
  char *argv[] = {(char *)cc, "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-g", "-O1",
                  "-fno-omit-frame-pointer", "-pthread", "-Wall", "-Werror",
                  src, "-o", bin, RL_TEST_RUNTIME_LIB, wrap, "-luv", "-lunwind", "-lpthread",
                  (char *)sanitizer, NULL};
  char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "TMPDIR=/tmp", NULL};
  rl_run_spec spec = {.argv = argv, .envp = envp, .timeout_ms = 120000, .output_cap = 65536};
  rl_run_result res;
  assert_int_equal(rl_supervise(&spec, &res), 0);
  if (!res.exited || res.exit_code != 0)
    fail_msg("%s %s %s does not build:\n%s", cc, sanitizer ? sanitizer : "(plain)", name, res.err);
  rl_run_result_free(&res);
  free(wrap);
  free(src);
  return bin;
}

/* How a fixture runs: the runtime's scheduling, the deadline, and how long
 * the hang dump may take once the deadline has sent the dump signal. */
typedef struct {
  const char *mode;  /* RLRT_MODE: "random" or "pct" */
  unsigned seed;     /* RLRT_SEED */
  int timeout_ms;
  int dump_grace_ms;
} fixture_run;

/* Runs bin in dir, an existing folder, as racelab runs programs: the
 * runtime logs to dir/rlrt.<pid>, the sanitizers to dir/san.<pid>,
 * unsymbolized. Fills *res. */
static inline void run_fixture(const char *bin, const char *dir, fixture_run how, rl_run_result *res) {
  char *vars[] = {rl_xasprintf("RLRT_LOG=%s/rlrt", dir), rl_xasprintf("RLRT_SEED=%u", how.seed),
                  rl_xasprintf("RLRT_MODE=%s", how.mode),
                  rl_xasprintf("TSAN_OPTIONS=symbolize=0:exitcode=66:log_path=%s/san", dir),
                  rl_xasprintf("ASAN_OPTIONS=symbolize=0:detect_leaks=0:log_path=%s/san", dir)};
  char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", vars[0], vars[1], vars[2],
                  vars[3], vars[4], NULL};
  char *argv[] = {(char *)bin, NULL};
  rl_run_spec spec = {.argv = argv, .envp = envp, .cwd = dir, .timeout_ms = how.timeout_ms,
                      .output_cap = 65536, .dump_signal = RLRT_DUMP_SIGNAL,
                      .dump_grace_ms = how.dump_grace_ms};
  assert_int_equal(rl_supervise(&spec, res), 0);
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    free(vars[i]);
}

/* The runtime log of process pid run in dir; fails the test if there is
 * none. */
static inline char *read_runtime_log(const char *dir, long pid, size_t *len) {
  char *path = rl_xasprintf("%s/rlrt.%ld", dir, pid);
  char *text = rl_read_file(path, len);
  if (!text)
    fail_msg("no runtime log %s", path);
  free(path);
  return text;
}

#endif
