/* test_supervise.c -- runs the hostile fixtures (tests/fixtures/hostile)
 * under rl_supervise, without a sandbox, and checks each outcome, the time
 * it took, and that nothing of the run is left alive.
 *
 * It does not run the fork bomb or the memory hog: those need the sandbox
 * (test_sandbox.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "supervise.h"
#include "../fixtures/hostile/hostile.h"

/* Runs argv with the common spec plus the given limits. */
static void run(char *const *argv, int timeout_ms, size_t cap,
                rl_run_result *res) {
  rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = timeout_ms,
                      .output_cap = cap};
  assert_int_equal(rl_supervise(&spec, res), 0);
}

static int fds_at_start; /* open descriptors once the fixtures are built */

static void assert_nothing_left(void) {
  assert_int_equal(hostile_alive_settled(), 0);
  assert_int_equal(hostile_fds(), fds_at_start);
}

static int compile_fixtures(void **state) {
  static const char *const names[] = {"spin", "deadlock", "flood", "crash",
                                      "pipe_holder", "daemon", "ignore_all",
                                      NULL};
  if (hostile_mkdir() < 0)
    return -1;
  for (int i = 0; names[i]; i++)
    if (hostile_compile(names[i], names[i], NULL) < 0)
      return -1;
  fds_at_start = hostile_fds();
  return 0;
}

static int remove_fixtures(void **state) {
  hostile_rmdir();
  return 0;
}

/* ---- normal ends ---- */

static void test_exit_code_and_output(void **state) {
  char *const argv[] = {hostile_bin("crash"), "exit3", NULL};
  rl_run_result res;
  run(argv, 5000, 4096, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 3);
  assert_false(res.signaled || res.timed_out || res.output_limited);
  assert_string_equal(res.out, "crashing: exit3\n");
  assert_int_equal(res.out_len, res.out_total);
  assert_int_equal(res.err_len, 0);
  assert_string_equal(res.err, "");
  assert_int_equal(res.strays_killed, 0);
  rl_run_result_free(&res);
  assert_nothing_left();
}

static void test_segv(void **state) {
  char *const argv[] = {hostile_bin("crash"), "segv", NULL};
  rl_run_result res;
  run(argv, 5000, 4096, &res);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGSEGV);
  assert_false(res.exited || res.timed_out);
  rl_run_result_free(&res);
  assert_nothing_left();
}

static void test_abort(void **state) {
  char *const argv[] = {hostile_bin("crash"), "abort", NULL};
  rl_run_result res;
  run(argv, 5000, 4096, &res);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGABRT);
  assert_string_equal(res.out, "crashing: abort\n");
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* The environment is exactly the one given (plus racelab's token). */
static void test_environment_is_complete(void **state) {
  char *const argv[] = {"/usr/bin/env", NULL};
  rl_run_result res;
  run(argv, 5000, 4096, &res);
  assert_true(res.exited && res.exit_code == 0);
  assert_non_null(strstr(res.out, "PATH=/usr/bin:/bin\nLC_ALL=C\n"));
  assert_non_null(strstr(res.out, "RL_SUPERVISE_RUN="));
  assert_null(strstr(res.out, "HOME="));
  rl_run_result_free(&res);
}

static void test_exec_failure(void **state) {
  char *const argv[] = {"/nonexistent/racelab-program", NULL};
  rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 1000};
  rl_run_result res;
  assert_int_equal(rl_supervise(&spec, &res), -ENOENT);
  assert_null(res.out);
  char *const dir[] = {"/tmp", NULL};
  spec.argv = dir;
  assert_int_equal(rl_supervise(&spec, &res), -EACCES);
  spec.output_cap = RL_SUPERVISE_MAX_CAP + 1;
  assert_int_equal(rl_supervise(&spec, &res), -EINVAL);
  assert_int_equal(hostile_fds(), fds_at_start);
}

/* ---- time ---- */

