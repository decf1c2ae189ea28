/* test_report_rlrt_uv.c -- the libuv part of racelab's runtime log: the
 * parser on hand-written logs (tests/data/rlrt_uv), then every fixture of
 * tests/fixtures/uv built as racelab builds programs (TSan and ASan, gcc
 * and clang when installed, the runtime and its --wrap options), run under
 * a deadline (one that "runs forever" is stopped through the hang dump),
 * and its findings (its runtime log's, and its sanitizer report's, told in
 * libuv's words where the log says so, as racelab does) checked against
 * the fixture's own "expect: <kind> "<words of the summary>"" comments: the
 * kind, how many, the words and the line of the first location. A fixture
 * whose header says "ASan stops" ends with ASan's report in the ASan build;
 * "ASan build only": the TSan build must report nothing. Also the ASan
 * reports of tests/data/rlrt_uv/<name>.asan told with their runtime logs. */
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
#include "report_asan.h"
#include "report_rlrt_uv.h"
#include "report_tsan.h"
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

static void test_frees(void **state) {
  (void)state;
  rl_findings fs = {0};
  parse_data("frees.log", &fs);
  assert_int_equal(fs.count, 2);
  const rl_finding *f = &fs.items[0];
  assert_int_equal(f->kind, RL_FINDING_MEMORY_ERROR);
  assert_string_equal(f->summary, "uv_tcp_t handles H1, H2 were freed while their uv_close() was "
                                  "still pending: libuv uses the handle until it calls the close "
                                  "callback; free it there");
  assert_string_equal(f->object, "handles H1, H2 (tcp)");
  assert_int_equal(f->nlocations, 3);
  assert_string_equal(f->locations[0].role, "frees the block holding H1 while its close is pending");
  assert_int_equal(f->locations[0].stack.count, 2);
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x13ff);
  assert_non_null(strstr(f->locations[1].role, "closes H1: uv_close() only starts the close"));
  assert_int_equal(f->locations[1].stack.frames[0].offset, 0x12ff);
  assert_string_equal(f->locations[2].role, "creates H1");
  assert_int_equal(f->locations[2].stack.frames[0].offset, 0x10ff);
  assert_string_equal(fs.items[1].summary, "the uv_timer_t handle H3 was freed while its uv_close() "
                                           "was still pending: libuv uses the handle until it "
                                           "calls the close callback; free it there");
  rl_findings_free(&fs);
}

static void test_gones(void **state) {
  (void)state;
  rl_findings fs = {0};
  parse_data("gones.log", &fs);
  assert_int_equal(fs.count, 3);
  /* H5, nobody moved it, is still never closed; H1-H3 are not also that. */
  const rl_finding *f = &fs.items[0];
  assert_int_equal(f->kind, RL_FINDING_FORGOTTEN_AWAIT);
  assert_string_equal(f->object, "handle H5 (idle)");

  f = &fs.items[1];
  assert_int_equal(f->kind, RL_FINDING_MEMORY_ERROR);
  assert_string_equal(f->summary, "uv_timer_t handles H1, H2 were moved by realloc() before their "
                                  "close callbacks ran: libuv still points at their old addresses; "
                                  "keep each handle where it was initialized until its close "
                                  "callback: allocate handles one by one, or keep pointers in the "
                                  "growable array");
  assert_string_equal(f->object, "open handles H1, H2 (timer)");
  assert_int_equal(f->nlocations, 2);
  assert_string_equal(f->locations[0].role, "moves the block holding H1 with realloc()");
  assert_int_equal(f->locations[0].thread, 0);
  assert_int_equal(f->locations[0].stack.count, 2);
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x12ff);
  assert_string_equal(f->locations[1].role, "creates H1");
  assert_int_equal(f->locations[1].stack.frames[0].offset, 0x10ff);

  f = &fs.items[2];
  assert_string_equal(f->summary, "the uv_tcp_t handle H3 was freed before its close callback "
                                  "ran: libuv still points at it; close a handle with uv_close() "
                                  "and free its memory in the close callback");
  assert_string_equal(f->object, "open handle H3 (tcp)");
  assert_string_equal(f->locations[0].role, "frees the block holding H3");
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x13ff);
  assert_int_equal(f->locations[1].stack.frames[0].offset, 0x11ff);
  rl_findings_free(&fs);
}

/* The n sanitizer reports of data/rlrt_uv/<name>.<ext> (asan or tsan),
 * retold with <name>.log; returns how many were retold. */
