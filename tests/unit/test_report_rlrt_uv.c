/* test_report_rlrt_uv.c -- the libuv part of racelab's runtime log: the
 * parser on hand-written logs (tests/data/rlrt_uv), then every fixture of
 * tests/fixtures/uv built as racelab builds programs (TSan and ASan, gcc
 * and clang when installed, the runtime and its --wrap options), run under
 * a deadline (one that "runs forever" is stopped through the hang dump),
 * and its findings checked against the fixture's own
 * "expect: <kind> "<words of the summary>"" comments: the kind, how many,
 * the words and the line where the work was started. */
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
#include "report_rlrt_uv.h"
#include "runtime/rlrt_protocol.h"
#include "supervise.h"
#include "symbolize.h"
#include "util.h"

static char *scratch;
static rl_symbolizer *sym;

static int setup(void **state) {
  (void)state;
  char tmpl[] = "/tmp/rl_test_rlrt_uv.XXXXXX";
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

static void parse_data(const char *name, rl_findings *out) {
  char *path = rl_xasprintf("%s/rlrt_uv/%s", RL_TEST_DATA, name);
  size_t len;
  char *text = rl_read_file(path, &len);
  assert_non_null(text);
  int n = rl_report_rlrt_uv_parse(text, len, out);
  assert_int_equal(n, (int)out->count);
  free(text);
  free(path);
}

/* ---- the parser on hand-written logs ------------------------------------------ */

static void test_grouped(void **state) {
  (void)state;
  rl_findings fs = {0};
  parse_data("grouped.log", &fs);
  assert_int_equal(fs.count, 2);

  /* R1 and R4 share a start site; R2 completed; R3 completed (its done
   * line came first); R8 completed after a stop found it pending; R5 was
   * never found by a stop; R6, R7 malformed. */
  const rl_finding *f = &fs.items[0];
  assert_int_equal(f->kind, RL_FINDING_FORGOTTEN_AWAIT);
  assert_string_equal(f->summary, "2 uv_queue_work requests never completed: the loop was closed "
                                  "(uv_loop_close() returned UV_EBUSY) before their callbacks ran");
  assert_string_equal(f->object, "requests R1, R4 (uv_queue_work)");
  assert_int_equal(f->nlocations, 2);
  assert_string_equal(f->locations[0].role, "starts the requests");
  assert_int_equal(f->locations[0].thread, 0);
  const rl_stack *st = &f->locations[0].stack;
  assert_int_equal(st->count, 3);
  assert_string_equal(st->frames[0].module, "/tmp/prog dir/prog");
  assert_int_equal(st->frames[0].offset, 0x10ff); /* the top frame at ip-1 */
  assert_int_equal(st->frames[1].offset, 0x1500);
  assert_string_equal(st->frames[2].module, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  assert_int_equal(st->frames[2].offset, 0x2000);
  assert_string_equal(f->locations[1].role, "closes the loop while the requests are pending");
  assert_int_equal(f->locations[1].stack.frames[0].offset, 0x13ff);
  assert_int_equal(f->nthreads, 1);

  f = &fs.items[1];
  assert_int_equal(f->kind, RL_FINDING_FORGOTTEN_AWAIT);
  assert_string_equal(f->summary, "timer handle was never finished closing: the loop did not run "
                                  "after uv_close(), so its close callback never ran");
  assert_string_equal(f->object, "handle H1 (timer)");
  assert_string_equal(f->locations[0].role, "creates the handle");
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x11ff);
  assert_string_equal(f->locations[1].role, "closes the loop while the handle is open");
  rl_findings_free(&fs);
}

static void test_busy_and_misuse(void **state) {
  (void)state;
  rl_findings fs = {0};
  parse_data("busy.log", &fs);
  assert_int_equal(fs.count, 3);
  const rl_finding *f = &fs.items[0];
  assert_int_equal(f->kind, RL_FINDING_FORGOTTEN_AWAIT);
  assert_non_null(strstr(f->summary, "uv_loop_close() returned UV_EBUSY"));
  assert_string_equal(f->object, "loop L1");
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x13ff);

  /* The same call site twice is one finding; another site is another. */
  f = &fs.items[1];
  assert_int_equal(f->kind, RL_FINDING_SYNC_MISUSE);
  assert_string_equal(f->summary, "T2 calls uv_timer_start() on loop L1 while T0 runs it in "
                                  "uv_run(): a loop is not thread-safe, only uv_async_send() may "
                                  "be called from another thread");
  assert_string_equal(f->object, "loop L1");
  assert_int_equal(f->locations[0].thread, 2);
  assert_int_equal(f->nthreads, 2);
  assert_int_equal(f->threads[0].id, 2);
  assert_int_equal(f->threads[0].created_at.frames[0].offset, 0x12ff);
  assert_int_equal(f->threads[1].id, 0);
  assert_string_equal(fs.items[2].locations[0].role,
                      "calls uv_close() from a thread other than the loop's");
  rl_findings_free(&fs);
}

static void test_hang(void **state) {
  (void)state;
  rl_findings fs = {0};
  parse_data("hang.log", &fs);
  assert_int_equal(fs.count, 1);
  const rl_finding *f = &fs.items[0];
  assert_int_equal(f->kind, RL_FINDING_FORGOTTEN_AWAIT);
  assert_string_equal(f->summary, "async handle was never closed, and uv_run() never returned: an "
                                  "open handle keeps the loop running");
  assert_string_equal(f->object, "handle H1 (async)");
  assert_int_equal(f->nlocations, 2);
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x10ff);
  assert_string_equal(f->locations[1].role, "waits in uv_run() forever while the handle is open");
  assert_int_equal(f->locations[1].stack.frames[0].offset, 0x13ff); /* the last dump */
  rl_findings_free(&fs);
}

