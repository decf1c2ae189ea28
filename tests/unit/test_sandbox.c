/* test_sandbox.c -- runs the hostile fixtures that need containment (fork
 * bomb, memory hog, network, secrets, daemons) under rl_supervise with a
 * sandbox, and checks that each limit held, was reported, and left nothing
 * behind: no process, no cgroup.
 *
 * Where the machine cannot contain them (not root, no cgroups, no
 * namespaces) every test is skipped, saying why; the fork bomb is never run
 * without its pids limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "supervise.h"
#include "../fixtures/hostile/hostile.h"

static rl_sandbox_caps caps;
static int fds_at_start; /* open descriptors once the fixtures are built */

static int setup(void **state) {
  static const char *const names[] = {"forkbomb", "memhog", "connect",
                                      "readfile", "daemon", "spin",
                                      "kill_all", "escape", "spawn", NULL};
  if (hostile_mkdir() < 0)
    return -1;
  for (int i = 0; names[i]; i++)
    if (hostile_compile(names[i], names[i], NULL) < 0)
      return -1;
  if (hostile_compile("sanitized", "sanitized_tsan", "-fsanitize=thread") < 0 ||
      hostile_compile("sanitized", "sanitized_asan", "-fsanitize=address") < 0 ||
      hostile_compile("memhog", "memhog_tsan", "-fsanitize=thread") < 0)
    return -1;
  fds_at_start = hostile_fds();
  return 0;
}

static int teardown(void **state) {
  hostile_rmdir();
  return 0;
}

/* The common sandbox: the fixtures' folder visible, default limits. */
static void sandbox_for_tests(rl_sandbox *sb) {
  static const char *const ro[] = {hostile_dir, NULL};
  rl_sandbox_init(sb, &caps);
  sb->ro_paths = ro;
}

/* How many per-run cgroups of racelab process pid exist in one hierarchy. */
static int cgroups_of(const char *root, pid_t pid) {
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%ld-", (long)pid);
  DIR *d = opendir(root);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  if (d)
    closedir(d);
  return n;
}

static void assert_nothing_left(void) {
  assert_int_equal(hostile_alive_settled(), 0);
  assert_int_equal(hostile_fds(), fds_at_start);
  assert_int_equal(cgroups_of(caps.pids_root, getpid()), 0);
  assert_int_equal(cgroups_of(caps.memory_root, getpid()), 0);
  assert_int_equal(cgroups_of(caps.cpuacct_root, getpid()), 0);
  assert_int_equal(cgroups_of(caps.kill_root, getpid()), 0);
}

static void sandboxed(const rl_sandbox *sb, char *const *argv, int timeout_ms,
                      rl_run_result *res) {
  rl_run_spec spec = {.argv = argv, .envp = hostile_env,
                      .timeout_ms = timeout_ms, .output_cap = 65536,
                      .sandbox = sb};
  assert_int_equal(rl_supervise(&spec, res), 0);
}

/* ---- the description ---- */

static void test_describe_names_every_protection(void **state) {
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  sb.pids_max = 32;
  sb.memory_bytes = 64LL << 20;
  char desc[256];
  rl_sandbox_describe(&sb, desc, sizeof desc);
  assert_string_equal(desc, "netns mountns uid=600000+1000 seccomp pids=32 "
                            "memory=64M fsize=64M cpuacct kill pgroup core=0; "
                            "missing: none");
  sb.memory_bytes = 0;
  assert_false(rl_sandbox_complete(&sb));
  assert_non_null(strstr(rl_sandbox_describe(&sb, desc, sizeof desc),
                         "missing: memory"));
}

/* ---- processes ---- */

static void test_fork_bomb_stopped_by_pids_limit(void **state) {
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  sb.pids_max = 32;
  assert_true(caps.pids_root[0]); /* never a fork bomb without its limit */
  char *const argv[] = {hostile_bin("forkbomb"), NULL};
  rl_run_result res;
  long t0 = hostile_now_ms();
  sandboxed(&sb, argv, 1000, &res);
  assert_true(hostile_now_ms() - t0 < 5000);
  assert_true(res.timed_out);
  assert_true(res.pids_limited);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGKILL);
  assert_non_null(strstr(res.protections, "pids=32"));
  rl_run_result_free(&res);
  assert_nothing_left();
}

