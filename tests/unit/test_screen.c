/* test_screen.c -- the screen for names that turn the checks off: the
 * fixtures in tests/fixtures/screen through the compiler racelab uses
 * (each declares what it must report), every exercise and solution of the
 * lab (nothing), and hand-written preprocessor output for the corners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "screen.h"
#include "target.h"
#include "util.h"

#define FIXTURES RL_LAB_ROOT "/tests/fixtures/screen"

/* Screens one source as racelab screens an exercise: its folder is its own. */
static void screen_file(const char *path, rl_findings *out) {
  char *dir = rl_xstrndup(path, (size_t)(rl_path_basename(path) - path - 1));
  char *sources[] = {(char *)path, NULL};
  rl_target t = {.name = (char *)path, .run_dir = dir, .sources = sources, .nsources = 1};
  char err[512] = "";
  memset(out, 0, sizeof *out);
  if (rl_screen(&t, NULL, out, err, sizeof err) != 0) fail_msg("%s: %s", path, err);
  free(dir);
}

/* A fixture's first line is a comment, "screen: NAME LINE [FILE]" (NAME may
 * hold spaces; FILE when not the fixture itself) or "screen: none". */
static void fixture_declares_its_finding(void **state) {
  (void)state;
  DIR *d = opendir(FIXTURES);
  assert_non_null(d);
  int screened = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0) continue;
    char *path = rl_path_join(FIXTURES, e->d_name);
    char *text = rl_read_file(path, NULL);
    assert_non_null(text);
    char name[64] = "", file[64] = "";
    int line = 0;
    int fields = sscanf(text, "/* screen: %63[^0-9*]%d %63[^ */]", name, &line, file);
    assert_true(fields >= 1);
    for (size_t k = strlen(name); k > 0 && name[k - 1] == ' '; k--) name[k - 1] = '\0';
    rl_findings out;
    screen_file(path, &out);
    if (strcmp(name, "none") == 0) {
      if (out.count) fail_msg("%s: reported %s", e->d_name, out.items[0].summary);
    } else {
      if (!out.count) fail_msg("%s: reported nothing, expected %s", e->d_name, name);
      const rl_location *at = &out.items[0].locations[0];
      if (strcmp(at->role, name) != 0 || at->line != line ||
          strcmp(rl_path_basename(at->file), fields == 3 ? file : e->d_name) != 0)
        fail_msg("%s: reported %s at %s:%d, expected %s at line %d", e->d_name, at->role, at->file, at->line, name,
                 line);
      assert_int_equal(out.items[0].kind, RL_FINDING_CHECK_BYPASS);
    }
    screened++;
    rl_findings_free(&out);
    free(text), free(path);
  }
  closedir(d);
  assert_true(screened >= 8);
}

/* What racelab ships must pass its own screen: every exercise as given and
 * every solution as a learner's copy. */
static void the_lab_screens_clean(void **state) {
  (void)state;
  rl_lab lab;
  char err[512] = "";
  if (rl_lab_load(RL_LAB_ROOT, &lab, err, sizeof err) != 0) fail_msg("%s", err);
  assert_true(lab.count > 0);
  for (size_t i = 0; i < lab.count; i++) {
    char *solution = rl_lab_solution_dir(&lab, &lab.items[i]);
    for (int against = 0; against < 2; against++) {
      rl_target t;
      if (rl_target_resolve(&lab, lab.items[i].id, against ? solution : NULL, NULL, &t, err, sizeof err) != 0)
        fail_msg("%s", err);
      rl_findings out = {0};
      assert_int_equal(rl_screen(&t, NULL, &out, err, sizeof err), 0);
      if (out.count)
        fail_msg("%s%s: %s at %s:%d", lab.items[i].id, against ? " (solution)" : "", out.items[0].summary,
                 out.items[0].locations[0].file, out.items[0].locations[0].line);
      rl_findings_free(&out);
      rl_target_free(&t);
    }
    free(solution);
  }
  rl_lab_free(&lab);
}