static int parse_report_data(const char *name, const char *ext, int n, rl_findings *out) {
  char *log_path = rl_xasprintf("%s/rlrt_uv/%s.log", RL_TEST_DATA, name);
  char *report_path = rl_xasprintf("%s/rlrt_uv/%s.%s", RL_TEST_DATA, name, ext);
  size_t log_len, report_len;
  char *log = rl_read_file(log_path, &log_len), *report = rl_read_file(report_path, &report_len);
  assert_non_null(log);
  assert_non_null(report);
  int (*parse)(const char *, size_t, rl_findings *) =
      strcmp(ext, "asan") == 0 ? rl_report_asan_parse : rl_report_tsan_parse;
  assert_int_equal(parse(report, report_len, out), n);
  int told = rl_report_rlrt_uv_retell(log, log_len, out);
  /* The log alone: nothing more to say (the late free is the reports'). */
  rl_findings own = {0};
  assert_int_equal(rl_report_rlrt_uv_parse(log, log_len, &own), 0);
  free(log), free(report), free(log_path), free(report_path);
  return told;
}

static void test_asan_early(void **state) {
  (void)state;
  rl_findings fs = {0};
  assert_int_equal(parse_report_data("early", "asan", 1, &fs), 1);
  const rl_finding *f = &fs.items[0];
  assert_int_equal(f->kind, RL_FINDING_FORGOTTEN_AWAIT);
  assert_string_equal(f->summary, "uv_fs_stat's result is read before its callback ran: the request "
                                  "is still pending, and libuv fills in the result only just "
                                  "before the callback");
  assert_string_equal(f->object, "request R1 (uv_fs_stat)");
  assert_int_equal(f->nlocations, 2);
  assert_string_equal(f->locations[0].role, "reads uv_fs_stat's result before its callback ran");
  assert_string_equal(f->locations[0].stack.frames[0].module, "/tmp/prog");
  assert_int_equal(f->locations[0].stack.frames[0].offset, 0x39f1);
  assert_string_equal(f->locations[1].role, "starts the request");
  assert_int_equal(f->locations[1].stack.frames[0].offset, 0x398b);
  assert_non_null(strstr(f->detail, "use-after-poison"));
  rl_findings_free(&fs);
}

static void test_asan_late(void **state) {
  (void)state;
  rl_findings fs = {0};
  assert_int_equal(parse_report_data("late", "asan", 1, &fs), 1);
  const rl_finding *f = &fs.items[0];
  assert_int_equal(f->kind, RL_FINDING_MEMORY_ERROR);
  assert_string_equal(f->summary, "the uv_timer_t handle H1 was freed, then used, while its "
                                  "uv_close() was still pending: libuv uses the handle until it "
                                  "calls the close callback; free it there");
  assert_string_equal(f->object, "handle H1 (timer)");
  /* The free, uv_close, the use, the creation. */
  assert_int_equal(f->nlocations, 4);
  assert_string_equal(f->locations[0].role, "frees the block holding H1 while its close is pending");
  assert_int_equal(f->locations[0].stack.frames[1].offset, 0x39c8);
  assert_int_equal(f->locations[1].stack.frames[0].offset, 0x39c0);
  assert_string_equal(f->locations[2].role, "reads 8 bytes freed by T0");
  assert_int_equal(f->locations[2].stack.frames[0].offset, 0x3990);
  assert_string_equal(f->locations[3].role, "creates H1");
  assert_int_equal(f->locations[3].stack.frames[0].offset, 0x3a34);
  rl_findings_free(&fs);
}

/* TSan goes on after a report: both uses of the block are retold. */
static void test_tsan_late(void **state) {
  (void)state;
  rl_findings fs = {0};
  assert_int_equal(parse_report_data("late_tsan", "tsan", 2, &fs), 2);
  for (size_t i = 0; i < 2; i++) {
    const rl_finding *f = &fs.items[i];
    assert_int_equal(f->kind, RL_FINDING_MEMORY_ERROR);
    assert_non_null(strstr(f->summary, "H1 was freed, then used, while its uv_close()"));
    assert_int_equal(f->nlocations, 4);
    assert_int_equal(f->locations[0].stack.frames[1].offset, 0x3a1c);
    assert_int_equal(f->locations[1].stack.frames[0].offset, 0x3a14);
    assert_int_equal(f->locations[3].stack.frames[0].offset, 0x3a79);
  }
  assert_int_equal(fs.items[0].locations[2].stack.frames[0].offset, 0x39a3);
  assert_int_equal(fs.items[1].locations[2].stack.frames[0].offset, 0x39b2);
  rl_findings_free(&fs);
}

