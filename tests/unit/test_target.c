/* test_target.c -- resolving what the user named: exercise ids in every
 * spelling, --against copies, files, folders, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

static rl_lab lab;

static int setup(void **state) {
  (void)state;
  char err[512];
  return rl_lab_load(RL_LAB_ROOT, &lab, err, sizeof err);
}

static int teardown(void **state) {
  (void)state;
  rl_lab_free(&lab);
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void exercise_in_every_spelling(void **state) {
  (void)state;
  const rl_exercise *ex = rl_lab_find(&lab, "1");
  assert_non_null(ex);
  const char *spellings[] = {"1", "01", ex->id, ex->slug};
  for (size_t i = 0; i < 4; i++) {
    rl_target t;
    char err[512] = "";
    assert_int_equal(rl_target_resolve(&lab, spellings[i], NULL, NULL, &t, err, sizeof err), 0);
    assert_ptr_equal(t.exercise, ex);
    assert_string_equal(t.run_dir, ex->dir);
    /* The learner's file comes first and from the exercise itself. */
    char *expected = NULL;
    assert_true(asprintf(&expected, "%s/%s", ex->dir, ex->edit[0]) > 0);
    assert_string_equal(t.sources[0], expected);
    free(expected);
    rl_target_free(&t);
  }
}

static void against_takes_the_learner_files_from_the_copy(void **state) {
  (void)state;
  const rl_exercise *ex = rl_lab_find(&lab, "1");
  char *copy = rl_lab_solution_dir(&lab, ex);
  rl_target t;
  char err[512] = "";
  assert_int_equal(rl_target_resolve(&lab, "1", copy, NULL, &t, err, sizeof err), 0);
  assert_true(strncmp(t.sources[0], copy, strlen(copy)) == 0);
  for (size_t i = 1; i < t.nsources; i++) assert_true(strncmp(t.sources[i], ex->dir, strlen(ex->dir)) == 0);
  rl_target_free(&t);
  free(copy);
}

static void a_file_and_a_folder(void **state) {
  (void)state;
  rl_target t;
  char err[512] = "";
  const char *race = RL_TEST_DATA "/../fixtures/programs/race.c";
  assert_int_equal(rl_target_resolve(&lab, race, NULL, NULL, &t, err, sizeof err), 0);
  assert_null(t.exercise);
  assert_int_equal(t.nsources, 1);
  assert_true(ends_with(t.sources[0], "/fixtures/programs/race.c"));
  assert_true(ends_with(t.run_dir, "/fixtures/programs"));
  rl_target_free(&t);
  assert_int_equal(rl_target_resolve(&lab, RL_TEST_DATA "/lab/exercises/01-good", NULL, NULL, &t, err, sizeof err), 0);
  assert_int_equal(t.nsources, 1);
  assert_true(ends_with(t.sources[0], "01-good/work.c"));
  rl_target_free(&t);
}

static void bad_targets_say_why(void **state) {
  (void)state;
  static const struct {
    const char *spec, *against, *reason;
  } cases[] = {
      {"999", NULL, "unknown exercise '999'"},
      {"no-such", NULL, "unknown exercise 'no-such'"},
      {"/nonexistent/x.c", NULL, "No such file"},
      {RL_TEST_DATA "/../fixtures/programs/empty_folder", NULL, "no .c files"},
      {"1", "/nonexistent", "not a folder"},
      {"1", RL_TEST_DATA, "missing"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rl_target t;
    char err[512] = "";
    assert_int_equal(rl_target_resolve(&lab, cases[i].spec, cases[i].against, NULL, &t, err, sizeof err), -1);
    if (!strstr(err, cases[i].reason)) fail_msg("%s: '%s' lacks '%s'", cases[i].spec, err, cases[i].reason);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exercise_in_every_spelling),
      cmocka_unit_test(against_takes_the_learner_files_from_the_copy),
      cmocka_unit_test(a_file_and_a_folder),
      cmocka_unit_test(bad_targets_say_why),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