static void test_infinite_loop_times_out(void **state) {
  char *const argv[] = {hostile_bin("spin"), NULL};
  rl_run_result res;
  long t0 = hostile_now_ms();
  run(argv, 300, 4096, &res);
  long took = hostile_now_ms() - t0;
  assert_true(res.timed_out);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGKILL);
  assert_in_range(took, 290, 300 + HOSTILE_SLACK_MS);
  assert_in_range(res.wall_ms, 290, 300 + HOSTILE_SLACK_MS);
  assert_true(res.cpu_ms > 30); /* it really spun (on a busy machine too) */
  rl_run_result_free(&res);
  assert_nothing_left();
}

static void test_cpu_limit(void **state) {
  char *const argv[] = {hostile_bin("spin"), NULL};
  /* The wall limit only guards against a hang: on a loaded machine a
   * second of CPU time can take many seconds of wall time. */
  rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 60000,
                      .cpu_limit_s = 1, .output_cap = 64};
  rl_run_result res;
  assert_int_equal(rl_supervise(&spec, &res), 0);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGXCPU);
  assert_false(res.timed_out);
  assert_in_range(res.cpu_ms, 500, 2500); /* rusage rounds, under load too */
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* The dump signal arrives, and is handled, before the kill. */
static void test_deadlock_dump_then_kill(void **state) {
  char *const argv[] = {hostile_bin("deadlock"), NULL};
  rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 300,
                      .output_cap = 4096, .dump_signal = SIGQUIT,
                      .dump_grace_ms = 300};
  rl_run_result res;
  long t0 = hostile_now_ms();
  assert_int_equal(rl_supervise(&spec, &res), 0);
  long took = hostile_now_ms() - t0;
  assert_true(res.timed_out);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGKILL);
  assert_string_equal(res.err, "dump\n");
  assert_in_range(took, 590, 600 + HOSTILE_SLACK_MS);
  assert_true(res.cpu_ms < 200); /* blocked, not spinning */
  rl_run_result_free(&res);
  assert_nothing_left();
}

static void test_ignores_all_signals(void **state) {
  char *const argv[] = {hostile_bin("ignore_all"), NULL};
  rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 300,
                      .output_cap = 4096, .dump_signal = SIGTERM,
                      .dump_grace_ms = 100};
  rl_run_result res;
  long t0 = hostile_now_ms();
  assert_int_equal(rl_supervise(&spec, &res), 0);
  assert_in_range(hostile_now_ms() - t0, 390, 400 + HOSTILE_SLACK_MS);
  assert_true(res.timed_out);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGKILL);
  assert_string_equal(res.out, "ignoring\n");
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* ---- output ---- */

static long max_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static void check_flood(const char *stream) {
  char *const argv[] = {hostile_bin("flood"), (char *)stream, NULL};
  const size_t cap = 64 * 1024;
  rl_run_result res;
  long rss0 = max_rss_kb(), t0 = hostile_now_ms();
  run(argv, 20000, cap, &res);
  long took = hostile_now_ms() - t0;
  int on_err = strcmp(stream, "err") == 0;
  size_t len = on_err ? res.err_len : res.out_len;
  size_t total = on_err ? res.err_total : res.out_total;
  const char *kept = on_err ? res.err : res.out;
  assert_true(res.output_limited);
  assert_false(res.timed_out);
  assert_true(res.signaled); /* killed long before the 2 GiB */
  assert_int_equal(len, cap);
  assert_int_equal(strlen(kept), cap);
  assert_true(kept[0] == 'x' && kept[cap - 1] == 'x');
  assert_true(total > cap && total < (64 + 2) * cap + (1u << 20));
  assert_true(took < HOSTILE_SLACK_MS);
  assert_true(max_rss_kb() - rss0 < 16 * 1024);
  rl_run_result_free(&res);
  assert_nothing_left();
}

static void test_stdout_flood(void **state) { check_flood("out"); }
static void test_stderr_flood(void **state) { check_flood("err"); }

/* A small excess is drained, counted and kept to the cap, not killed. */
static void test_output_cap_keeps_head(void **state) {
  char *const argv[] = {hostile_bin("crash"), "exit3", NULL};
  rl_run_result res;
  run(argv, 5000, 8, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 3);
  assert_true(res.output_limited);
  assert_string_equal(res.out, "crashing");
  assert_int_equal(res.out_total, strlen("crashing: exit3\n"));
  rl_run_result_free(&res);
}

