/* test_report_asan.c -- the ASan parser on real logs recorded with gcc and
 * clang, symbolize=0 and =1 (tests/data/asan, programs in tests/data/programs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "finding.h"
#include "report_asan.h"
#include "util.h"

/* Parses tests/data/asan/<name>.log into *out; asserts it holds n reports. */
static void parse_log(const char *name, rl_findings *out, int n) {
  char *path = rl_xasprintf("%s/asan/%s.log", RL_TEST_DATA, name);
  size_t len;
  char *text = rl_read_file(path, &len);
  assert_non_null(text);
  memset(out, 0, sizeof *out);
  assert_int_equal(rl_report_asan_parse(text, len, out), n);
  assert_int_equal(out->count, (size_t)n);
  free(text);
  free(path);
}

static const char *base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static void use_after_free_unsymbolized(void **state) {
  static const struct {
    const char *log;
    uint64_t access, freed, allocated;
  } cases[] = {{"uaf_threads.gcc.sym0", 0x125b, 0x132a, 0x12ca},
               {"uaf_threads.clang.sym0", 0xdf06a, 0xdef96, 0xdef41}};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(cases[i].log, &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_MEMORY_ERROR);
    assert_string_equal(f->detail, "heap-use-after-free");
    assert_string_equal(f->object, "heap block of 16 bytes");
    assert_int_equal(f->nlocations, 2);
    assert_int_equal(f->locations[0].thread, 1);
    assert_string_equal(f->locations[0].role, "reads 4 bytes freed by T0");
    /* ASan prints the module as a full path. */
    assert_string_equal(base(f->locations[0].stack.frames[0].module), "uaf_threads");
    assert_int_equal(f->locations[0].stack.frames[0].offset, cases[i].access);
    assert_int_equal(f->locations[1].thread, 0);
    assert_string_equal(f->locations[1].role, "frees the block");
    assert_int_equal(f->locations[1].stack.frames[1].offset, cases[i].freed);
    assert_int_equal(f->object_origin.frames[1].offset, cases[i].allocated);
    assert_int_equal(f->nthreads, 1);
    assert_int_equal(f->threads[0].id, 1);
    assert_string_equal(f->summary, "T1 uses heap memory after it was freed");
    rl_findings_free(&l);
  }
  (void)state;
}

static void use_after_free_symbolized(void **state) {
  static const char *const logs[] = {"uaf_threads.gcc.sym1", "uaf_threads.clang.sym1"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    const rl_frame *top = &f->locations[0].stack.frames[0];
    assert_string_equal(top->function, "worker");
    assert_string_equal(base(top->file), "uaf_threads.c");
    assert_int_equal(top->line, 13);
    rl_finding_locate(f);
    assert_string_equal(f->locations[0].function, "worker");
    assert_string_equal(f->locations[1].function, "main");
    assert_int_equal(f->locations[1].line, 22);
    const rl_frame *alloc = rl_stack_user_frame(&f->object_origin);
    assert_non_null(alloc);
    assert_int_equal(alloc->line, 18);
    rl_findings_free(&l);
  }
  (void)state;
}

static void heap_overflow(void **state) {
  static const char *const logs[] = {"heap_overflow.gcc.sym0", "heap_overflow.gcc.sym1",
                                     "heap_overflow.clang.sym0", "heap_overflow.clang.sym1"};
  for (size_t i = 0; i < 4; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_string_equal(f->detail, "heap-buffer-overflow");
    assert_string_equal(f->object, "heap block of 16 bytes");
    assert_int_equal(f->nlocations, 1);
    assert_int_equal(f->locations[0].thread, 0);
    assert_string_equal(f->locations[0].role, "writes 4 bytes just past its end");
    assert_true(f->object_origin.count >= 2);
    rl_findings_free(&l);
  }
  rl_findings l;
  parse_log("heap_overflow.gcc.sym1", &l, 1);
  rl_finding_locate(&l.items[0]);
  assert_int_equal(l.items[0].locations[0].line, 8);
  assert_string_equal(l.items[0].locations[0].function, "main");
  /* libc's start-up frames are not the learner's code. */
  const rl_stack *st = &l.items[0].locations[0].stack;
  assert_string_equal(st->frames[1].function, "__libc_start_call_main");
  assert_ptr_equal(rl_stack_user_frame(st), &st->frames[0]);
  rl_findings_free(&l);
  (void)state;
}

