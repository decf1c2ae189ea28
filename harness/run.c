/* run.c -- run a built program once, supervised, and turn everything it
 * left behind into findings: the sanitizer's log files, the runtime's event
 * log, how it ended, and what the oracle says of its output. */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_watch.h"
#include "lost_update.h"
#include "report_asan.h"
#include "report_rlrt.h"
#include "report_rlrt_thread.h"
#include "report_rlrt_uv.h"
#include "report_tsan.h"
#include "runtime/rlrt_protocol.h"
#include "supervise.h"
#include "util.h"

#define OUTPUT_CAP (256 * 1024)
/* The most of one log file that is read: more is no report of ours. */
#define LOG_MAX (16 * 1024 * 1024)
/* After the dump signal the runtime writes its state in a few ms. */
#define DUMP_GRACE_MS 300

static const char *const modes[RL_MODE_COUNT] = {"off", "random", "pct"};

const char *rl_run_mode(uint64_t seed) { return modes[seed % RL_MODE_COUNT]; }

/* Sanitizer options are set in full, never inherited: symbolize=0 because
 * racelab symbolizes once after all runs (research/perf.md: 80-90% of a
 * short TSan run is symbolizing); exitcode 66 tells a report from the
 * program's own failure; leaks are not concurrency bugs, and gcc's LSan
 * crashes on programs whose threads outlive main. Options the program sets
 * for itself (__tsan_default_options) yield to these: report_bugs=1 is
 * named so that "report_bugs=0" there cannot hide a race. */
static char *sanitizer_options(rl_build_kind build, const char *scratch) {
  if (build == RL_BUILD_TSAN)
    return rl_xasprintf("TSAN_OPTIONS=report_bugs=1:symbolize=0:log_path=%s/san:exitcode=66:halt_on_error=0:"
                        "detect_deadlocks=1:second_deadlock_stack=1:history_size=4:"
                        "report_thread_leaks=1:report_signal_unsafe=1:io_sync=1",
                        scratch);
  return rl_xasprintf("ASAN_OPTIONS=symbolize=0:log_path=%s/san:exitcode=66:detect_leaks=0:"
                      "handle_abort=1:allow_user_segv_handler=0",
                      scratch);
}

typedef int (*log_parser)(const char *, size_t, rl_findings *);

/* Every file in dir whose name starts with prefix, read once and given to
 * each of parsers (NULL-terminated). With about set, the findings of each
 * "<prefix><pid>" are first given to it with the runtime log of the same
 * process, "rlrt.<pid>", which may say what they are about (a sanitizer
 * report on a libuv request or handle). */
static void parse_logs(const char *dir, const char *prefix, const log_parser *parsers,
                       rl_findings *out, char *runtime_error, size_t errcap,
                       int (*runtime_failed)(const char *, size_t, char *, size_t),
                       int (*about)(const char *, size_t, rl_findings *)) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  size_t n = strlen(prefix);
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, prefix, n) != 0) continue;
    char *path = rl_path_join(dir, e->d_name);
    size_t len;
    char *text = rl_read_untrusted_file(path, LOG_MAX, &len);
    if (text) {
      rl_findings mine = {0};
      for (const log_parser *parse = parsers; *parse; parse++) (*parse)(text, len, about ? &mine : out);
      if (runtime_failed && !runtime_error[0]) runtime_failed(text, len, runtime_error, errcap);
      if (about && mine.count) {
        char *log_path = rl_xasprintf("%s/rlrt.%s", dir, e->d_name + n);
        size_t log_len;
        char *log = rl_read_untrusted_file(log_path, LOG_MAX, &log_len);
        if (log) about(log, log_len, &mine);
        free(log);
        free(log_path);
      }
      if (about) rl_findings_merge(out, &mine);
    }
    free(text);
    free(path);
  }
  closedir(d);
}

static int run_has(const rl_findings *f, rl_finding_kind kind) {
  for (size_t i = 0; i < f->count; i++)
    if (f->items[i].kind == kind) return 1;
  return 0;
}

static void add_simple(rl_findings *f, rl_finding_kind kind, char *summary, char *detail) {
  rl_finding *x = rl_findings_add(f, kind);
  x->summary = summary;
  x->detail = detail;
}

