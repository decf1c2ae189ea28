/* test_symbolize.c -- builds small programs under TSan with the system cc,
 * runs them with symbolize=0, and checks that racelab's symbolizer names
 * the same functions and lines as TSan's own symbolize=1 report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "finding.h"
#include "report_tsan.h"
#include "symbolize.h"
#include "util.h"

static char *scratch;

static int setup(void **state) {
  char tmpl[] = "/tmp/rl_test_symbolize.XXXXXX";
  scratch = rl_xstrdup(mkdtemp(tmpl));
  (void)state;
  return 0;
}

static int teardown(void **state) {
  rl_remove_tree(scratch);
  free(scratch);
  (void)state;
  return 0;
}

/* Builds tests/data/programs/<prog>.c with compiler cc into the scratch
 * folder; returns the binary's path. */
static char *build(const char *cc, const char *prog) {
  char *bin = rl_xasprintf("%s/%s", scratch, prog);
  char *cmd = rl_xasprintf("%s -g -O1 -fno-omit-frame-pointer -fsanitize=thread "
                           "-pthread -o %s %s/programs/%s.c",
                           cc, bin, RL_TEST_DATA, prog);
  assert_int_equal(system(cmd), 0);
  free(cmd);
  return bin;
}

/* Runs bin under TSan (never longer than 20 s) and parses its log. */
static void run_and_parse(const char *bin, int symbolize, rl_findings *out) {
  char *log = rl_xasprintf("%s/log%d", scratch, symbolize);
  char *cmd = rl_xasprintf(
      "TSAN_OPTIONS=symbolize=%d:log_path=%s:detect_deadlocks=1:"
      "second_deadlock_stack=1:halt_on_error=0:history_size=4 "
      "timeout 20 %s >/dev/null 2>&1",
      symbolize, log, bin);
  assert_true(system(cmd) != -1);
  char *pattern = rl_xasprintf("%s.*", log);
  glob_t g;
  assert_int_equal(glob(pattern, 0, NULL, &g), 0);
  assert_int_equal(g.gl_pathc, 1);
  size_t len;
  char *text = rl_read_file(g.gl_pathv[0], &len);
  assert_non_null(text);
  memset(out, 0, sizeof *out);
  assert_true(rl_report_tsan_parse(text, len, out) >= 1);
  unlink(g.gl_pathv[0]);
  globfree(&g);
  free(text);
  free(pattern);
  free(cmd);
  free(log);
}

/* Every frame in bin has the same function and line in both stacks. */
static int same_frames(const rl_stack *ours, const rl_stack *tsan, const char *bin) {
  int checked = 0;
  /* TSan drops the frames below main and its own thread start when it
   * symbolizes, so only the common prefix can be compared. */
  assert_true(ours->count >= tsan->count);
  for (size_t i = 0; i < tsan->count; i++) {
    const rl_frame *a = &ours->frames[i], *b = &tsan->frames[i];
    if (!a->module || strcmp(a->module, rl_path_basename(bin)) != 0)
      continue;
    assert_int_equal(a->offset, b->offset);
    assert_non_null(a->function);
    assert_string_equal(a->function, b->function);
    if (b->file && strstr(b->file, "tests/data/programs/")) {
      assert_string_equal(a->file, b->file);
      assert_int_equal(a->line, b->line);
      checked++;
    }
  }
  return checked;
}

/* The lock-order program runs its threads one after the other, so both
 * runs print the same report. Frames #1 (the calls to pthread_mutex_lock
 * and pthread_create) only match TSan when offset-1 is looked up. With
 * clang the TSan runtime is inside the binary: its frames get symbolized
 * too, and rl_stack_user_frame must skip them. */
static void matches_tsan(void **state) {
  const char *cc = *state;
  char *bin = build(cc, "lock_order");
  rl_findings ours, tsan;
  run_and_parse(bin, 0, &ours);
  run_and_parse(bin, 1, &tsan);
  rl_symbolizer *s = rl_symbolizer_new();
  assert_non_null(s);
  int n = rl_symbolize_findings(s, bin, &ours);
  assert_true(n >= 6);
  rl_finding *a = &ours.items[0], *b = &tsan.items[0];
  assert_int_equal(a->kind, RL_FINDING_LOCK_ORDER_INVERSION);
  assert_int_equal(a->nlocations, b->nlocations);
  int checked = 0;
  for (size_t i = 0; i < a->nlocations; i++)
    checked += same_frames(&a->locations[i].stack, &b->locations[i].stack, bin);
  for (size_t i = 0; i < a->nthreads; i++)
    checked += same_frames(&a->threads[i].created_at, &b->threads[i].created_at, bin);
  assert_int_equal(checked, 6);
  rl_finding_locate(a);
  assert_string_equal(a->locations[0].function, "ab");
  assert_int_equal(a->locations[0].line, 12);
  assert_int_equal(a->locations[1].line, 11);

  /* A second call is answered from the cache: it works with the binary gone. */
  rl_findings again;
  run_and_parse(bin, 0, &again);
  unlink(bin);
  assert_int_equal(rl_symbolize_findings(s, bin, &again), n);
  assert_string_equal(again.items[0].locations[2].stack.frames[1].function, "ba");
  rl_symbolizer_free(s);
  rl_findings_free(&again);
  rl_findings_free(&ours);
  rl_findings_free(&tsan);
  free(bin);
  (void)state;
}

/* The racing global gets its name; frames of other modules stay as they
 * are; with addr2line the lines are the same (but globals stay unnamed). */