static void double_free(void **state) {
  static const char *const logs[] = {"double_free.gcc.sym0", "double_free.clang.sym0",
                                     "double_free.gcc.sym1"};
  for (size_t i = 0; i < 3; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_string_equal(f->detail, "double-free");
    assert_string_equal(f->object, "heap block of 8 bytes");
    assert_int_equal(f->nlocations, 2);
    assert_int_equal(f->locations[0].thread, 0);
    assert_string_equal(f->locations[0].role, "frees the block a second time");
    assert_int_equal(f->locations[1].thread, 1);
    assert_string_equal(f->locations[1].role, "frees the block");
    assert_int_equal(f->nthreads, 1);
    assert_string_equal(f->summary, "T0 frees a heap block that was already freed");
    rl_findings_free(&l);
  }
  rl_findings l;
  parse_log("double_free.clang.sym0", &l, 1);
  assert_int_equal(l.items[0].locations[0].stack.frames[1].offset, 0xddf80);
  assert_int_equal(l.items[0].locations[1].stack.frames[1].offset, 0xddfef);
  rl_findings_free(&l);
  (void)state;
}

/* SEGV: the stack follows the "signal is caused by" lines, and the thread's
 * creation comes after the SUMMARY line. */
static void segv_in_thread(void **state) {
  static const char *const logs[] = {"null_deref.gcc.sym0", "null_deref.clang.sym1"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_string_equal(f->detail, "SEGV");
    assert_int_equal(f->nlocations, 1);
    assert_int_equal(f->locations[0].thread, 1);
    assert_string_equal(f->locations[0].role, "writes an invalid address");
    assert_int_equal(f->locations[0].stack.count, 3);
    assert_int_equal(f->nthreads, 1);
    assert_int_equal(f->threads[0].id, 1);
    assert_string_equal(f->summary, "T1 crashes on an invalid address");
    rl_findings_free(&l);
  }
  rl_findings l;
  parse_log("null_deref.clang.sym1", &l, 1);
  rl_finding_locate(&l.items[0]);
  assert_string_equal(l.items[0].locations[0].function, "worker");
  assert_int_equal(l.items[0].locations[0].line, 9);
  rl_findings_free(&l);
  parse_log("null_deref.gcc.sym0", &l, 1);
  assert_int_equal(l.items[0].locations[0].stack.frames[0].offset, 0x11df);
  assert_int_equal(l.items[0].threads[0].created_at.frames[1].offset, 0x1270);
  rl_findings_free(&l);
  (void)state;
}

static void global_overflow(void **state) {
  static const char *const logs[] = {"global_overflow.gcc.sym0", "global_overflow.clang.sym0",
                                     "global_overflow.clang.sym1"};
  for (size_t i = 0; i < 3; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_string_equal(f->detail, "global-buffer-overflow");
    assert_string_equal(f->object, "global `table`");
    assert_string_equal(f->locations[0].role, "reads 4 bytes just past its end");
    /* Where the global is defined, even unsymbolized: ASan knows it. */
    assert_int_equal(f->object_origin.count, 1);
    assert_string_equal(f->object_origin.frames[0].function, "table");
    assert_string_equal(base(f->object_origin.frames[0].file), "global_overflow.c");
    assert_int_equal(f->object_origin.frames[0].line, 4);
    rl_findings_free(&l);
  }
  (void)state;
}

static void stack_use_after_scope(void **state) {
  static const char *const logs[] = {"stack_scope.gcc.sym0", "stack_scope.gcc.sym1"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_string_equal(f->detail, "stack-use-after-scope");
    assert_string_equal(f->object, "local variable `local` of T0");
    assert_int_equal(f->nlocations, 1);
    assert_string_equal(f->locations[0].role, "reads 4 bytes");
    assert_int_equal(f->object_origin.count, 1); /* the frame owning it */
    rl_findings_free(&l);
  }
  (void)state;
}

