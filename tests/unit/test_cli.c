/* test_cli.c -- option parsing: values land in the right fields, and every
 * kind of bad invocation is refused with the usage exit code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "cli.h"

#define PARSE(opts, ...)                                                   \
  ({                                                                       \
    char *argv_[] = {"racelab", __VA_ARGS__, NULL};                        \
    rl_cli_parse((int)(sizeof argv_ / sizeof argv_[0]) - 1, argv_, opts);  \
  })

static void no_arguments_lists_the_course(void **state) {
  (void)state;
  rl_options o;
  char *argv[] = {"racelab", NULL};
  assert_int_equal(rl_cli_parse(1, argv, &o), RL_EXIT_OK);
  assert_string_equal(o.command, "list");
}

static void options_fill_their_fields(void **state) {
  (void)state;
  rl_options o;
  assert_int_equal(PARSE(&o, "check", "03", "--runs", "7", "--seed=42", "-t", "3", "--format", "json", "-k",
                         "--build", "asan", "--against", "solutions/03-x"),
                   RL_EXIT_OK);
  assert_string_equal(o.command, "check");
  assert_string_equal(o.target, "03");
  assert_int_equal(o.runs, 7);
  assert_true(o.seed == 42 && o.seed_set);
  assert_int_equal(o.timeout_s, 3);
  assert_int_equal(o.format, RL_FORMAT_JSON);
  assert_int_equal(o.keep_going, 1);
  assert_int_equal(o.builds, 1 << RL_BUILD_ASAN);
  assert_string_equal(o.against, "solutions/03-x");
}

static void defaults_are_set(void **state) {
  (void)state;
  rl_options o;
  assert_int_equal(PARSE(&o, "run", "1"), RL_EXIT_OK);
  assert_int_equal(o.seed, 1);
  assert_int_equal(o.seed_set, 0);
  assert_int_equal(o.runs, 0);
  assert_int_equal(o.format, RL_FORMAT_HUMAN);
  assert_null(o.against);
}

static void bad_invocations_are_usage_errors(void **state) {
  (void)state;
  rl_options o;
  assert_int_equal(PARSE(&o, "frobnicate"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check", "1", "--runs", "x"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check", "1", "--runs", "-3"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check", "1", "--seed", "-1"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check", "1", "--runs"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check", "1", "--format", "yaml"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check", "1", "--build", "msan"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check", "1", "2"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "list", "1"), RL_EXIT_USAGE);
  /* --against belongs to check only; --all to hint only. */
  assert_int_equal(PARSE(&o, "run", "1", "--against", "x"), RL_EXIT_USAGE);
  assert_int_equal(PARSE(&o, "check", "1", "--all"), RL_EXIT_USAGE);
  /* A prefix of an option is not the option. */
  assert_int_equal(PARSE(&o, "check", "1", "--run", "3"), RL_EXIT_USAGE);
}

static void help_needs_no_target(void **state) {
  (void)state;
  rl_options o;
  assert_int_equal(PARSE(&o, "check", "--help"), RL_EXIT_OK);
  assert_true(o.help);
  assert_int_equal(PARSE(&o, "--help"), RL_EXIT_OK);
  assert_true(o.help);
}

int main(void) {
  /* Usage errors print to stderr; keep the test log readable. */
  if (!freopen("/dev/null", "w", stderr)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(no_arguments_lists_the_course), cmocka_unit_test(options_fill_their_fields),
      cmocka_unit_test(defaults_are_set), cmocka_unit_test(bad_invocations_are_usage_errors),
      cmocka_unit_test(help_needs_no_target),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
