/* test_forkserver.c -- the fork server (forkserver.h, runtime/
 * rlrt_forkserver.c) serving tests/fixtures/hostile/served.c: many runs
 * from one server, each with its own seed, output, exit status and logs;
 * runs that crash, hang (dump, then kill), flood or leave a process
 * behind; a server killed mid-run (the run is done again as a fresh
 * process); a program with a thread before main (refused) or without the
 * runtime (no server, no wait). After
 * each test nothing of the program is left alive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkserver.h"
#include "log_watch.h"
#include "run.h"
#include "runtime/rlrt_protocol.h"
#include "runtime_fixture.h"
#include "../fixtures/hostile/hostile.h"
#include "supervise.h"
#include "util.h"

static char *tsan_bin, *asan_bin;
static int fds_at_start; /* open descriptors once the fixtures are built */

static void assert_nothing_left(void) {
  assert_int_equal(hostile_alive_settled(), 0);
  assert_int_equal(hostile_fds(), fds_at_start);
}

static int setup(void **state) {
  (void)state;
  char *gcc = rl_find_program("gcc"), *clang = rl_find_program("clang");
  if (!gcc || !clang || hostile_mkdir() < 0 || hostile_compile("served", "plain", NULL) < 0)
    return -1;
  tsan_bin = build_fixture(gcc, "-fsanitize=thread", "hostile", "served", hostile_dir);
  asan_bin = build_fixture(clang, "-fsanitize=address", "hostile", "served", hostile_dir);
  free(gcc);
  free(clang);
  /* racelab keeps one inotify instance per process (log_watch.c): it is
   * open before the count, so that only what a run leaves counts. */
  rl_log_watch w;
  rl_log_watch_start(&w, hostile_dir);
  free(rl_log_watch_stop(&w));
  fds_at_start = hostile_fds();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hostile_rmdir();
  free(tsan_bin);
  free(asan_bin);
  return 0;
}

/* The server's environment: what every run shares. */
static char *const server_env[] = {"PATH=/usr/bin:/bin", "LC_ALL=C",
                                   "TSAN_OPTIONS=symbolize=0:exitcode=66:halt_on_error=0:report_thread_leaks=0",
                                   "ASAN_OPTIONS=symbolize=0:detect_leaks=0", NULL};

/* A server of bin, with arg (or none) as every run's argument. */
static rl_forkserver *start(const char *bin, const char *arg) {
  char *argv[] = {(char *)bin, (char *)arg, NULL};
  rl_run_spec spec = {.argv = argv, .envp = server_env, .cwd = hostile_dir};
  char err[256] = "";
  rl_forkserver *s = rl_forkserver_start(&spec, 20000, err, sizeof err);
  if (!s)
    fail_msg("no fork server for %s: %s", bin, err);
  return s;
}

/* One run from s in folder dir (created), doing `what`; returns
 * rl_supervise's result code. */
static int run_in(rl_forkserver *s, const char *bin, const char *dir, const char *what, uint64_t seed,
                  int timeout_ms, rl_run_result *res) {
  rl_mkdirs(dir);
  char *argv[] = {(char *)bin, NULL};
  char *env[] = {"PATH=/usr/bin:/bin",
                 rl_xasprintf("SERVED=%s", what),
                 rl_xasprintf(RLRT_ENV_SEED "=%llu", (unsigned long long)seed),
                 rl_xasprintf(RLRT_ENV_LOG "=%s/rlrt", dir),
                 rl_xasprintf("EXIT=%d", (int)(seed % 5)),
                 NULL};
  char *report = rl_xasprintf("%s/san", dir);
  rl_run_spec spec = {.argv = argv, .envp = env, .timeout_ms = timeout_ms, .output_cap = 65536,
                      .dump_signal = RLRT_DUMP_SIGNAL, .dump_grace_ms = 300, .server = s,
                      .report_path = report};
  int rc = rl_supervise(&spec, res);
  for (int i = 1; env[i]; i++)
    free(env[i]);
  free(report);
  return rc;
}

static void many_runs(const char *bin, int tsan) {
  rl_forkserver *s = start(bin, NULL);
  for (uint64_t seed = 1; seed <= 12; seed++) {
    char *dir = rl_xasprintf("%s/run-%llu", hostile_dir, (unsigned long long)seed);
    rl_run_result res;
    assert_int_equal(run_in(s, bin, dir, "print", seed, 20000, &res), 0);
    char want[64];
    snprintf(want, sizeof want, "seed=%llu pid=%ld\n", (unsigned long long)seed, res.pid);
    assert_string_equal(res.out, want);
    snprintf(want, sizeof want, "stderr of %ld\n", res.pid);
    assert_non_null(strstr(res.err, want));
    assert_true(res.exited);
    /* TSan's exit code for a report is 66. */
    assert_int_equal(res.exit_code, tsan ? 66 : (int)(seed % 5));
    char *log = read_runtime_log(dir, res.pid, NULL);
    snprintf(want, sizeof want, "pid=%ld ", res.pid);
    assert_non_null(strstr(log, want));
    snprintf(want, sizeof want, " seed=%llu ", (unsigned long long)seed);
    assert_non_null(strstr(log, want));
    free(log);
    if (tsan) {
      char *report = rl_xasprintf("%s/san.%ld", dir, res.pid);
      char *san = rl_read_file(report, NULL);
      assert_non_null(san);
      free(report);
      assert_non_null(strstr(san, "WARNING: ThreadSanitizer: data race"));
      free(san);
    }
    rl_run_result_free(&res);
    rl_remove_tree(dir);
    free(dir);
  }
  assert_true(rl_forkserver_usable(s));
  rl_forkserver_stop(s);
  assert_nothing_left();
}

