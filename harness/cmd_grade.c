/* cmd_grade.c -- `racelab grade`: grade a folder of submissions (or merge
 * result files), then write the combined results and the reports. The
 * grading itself is grade.c's; this file only wires options to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "grade.h"
#include "util.h"

#define DEFAULT_OUT "results.json"
#define DEFAULT_RUNS 10
#define MAX_JOBS 64

/* Formats a report into memory, then stores it atomically: a reader never
 * sees half a report. 0 or -errno. */
static int write_report(const char *path, int (*emit)(const json_t *, FILE *), const json_t *students) {
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (!mem) return -errno;
  int ok = emit(students, mem) == 0;
  if (fclose(mem) != 0) ok = 0;
  int rc = ok ? rl_write_file_atomic(path, text, len) : -EIO;
  free(text);
  return rc;
}

/* Grades opts->target into *students. Returns an exit code. */
static int grade(const rl_options *opts, const char *out, json_t **students) {
  if (opts->ntargets > 1) {
    rl_cli_usage_error("grade", "grade takes one SUBMISSIONS folder, got '%s' too (--merge takes several files)",
                       opts->targets[1]);
    return RL_EXIT_USAGE;
  }
  if (opts->jobs > MAX_JOBS) {
    rl_cli_usage_error("grade", "-j %d: at most %d jobs", opts->jobs, MAX_JOBS);
    return RL_EXIT_USAGE;
  }
  char err[600];
  rl_lab lab;
  if (rl_lab_load(rl_lab_root(), &lab, err, sizeof err) != 0) {
    fprintf(stderr, "racelab: the course is invalid: %s\n", err);
    return RL_EXIT_USAGE;
  }
  char *results_dir = rl_xasprintf("%s.d", out);
  rl_grade_config cfg = {.submissions = opts->target, .results_dir = results_dir, .exercises = opts->exercises,
                         .runs = opts->runs ? opts->runs : DEFAULT_RUNS, .seed = opts->seed,
                         .jobs = opts->jobs ? opts->jobs : 1, .resume = opts->resume};
  rl_grade_outcome outcome;
  int rc = rl_grade(&lab, &cfg, &outcome, err, sizeof err);
  int code = RL_EXIT_OK;
  if (rc == -EINVAL) {
    rl_cli_usage_error("grade", "%s", err);
    code = RL_EXIT_USAGE;
  } else if (rc != 0) {
    fprintf(stderr, "racelab: %s\n", err);
    code = RL_EXIT_INTERNAL;
  } else {
    printf("graded %d, kept %d from an earlier run; results in %s/\n", outcome.graded, outcome.resumed,
           results_dir);
    *students = outcome.students;
  }
  free(results_dir);
  rl_lab_free(&lab);
  return code;
}

int rl_cmd_grade(const rl_options *opts) {
  const char *out = opts->out ? opts->out : DEFAULT_OUT;
  json_t *students = NULL;
  int code = RL_EXIT_OK;
  if (opts->merge) {
    char err[600];
    if (rl_grade_merge(opts->targets, opts->ntargets, &students, err, sizeof err) != 0) {
      rl_cli_usage_error("grade", "%s", err);
      return RL_EXIT_USAGE;
    }
  } else {
    code = grade(opts, out, &students);
    if (code != RL_EXIT_OK) return code;
  }
  /* 1 when racelab could not grade some submission: its result says why,
   * and a --resume grades it again. */
  size_t i;
  json_t *s;
  json_array_foreach(students, i, s) {
    if (!rl_grade_student_complete(s, NULL)) code = RL_EXIT_FINDINGS;
  }
  json_t *combined = rl_grade_combined_json(students);
  struct {
    const char *path;
    int rc;
  } written[] = {{out, rl_grade_write_json(combined, out)},
                 {opts->junit, opts->junit ? write_report(opts->junit, rl_emit_junit, students) : 0},
                 {opts->sarif, opts->sarif ? write_report(opts->sarif, rl_emit_sarif, students) : 0}};
  for (size_t k = 0; k < sizeof written / sizeof written[0]; k++) {
    if (written[k].rc == 0) continue;
    fprintf(stderr, "racelab: cannot write %s: %s\n", written[k].path, strerror(-written[k].rc));
    code = RL_EXIT_INTERNAL;
  }
  json_decref(combined);
  return code;
}