/* The first line where got differs from expected, in words. */
static char *first_difference(const char *expected, const char *got) {
  int line = 1;
  const char *e = expected, *g = got;
  while (*e && *g && *e == *g) {
    if (*e == '\n') line++;
    e++, g++;
  }
  char *want = rl_text_line(expected, line), *have = rl_text_line(got, line);
  char *text = rl_xasprintf("line %d: expected \"%s\"\n%*sgot      \"%s\"", line, want ? want : "(end of output)",
                            (int)(snprintf(NULL, 0, "line %d: ", line)), "", have ? have : "(end of output)");
  free(want), free(have);
  return text;
}

/* cmocka prints "[  FAILED  ] name" and the failed assertion before it. */
static char *cmocka_failures(const char *out) {
  size_t cap = 1024, n = 0;
  char *text = rl_xcalloc(1, cap);
  for (int line = 1;; line++) {
    char *l = rl_text_line(out, line);
    if (!l) break;
    if (strstr(l, "[  FAILED  ]") || strstr(l, "[  ERROR   ]") || strstr(l, "Failure!") || strstr(l, "error:")) {
      size_t m = strlen(l);
      if (n + m + 2 > cap) text = rl_xrealloc(text, cap = (n + m + 2) * 2);
      memcpy(text + n, l, m);
      n += m;
      text[n++] = '\n';
      text[n] = '\0';
    }
    free(l);
  }
  return text;
}

/* What the exit status and the output say, after the evidence of the logs. */
static void judge_ending(const rl_run_config *cfg, const rl_run_result *res, const char *runtime_error,
                         rl_findings *f) {
  const rl_target *t = cfg->target;
  int sanitizer_reported = res->exited && res->exit_code == 66 && f->count > 0;
  if (runtime_error[0]) {
    add_simple(f, RL_FINDING_CRASH, rl_xasprintf("the %s runtime failed inside the program",
                                                 rl_build_kind_name(cfg->build)),
               rl_xstrdup(runtime_error));
    return;
  }
  /* A fork bomb spins at the process limit until the deadline: say so. */
  char pids[64] = "";
  if (res->pids_limited && cfg->sandbox)
    snprintf(pids, sizeof pids, "; it reached its process limit (%d)", cfg->sandbox->pids_max);
  /* The memory cgroup's OOM kill is a bare SIGKILL, and a run at its limit
   * may stall in the kernel's reclaim past its deadline before the kill:
   * the cgroup's counts tell either from a crash or a hang. */
  if (cfg->sandbox && (res->memory_limited || (res->timed_out && res->memory_full))) {
    add_simple(f, RL_FINDING_CRASH,
               rl_xasprintf("the program reached its memory limit (%lld MiB) and was stopped%s",
                            cfg->sandbox->memory_bytes >> 20, pids),
               NULL);
    return;
  }
  if (res->timed_out) {
    if (run_has(f, RL_FINDING_DEADLOCK) || run_has(f, RL_FINDING_HANG)) return;
    /* No dump explained it. A program that burned little CPU while it was
     * stuck was blocked (a pipe nobody closes, a wait nobody ends): a hang.
     * One that kept a core busy loops. */
    if (res->cpu_ms * 4 < res->wall_ms)
      add_simple(f, RL_FINDING_HANG,
                 rl_xasprintf("the program stopped making progress: blocked for %d s, using almost no CPU "
                              "(%ld ms), until it was stopped%s",
                              cfg->timeout_ms / 1000, res->cpu_ms, pids),
                 NULL);
    else
      add_simple(f, RL_FINDING_TIMEOUT,
                 rl_xasprintf("the program kept running (%ld ms of CPU) and did not finish within %d s%s", res->cpu_ms,
                              cfg->timeout_ms / 1000, pids),
                 NULL);
    return;
  }
  /* Either stream: a flood on stderr is stopped the same way. */
  if (res->output_limited && res->out_total + res->err_total > 64 * OUTPUT_CAP) {
    add_simple(f, RL_FINDING_WRONG_OUTPUT,
               rl_xasprintf("the program flooded its output (%zu bytes) and was stopped", res->out_total + res->err_total),
               NULL);
    return;
  }
  if (res->signaled) {
    if (!f->count)
      add_simple(f, RL_FINDING_CRASH,
                 rl_xasprintf("the program was killed by signal %d (%s)", res->signal, strsignal(res->signal)), NULL);
    return;
  }
  /* 66 is the sanitizers' status for a bug found (sanitizer_options). With
   * no report to read, the program hid it: a link planted where the log
   * goes, the log removed. A failure all the same, and said so. */
  if (res->exited && res->exit_code == 66 && !f->count) {
    add_simple(f, RL_FINDING_CRASH,
               rl_xasprintf("the program ended with status 66, %s's for a bug found, but left no report to read: "
                            "it hid or removed the report",
                            cfg->build == RL_BUILD_TSAN ? "ThreadSanitizer" : "AddressSanitizer"),
               NULL);
    return;
  }
  /* An ASan report ends the program, and so does a crash TSan reported:
   * the output is cut short, not wrong. */
  if (sanitizer_reported && (cfg->build == RL_BUILD_ASAN || run_has(f, RL_FINDING_CRASH))) return;
  if (t->uses_cmocka) {
    if (res->exit_code != 0 && !sanitizer_reported)
      add_simple(f, RL_FINDING_WRONG_OUTPUT, rl_xstrdup("the exercise's test failed"), cmocka_failures(res->out));
    return;
  }
  if (res->exit_code != 0 && !sanitizer_reported) {
    add_simple(f, RL_FINDING_WRONG_OUTPUT, rl_xasprintf("the program exited with status %d", res->exit_code),
               res->err_len ? rl_xstrndup(res->err, res->err_len > 2000 ? 2000 : res->err_len) : NULL);
    return;
  }
  if (t->expected_stdout) {
    char *expected = rl_read_file(t->expected_stdout, NULL);
    if (expected && strcmp(expected, res->out) != 0)
      add_simple(f, RL_FINDING_WRONG_OUTPUT, rl_xstrdup("the output differs from the expected output"),
                 first_difference(expected, res->out));
    free(expected);
  }
}

