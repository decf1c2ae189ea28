/* test_runtime_fixtures.c -- racelab's runtime in real programs: every
 * fixture of tests/fixtures/runtime built as racelab builds programs (TSan
 * and ASan, gcc and clang, the runtime and wrap.rsp), run under a deadline
 * (hanging ones get the dump signal), and the findings of its log checked:
 * kind, words and source lines. Also: TSan still sees races and locks
 * through the wrappers, a seed replays the same decisions, fork() gives the
 * child its own log, and correct programs get no finding under jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <dirent.h>

#include "runtime_fixture.h"

#include "finding.h"
#include "report_rlrt.h"
#include "runtime/rlrt_protocol.h"
#include "supervise.h"
#include "symbolize.h"
#include "util.h"

static char *scratch;
static rl_symbolizer *sym;

static int setup(void **state) {
  (void)state;
  char tmpl[] = "/tmp/rl_test_runtime.XXXXXX";
  scratch = rl_xstrdup(mkdtemp(tmpl));
  sym = rl_symbolizer_new();
  return scratch && sym ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  rl_symbolizer_free(sym);
  rl_remove_tree(scratch);
  free(scratch);
  return 0;
}

/* ---- build and run ------------------------------------------------------------ */

/* Builds fixture `name` with compiler ("gcc", "clang") and sanitizer
 * ("thread", "address", or NULL for a plain build); returns the binary, or
 * NULL when the compiler is not installed. */
static char *build(const char *compiler, const char *san, const char *name) {
  char *cc = rl_find_program(compiler);
  if (!cc)
    return NULL;
  char *flag = san ? rl_xasprintf("-fsanitize=%s", san) : NULL;
  char *bin = build_fixture(cc, flag, "runtime", name, scratch);
  free(flag);
  free(cc);
  return bin;
}

typedef struct {
  const char *mode;  /* RLRT_MODE */
  unsigned seed;
  int hangs;         /* expect a hang: dump after a short deadline */
} run_opts;

/* Runs bin in a fresh folder; returns the folder (the runtime's logs are
 * <dir>/rlrt.<pid>, the sanitizer's <dir>/san.<pid>) and fills *res. */
static char *run(const char *bin, run_opts o, rl_run_result *res) {
  static int runs;
  char *dir = rl_xasprintf("%s/run%d", scratch, runs++);
  assert_int_equal(rl_mkdirs(dir), 0);
  /* A hang gets 800 ms (TSan starts in ~10 ms), then the dump signal and
   * up to 300 ms for the dump, as racelab does it. */
  run_fixture(bin, dir, (fixture_run){o.mode, o.seed, o.hangs ? 800 : 30000, 300}, res);
  if (o.hangs != res->timed_out)
    fail_msg("%s: timed out %d, expected %d (exit %d, signal %d)\n%s", bin, res->timed_out,
             o.hangs, res->exit_code, res->signal, res->err);
  return dir;
}

/* Runs bin and returns the findings of its runtime log, located. */
static void diagnose(const char *bin, run_opts o, rl_findings *out) {
  rl_run_result res;
  char *dir = run(bin, o, &res);
  size_t len;
  char *text = read_runtime_log(dir, res.pid, &len);
  if (o.hangs && !strstr(text, "\n" RLRT_DUMP_END_LINE "\n"))
    fail_msg("%s: the dump did not complete:\n%s", bin, text);
  memset(out, 0, sizeof *out);
  assert_true(rl_report_rlrt_parse(text, len, out) >= 0);
  assert_true(rl_symbolize_findings(sym, bin, out) >= 0);
  for (size_t i = 0; i < out->count; i++)
    rl_finding_locate(&out->items[i]);
  rl_run_result_free(&res);
  free(text);
  free(dir);
}

/* ---- every fixture's diagnosis -------------------------------------------------- */

typedef struct {
  const char *name;
  rl_finding_kind kind;
  size_t count;        /* findings of that kind (and no other) */
  int hangs;
  const char *words;   /* in the first finding's summary */
  int lines[8];        /* each must be the line of one of its locations */
} fixture;

static const fixture fixtures[] = {
    {"lock_inversion", RL_FINDING_LOCK_ORDER_INVERSION, 1, 0,
     "T1 takes mutex M2 while holding mutex M1", {13, 14, 22, 23}},
    {"lock_cycle3", RL_FINDING_LOCK_ORDER_INVERSION, 1, 0,
     "T3 takes mutex M1 while holding mutex M3", {12, 13, 20, 21, 28, 29}},
    {"lock_helper", RL_FINDING_LOCK_ORDER_INVERSION, 1, 0,
     "T1 takes mutex M2 while holding mutex M1", {18, 24}},
    /* Which lock is M1 depends on which thread locks first. */
    {"deadlock_abba", RL_FINDING_DEADLOCK, 1, 1, "T1 holds M", {12, 14, 21, 23}},
    {"self_relock", RL_FINDING_HANG, 1, 1, "T1 locks mutex M1 again while holding it", {15, 23}},
    {"lost_wakeup", RL_FINDING_HANG, 1, 1, "a lost wakeup", {15, 22}},
    {"join_cycle", RL_FINDING_DEADLOCK, 1, 1,
     "T1 waits for T2 to finish; T2 waits for T1 to finish", {16}},
    {"rwlock_upgrade", RL_FINDING_DEADLOCK, 1, 1,
     "T1 holds R1 and waits for R1; T2 holds R1 and waits for R1", {14, 18}},
    {"sync_misuse", RL_FINDING_SYNC_MISUSE, 4, 0, "without holding mutex", {23, 31, 38, 44}},
    /* Seed 7 draws a spurious wakeup for T1's wait (as seeds 1, 3-5, 8). */
    {"cond_if", RL_FINDING_SYNC_MISUSE, 1, 0, "without re-checking its condition", {19}},
};

