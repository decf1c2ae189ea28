/* test_exercise.c -- exercise.ini is validated strictly: one good
 * exercise loads with every field, and each kind of mistake is refused
 * with a message naming it; a [lost-update] section's lines are found in
 * the program checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "lost_update.h"
#include "util.h"

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
  expect_refused("07-lost-update-bad-line", "[lost-update] parent 'puts(total)' is on no line of work.c");
  expect_refused("08-lost-update-partial", "[lost-update] needs variable, file, child and parent");
}

static void lost_update_loads(void **state) {
  (void)state;
  rl_exercise ex;
  char err[512] = "";
  if (rl_exercise_load(dir("06-lost-update"), &ex, err, sizeof err) != 0) fail_msg("%s", err);
  assert_string_equal(ex.lost_update.variable, "total");
  assert_string_equal(ex.lost_update.file, "work.c");
  assert_string_equal(ex.lost_update.child, "total += 1;");
  assert_string_equal(ex.lost_update.parent, "printf(\"%ld\\n\", total);");
  rl_exercise_free(&ex);
  rl_exercise none;
  assert_int_equal(rl_exercise_load(dir("01-good"), &none, err, sizeof err), 0);
  assert_null(none.lost_update.variable);
  rl_exercise_free(&none);
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

/* A wrong-output finding of such an exercise points at both lines of the
 * program checked; one with a location of its own is left alone. */
static void lost_update_points_at_the_lines(void **state) {
  (void)state;
  rl_exercise ex;
  char err[512] = "";
  assert_int_equal(rl_exercise_load(dir("06-lost-update"), &ex, err, sizeof err), 0);
  char *src = rl_path_join(ex.dir, "work.c");
  char *sources[] = {src, NULL};
  rl_target t = {.sources = sources, .nsources = 1, .exercise = &ex};
  rl_findings fs = {0};
  rl_findings_add(&fs, RL_FINDING_WRONG_OUTPUT);
  rl_finding_add_location(rl_findings_add(&fs, RL_FINDING_WRONG_OUTPUT));
  rl_lost_update_explain(&t, &fs);
  const rl_finding *f = &fs.items[0];
  assert_string_equal(f->object, "`total`, of which each process has its own copy after fork()");
  assert_int_equal(f->nlocations, 2);
  assert_string_equal(f->locations[0].file, src);
  assert_int_equal(f->locations[0].line, 9);
  assert_string_equal(f->locations[0].role, "a child writes `total` here: its own copy, gone when the child exits");
  assert_int_equal(f->locations[1].line, 13);
  assert_string_equal(f->locations[1].role, "the parent reads `total` here: its own copy, which no child wrote");
  assert_null(fs.items[1].object);
  assert_int_equal(fs.items[1].nlocations, 1);
  assert_int_equal(rl_lost_update_line("a\nb total\nc", "total"), 2);
  assert_int_equal(rl_lost_update_line("total\ntotal", "total"), -1);
  assert_int_equal(rl_lost_update_line("", "total"), 0);
  rl_findings_free(&fs);
  free(src);
  rl_exercise_free(&ex);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(good_exercise_loads_every_field),
      cmocka_unit_test(mistakes_are_refused),
      cmocka_unit_test(lost_update_loads),
      cmocka_unit_test(lost_update_points_at_the_lines),
      cmocka_unit_test(the_real_course_is_valid_and_findable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