static void test_daemon_killed_through_cgroup(void **state) {
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  char *const argv[] = {hostile_bin("daemon"), NULL};
  rl_run_result res;
  sandboxed(&sb, argv, 10000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0);
  assert_int_equal(strncmp(res.out, "daemon ", 7), 0);
  assert_int_equal(res.strays_killed, 1);
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* ---- memory ---- */

static void check_memory_hog(const char *binary, long long limit_mib,
                             const char *hog_mib) {
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  sb.memory_bytes = limit_mib << 20;
  char *const argv[] = {hostile_bin(binary), (char *)hog_mib, NULL};
  rl_run_result res;
  sandboxed(&sb, argv, 20000, &res);
  assert_true(res.signaled);
  assert_int_equal(res.signal, SIGKILL);
  assert_false(res.timed_out);
  assert_true(res.memory_limited);
  assert_null(strstr(res.out, "survived"));
  rl_run_result_free(&res);

  /* The same program within its budget runs to the end. */
  char *const small[] = {hostile_bin(binary), "8", NULL};
  sandboxed(&sb, small, 20000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0);
  assert_false(res.memory_limited);
  assert_string_equal(res.out, "survived\n");
  rl_run_result_free(&res);
  assert_nothing_left();
}

static void test_memory_hog_stopped_by_memcg(void **state) {
  check_memory_hog("memhog", 64, "1024");
}

/* RLIMIT_AS would break TSan at startup; the memory cgroup does not. */
static void test_tsan_memory_hog_stopped_by_memcg(void **state) {
  check_memory_hog("memhog_tsan", 160, "1024");
}

/* ---- what racelab is for still works inside ---- */

static void test_sanitizers_report_inside(void **state) {
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  char *const tsan[] = {hostile_bin("sanitized_tsan"), NULL};
  rl_run_result res;
  sandboxed(&sb, tsan, 20000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 66);
  assert_non_null(strstr(res.err, "WARNING: ThreadSanitizer: data race"));
  rl_run_result_free(&res);

  char *const asan[] = {hostile_bin("sanitized_asan"), NULL};
  sandboxed(&sb, asan, 20000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 1);
  assert_non_null(strstr(res.err, "ERROR: LeakSanitizer: detected memory leaks"));
  assert_null(strstr(res.err, "LeakSanitizer has encountered a fatal error"));
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* ---- network and files ---- */

static void test_no_network(void **state) {
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  assert_true(lfd >= 0);
  assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(lfd, 8), 0);
  assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
  char port[16];
  snprintf(port, sizeof port, "%d", ntohs(sa.sin_port));
  char *const argv[] = {hostile_bin("connect"), port, NULL};

  /* Without the sandbox the fixture does reach the listener... */
  rl_run_spec open_spec = {.argv = argv, .envp = hostile_env,
                           .timeout_ms = 5000, .output_cap = 1024};
  rl_run_result res;
  assert_int_equal(rl_supervise(&open_spec, &res), 0);
  assert_string_equal(res.out, "connected\n");
  rl_run_result_free(&res);
  int c = accept(lfd, NULL, NULL);
  assert_true(c >= 0);
  close(c);

  /* ... and with it, it reaches nothing. */
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  sandboxed(&sb, argv, 5000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 1);
  assert_int_equal(strncmp(res.out, "refused: ", 9), 0);
  assert_int_equal(accept(lfd, NULL, NULL), -1);
  assert_int_equal(errno, EAGAIN);
  rl_run_result_free(&res);
  close(lfd);
  assert_nothing_left();
}

static void test_secrets_and_grader_files_hidden(void **state) {
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  char *const argv[] = {hostile_bin("readfile"), "/etc/shadow",
                        "/proc/1/environ", RL_TEST_DATA "/programs/counter_race.c",
                        NULL};
  rl_run_result res;
  sandboxed(&sb, argv, 5000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0); /* read nothing */
  assert_null(strstr(res.out, "read "));
  assert_non_null(strstr(res.out, "denied /etc/shadow"));
  rl_run_result_free(&res);

  /* The control: unsandboxed, the grader's files are readable. */
  rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 5000,
                      .output_cap = 4096};
  assert_int_equal(rl_supervise(&spec, &res), 0);
  assert_non_null(strstr(res.out, "read " RL_TEST_DATA));
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* Ways out that the namespaces alone do not close are refused; the same
 * calls succeed unsandboxed, so the fixture is not simply broken. */
static void test_escapes_refused(void **state) {
  char *const argv[] = {hostile_bin("escape"), NULL};
  rl_run_result res;
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  sandboxed(&sb, argv, 5000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0);
  assert_null(strstr(res.out, "ALLOWED"));
  assert_non_null(strstr(res.out, "vsock: Address family not supported"));
  assert_non_null(strstr(res.out, "clone-userns: Operation not permitted"));
  assert_non_null(strstr(res.out, "fork: works"));
  rl_run_result_free(&res);

  rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 5000,
                      .output_cap = 4096};
  assert_int_equal(rl_supervise(&spec, &res), 0);
  assert_non_null(strstr(res.out, "userns: ALLOWED"));
  assert_non_null(strstr(res.out, "clone-userns: ALLOWED"));
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* The compiler is untrusted too: an #include of a secret must not echo it
 * into a diagnostic, and a normal build writes only where it may. */
static void test_compile_step_sandboxed(void **state) {
  char out[300], leak[300], obj[320], src[300];
  snprintf(out, sizeof out, "%s/out", hostile_dir);
  snprintf(leak, sizeof leak, "%s/leak.c", hostile_dir);
  snprintf(obj, sizeof obj, "%s/leak.o", out);
  snprintf(src, sizeof src, "%s/spin.c", HOSTILE_SRC);
  assert_int_equal(mkdir(out, 0755), 0); /* root's: the sandbox hands it over */
  FILE *f = fopen(leak, "w");
  assert_non_null(f);
  fputs("#include \"/etc/shadow\"\n", f);
  fclose(f);

  rl_sandbox sb;
  const char *ro[] = {hostile_dir, HOSTILE_SRC, NULL};
  rl_sandbox_init(&sb, &caps);
  sb.ro_paths = ro;
  sb.rw_path = out;
  char *const bad[] = {"/usr/bin/cc", "-c", leak, "-o", obj, NULL};
  rl_run_result res;
  sandboxed(&sb, bad, 30000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 1);
  assert_non_null(strstr(res.err, "/etc/shadow: No such file or directory"));
  assert_null(strstr(res.err, "root:"));
  rl_run_result_free(&res);

  /* A submitted symlink resolves inside the sandbox, where nothing is. */
  char link[300];
  snprintf(link, sizeof link, "%s/link.c", hostile_dir);
  assert_int_equal(symlink("/etc/shadow", link), 0);
  char *const linked[] = {"/usr/bin/cc", "-c", link, "-o", obj, NULL};
  sandboxed(&sb, linked, 30000, &res);
  assert_int_equal(res.exit_code, 1);
  assert_non_null(strstr(res.err, "No such file or directory"));
  assert_null(strstr(res.err, "root:"));
  rl_run_result_free(&res);

  snprintf(obj, sizeof obj, "%s/spin", out);
  char *const good[] = {"/usr/bin/cc", "-O1", "-o", obj, src, NULL};
  sandboxed(&sb, good, 30000, &res);
  assert_true(res.exited);
  assert_int_equal(res.exit_code, 0);
  assert_int_equal(access(obj, X_OK), 0);
  rl_run_result_free(&res);

  /* Outside rw_path the file system is read-only. */
  char elsewhere[320];
  snprintf(elsewhere, sizeof elsewhere, "%s/spin2", hostile_dir);
  char *const denied[] = {"/usr/bin/cc", "-O1", "-o", elsewhere, src, NULL};
  sandboxed(&sb, denied, 30000, &res);
  assert_int_equal(res.exit_code, 1);
  assert_non_null(strstr(res.err, "Read-only file system"));
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* ---- parallel runs ---- */

typedef struct {
  const char *binary; /* fixture to run */
  const char *arg;    /* its argument */
  int pids_max;       /* this run's own limit */
  rl_run_result res;  /* what came back */
  int rc;             /* rl_supervise's return */
} parallel_run;

static void *run_one(void *arg) {
  parallel_run *p = arg;
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  sb.pids_max = p->pids_max;
  sb.memory_bytes = 64LL << 20;
  char *const argv[] = {hostile_bin(p->binary), (char *)p->arg, NULL};
  rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 1500,
                      .output_cap = 4096, .sandbox = &sb};
  p->rc = rl_supervise(&spec, &p->res);
  return NULL;
}

/* A fork bomb at its limit in one thread does not touch a well-behaved run
 * in another: each run has its own cgroups. */
static void test_parallel_runs_do_not_interfere(void **state) {
  parallel_run bomb = {.binary = "forkbomb", .pids_max = 16};
  parallel_run good = {.binary = "memhog", .arg = "16", .pids_max = 64};
  pthread_t t1, t2;
  assert_int_equal(pthread_create(&t1, NULL, run_one, &bomb), 0);
  assert_int_equal(pthread_create(&t2, NULL, run_one, &good), 0);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  assert_int_equal(bomb.rc, 0);
  assert_int_equal(good.rc, 0);
  assert_true(bomb.res.timed_out && bomb.res.pids_limited);
  assert_true(good.res.exited);
  assert_int_equal(good.res.exit_code, 0);
  assert_false(good.res.pids_limited || good.res.memory_limited);
  assert_string_equal(good.res.out, "survived\n");
  rl_run_result_free(&bomb.res);
  rl_run_result_free(&good.res);
  assert_nothing_left();
}

/* ctest's SKIP_RETURN_CODE: the whole file is skipped, and says why. */
#define SKIPPED 77

/* A submission that kills every process it may (kill(-1)) hurts only its
 * own run: a run beside it, with its own uid, runs to its deadline. */
static void test_kill_all_spares_other_runs(void **state) {
  parallel_run victim = {.binary = "spin", .pids_max = 64};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, run_one, &victim), 0);
  usleep(300000); /* the victim is running */
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  char *const argv[] = {hostile_bin("kill_all"), NULL};
  rl_run_result res;
  sandboxed(&sb, argv, 5000, &res);
  assert_true(res.exited); /* kill(-1) spares the caller */
  assert_string_equal(res.out, "still alive\n");
  rl_run_result_free(&res);
  pthread_join(t, NULL);
  assert_int_equal(victim.rc, 0);
  assert_true(victim.res.timed_out); /* not killed by its neighbour */
  rl_run_result_free(&victim.res);
  assert_nothing_left();
}