/* ---- descendants ---- */

static void test_grandchild_holding_pipes(void **state) {
  char *const argv[] = {hostile_bin("pipe_holder"), NULL};
  rl_run_result res;
  long t0 = hostile_now_ms();
  run(argv, 60000, 4096, &res);
  long took = hostile_now_ms() - t0;
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0);
  assert_false(res.timed_out);
  assert_string_equal(res.out, "main done\n");
  assert_int_equal(res.strays_killed, 1);
  assert_true(took < 200 + HOSTILE_SLACK_MS); /* not the grandchild's 100 s */
  rl_run_result_free(&res);
  assert_nothing_left();
}

static void test_setsid_daemon_killed(void **state) {
  char *const argv[] = {hostile_bin("daemon"), NULL};
  rl_run_result res;
  long t0 = hostile_now_ms();
  run(argv, 60000, 4096, &res);
  assert_true(hostile_now_ms() - t0 < 200 + HOSTILE_SLACK_MS);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0);
  long daemon = 0;
  assert_int_equal(sscanf(res.out, "daemon %ld", &daemon), 1);
  assert_int_equal(res.strays_killed, 1);
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* ---- several supervisions at once ---- */

typedef struct {
  const char *how; /* crash.c's argument */
  int exit_code;   /* the ending expected: an exit code ... */
  int signal;      /* ... or a signal (then exit_code is unused) */
  int ok;          /* every run of this thread came back as expected */
} worker;

static void *supervise_many(void *arg) {
  worker *w = arg;
  char expect[64];
  snprintf(expect, sizeof expect, "crashing: %s\n", w->how);
  w->ok = 1;
  for (int i = 0; i < 10; i++) {
    char *const argv[] = {hostile_bin("crash"), (char *)w->how, NULL};
    rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 5000,
                        .output_cap = 4096};
    rl_run_result res;
    if (rl_supervise(&spec, &res) < 0) {
      w->ok = 0;
      continue;
    }
    int ended = w->signal ? res.signaled && res.signal == w->signal
                          : res.exited && res.exit_code == w->exit_code;
    if (!ended || res.timed_out || strcmp(res.out, expect) != 0)
      w->ok = 0;
    rl_run_result_free(&res);
  }
  return NULL;
}

/* Threads supervising at once each get their own child's result, while a
 * hung run next to them is timed out: no shared signal state, no reaping
 * of another thread's child. */
static void test_concurrent_supervisions(void **state) {
  worker w[3] = {{"exit3", 3, 0, 0}, {"abort", 0, SIGABRT, 0},
                 {"segv", 0, SIGSEGV, 0}};
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    assert_int_equal(pthread_create(&t[i], NULL, supervise_many, &w[i]), 0);
  char *const argv[] = {hostile_bin("spin"), NULL};
  rl_run_result res;
  run(argv, 300, 4096, &res);
  assert_true(res.timed_out);
  rl_run_result_free(&res);
  for (int i = 0; i < 3; i++) {
    pthread_join(t[i], NULL);
    assert_true(w[i].ok);
  }
  assert_nothing_left();
}

int main(void) {
  alarm(60); /* a test must never hang, even if rl_supervise does */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exit_code_and_output),
      cmocka_unit_test(test_segv),
      cmocka_unit_test(test_abort),
      cmocka_unit_test(test_environment_is_complete),
      cmocka_unit_test(test_exec_failure),
      cmocka_unit_test(test_infinite_loop_times_out),
      cmocka_unit_test(test_cpu_limit),
      cmocka_unit_test(test_deadlock_dump_then_kill),
      cmocka_unit_test(test_ignores_all_signals),
      cmocka_unit_test(test_stdout_flood),
      cmocka_unit_test(test_stderr_flood),
      cmocka_unit_test(test_output_cap_keeps_head),
      cmocka_unit_test(test_grandchild_holding_pipes),
      cmocka_unit_test(test_setsid_daemon_killed),
      cmocka_unit_test(test_concurrent_supervisions),
  };
  return cmocka_run_group_tests(tests, compile_fixtures, remove_fixtures);
}
