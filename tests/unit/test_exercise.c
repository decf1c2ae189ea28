/* test_exercise.c -- exercise.ini is validated strictly: one good
 * exercise loads with every field, and each kind of mistake is refused
 * with a message naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "exercise.h"

static char *dir(const char *name) {
  static char path[512];
  snprintf(path, sizeof path, "%s/lab/exercises/%s", RL_TEST_DATA, name);
  return path;
}

static void good_exercise_loads_every_field(void **state) {
  (void)state;
  rl_exercise ex;
  char err[512] = "";
  assert_int_equal(rl_exercise_load(dir("01-good"), &ex, err, sizeof err), 0);
  assert_string_equal(ex.id, "01-good");
  assert_int_equal(ex.number, 1);
  assert_string_equal(ex.slug, "good");
  assert_string_equal(ex.title, "A good exercise");
  assert_int_equal(ex.kind, RL_FINDING_DATA_RACE);
  assert_int_equal(ex.nedit, 1);
  assert_string_equal(ex.edit[0], "work.c");
  assert_int_equal(ex.oracle, RL_ORACLE_STDOUT);
  assert_int_equal(ex.nargs, 2);
  assert_string_equal(ex.args[1], "two");
  assert_int_equal(ex.timeout_s, 5);
  assert_string_equal(ex.hints[1], "second, continued");
  /* Longer than inih's 200-byte lines: folded and joined back intact. */
  assert_int_equal(strlen(ex.hints[2]), strlen("third") + 80 * strlen(" word"));
  assert_non_null(strstr(ex.hints[2], "word word word"));
  rl_exercise_free(&ex);
}

static void expect_refused(const char *name, const char *reason) {
  rl_exercise ex;
  char err[512] = "";
  assert_int_equal(rl_exercise_load(dir(name), &ex, err, sizeof err), -1);
  if (!strstr(err, reason)) fail_msg("%s: error '%s' lacks '%s'", name, err, reason);
}

static void mistakes_are_refused(void **state) {
  (void)state;
  expect_refused("02-bad-kind", "unknown kind 'race-condition'");
  expect_refused("03-missing-hint", "missing hint 3");
  expect_refused("04-unknown-key", "unknown key 'colour'");
  expect_refused("05-missing-file", "names 'missing.c', which does not exist");
}

static void the_real_course_is_valid_and_findable(void **state) {
  (void)state;
  rl_lab lab;
  char err[512] = "";
  if (rl_lab_load(RL_LAB_ROOT, &lab, err, sizeof err) != 0) fail_msg("%s", err);
  assert_true(lab.count >= 3);
  const rl_exercise *first = rl_lab_find(&lab, "1");
  assert_non_null(first);
  assert_ptr_equal(rl_lab_find(&lab, "01"), first);
  assert_ptr_equal(rl_lab_find(&lab, first->id), first);
  assert_ptr_equal(rl_lab_find(&lab, first->slug), first);
  assert_null(rl_lab_find(&lab, "999"));
  for (size_t i = 1; i < lab.count; i++) assert_true(lab.items[i - 1].number < lab.items[i].number);
  rl_lab_free(&lab);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(good_exercise_loads_every_field),
      cmocka_unit_test(mistakes_are_refused),
      cmocka_unit_test(the_real_course_is_valid_and_findable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