/* The pure cgroup2 layout, where one directory serves every slot, tried
 * on this machine's controller-less cgroup2: CPU time from cpu.stat, one
 * join, one removal, the kill. (Its memory and pids files need a machine
 * whose controllers are not bound to cgroup v1.) */
static void test_cgroup2_layout(void **state) {
  rl_sandbox sb;
  sandbox_for_tests(&sb);
  sb.caps.cgroup2 = 1;
  memcpy(sb.caps.cpuacct_root, sb.caps.kill_root, sizeof sb.caps.kill_root);
  sb.caps.pids_root[0] = sb.caps.memory_root[0] = '\0';
  /* The spinner is never waited for, so only the cgroup sees its CPU. */
  char *const argv[] = {"/bin/sh", "-c", "$0 & sleep 5", hostile_bin("spin"),
                        NULL};
  rl_run_result res;
  sandboxed(&sb, argv, 500, &res);
  assert_true(res.timed_out);
  assert_true(res.cpu_ms > 100);
  assert_non_null(strstr(res.protections, "cpuacct kill"));
  rl_run_result_free(&res);
  assert_nothing_left();
}

/* racelab not root, without cgroups: the process budget falls back to
 * RLIMIT_NPROC, and the description says so. Run from a child that drops to
 * nobody; it reports through its exit code (0 = all held). */