static void check_fixture(const fixture *fx, const char *cc, const char *san) {
  char *bin = build(cc, san, fx->name);
  if (!bin)
    skip();
  rl_findings fs;
  diagnose(bin, (run_opts){"random", 7, fx->hangs}, &fs);
  if (fs.count != fx->count)
    fail_msg("%s: %zu findings, expected %zu (first: %s)", bin, fs.count, fx->count,
             fs.count ? fs.items[0].summary : "-");
  int found[8] = {0};
  for (size_t i = 0; i < fs.count; i++) {
    const rl_finding *f = &fs.items[i];
    if (f->kind != fx->kind)
      fail_msg("%s: a %s finding: %s", bin, rl_finding_kind_name(f->kind), f->summary);
    for (size_t k = 0; k < f->nlocations; k++)
      for (size_t j = 0; j < 8 && fx->lines[j]; j++)
        found[j] |= f->locations[k].line == fx->lines[j];
  }
  if (!strstr(fs.items[0].summary, fx->words))
    fail_msg("%s: \"%s\" lacks \"%s\"", bin, fs.items[0].summary, fx->words);
  for (size_t j = 0; j < 8 && fx->lines[j]; j++)
    if (!found[j])
      fail_msg("%s: no location at line %d (first location: %s:%d)", bin, fx->lines[j],
               fs.items[0].locations[0].file ? fs.items[0].locations[0].file : "?",
               fs.items[0].locations[0].line);
  rl_findings_free(&fs);
  free(bin);
}

static void every_fixture(const char *cc, const char *san) {
  for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++)
    check_fixture(&fixtures[i], cc, san);
}

static void fixtures_gcc_tsan(void **state) { every_fixture("gcc", "thread"); }
static void fixtures_gcc_asan(void **state) { every_fixture("gcc", "address"); }
static void fixtures_clang_tsan(void **state) { every_fixture("clang", "thread"); }
static void fixtures_clang_asan(void **state) { every_fixture("clang", "address"); }

/* The dump needs no sanitizer either. */
static void hangs_plain(void **state) {
  for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++)
    if (fixtures[i].hangs)
      check_fixture(&fixtures[i], "gcc", NULL);
}

/* ---- TSan through the wrappers --------------------------------------------------- */

/* The text of every sanitizer log the run left in dir ("" if none). */
static char *sanitizer_text(const char *dir, long pid) {
  char *path = rl_xasprintf("%s/san.%ld", dir, pid);
  char *text = rl_read_file(path, NULL);
  free(path);
  return text ? text : rl_xstrdup("");
}

/* An unlocked access next to locked ones is still a race for TSan, and
 * fully locked accesses are not: the wrapped calls reach its interceptors. */
static void tsan_sees_through(const char *cc) {
  char *racy = build(cc, "thread", "race_unlocked");
  char *locked = build(cc, "thread", "race_locked");
  if (!racy || !locked)
    skip();
  for (unsigned seed = 1; seed <= 3; seed++) {
    rl_run_result res;
    char *dir = run(racy, (run_opts){"random", seed, 0}, &res);
    char *text = sanitizer_text(dir, res.pid);
    if (!strstr(text, "WARNING: ThreadSanitizer: data race"))
      fail_msg("%s seed %u: no data race reported:\n%s", racy, seed, text);
    free(text);
    free(dir);
    rl_run_result_free(&res);

    dir = run(locked, (run_opts){"random", seed, 0}, &res);
    text = sanitizer_text(dir, res.pid);
    if (strstr(text, "WARNING") || !res.exited || res.exit_code != 0)
      fail_msg("%s seed %u: exit %d, report:\n%s", locked, seed, res.exit_code, text);
    free(text);
    free(dir);
    rl_run_result_free(&res);
  }
  free(racy);
  free(locked);
}

static void tsan_gcc(void **state) { tsan_sees_through("gcc"); }
static void tsan_clang(void **state) { tsan_sees_through("clang"); }

/* ---- replay ---------------------------------------------------------------------- */

/* The "exit" lines of one run of bin (per thread: decisions and hash),
 * sorted, as one string. */