static void test_many_runs_tsan(void **state) {
  (void)state;
  many_runs(tsan_bin, 1);
}

static void test_many_runs_asan(void **state) {
  (void)state;
  many_runs(asan_bin, 0);
}

/* A crash, a hang, a flood and a stray, one after the other from one
 * server: each ends as a fresh process would, and the server serves on. */
static void test_bad_runs(void **state) {
  (void)state;
  rl_forkserver *s = start(tsan_bin, NULL);
  char *dir = rl_xasprintf("%s/bad", hostile_dir);
  rl_run_result res;

  assert_int_equal(run_in(s, tsan_bin, dir, "crash", 1, 20000, &res), 0);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGABRT);
  rl_run_result_free(&res);

  assert_int_equal(run_in(s, tsan_bin, dir, "hang", 2, 500, &res), 0);
  assert_true(res.timed_out);
  assert_true(res.signaled);
  char *log = read_runtime_log(dir, res.pid, NULL);
  assert_non_null(strstr(log, "\n" RLRT_DUMP_END_LINE "\n"));
  free(log);
  rl_run_result_free(&res);

  assert_int_equal(run_in(s, tsan_bin, dir, "flood", 3, 20000, &res), 0);
  assert_true(res.output_limited);
  assert_true(res.signaled);
  assert_false(res.timed_out);
  rl_run_result_free(&res);

  assert_int_equal(run_in(s, tsan_bin, dir, "stray", 4, 20000, &res), 0);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0);
  assert_true(res.strays_killed >= 1);
  rl_run_result_free(&res);

  /* Still serving, and nothing but the server alive. */
  assert_int_equal(run_in(s, tsan_bin, dir, "print", 5, 20000, &res), 0);
  assert_true(res.exited);
  rl_run_result_free(&res);
  assert_true(rl_forkserver_usable(s));
  assert_int_equal(hostile_alive(), 1); /* the server */
  rl_forkserver_stop(s);
  assert_nothing_left();
  rl_remove_tree(dir);
  free(dir);
}

/* The run kills its server: rl_supervise says so at once (-EPIPE, not
 * at the deadline), the server is dropped, and rl_run_once does the run
 * again as a fresh process, which passes. */
static void test_server_dies_mid_run(void **state) {
  (void)state;
  rl_forkserver *s = start(tsan_bin, NULL);
  char *dir = rl_xasprintf("%s/dies", hostile_dir);
  rl_run_result res;
  long t0 = hostile_now_ms();
  assert_int_equal(run_in(s, tsan_bin, dir, "kill_server", 1, 20000, &res), -EPIPE);
  assert_true(hostile_now_ms() - t0 < HOSTILE_SLACK_MS);
  assert_false(rl_forkserver_usable(s));
  assert_int_equal(hostile_alive_settled(), 0);
  rl_forkserver_stop(s);

  s = start(tsan_bin, "kill_server");
  char *args[] = {"kill_server", NULL};
  rl_target t = {.name = "served", .run_dir = hostile_dir, .args = args};
  rl_run_config cfg = {.target = &t, .build = RL_BUILD_TSAN, .binary = tsan_bin, .seed = 1,
                       .timeout_ms = 20000, .scratch = dir, .server = s};
  rl_run_outcome out;
  char err[256];
  assert_int_equal(rl_run_once(&cfg, &out, err, sizeof err), 0);
  assert_int_equal(out.findings.count, 0);
  rl_findings_free(&out.findings);
  assert_false(rl_forkserver_usable(s));
  rl_forkserver_stop(s);
  assert_nothing_left();
  rl_remove_tree(dir);
  free(dir);
}

/* A program with a thread before the server's constructor is refused (a
 * fork would keep one of its threads), and runs fresh as before. */
static void test_threads_before_main(void **state) {
  (void)state;
  char *gcc = rl_find_program("gcc");
  char *bin = build_fixture(gcc, "-fsanitize=thread", "hostile", "early_thread", hostile_dir);
  char *argv[] = {bin, NULL};
  rl_run_spec spec = {.argv = argv, .envp = server_env, .cwd = hostile_dir, .timeout_ms = 20000,
                      .output_cap = 4096};
  char err[256] = "";
  assert_null(rl_forkserver_start(&spec, 20000, err, sizeof err));
  assert_non_null(strstr(err, "refused"));
  rl_run_result res;
  assert_int_equal(rl_supervise(&spec, &res), 0);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0);
  assert_string_equal(res.out, "ok\n");
  rl_run_result_free(&res);
  assert_nothing_left();
  free(bin);
  free(gcc);
}

/* A program without the runtime never says READY: no server, at once. */
static void test_no_runtime(void **state) {
  (void)state;
  char *argv[] = {hostile_bin("plain"), NULL};
  rl_run_spec spec = {.argv = argv, .envp = server_env, .cwd = hostile_dir};
  char err[256] = "";
  long t0 = hostile_now_ms();
  assert_null(rl_forkserver_start(&spec, 20000, err, sizeof err));
  assert_true(hostile_now_ms() - t0 < HOSTILE_SLACK_MS);
  assert_non_null(strstr(err, "without serving"));
  assert_nothing_left();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_many_runs_tsan),
      cmocka_unit_test(test_many_runs_asan),
      cmocka_unit_test(test_bad_runs),
      cmocka_unit_test(test_server_dies_mid_run),
      cmocka_unit_test(test_threads_before_main),
      cmocka_unit_test(test_no_runtime),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