/* The program's command line, behind its binary (free the array only). */
static char **run_argv(const rl_run_config *cfg) {
  const rl_target *t = cfg->target;
  size_t nargs = 0;
  while (t->args[nargs]) nargs++;
  char **argv = rl_xcalloc(nargs + 2, sizeof *argv);
  argv[0] = (char *)cfg->binary;
  for (size_t i = 0; i < nargs; i++) argv[i + 1] = t->args[i];
  return argv;
}

/* The complete environment of a run, or of a fork server (no seed, mode,
 * log or trace: those are each run's). Free it with rl_free_strv. */
static char **run_env(const rl_run_config *cfg, int server) {
  char **env = rl_xcalloc(10, sizeof *env);
  int n = 0;
  env[n++] = rl_xstrdup("PATH=/usr/local/bin:/usr/bin:/bin");
  env[n++] = rl_xstrdup("LC_ALL=C");
  env[n++] = rl_xasprintf("HOME=%s", cfg->scratch);
  env[n++] = rl_xasprintf("TMPDIR=%s", cfg->scratch);
  env[n++] = sanitizer_options(cfg->build, cfg->scratch);
  if (server) return env;
  env[n++] = rl_xasprintf(RLRT_ENV_SEED "=%" PRIu64, cfg->seed);
  env[n++] = rl_xasprintf(RLRT_ENV_MODE "=%s", rl_run_mode(cfg->seed));
  env[n++] = rl_xasprintf(RLRT_ENV_LOG "=%s/rlrt", cfg->scratch);
  if (cfg->trace) env[n++] = rl_xstrdup(RLRT_ENV_TRACE "=1");
  return env;
}

rl_forkserver *rl_run_server_start(const rl_run_config *cfg) {
  if (cfg->sandbox) return NULL; /* every sandboxed run is a fresh process */
  char **argv = run_argv(cfg), **env = run_env(cfg, 1);
  rl_run_spec spec = {.argv = argv, .envp = env, .cwd = cfg->target->run_dir};
  char err[256];
  rl_forkserver *s = rl_forkserver_start(&spec, cfg->timeout_ms, err, sizeof err);
  rl_free_strv(env);
  free(argv);
  return s;
}

