/* test_cache.c -- the build cache: the hash separates what must differ,
 * an unchanged program is reused, and a changed one is rebuilt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "cache.h"
#include "util.h"

static void hash_of(const char *a, const char *b, char hex[33]) {
  rl_hash h;
  rl_hash_init(&h);
  rl_hash_string(&h, a);
  rl_hash_string(&h, b);
  rl_hash_hex(&h, hex);
}

static void hash_separates_boundaries_and_content(void **state) {
  (void)state;
  char x[33], y[33], z[33];
  hash_of("ab", "c", x);
  hash_of("a", "bc", y);
  hash_of("ab", "c", z);
  assert_string_not_equal(x, y);
  assert_string_equal(x, z);
  assert_int_equal(strlen(x), 32);
}

static char dir[] = "/tmp/racelab-test-cache.XXXXXX";

static void build_once(rl_target *t, rl_build_result *r, int expect_cached) {
  char err[512] = "";
  int rc = rl_build(t, RL_BUILD_ASAN, NULL, r, err, sizeof err);
  if (rc != 0) fail_msg("build: rc %d, %s %s", rc, err, r->diagnostics ? r->diagnostics : "");
  assert_int_equal(r->cached, expect_cached);
  assert_true(rl_is_file(r->binary));
}

static void unchanged_is_reused_changed_is_rebuilt(void **state) {
  (void)state;
  assert_non_null(mkdtemp(dir));
  char *cache = rl_path_join(dir, "cache");
  setenv("RACELAB_CACHE", cache, 1);
  char *src = rl_path_join(dir, "prog.c");
  const char *v1 = "int main(void) { return 0; }\n", *v2 = "int main(void) { return 1; }\n";
  assert_int_equal(rl_write_file_atomic(src, v1, strlen(v1)), 0);
  char *sources[] = {src, NULL}, *args[] = {NULL};
  rl_target t = {.name = "prog.c", .run_dir = dir, .sources = sources, .nsources = 1, .args = args};
  rl_build_result a, b, c;
  build_once(&t, &a, 0);
  build_once(&t, &b, 1);
  assert_string_equal(a.binary, b.binary);
  assert_int_equal(rl_write_file_atomic(src, v2, strlen(v2)), 0);
  build_once(&t, &c, 0);
  assert_string_not_equal(a.binary, c.binary);
  rl_build_result_free(&a), rl_build_result_free(&b), rl_build_result_free(&c);
  rl_remove_tree(dir);
  free(cache), free(src);
}

static void a_compile_error_is_reported_not_cached(void **state) {
  (void)state;
  char tmp[] = "/tmp/racelab-test-cache.XXXXXX";
  assert_non_null(mkdtemp(tmp));
  char *src = rl_path_join(tmp, "broken.c");
  const char *text = "int main(void) { return missing; }\n";
  assert_int_equal(rl_write_file_atomic(src, text, strlen(text)), 0);
  char *sources[] = {src, NULL}, *args[] = {NULL};
  rl_target t = {.name = "broken.c", .run_dir = tmp, .sources = sources, .nsources = 1, .args = args};
  rl_build_result r;
  char err[512] = "";
  assert_int_equal(rl_build(&t, RL_BUILD_TSAN, NULL, &r, err, sizeof err), 1);
  assert_null(r.binary);
  assert_non_null(strstr(r.diagnostics, "missing"));
  rl_build_result_free(&r);
  rl_remove_tree(tmp);
  free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hash_separates_boundaries_and_content),
      cmocka_unit_test(unchanged_is_reused_changed_is_rebuilt),
      cmocka_unit_test(a_compile_error_is_reported_not_cached),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