static void test_unprivileged_nproc_fallback(void **state) {
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    if (setgid(65534) < 0 || setuid(65534) < 0)
      _exit(10);
    rl_sandbox_caps mine;
    rl_sandbox_probe(&mine);
    rl_sandbox sb;
    rl_sandbox_init(&sb, &mine);
    sb.pids_max = 8;
    char desc[256];
    rl_sandbox_describe(&sb, desc, sizeof desc);
    if (!strstr(desc, "nproc=+8") || !strstr(desc, "missing: netns mountns uid"))
      _exit(11);
    char *const argv[] = {hostile_bin("spawn"), NULL};
    rl_run_spec spec = {.argv = argv, .envp = hostile_env, .timeout_ms = 5000,
                        .output_cap = 1024, .sandbox = &sb};
    rl_run_result res;
    if (rl_supervise(&spec, &res) < 0)
      _exit(12);
    int forked = -1;
    sscanf(res.out, "forked %d", &forked);
    _exit(forked >= 1 && forked < 8 ? 0 : 13);
  }
  int status;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_nothing_left();
}

/* racelab itself killed mid-run: the program dies with it (PDEATHSIG),
 * and what escaped into the cgroup is swept by the next probe. */
static void test_harness_crash_recovered_by_probe(void **state) {
  int ready[2];
  assert_int_equal(pipe(ready), 0);
  pid_t harness = fork();
  assert_true(harness >= 0);
  if (harness == 0) {
    close(ready[0]);
    rl_sandbox sb;
    sandbox_for_tests(&sb);
    /* The daemon escapes the group; the shell, still running, is main. Its
     * output goes nowhere, so our dying pipes cannot SIGPIPE it. */
    char *const argv[] = {"/bin/sh", "-c", "$0 >/dev/null; sleep 30",
                          hostile_bin("daemon"), NULL};
    rl_run_spec spec = {.argv = argv, .envp = hostile_env,
                        .timeout_ms = 20000, .output_cap = 1024,
                        .sandbox = &sb};
    /* Start it, tell the test, and be killed while supervising. */
    pid_t self = getpid();
    if (write(ready[1], &self, sizeof self) < 0)
      _exit(1);
    rl_run_result res;
    rl_supervise(&spec, &res);
    _exit(0);
  }
  close(ready[1]);
  pid_t got;
  assert_int_equal(read(ready[0], &got, sizeof got), (ssize_t)sizeof got);
  close(ready[0]);
  long t0 = hostile_now_ms();
  while (hostile_alive() < 1 && hostile_now_ms() - t0 < 5000)
    usleep(10000);
  kill(harness, SIGKILL);
  waitpid(harness, NULL, 0);
  usleep(100000);
  assert_true(hostile_alive() >= 1); /* the escaped daemon outlived it */
  assert_int_equal(cgroups_of(caps.kill_root, harness), 1);

  rl_sandbox_caps again;
  assert_int_equal(rl_sandbox_probe(&again), 0);
  assert_int_equal(cgroups_of(caps.kill_root, harness), 0);
  assert_int_equal(cgroups_of(caps.pids_root, harness), 0);
  assert_int_equal(cgroups_of(caps.memory_root, harness), 0);
  assert_nothing_left();
}