static void global_name_and_addr2line(void **state) {
  char *bin = build("cc", "counter_race");
  rl_findings l;
  run_and_parse(bin, 0, &l);
  rl_symbolizer *s = rl_symbolizer_new();
  assert_true(rl_symbolize_findings(s, bin, &l) > 0);
  rl_finding *f = &l.items[0];
  assert_string_equal(f->object, "global `hits`");
  assert_string_equal(f->locations[0].stack.frames[0].function, "bump");
  assert_string_equal(rl_path_basename(f->locations[0].stack.frames[0].file),
                      "counter_race.c");
  assert_null(f->locations[0].stack.frames[1].function); /* libtsan */
  const rl_frame *creator = rl_stack_user_frame(&f->threads[0].created_at);
  assert_non_null(creator);
  int line = creator->line;
  assert_true(line == 16 || line == 17);
  rl_symbolizer_free(s);

  rl_findings l2;
  run_and_parse(bin, 0, &l2);
  setenv("RL_SYMBOLIZER", "addr2line", 1);
  s = rl_symbolizer_new();
  unsetenv("RL_SYMBOLIZER");
  assert_true(rl_symbolize_findings(s, bin, &l2) > 0);
  assert_string_equal(l2.items[0].object, "global");
  assert_string_equal(l2.items[0].locations[0].stack.frames[0].function, "bump");
  creator = rl_stack_user_frame(&l2.items[0].threads[0].created_at);
  assert_non_null(creator);
  assert_true(creator->line == 16 || creator->line == 17);
  rl_symbolizer_free(s);
  rl_findings_free(&l2);
  rl_findings_free(&l);
  free(bin);
  (void)state;
}

/* Frames of another binary, or a missing tool, leave findings untouched. */
static void nothing_to_do(void **state) {
  rl_findings l = {0};
  rl_finding *f = rl_findings_add(&l, RL_FINDING_DATA_RACE);
  rl_location *loc = rl_finding_add_location(f);
  rl_frame *fr = rl_stack_push(&loc->stack);
  fr->module = rl_xstrdup("someone_else");
  fr->offset = 0x10;
  rl_symbolizer *s = rl_symbolizer_new();
  assert_int_equal(rl_symbolize_findings(s, "/tmp/prog", &l), 0);
  assert_null(fr->function);
  rl_symbolizer_free(s);
  setenv("RL_SYMBOLIZER", "/nonexistent/llvm-symbolizer", 1);
  s = rl_symbolizer_new();
  unsetenv("RL_SYMBOLIZER");
  assert_true(rl_symbolize_findings(s, "someone_else", &l) < 0);
  assert_null(fr->function);
  rl_symbolizer_free(s);
  rl_findings_free(&l);
  (void)state;
}

/* Writes an executable script `name` in the scratch folder that answers
 * request 0x10 with answer10 and 0x20 with answer20; returns its path. */
static char *fake_tool(const char *name, const char *answer10, const char *answer20) {
  char *path = rl_xasprintf("%s/%s", scratch, name);
  char *script = rl_xasprintf("#!/bin/sh\n"
                              "while read -r a; do case $a in\n"
                              "  0x10) printf '%s' ;;\n"
                              "  0x20) printf '%s' ;;\n"
                              "esac; done\n",
                              answer10, answer20);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(script, f);
  fclose(f);
  assert_int_equal(chmod(path, 0755), 0);
  free(script);
  return path;
}

/* A finding with one stack in module "prog": 0x10, then a return address
 * 0x21 (looked up as 0x20). */
static void one_stack(rl_findings *l) {
  memset(l, 0, sizeof *l);
  rl_location *loc = rl_finding_add_location(rl_findings_add(l, RL_FINDING_DATA_RACE));
  for (int i = 0; i < 2; i++) {
    rl_frame *fr = rl_stack_push(&loc->stack);
    fr->module = rl_xstrdup("prog");
    fr->offset = i ? 0x21 : 0x10;
  }
}

/* Canned tool output: inlined frames from a system header give way to the
 * learner's line; addr2line's discriminators are dropped. */
static void tool_output(void **state) {
  static const struct {
    const char *name, *answer10, *answer20;
  } tools[] = {
      {"fake-llvm-symbolizer",
       "__memcpy_chk_inline\\n/usr/include/x86_64-linux-gnu/bits/string_fortified.h:29:10\\n"
       "copy_name\\n/lab/a.c:12:3\\nmain\\n/lab/a.c:30:5\\n\\n",
       "main\\n/lab/a.c:31:7\\n\\n"},
      {"fake-addr2line",
       "0x0000000000000010\\n__memcpy_chk_inline\\n/usr/include/x/bits/string_fortified.h:29\\n"
       "copy_name\\n/lab/a.c:12 (discriminator 2)\\n",
       "0x0000000000000020\\nmain\\n/lab/a.c:31\\n"},
  };
  for (size_t i = 0; i < 2; i++) {
    char *tool = fake_tool(tools[i].name, tools[i].answer10, tools[i].answer20);
    setenv("RL_SYMBOLIZER", tool, 1);
    rl_symbolizer *s = rl_symbolizer_new();
    unsetenv("RL_SYMBOLIZER");
    rl_findings l;
    one_stack(&l);
    assert_int_equal(rl_symbolize_findings(s, "/somewhere/prog", &l), 2);
    const rl_stack *st = &l.items[0].locations[0].stack;
    assert_string_equal(st->frames[0].function, "copy_name");
    assert_string_equal(st->frames[0].file, "/lab/a.c");
    assert_int_equal(st->frames[0].line, 12);
    assert_string_equal(st->frames[1].function, "main");
    assert_int_equal(st->frames[1].line, 31);
    rl_symbolizer_free(s);
    rl_findings_free(&l);
    free(tool);
  }
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_prestate(matches_tsan, "cc"),
      cmocka_unit_test_prestate(matches_tsan, "clang"),
      cmocka_unit_test(global_name_and_addr2line),
      cmocka_unit_test(nothing_to_do),
      cmocka_unit_test(tool_output),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