int rl_run_once(const rl_run_config *cfg, rl_run_outcome *out, char *err, size_t errcap) {
  memset(out, 0, sizeof *out);
  const rl_target *t = cfg->target;
  char **env = run_env(cfg, 0), **argv = run_argv(cfg);
  char *report_path = rl_xasprintf("%s/san", cfg->scratch);
  rl_run_spec spec = {
      .argv = argv,
      .envp = env,
      .cwd = t->run_dir,
      .timeout_ms = cfg->timeout_ms,
      .output_cap = OUTPUT_CAP,
      .dump_signal = RLRT_DUMP_SIGNAL,
      .dump_grace_ms = DUMP_GRACE_MS,
      .server = rl_forkserver_usable(cfg->server) && !cfg->sandbox ? cfg->server : NULL,
      .report_path = report_path,
  };
  /* In a sandbox the program sees its binary and its working directory
   * read-only, and writes only to its scratch folder (logs, TMPDIR). */
  rl_sandbox sandbox;
  char *binary_dir = rl_xstrndup(cfg->binary, (size_t)(rl_path_basename(cfg->binary) - cfg->binary));
  const char *visible[] = {binary_dir, t->run_dir, NULL};
  if (cfg->sandbox) {
    sandbox = *cfg->sandbox;
    sandbox.ro_paths = visible;
    sandbox.rw_path = cfg->scratch;
    spec.sandbox = &sandbox;
  }
  rl_run_result res;
  rl_log_watch watch;
  rl_log_watch_start(&watch, cfg->scratch);
  int rc = rl_supervise(&spec, &res);
  if (rc < 0 && spec.server) {
    /* The server failed this run (it died, or could not fork): whatever
     * the run left is void; it runs again as a fresh process. */
    free(rl_log_watch_stop(&watch));
    rl_remove_tree(cfg->scratch);
    rl_mkdirs(cfg->scratch);
    rl_log_watch_start(&watch, cfg->scratch);
    spec.server = NULL;
    rc = rl_supervise(&spec, &res);
  }
  char *tampered = rl_log_watch_stop(&watch);
  if (rc != 0) {
    snprintf(err, errcap, "cannot start %s: %s", cfg->binary, strerror(-rc));
  } else {
    char runtime_error[256] = "";
    int tsan = cfg->build == RL_BUILD_TSAN;
    const log_parser sanitizer_parsers[] = {tsan ? rl_report_tsan_parse : rl_report_asan_parse, NULL};
    parse_logs(cfg->scratch, "san.", sanitizer_parsers, &out->findings, runtime_error, sizeof runtime_error,
               tsan ? rl_report_tsan_runtime_error : rl_report_asan_runtime_error, rl_report_rlrt_uv_retell);
    size_t sanitizer_found = out->findings.count;
    const log_parser runtime_parsers[] = {rl_report_rlrt_parse, rl_report_rlrt_uv_parse, rl_report_rlrt_thread_parse,
                                          NULL};
    parse_logs(cfg->scratch, "rlrt.", runtime_parsers, &out->findings, NULL, 0, NULL, NULL);
    for (size_t i = sanitizer_found; i < out->findings.count; i++) out->findings.items[i].runtime_ids = 1;
    if (tampered)
      add_simple(&out->findings, RL_FINDING_CHECK_BYPASS,
                 rl_xasprintf("the program %s while it ran: what was reported there is lost", tampered), NULL);
    judge_ending(cfg, &res, runtime_error, &out->findings);
    rl_lost_update_explain(t, &out->findings);
    if (cfg->trace) rl_trace_read_dir(cfg->scratch, "rlrt", &out->trace);
    out->wall_ms = res.wall_ms;
    out->timed_out = res.timed_out;
    rl_run_result_free(&res);
  }
  rl_free_strv(env);
  free(argv);
  free(report_path);
  free(binary_dir);
  free(tampered);
  return rc == 0 ? 0 : -1;
}