/* Screens hand-written cc -E output, `text`, in which %1$s names a file
 * `name` holding `source` in a fresh own folder, escaped as cc escapes a
 * marker's name; *own gets that file's path. */
static void screen_with_own_file(const char *name, const char *source, const char *text, rl_findings *out,
                                 char **own) {
  char dir[] = "/tmp/test_screen.XXXXXX";
  assert_non_null(mkdtemp(dir));
  *own = rl_path_join(dir, name);
  assert_int_equal(rl_write_file_atomic(*own, source, strlen(source)), 0);
  char *escaped = rl_xmalloc(4 * strlen(*own) + 1), *w = escaped;
  for (const char *c = *own; *c; c++)
    w += *c == '\n' ? sprintf(w, "\\012") : *c == '"' || *c == '\\' ? sprintf(w, "\\%c", *c) : sprintf(w, "%c", *c);
  char *filled = rl_xasprintf(text, escaped);
  free(escaped);
  const char *dirs[] = {dir, NULL};
  memset(out, 0, sizeof *out);
  rl_screen_text(filled, dirs, out);
  free(filled);
  unlink(*own);
  rmdir(dir);
}

/* Own lines are those after a marker naming a file under an own folder;
 * each name is reported once, at its first use. */
static void only_own_lines_count(void **state) {
  (void)state;
  rl_findings out;
  char *own;
  screen_with_own_file("own.c", "int x;\n",
                       "# 1 \"%1$s\"\n"
                       "int a = 1;\n"
                       "# 1 \"/usr/include/stdio.h\" 1 3 4\n"
                       "extern int f(void) __asm__ (\"\" \"g\");\n"
                       "# 3 \"%1$s\" 2\n"
                       "char *s = \"__tsan_acquire\"; char c = '\\'';\n"
                       "long n = 0x1e+5; int syscall_count;\n"
                       "void w(void) { __tsan_acquire(&a); __tsan_acquire(&a); }\n"
                       "# 9 \"/tmp/..%1$s\"\n"
                       "\n"
                       "void v(void) { syscall(1); }\n",
                       &out, &own);
  assert_int_equal(out.count, 2);
  assert_string_equal(out.items[0].locations[0].role, "__tsan_acquire");
  assert_int_equal(out.items[0].locations[0].line, 5);
  assert_string_equal(out.items[1].locations[0].role, "syscall");
  assert_int_equal(out.items[1].locations[0].line, 10);
  rl_findings_free(&out);
  free(own);
}

/* A marker's name is written with C escapes: a file with a newline in its
 * name is still the program's own, and still read for line directives. */
static void escaped_names_are_undone(void **state) {
  (void)state;
  rl_findings out;
  char *own;
  screen_with_own_file("a\nb\".h",
                       "/* a comment\n#line 3 in it */\n#define X \\\n  1\n# /* c */ 7 \"/usr/include/x.h\"\n",
                       "# 1 \"%1$s\" 1\nint y;\n", &out, &own);
  assert_int_equal(out.count, 1);
  assert_string_equal(out.items[0].locations[0].role, "#line");
  assert_string_equal(out.items[0].locations[0].file, own);
  assert_int_equal(out.items[0].locations[0].line, 5);
  rl_findings_free(&out);
  free(own);
}

/* A comment is one space to the preprocessor: a `#` after one that began a
 * line still starts a directive, one after code does not. */
static void directives_after_comments(void **state) {
  (void)state;
  rl_findings out;
  char *own;
  screen_with_own_file("own.c", "int x; /*\n*/ #line 5\nchar *s = \"#line\"; // #line 9\n  /*\n*/ # line 9\n",
                       "# 1 \"%1$s\"\nint x;\n", &out, &own);
  assert_int_equal(out.count, 1);
  assert_int_equal(out.items[0].locations[0].line, 5);
  rl_findings_free(&out);
  free(own);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fixture_declares_its_finding),
      cmocka_unit_test(the_lab_screens_clean),
      cmocka_unit_test(only_own_lines_count),
      cmocka_unit_test(escaped_names_are_undone),
      cmocka_unit_test(directives_after_comments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