/* A log that names no request or handle leaves ASan's finding as it is. */
static void test_asan_untold(void **state) {
  (void)state;
  rl_findings fs = {0};
  char *asan_path = rl_xasprintf("%s/rlrt_uv/late.asan", RL_TEST_DATA);
  size_t len;
  char *asan = rl_read_file(asan_path, &len);
  assert_int_equal(rl_report_asan_parse(asan, len, &fs), 1);
  /* A request never started; a malformed stack; a block nobody freed. */
  static const char *const logs[] = {"uvhandle H1 timer T0 s=10\nuvearly R1\n",
                                     "uvhandle H1 timer T0 s=10\nuvlate H1 s=zz\n",
                                     "uvhandle H1 timer T0 s=10\nuvearly R2\n"};
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(rl_report_rlrt_uv_retell(logs[i], strlen(logs[i]), &fs), 0);
  assert_string_equal(fs.items[0].summary, "T0 uses heap memory after it was freed");
  rl_findings_free(&fs);
  free(asan), free(asan_path);
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

/* How a fixture ends, from the words of its header comment. */
typedef struct {
  int asan;          /* the ASan build */
  int forever;       /* "runs forever": stopped through the hang dump */
  int asan_stops;    /* "ASan stops": the ASan build ends with its report */
} ending;

/* Runs bin with the runtime logging (seeded jitter on) under a 20 s
 * deadline, or, for a program that runs forever, 1.5 s and then the hang
 * dump; returns the findings of its runtime log and of its sanitizer's
 * report (told in libuv's words where the log says so, as racelab does),
 * symbolized and located. */
static void run(const char *bin, unsigned seed, ending e, rl_findings *out) {
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
                      .timeout_ms = e.forever ? 1500 : 20000, .output_cap = 65536,
                      .dump_signal = RLRT_DUMP_SIGNAL, .dump_grace_ms = 1000};
  rl_run_result res;
  assert_int_equal(rl_supervise(&spec, &res), 0);
  /* Every fixture that ends exits 0 unless ASan stops it: a wrapper that
   * lost a callback would make it fail (or hang). */
  int stopped = e.asan && e.asan_stops;
  if (e.forever ? !res.timed_out
                : res.timed_out || !res.exited || (res.exit_code != 0) != stopped)
    fail_msg("%s: timed out %d, exited %d with %d, signal %d\n%s", bin, res.timed_out,
             res.exited, res.exit_code, res.signal, res.err);
  char *log = rl_xasprintf("%s/rlrt.%ld", dir, res.pid);
  size_t len;
  char *text = rl_read_file(log, &len);
  if (!text)
    fail_msg("%s left no runtime log %s", bin, log);
  assert_true(rl_report_rlrt_uv_parse(text, len, out) >= 0);
  char *san = rl_xasprintf("%s/san.%ld", dir, res.pid);
  size_t san_len;
  char *report = rl_read_file(san, &san_len);
  if (report) {
    rl_findings told = {0};
    assert_true((e.asan ? rl_report_asan_parse : rl_report_tsan_parse)(report, san_len, &told) >= 0);
    assert_true(rl_report_rlrt_uv_retell(text, len, &told) >= 0);
    rl_findings_merge(out, &told);
  }
  free(report);
  free(san);
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

static const char *const fixtures[] = {"work_never_run",       "fs_after_run",
                                       "timer_open",           "wrong_thread",
                                       "async_never_closed",   "stopped_early",
                                       "result_before_callback", "freed_while_closing",
                                       "handles_in_growing_array", "freed_without_close",
                                       "clean",                "clean_io",
                                       "result_in_callback",   "freed_in_close_cb",
                                       "handle_pointers_in_growing_array", "closed_then_freed",
                                       "many_handles_closed",  "freed_inside_struct",
                                       "closed_inside_struct"};

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
      ending e = {.asan = s == 1, .forever = strstr(text, "runs forever") != NULL,
                  .asan_stops = strstr(text, "ASan stops") != NULL};
      /* What only ASan can see, the TSan build must simply not report. */
      if (!e.asan && strstr(text, "ASan build only"))
        nex = 0;
      free(text);
      run(bin, 1000u + (unsigned)i, e, &fs);
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
      cmocka_unit_test(test_frees),
      cmocka_unit_test(test_gones),
      cmocka_unit_test(test_asan_early),
      cmocka_unit_test(test_asan_late),
      cmocka_unit_test(test_tsan_late),
      cmocka_unit_test(test_asan_untold),
      cmocka_unit_test(test_empty_and_garbage),
      cmocka_unit_test(test_fixtures_gcc),
      cmocka_unit_test(test_fixtures_clang),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
