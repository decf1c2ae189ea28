/* test_report_rlrt_thread.c -- threads never joined and children never
 * waited for: the parser on a hand-written log (tests/data/rlrt_thread),
 * then every fixture of tests/fixtures/procs built as racelab builds
 * programs (TSan and ASan, gcc and clang when installed, the runtime and
 * its --wrap options) and run under a deadline; the findings of every
 * process's log (and, in TSan builds, TSan's own report, merged as a check
 * merges one run) are checked against the fixture's own
 * "expect: <kind> "<words of the summary>"" comments: the kind, how many,
 * the words and the line where the thread or child was created (or, for
 * a failed create, joined). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime_fixture.h"

#include "finding.h"
#include "report_rlrt_thread.h"
#include "report_tsan.h"
#include "supervise.h"
#include "symbolize.h"
#include "util.h"

static char *scratch;
static rl_symbolizer *sym;

static int setup(void **state) {
  (void)state;
  char tmpl[] = "/tmp/rl_test_rlrt_thread.XXXXXX";
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

/* ---- the parser on a hand-written log ------------------------------------------ */

static void test_owed(void **state) {
  (void)state;
  char *path = rl_xasprintf("%s/rlrt_thread/owed.log", RL_TEST_DATA);
  size_t len;
  char *text = rl_read_file(path, &len);
  assert_non_null(text);
  rl_findings fs = {0};
  assert_int_equal(rl_report_rlrt_thread_parse(text, len, &fs), 4);
  assert_int_equal(fs.count, 4);

  const rl_finding *f = &fs.items[0];
  assert_int_equal(f->kind, RL_FINDING_UNJOINED_THREAD);
  assert_string_equal(f->summary, "threads T1, T3, T4 are never joined: 1 still running when the "
                                  "program exited (work cut off), 2 finished with results never "
                                  "collected");
  assert_string_equal(f->object, "threads T1, T3, T4");
  assert_int_equal(f->nlocations, 1);
  assert_string_equal(f->locations[0].role, "creates T1, T3, T4, which are never joined");
  assert_int_equal(f->locations[0].thread, 0);
  const rl_stack *st = &f->locations[0].stack;
  assert_int_equal(st->count, 2);
  assert_string_equal(st->frames[0].module, "/tmp/prog");
  assert_int_equal(st->frames[0].offset, 0x10ff); /* the top frame at ip-1 */
  assert_string_equal(st->frames[1].module, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  assert_int_equal(f->nthreads, 3);
  assert_int_equal(f->threads[1].id, 3);
  assert_int_equal(f->threads[1].created_at.frames[0].offset, 0x10ff);

  f = &fs.items[1];
  assert_int_equal(f->kind, RL_FINDING_UNJOINED_THREAD);
  assert_string_equal(f->summary, "thread T2 is never joined: it was still running when the "
                                  "program exited, so its work was cut off");
  assert_string_equal(f->locations[0].role, "creates T2, which is never joined");
  assert_int_equal(f->locations[0].stack.frames[1].offset, 0x1500);

  f = &fs.items[2];
  assert_int_equal(f->kind, RL_FINDING_UNWAITED_CHILD);
  assert_string_equal(f->summary, "child process P2 is never waited for: it exited, but nobody "
                                  "read its exit status, so whether its work succeeded was never "
                                  "checked (it stayed a zombie until the program exited)");
  assert_string_equal(f->object, "child process P2");
  assert_string_equal(f->locations[0].role, "forks P2, which is never waited for");
  assert_int_equal(f->locations[0].thread, 1);
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x13ff);
  assert_int_equal(f->nthreads, 0);

  f = &fs.items[3];
  assert_int_equal(f->kind, RL_FINDING_SYNC_MISUSE);
  assert_string_equal(f->summary, "T0 joins T9, whose pthread_create() failed (Resource temporarily "
                                  "unavailable): the error was not checked, and the pthread_t "
                                  "joined was never set");
  assert_string_equal(f->object, "thread T9, which never started");
  assert_int_equal(f->nlocations, 2);
  assert_string_equal(f->locations[0].role, "joins T9, which never started");
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x16ff);
  assert_string_equal(f->locations[1].role, "creates T9: pthread_create() fails, unchecked");
  assert_int_equal(f->locations[1].stack.frames[0].offset, 0x15ff);
  rl_findings_free(&fs);
  free(text);
  free(path);
}

static void test_empty_and_garbage(void **state) {
  (void)state;
  rl_findings fs = {0};
  static const char garbage[] = "unjoined\nunjoined T1\nunjoined T1 parent=T0 state=exited s=\n"
                                "unwaited P1 pid=1 T0 state=exited s=1 extra\n"
                                "unjoined T99999999999 parent=T0 state=exited s=1\n\n";
  assert_int_equal(rl_report_rlrt_thread_parse("", 0, &fs), 0);
  assert_int_equal(rl_report_rlrt_thread_parse(garbage, sizeof garbage - 1, &fs), 0);
  assert_int_equal(fs.count, 0);
}

