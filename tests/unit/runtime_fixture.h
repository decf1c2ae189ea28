/* runtime_fixture.h -- what the tests that build fixture programs with
 * racelab's runtime share: reading a fixture's "expect:" comments and
 * building it as harness/build.c builds programs. Included by one test
 * file each (after cmocka.h), so its functions are static. */
#ifndef RL_TEST_RUNTIME_FIXTURE_H
#define RL_TEST_RUNTIME_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "supervise.h"
#include "util.h"

/* What a fixture declares: each line holding "expect: <kind> "<words>"". */
typedef struct {
  rl_finding_kind kind;
  int line;
  char words[128];
} expectation;

static size_t read_expectations(const char *src, expectation *ex, size_t cap) {
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
 * into dir, as harness/build.c does; returns the binary. */
static char *build_fixture(const char *cc, const char *sanitizer, const char *folder, const char *name,
                           const char *dir) {
  char *src = rl_xasprintf("%s/%s/%s.c", RL_TEST_FIXTURES, folder, name);
  char *bin = rl_xasprintf("%s/%s.%s.%s", dir, name, rl_path_basename(cc), sanitizer + 11);
  char *wrap = rl_xasprintf("@%s", RL_TEST_RUNTIME_WRAP);
  char *argv[] = {(char *)cc, "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-g", "-O1",
                  "-fno-omit-frame-pointer", "-pthread", (char *)sanitizer, "-Wall", "-Werror",
                  src, "-o", bin, RL_TEST_RUNTIME_LIB, wrap, "-luv", "-lunwind", "-lpthread",
                  NULL};
  char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "TMPDIR=/tmp", NULL};
  rl_run_spec spec = {.argv = argv, .envp = envp, .timeout_ms = 120000, .output_cap = 65536};
  rl_run_result res;
  assert_int_equal(rl_supervise(&spec, &res), 0);
  if (!res.exited || res.exit_code != 0)
    fail_msg("%s %s %s does not build:\n%s", cc, sanitizer, name, res.err);
  rl_run_result_free(&res);
  free(wrap);
  free(src);
  return bin;
}

#endif