static void leaks_are_not_findings(void **state) {
  static const char *const logs[] = {"leak.gcc.sym0", "leak.gcc.sym1",
                                     "leak.clang.sym0", "leak.clang.sym1"};
  for (size_t i = 0; i < 4; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 0);
    char *path = rl_xasprintf("%s/asan/%s.log", RL_TEST_DATA, logs[i]);
    size_t len;
    char *text = rl_read_file(path, &len);
    assert_non_null(strstr(text, "detected memory leaks")); /* the log is real */
    char msg[128];
    assert_int_equal(rl_report_asan_runtime_error(text, len, msg, sizeof msg), 0);
    free(text);
    free(path);
  }
  (void)state;
}

/* abort() in a thread (handle_abort=1): the learner's frame is found
 * below glibc's symbolized frames, which have relative paths. */
static void abort_in_thread(void **state) {
  static const char *const logs[] = {"abort_thread.gcc.sym0", "abort_thread.gcc.sym1",
                                     "abort_thread.clang.sym1"};
  for (size_t i = 0; i < 3; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_CRASH);
    assert_string_equal(f->detail, "ABRT");
    assert_string_equal(f->summary, "T1 aborts the program (SIGABRT)");
    assert_string_equal(f->locations[0].role, "aborts the program (SIGABRT)");
    assert_int_equal(f->locations[0].thread, 1);
    assert_int_equal(f->nthreads, 1);
    if (i > 0) {
      rl_finding_locate(f);
      assert_string_equal(f->locations[0].function, "worker");
      assert_int_equal(f->locations[0].line, 8);
    }
    rl_findings_free(&l);
  }
  (void)state;
}

/* A bug type with no plain-words summary, cut before the access line. */
static void unknown_bug_type(void **state) {
  static const char text[] =
      "==3==ERROR: AddressSanitizer: unknown-crash on address 0x1 at pc 0x2 bp 0x3 sp 0x4\n";
  rl_findings l = {0};
  assert_int_equal(rl_report_asan_parse(text, sizeof text - 1, &l), 1);
  assert_string_equal(l.items[0].detail, "unknown-crash");
  assert_string_equal(l.items[0].summary, "unknown-crash in a thread");
  assert_int_equal(l.items[0].nlocations, 0);
  rl_findings_free(&l);
  (void)state;
}

static void runtime_errors(void **state) {
  /* gcc 12's LSan crashing at exit, as seen in research/perf.md. */
  static const char text[] =
      "Tracer caught signal 11: addr=0x7f1 pc=0x7f2 sp=0x7f3\n"
      "==31==LeakSanitizer has encountered a fatal error.\n"
      "==31==HINT: For debugging, try setting environment variable LSAN_OPTIONS=verbosity=1:log_threads=1\n";
  char msg[128];
  assert_int_equal(rl_report_asan_runtime_error(text, sizeof text - 1, msg, sizeof msg), 1);
  assert_string_equal(msg, "Tracer caught signal 11: addr=0x7f1 pc=0x7f2 sp=0x7f3");
  rl_findings l = {0};
  assert_int_equal(rl_report_asan_parse(text, sizeof text - 1, &l), 0);
  char *a = rl_read_file(RL_TEST_DATA "/asan/uaf_threads.gcc.sym0.log", NULL);
  assert_non_null(a);
  assert_int_equal(rl_report_asan_runtime_error(a, strlen(a), msg, sizeof msg), 0);
  free(a);
  (void)state;
}

static void truncated(void **state) {
  size_t len;
  char *a = rl_read_file(RL_TEST_DATA "/asan/uaf_threads.clang.sym1.log", &len);
  assert_non_null(a);
  for (size_t cut = 0; cut < len; cut += 5) {
    char *copy = rl_xstrndup(a, cut);
    rl_findings l = {0};
    int n = rl_report_asan_parse(copy, cut, &l);
    assert_true(n == 0 || n == 1);
    rl_findings_free(&l);
    free(copy);
  }
  free(a);
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(use_after_free_unsymbolized),
      cmocka_unit_test(use_after_free_symbolized),
      cmocka_unit_test(heap_overflow),
      cmocka_unit_test(double_free),
      cmocka_unit_test(segv_in_thread),
      cmocka_unit_test(global_overflow),
      cmocka_unit_test(stack_use_after_scope),
      cmocka_unit_test(leaks_are_not_findings),
      cmocka_unit_test(abort_in_thread),
      cmocka_unit_test(unknown_bug_type),
      cmocka_unit_test(runtime_errors),
      cmocka_unit_test(truncated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
