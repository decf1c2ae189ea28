/* grade.h -- `racelab grade`: check a class's submissions in batches, one
 * result file per student written as soon as it is known, and the reports
 * made from those files (combined JSON, JUnit XML, SARIF). It does not
 * isolate untrusted code itself: that is the check pipeline's (sandbox.h).
 *
 * The result of one student is Exercism's test-runner interface v3
 * ({"version":3,"status","message","tests":[...]}) with racelab's fields:
 * "student", "grading" (the settings every result of a batch shares) and,
 * per test, "findings", "runs", "seed", "limits", "protections",
 * "elapsed_ms", and "harness_error": true when racelab, not the submission,
 * failed. A combined file is {"schema_version":1,"status","students":[...]}.
 */
#ifndef RL_GRADE_H
#define RL_GRADE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "exercise.h"

#define RL_GRADE_OUTPUT_MAX 500 /* characters of a test's "output" */

typedef struct {
  const char *submissions; /* SUBMISSIONS/<student>/<NN-slug>/, or one <NN-slug> folder */
  const char *results_dir; /* <student>.json files go here */
  const char *exercises;   /* "1,3": only these (missing ones are errors); NULL = all submitted */
  int runs;                /* per build */
  uint64_t seed;
  int jobs;                /* students graded at once, each in its own process */
  int resume;              /* keep students whose result file is complete */
} rl_grade_config;

typedef struct {
  int graded;     /* students graded by this call */
  int resumed;    /* students whose complete result file was kept */
  json_t *students; /* array of every student's result, in name order */
} rl_grade_outcome;

/* Grades every submission under cfg->submissions. Returns 0 with *outcome
 * filled (json_decref(outcome->students)), -EINVAL when the input is bad
 * (err says why: exit 2), or another negative errno when racelab cannot
 * go on (the results folder is not writable: exit 3). */
int rl_grade(const rl_lab *lab, const rl_grade_config *cfg, rl_grade_outcome *outcome, char *err, size_t errcap);

/* Combines result files (single students or combined files) into one array
 * of student results; a student named twice keeps the later result. 0, or
 * -EINVAL with the reason in err. */
int rl_grade_merge(const char *const *paths, int npaths, json_t **students, char *err, size_t errcap);

/* ---- emit_grade.c: the JSON shapes ---- */

/* How one exercise folder of a student was checked. */
typedef struct {
  const char *name;              /* the folder's name, as submitted */
  const char *exercise_id;       /* the exercise it is, or NULL */
  const char *folder;            /* its path as the grader named it, for the reproduce command */
  const char *real;              /* its real path (what the compiler saw), or NULL */
  const char *root;              /* the submissions root, real path: paths are shown relative to it */
  const char *lab_root;          /* the course: its files are shown relative to it */
  const char *problem;           /* why it was not checked (the submission's fault), or NULL */
  int harness_error;             /* problem is racelab's failure, not the submission's */
  const rl_check_result *result; /* the check, when problem is NULL */
  const rl_check_config *check;  /* the limits applied */
  const char *protections;       /* the isolation that was active, "none" if none */
} rl_grade_test;

/* The grading settings every result of a batch shares. */
json_t *rl_grade_settings_json(const rl_grade_config *cfg);
json_t *rl_grade_test_json(const rl_grade_test *t);
/* A student's result from their tests (takes the references). */
json_t *rl_grade_student_json(const char *student, json_t *settings, json_t *tests);
/* The combined document (takes the reference to students). */
json_t *rl_grade_combined_json(json_t *students);
/* Whether j is a student result: version 3, a student, a status and a
 * non-empty tests list, each test with a name and a status. */
int rl_grade_student_valid(const json_t *j);
/* Whether j is a valid result racelab need not redo: no harness_error and,
 * when settings is not NULL, graded with the same settings. */
int rl_grade_student_complete(const json_t *j, const json_t *settings);
/* How many results or tests of the array items have this status. */
int rl_grade_count_status(const json_t *items, const char *status);
/* Writes j to path atomically. 0 or -errno. */
int rl_grade_write_json(const json_t *j, const char *path);

/* ---- emit_junit.c, emit_sarif.c: reports made from the student results ---- */
int rl_emit_junit(const json_t *students, FILE *out);
int rl_emit_sarif(const json_t *students, FILE *out);

#endif