static void test_empty_and_garbage(void **state) {
  (void)state;
  rl_findings fs = {0};
  static const char garbage[] = "uvreq\nuvstop E1 close\nuvpending R1 E1 ran=1\n"
                                "uvreq R1 uv_queue_work T0 s=1\nuvopen H999999999 E1 open\n"
                                "uvmisuse uv_run L1 T1 loop=Tx s=1\n\n";
  assert_int_equal(rl_report_rlrt_uv_parse("", 0, &fs), 0);
  /* R1 is pending at E1, but E1's line is malformed: nothing to say why. */
  assert_int_equal(rl_report_rlrt_uv_parse(garbage, sizeof garbage - 1, &fs), 0);
  assert_int_equal(fs.count, 0);
}

/* ---- fixtures, built and run ---------------------------------------------------- */

/* Runs bin with the runtime logging (seeded jitter on) under a 20 s
 * deadline, or, for a program that runs forever, 1.5 s and then the hang
 * dump; returns its runtime log's findings, symbolized and located. */
static void run(const char *bin, unsigned seed, int forever, rl_findings *out) {
  char *dir = rl_xasprintf("%s/run", scratch);
  rl_remove_tree(dir);
  assert_int_equal(rl_mkdirs(dir), 0);
  char *vars[] = {rl_xasprintf("RLRT_LOG=%s/rlrt", dir), rl_xasprintf("RLRT_SEED=%u", seed),
                  rl_xasprintf("TSAN_OPTIONS=symbolize=0:log_path=%s/san", dir),
                  rl_xasprintf("ASAN_OPTIONS=symbolize=0:detect_leaks=0:log_path=%s/san", dir)};
  char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "RLRT_MODE=random",
                  vars[0], vars[1], vars[2], vars[3], NULL};
  char *argv[] = {(char *)bin, NULL};
  rl_run_spec spec = {.argv = argv, .envp = envp, .cwd = dir,
                      .timeout_ms = forever ? 1500 : 20000, .output_cap = 65536,
                      .dump_signal = RLRT_DUMP_SIGNAL, .dump_grace_ms = 1000};
  rl_run_result res;
  assert_int_equal(rl_supervise(&spec, &res), 0);
  /* Every fixture that ends exits 0: a wrapper that lost a callback
   * would make it fail (or hang). */
  if (forever ? !res.timed_out : res.timed_out || !res.exited || res.exit_code != 0)
    fail_msg("%s: timed out %d, exited %d with %d, signal %d\n%s", bin, res.timed_out,
             res.exited, res.exit_code, res.signal, res.err);
  char *log = rl_xasprintf("%s/rlrt.%ld", dir, res.pid);
  size_t len;
  char *text = rl_read_file(log, &len);
  if (!text)
    fail_msg("%s left no runtime log %s", bin, log);
  assert_true(rl_report_rlrt_uv_parse(text, len, out) >= 0);
  assert_true(rl_symbolize_findings(sym, bin, out) >= 0);
  for (size_t i = 0; i < out->count; i++)
    rl_finding_locate(&out->items[i]);
  rl_run_result_free(&res);
  free(text);
  free(log);
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    free(vars[i]);
  free(dir);
}

static const char *const fixtures[] = {"work_never_run", "fs_after_run", "timer_open",
                                       "wrong_thread", "async_never_closed", "stopped_early",
                                       "clean", "clean_io"};

static void check_fixtures(const char *compiler) {
  char *cc = rl_find_program(compiler);
  if (!cc)
    skip();
  static const char *const sanitizers[] = {"-fsanitize=thread", "-fsanitize=address"};
  for (size_t s = 0; s < 2; s++)
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
      char *src = rl_xasprintf("%s/uv/%s.c", RL_TEST_FIXTURES, fixtures[i]);
      expectation ex[4];
      size_t nex = read_expectations(src, ex, 4);
      char *bin = build_fixture(cc, sanitizers[s], "uv", fixtures[i], scratch);
      rl_findings fs = {0};
      char *text = rl_read_file(src, NULL);
      int forever = strstr(text, "runs forever") != NULL;
      free(text);
      run(bin, 1000u + (unsigned)i, forever, &fs);
      if (fs.count != nex)
        fail_msg("%s %s: %zu findings, expected %zu (first: %s)", cc, bin, fs.count, nex,
                 fs.count ? fs.items[0].summary : "-");
      for (size_t k = 0; k < nex; k++) {
        const rl_finding *f = &fs.items[k];
        const rl_location *loc = &f->locations[0];
        if (f->kind != ex[k].kind || !strstr(f->summary, ex[k].words) || !loc->file ||
            strcmp(rl_path_basename(loc->file), rl_path_basename(src)) != 0 ||
            loc->line != ex[k].line)
          fail_msg("%s: got %s \"%s\" at %s:%d, expected %s \"%s\" at line %d", bin,
                   rl_finding_kind_name(f->kind), f->summary, loc->file ? loc->file : "?",
                   loc->line, rl_finding_kind_name(ex[k].kind), ex[k].words, ex[k].line);
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
      cmocka_unit_test(test_grouped),
      cmocka_unit_test(test_busy_and_misuse),
      cmocka_unit_test(test_hang),
      cmocka_unit_test(test_empty_and_garbage),
      cmocka_unit_test(test_fixtures_gcc),
      cmocka_unit_test(test_fixtures_clang),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