static char *decisions(const char *bin, const char *mode, unsigned seed, size_t threads) {
  rl_run_result res;
  char *dir = run(bin, (run_opts){mode, seed, 0}, &res);
  assert_true(res.exited && res.exit_code == 0);
  char *text = read_runtime_log(dir, res.pid, NULL);
  char *lines[16];
  size_t n = 0;
  for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
    if (strncmp(l, "exit ", 5) == 0 && n < 16)
      lines[n++] = l;
  assert_int_equal(n, threads);
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
      char *t = lines[j];
      lines[j] = lines[j - 1];
      lines[j - 1] = t;
    }
  char *all = rl_xstrdup("");
  for (size_t i = 0; i < n; i++) {
    char *joined = rl_xasprintf("%s%s%s", all, i ? "|" : "", lines[i]);
    free(all);
    all = joined;
  }
  free(text);
  free(dir);
  rl_run_result_free(&res);
  return all;
}

/* Fixture name, built plain and under TSan and run in mode with seed 42 twice
 * and 43 once: the two 42s give the same decisions, 43 others. */
static void seed_replays(const char *name, const char *mode, size_t threads) {
  const char *sans[] = {NULL, "thread"};
  for (size_t s = 0; s < 2; s++) {
    char *bin = build("gcc", sans[s], name);
    if (!bin)
      skip();
    char *a = decisions(bin, mode, 42, threads), *b = decisions(bin, mode, 42, threads);
    char *c = decisions(bin, mode, 43, threads);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    /* Not trivially equal: every thread drew decisions (n > 0). */
    assert_null(strstr(a, " n=0 "));
    free(a);
    free(b);
    free(c);
    free(bin);
  }
}

static void same_seed_same_decisions(void **state) {
  seed_replays("jitter_stream", "random", 4); /* T0..T3 */
}

/* pct's change points are a function of the seed and the step: on a single
 * thread, whose steps are the same every run, the same seed changes the
 * same points and another seed others. */
static void pct_same_seed_same_changes(void **state) {
  seed_replays("pct_stream", "pct", 1);
}

/* ---- fork ------------------------------------------------------------------------ */

/* ASan: under TSan the child would report the parent's and its own lock
 * orders as an inversion and exit 66, which is right but not the point. */
static void fork_child_log(void **state) {
  char *bin = build("gcc", "address", "fork_log");
  if (!bin)
    skip();
  rl_run_result res;
  char *dir = run(bin, (run_opts){"random", 5, 0}, &res);
  assert_true(res.exited && res.exit_code == 0);
  char *parent = read_runtime_log(dir, res.pid, NULL);
  assert_non_null(strstr(parent, "\nedge M1 M2 T0 "));
  assert_null(strstr(parent, "edge M2 M1"));
  /* The child's log is the other file in dir, and names the parent. */
  char *child = NULL, *mine = rl_xasprintf("rlrt.%ld", res.pid);
  DIR *d = opendir(dir);
  assert_non_null(d);
  for (struct dirent *e; (e = readdir(d)) && !child;)
    if (strncmp(e->d_name, "rlrt.", 5) == 0 && strcmp(e->d_name, mine) != 0) {
      char *path = rl_path_join(dir, e->d_name);
      child = rl_read_file(path, NULL);
      free(path);
    }
  closedir(d);
  free(mine);
  assert_non_null(child);
  char *ppid = rl_xasprintf(" ppid=%ld ", res.pid);
  assert_non_null(strstr(child, ppid));
  assert_non_null(strstr(child, "\nedge M2 M1 T0 "));
  assert_null(strstr(child, "edge M1 M2"));
  free(ppid);
  free(child);
  free(parent);
  free(dir);
  rl_run_result_free(&res);
  free(bin);
}

/* ---- no false positives ---------------------------------------------------------- */

static void clean_under_jitter(void **state) {
  const char *ccs[] = {"gcc", "clang"};
  for (size_t c = 0; c < 2; c++) {
    char *bin = build(ccs[c], "thread", "clean_locks");
    if (!bin)
      continue;
    for (unsigned seed = 1; seed <= 6; seed++) {
      const char *mode = seed % 2 ? "random" : "pct";
      rl_findings fs;
      diagnose(bin, (run_opts){mode, seed, 0}, &fs);
      if (fs.count)
        fail_msg("%s %s seed %u: %s", bin, mode, seed, fs.items[0].summary);
      rl_findings_free(&fs);
    }
    free(bin);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fixtures_gcc_tsan),   cmocka_unit_test(fixtures_gcc_asan),
      cmocka_unit_test(fixtures_clang_tsan), cmocka_unit_test(fixtures_clang_asan),
      cmocka_unit_test(hangs_plain),         cmocka_unit_test(tsan_gcc),
      cmocka_unit_test(tsan_clang),          cmocka_unit_test(same_seed_same_decisions),
      cmocka_unit_test(pct_same_seed_same_changes),
      cmocka_unit_test(fork_child_log),      cmocka_unit_test(clean_under_jitter),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