/* ---- fixtures, built and run ---------------------------------------------------- */

/* Every file of dir named prefix*, parsed by parse into out. */
static void parse_dir(const char *dir, const char *prefix,
                      int (*parse)(const char *, size_t, rl_findings *), rl_findings *out) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
      continue;
    char *path = rl_path_join(dir, e->d_name);
    size_t len;
    char *text = rl_read_file(path, &len);
    assert_non_null(text);
    assert_true(parse(text, len, out) >= 0);
    free(text);
    free(path);
  }
  closedir(d);
}

/* Runs bin with the runtime logging (seeded jitter on) under a 20 s
 * deadline; returns the findings of every process's runtime log and of
 * TSan's reports, symbolized, located and merged as one run of a check. */
static void run(const char *bin, unsigned seed, rl_findings *out) {
  char *dir = rl_xasprintf("%s/run", scratch);
  rl_remove_tree(dir);
  assert_int_equal(rl_mkdirs(dir), 0);
  rl_run_result res;
  run_fixture(bin, dir, (fixture_run){"random", seed, 20000, 0}, &res);
  /* 66: TSan reported (a thread leak); anything else is a broken fixture
   * or a wrapper that broke the program. */
  if (res.timed_out || !res.exited || (res.exit_code != 0 && res.exit_code != 66))
    fail_msg("%s: timed out %d, exited %d with %d, signal %d\n%s", bin, res.timed_out,
             res.exited, res.exit_code, res.signal, res.err);
  rl_findings all = {0};
  parse_dir(dir, "rlrt.", rl_report_rlrt_thread_parse, &all);
  parse_dir(dir, "san.", rl_report_tsan_parse, &all);
  assert_true(rl_symbolize_findings(sym, bin, &all) >= 0);
  for (size_t i = 0; i < all.count; i++)
    rl_finding_locate(&all.items[i]);
  rl_findings_merge(out, &all);
  rl_findings_free(&all);
  rl_run_result_free(&res);
  free(dir);
}

static const char *const fixtures[] = {"thread_running", "thread_finished", "clean_threads",
                                       "join_failed", "child_unwaited", "clean_fork"};

static void check_fixtures(const char *compiler) {
  char *cc = rl_find_program(compiler);
  if (!cc)
    skip();
  static const char *const sanitizers[] = {"-fsanitize=thread", "-fsanitize=address"};
  for (size_t s = 0; s < 2; s++)
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
      char *src = rl_xasprintf("%s/procs/%s.c", RL_TEST_FIXTURES, fixtures[i]);
      char *text = rl_read_file(src, NULL);
      int asan_only = strstr(text, "(ASan only") != NULL;
      free(text);
      if (asan_only && s == 0) {
        free(src);
        continue;
      }
      expectation ex[4];
      size_t nex = read_expectations(src, ex, 4);
      char *bin = build_fixture(cc, sanitizers[s], "procs", fixtures[i], scratch);
      rl_findings fs = {0};
      run(bin, 2000u + (unsigned)i, &fs);
      if (fs.count != nex)
        fail_msg("%s: %zu findings, expected %zu (first: %s)", bin, fs.count, nex,
                 fs.count ? fs.items[0].summary : "-");
      for (size_t k = 0; k < nex; k++) {
        const rl_finding *f = &fs.items[k];
        const rl_location *loc = f->nlocations ? &f->locations[0] : NULL;
        if (f->kind != ex[k].kind || !strstr(f->summary, ex[k].words) || !loc || !loc->file ||
            strcmp(rl_path_basename(loc->file), rl_path_basename(src)) != 0 ||
            loc->line != ex[k].line)
          fail_msg("%s: got %s \"%s\" at %s:%d, expected %s \"%s\" at line %d", bin,
                   rl_finding_kind_name(f->kind), f->summary,
                   loc && loc->file ? loc->file : "?", loc ? loc->line : 0,
                   rl_finding_kind_name(ex[k].kind), ex[k].words, ex[k].line);
      }
      rl_findings_free(&fs);
      free(bin);
      free(src);
    }
  free(cc);
}

static void test_fixtures_gcc(void **state) {
  (void)state;
  check_fixtures("gcc");
}

static void test_fixtures_clang(void **state) {
  (void)state;
  check_fixtures("clang");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_owed),
      cmocka_unit_test(test_empty_and_garbage),
      cmocka_unit_test(test_fixtures_gcc),
      cmocka_unit_test(test_fixtures_clang),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