int main(void) {
  alarm(60); /* a test must never hang, even if rl_supervise does */
  assert_int_equal(rl_sandbox_probe(&caps), 0);
  rl_sandbox sb;
  rl_sandbox_init(&sb, &caps);
  if (!rl_sandbox_complete(&sb)) {
    char desc[256];
    printf("SKIPPED: the sandbox cannot be set up here (needs root, cgroups "
           "and namespaces): %s\n",
           rl_sandbox_describe(&sb, desc, sizeof desc));
    return SKIPPED;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_describe_names_every_protection),
      cmocka_unit_test(test_fork_bomb_stopped_by_pids_limit),
      cmocka_unit_test(test_daemon_killed_through_cgroup),
      cmocka_unit_test(test_memory_hog_stopped_by_memcg),
      cmocka_unit_test(test_tsan_memory_hog_stopped_by_memcg),
      cmocka_unit_test(test_sanitizers_report_inside),
      cmocka_unit_test(test_no_network),
      cmocka_unit_test(test_secrets_and_grader_files_hidden),
      cmocka_unit_test(test_escapes_refused),
      cmocka_unit_test(test_compile_step_sandboxed),
      cmocka_unit_test(test_parallel_runs_do_not_interfere),
      cmocka_unit_test(test_kill_all_spares_other_runs),
      cmocka_unit_test(test_harness_crash_recovered_by_probe),
      cmocka_unit_test(test_cgroup2_layout),
      cmocka_unit_test(test_unprivileged_nproc_fallback),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
