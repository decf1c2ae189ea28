/* test_report_tsan.c -- the TSan parser on real logs recorded with gcc and
 * clang, symbolize=0 and =1 (tests/data/tsan, programs in tests/data/programs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "finding.h"
#include "report_tsan.h"
#include "util.h"

/* Parses tests/data/tsan/<name>.log into *out; asserts it holds n reports. */
static void parse_log(const char *name, rl_findings *out, int n) {
  char *path = rl_xasprintf("%s/tsan/%s.log", RL_TEST_DATA, name);
  size_t len;
  char *text = rl_read_file(path, &len);
  assert_non_null(text);
  memset(out, 0, sizeof *out);
  assert_int_equal(rl_report_tsan_parse(text, len, out), n);
  assert_int_equal(out->count, (size_t)n);
  free(text);
  free(path);
}

static void assert_frame(const rl_stack *st, size_t i, const char *module,
                         uint64_t offset) {
  assert_true(i < st->count);
  assert_string_equal(st->frames[i].module, module);
  assert_int_equal(st->frames[i].offset, offset);
}

static void counter_race_gcc(void **state) {
  rl_findings l;
  parse_log("counter_race.gcc.sym0", &l, 1);
  rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_DATA_RACE);
  assert_int_equal(f->nlocations, 2);
  assert_int_equal(f->locations[0].thread, 2);
  assert_string_equal(f->locations[0].role, "reads 4 bytes");
  assert_frame(&f->locations[0].stack, 0, "counter_race", 0x11d6);
  assert_frame(&f->locations[0].stack, 1, "libtsan.so.2", 0x3898f);
  assert_null(f->locations[0].stack.frames[0].function);
  assert_int_equal(f->locations[1].thread, 1);
  assert_string_equal(f->locations[1].role, "writes 4 bytes");
  assert_frame(&f->locations[1].stack, 0, "counter_race", 0x11fa);
  assert_string_equal(f->object, "global");
  assert_int_equal(f->object_origin.count, 1);
  assert_frame(&f->object_origin, 0, "counter_race", 0x405c);
  assert_int_equal(f->nthreads, 2);
  assert_int_equal(f->threads[0].id, 2);
  assert_frame(&f->threads[0].created_at, 1, "counter_race", 0x125f);
  assert_int_equal(f->threads[1].id, 1);
  assert_frame(&f->threads[1].created_at, 1, "counter_race", 0x1246);
  assert_frame(&f->threads[1].created_at, 2, "libc.so.6", 0x27249);
  assert_null(f->detail); /* "data race" would say no more than the kind */
  assert_string_equal(f->summary, "T2 reads and T1 writes the same memory without synchronization");
  rl_findings_free(&l);
  (void)state;
}

static void counter_race_clang(void **state) {
  rl_findings l;
  parse_log("counter_race.clang.sym0", &l, 1);
  rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_DATA_RACE);
  assert_string_equal(f->locations[0].role, "writes 4 bytes");
  /* The BuildId suffix is not part of the frame. */
  assert_frame(&f->locations[0].stack, 0, "counter_race", 0xd01a5);
  assert_int_equal(f->locations[0].stack.count, 2);
  assert_frame(&f->object_origin, 0, "counter_race", 0x1476258);
  assert_frame(&f->threads[0].created_at, 1, "counter_race", 0xd0122);
  assert_string_equal(f->summary, "T2 and T1 both write the same memory without synchronization");
  rl_findings_free(&l);
  (void)state;
}

static void counter_race_symbolized(void **state) {
  static const struct {
    const char *log;
    int line;
  } cases[] = {{"counter_race.gcc.sym1", 9}, {"counter_race.clang.sym1", 10}};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(cases[i].log, &l, 1);
    rl_finding *f = &l.items[0];
    const rl_frame *fr = &f->locations[0].stack.frames[0];
    assert_string_equal(fr->function, "bump");
    assert_non_null(strstr(fr->file, "tests/data/programs/counter_race.c"));
    assert_int_equal(fr->line, cases[i].line);
    assert_string_equal(f->object, "global `hits`");
    assert_string_equal(f->object_origin.frames[0].function, "hits");
    /* Thread creation: pthread_create (no user file) then main. */
    const rl_stack *created = &f->threads[0].created_at;
    assert_string_equal(created->frames[0].function, "pthread_create");
    assert_string_equal(created->frames[1].function, "main");
    assert_int_equal(created->frames[1].line, 17);
    assert_ptr_equal(rl_stack_user_frame(created), &created->frames[1]);
    rl_finding_locate(f);
    assert_string_equal(f->locations[0].function, "bump");
    assert_int_equal(f->locations[1].line, cases[i].line);
    rl_findings_free(&l);
  }
  (void)state;
}

static void heap_race_with_lock(void **state) {
  rl_findings l;
  parse_log("heap_race_locked.gcc.sym0", &l, 1);
  rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_DATA_RACE);
  assert_int_equal(f->locations[0].thread, 2);
  assert_string_equal(f->locations[0].role, "writes 8 bytes");
  assert_int_equal(f->locations[1].thread, 1);
  assert_string_equal(f->locations[1].role, "writes 8 bytes while holding M0");
  assert_string_equal(f->object, "heap block of 48 bytes");
  assert_int_equal(f->object_origin.count, 3);
  assert_frame(&f->object_origin, 1, "heap_race_locked", 0x12be);
  /* The "Mutex M0 created at" stack is not mistaken for a thread's. */
  assert_int_equal(f->nthreads, 2);
  rl_findings_free(&l);

  parse_log("heap_race_locked.clang.sym1", &l, 1);
  f = &l.items[0];
  assert_string_equal(f->locations[1].role, "writes 8 bytes while holding M0");
  assert_string_equal(f->locations[0].stack.frames[0].function, "audit");
  assert_int_equal(f->locations[0].stack.frames[0].line, 22);
  assert_string_equal(f->object_origin.frames[1].function, "main");
  assert_int_equal(f->object_origin.frames[1].line, 27);
  rl_findings_free(&l);
  (void)state;
}

static void stack_race(void **state) {
  static const char *const logs[] = {"stack_race.gcc.sym0", "stack_race.clang.sym0"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_DATA_RACE);
    assert_string_equal(f->object, "a local variable of the main thread");
    assert_int_equal(f->object_origin.count, 0);
    rl_findings_free(&l);
  }
  (void)state;
}

static void atomic_and_plain(void **state) {
  static const char *const logs[] = {"atomic_mixed.gcc.sym0", "atomic_mixed.clang.sym0"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->locations[0].thread, 0); /* "by main thread" */
    assert_string_equal(f->locations[0].role, "reads 4 bytes");
    assert_int_equal(f->locations[1].thread, 1);
    assert_string_equal(f->locations[1].role, "atomically writes 4 bytes");
    rl_findings_free(&l);
  }
  /* The clang symbolize=1 run saw the accesses the other way round: once
   * located, it is still the same race. */
  rl_findings all = {0}, more;
  parse_log("atomic_mixed.gcc.sym1", &more, 1);
  assert_string_equal(more.items[0].locations[0].role, "reads 4 bytes");
  rl_finding_locate(&more.items[0]);
  rl_findings_merge(&all, &more);
  parse_log("atomic_mixed.clang.sym1", &more, 1);
  assert_string_equal(more.items[0].locations[0].role, "atomically writes 4 bytes");
  rl_finding_locate(&more.items[0]);
  rl_findings_merge(&all, &more);
  assert_int_equal(all.count, 1);
  assert_int_equal(all.items[0].count, 2);
  rl_findings_free(&all);
  (void)state;
}

/* Several mutexes held, read and write, in the access header. */
static void held_mutexes(void **state) {
  static const char text[] =
      "WARNING: ThreadSanitizer: data race (pid=1)\n"
      "  Atomic write of size 8 at 0x7b04 by thread T3 (mutexes: write M12, read M7):\n"
      "    #0 <null> <null> (prog+0x10)\n"
      "  Previous read of size 8 at 0x7b04 by thread T4 (mutexes: read M7):\n"
      "    [failed to restore the stack]\n"
      "SUMMARY: ThreadSanitizer: data race\n";
  rl_findings l = {0};
  assert_int_equal(rl_report_tsan_parse(text, sizeof text - 1, &l), 1);
  rl_finding *f = &l.items[0];
  assert_string_equal(f->locations[0].role,
                      "atomically writes 8 bytes while holding M12, M7 (read)");
  assert_int_equal(f->locations[0].thread, 3);
  assert_int_equal(f->locations[0].stack.count, 1);
  assert_string_equal(f->locations[1].role, "reads 8 bytes while holding M7 (read)");
  assert_int_equal(f->locations[1].stack.count, 0);
  assert_string_equal(f->summary, "T3 writes and T4 reads the same memory without synchronization");
  rl_findings_free(&l);
  (void)state;
}

static void lock_order_two(void **state) {
  static const char *const logs[] = {"lock_order.gcc.sym0", "lock_order.gcc.sym1",
                                     "lock_order.clang.sym0", "lock_order.clang.sym1"};
  for (size_t i = 0; i < 4; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_LOCK_ORDER_INVERSION);
    assert_string_equal(f->object, "lock cycle M0 => M1 => M0");
    assert_int_equal(f->nlocations, 4);
    assert_string_equal(f->locations[0].role, "holds M0, takes M1");
    assert_int_equal(f->locations[0].thread, 1);
    assert_string_equal(f->locations[1].role, "takes M0 first");
    assert_int_equal(f->locations[1].thread, 1);
    assert_string_equal(f->locations[2].role, "holds M1, takes M0");
    assert_int_equal(f->locations[2].thread, 2);
    assert_string_equal(f->locations[3].role, "takes M1 first");
    assert_int_equal(f->nthreads, 2);
    assert_null(strstr(f->summary, "0x"));
    rl_findings_free(&l);
  }
  rl_findings l;
  parse_log("lock_order.gcc.sym0", &l, 1);
  assert_frame(&l.items[0].locations[0].stack, 1, "lock_order", 0x1275);
  assert_frame(&l.items[0].locations[1].stack, 1, "lock_order", 0x1266);
  rl_findings_free(&l);
  parse_log("lock_order.clang.sym1", &l, 1);
  assert_string_equal(l.items[0].locations[2].stack.frames[1].function, "ba");
  assert_int_equal(l.items[0].locations[2].stack.frames[1].line, 22);
  rl_findings_free(&l);
  (void)state;
}

/* Without second_deadlock_stack: one location per edge, and a "Hint:"
 * line that must not be mistaken for anything. */
static void lock_order_one_stack_per_edge(void **state) {
  static const char *const logs[] = {"lock_order.nosecond.gcc.sym0",
                                     "lock_order.nosecond.clang.sym1"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_LOCK_ORDER_INVERSION);
    assert_int_equal(f->nlocations, 2);
    assert_string_equal(f->locations[0].role, "holds M0, takes M1");
    assert_int_equal(f->locations[0].thread, 1);
    assert_string_equal(f->locations[1].role, "holds M1, takes M0");
    assert_int_equal(f->locations[1].thread, 2);
    assert_int_equal(f->nthreads, 2);
    rl_findings_free(&l);
  }
  (void)state;
}

static void lock_cycle_three(void **state) {
  static const char *const logs[] = {"lock_cycle3.gcc.sym0", "lock_cycle3.clang.sym1"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_LOCK_ORDER_INVERSION);
    assert_string_equal(f->object, "lock cycle M0 => M1 => M2 => M0");
    assert_int_equal(f->nlocations, 6);
    assert_string_equal(f->locations[4].role, "holds M2, takes M0");
    assert_int_equal(f->locations[4].thread, 3);
    assert_int_equal(f->nthreads, 3);
    rl_findings_free(&l);
  }
  (void)state;
}

static void thread_leak(void **state) {
  rl_findings l;
  parse_log("thread_leak.gcc.sym0", &l, 1);
  rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_UNJOINED_THREAD);
  assert_int_equal(f->nthreads, 1);
  assert_int_equal(f->threads[0].id, 1);
  assert_int_equal(f->nlocations, 1);
  assert_int_equal(f->locations[0].thread, 0);
  assert_string_equal(f->locations[0].role, "creates T1, which is never joined");
  assert_frame(&f->locations[0].stack, 1, "thread_leak", 0x11a9);
  assert_string_equal(f->summary, "thread T1 is never joined");
  rl_findings_free(&l);
  (void)state;
}

static void thread_leaks(void **state) {
  static const char *const logs[] = {"thread_leaks.gcc.sym0", "thread_leaks.clang.sym0"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_UNJOINED_THREAD);
    assert_string_equal(f->summary,
                        "thread T1 and 3 more created at the same place are never joined");
    rl_findings_free(&l);
  }
  (void)state;
}

static void unlock_unlocked(void **state) {
  static const char *const logs[] = {"unlock_unlocked.gcc.sym0",
                                     "unlock_unlocked.clang.sym1"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_SYNC_MISUSE);
    assert_string_equal(f->object, "mutex M0");
    assert_string_equal(f->detail, "unlock of an unlocked mutex (or by a wrong thread)");
    assert_int_equal(f->nlocations, 1);
    assert_string_equal(f->locations[0].role,
                        "unlocks M0, which this thread does not hold");
    assert_true(f->object_origin.count >= 2); /* where M0 was created */
    rl_findings_free(&l);
  }
  rl_findings l;
  parse_log("unlock_unlocked.gcc.sym0", &l, 1);
  assert_frame(&l.items[0].locations[0].stack, 1, "unlock_unlocked", 0x11a9);
  assert_frame(&l.items[0].object_origin, 1, "unlock_unlocked", 0x1199);
  rl_findings_free(&l);
  (void)state;
}

static void destroy_locked(void **state) {
  static const char *const logs[] = {"destroy_locked.gcc.sym0", "destroy_locked.clang.sym1"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_SYNC_MISUSE);
    assert_string_equal(f->object, "mutex M0");
    assert_int_equal(f->nlocations, 2);
    assert_string_equal(f->locations[0].role, "destroys M0 while it is locked");
    assert_string_equal(f->locations[1].role, "locks M0 here, and it is still locked");
    assert_int_equal(f->locations[1].stack.count, i == 0 ? 3 : 2);
    rl_findings_free(&l);
  }
  rl_findings l;
  parse_log("destroy_locked.clang.sym1", &l, 1);
  rl_finding_locate(&l.items[0]);
  assert_int_equal(l.items[0].locations[0].line, 8);
  assert_int_equal(l.items[0].locations[1].line, 7);
  assert_int_equal(rl_stack_user_frame(&l.items[0].object_origin)->line, 6);
  rl_findings_free(&l);
  (void)state;
}

static void use_after_free(void **state) {
  static const char *const logs[] = {"uaf_threads.gcc.sym0", "uaf_threads.clang.sym0"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_MEMORY_ERROR);
    assert_string_equal(f->detail, "heap-use-after-free");
    assert_int_equal(f->locations[0].thread, 1);
    assert_string_equal(f->locations[0].role, "reads 4 bytes after the block was freed");
    assert_int_equal(f->locations[1].thread, 0);
    assert_string_equal(f->locations[1].role, "frees the block");
    rl_findings_free(&l);
  }
  (void)state;
}

/* Two logs back to back (two runs' output, or two reports in one file). */
static void several_reports(void **state) {
  char *a = rl_read_file(RL_TEST_DATA "/tsan/counter_race.gcc.sym0.log", NULL);
  char *b = rl_read_file(RL_TEST_DATA "/tsan/lock_order.clang.sym0.log", NULL);
  assert_non_null(a);
  assert_non_null(b);
  char *both = rl_xasprintf("%s%s", a, b);
  rl_findings l = {0};
  assert_int_equal(rl_report_tsan_parse(both, strlen(both), &l), 2);
  assert_int_equal(l.items[0].kind, RL_FINDING_DATA_RACE);
  assert_int_equal(l.items[1].kind, RL_FINDING_LOCK_ORDER_INVERSION);
  /* Nothing to parse is not an error. */
  rl_findings none = {0};
  assert_int_equal(rl_report_tsan_parse("hello\n", 6, &none), 0);
  assert_int_equal(rl_report_tsan_parse(a, 0, &none), 0);
  rl_findings_free(&l);
  free(both);
  free(a);
  free(b);
  (void)state;
}

/* A truncated report (the process was killed mid-write) still parses and
 * never reads past the end. */
static void truncated(void **state) {
  size_t len;
  char *a = rl_read_file(RL_TEST_DATA "/tsan/lock_order.gcc.sym0.log", &len);
  assert_non_null(a);
  for (size_t cut = 0; cut < len; cut += 7) {
    char *copy = rl_xstrndup(a, cut); /* exact size: ASan would catch overreads */
    rl_findings l = {0};
    int n = rl_report_tsan_parse(copy, cut, &l);
    assert_true(n == 0 || n == 1);
    rl_findings_free(&l);
    free(copy);
  }
  free(a);
  (void)state;
}

/* A deadly signal: TSan's "ERROR:" report, stack after the hint lines. */
static void segv(void **state) {
  static const char *const logs[] = {"null_deref.gcc.sym0", "null_deref.clang.sym1"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 1);
    rl_finding *f = &l.items[0];
    assert_int_equal(f->kind, RL_FINDING_CRASH);
    assert_string_equal(f->summary, "SEGV on unknown address");
    assert_int_equal(f->nlocations, 1);
    assert_string_equal(f->locations[0].role, "SEGV on unknown address");
    assert_int_equal(f->locations[0].thread, -1); /* TSan prints the OS tid */
    assert_true(f->locations[0].stack.count >= 1);
    rl_findings_free(&l);
  }
  rl_findings l;
  parse_log("null_deref.gcc.sym0", &l, 1);
  assert_frame(&l.items[0].locations[0].stack, 0, "null_deref", 0x11c6);
  rl_findings_free(&l);
  parse_log("null_deref.clang.sym1", &l, 1);
  assert_string_equal(l.items[0].locations[0].stack.frames[0].function, "worker");
  rl_findings_free(&l);
  (void)state;
}

static void unknown_warning(void **state) {
  static const char text[] =
      "==================\n"
      "WARNING: ThreadSanitizer: race on external object (pid=1)\n"
      "==================\n"
      "WARNING: ThreadSanitizer: mutex held in the wrong context (pid=1)\n"
      "    #0 <null> <null> (prog+0x10)\n"
      "==================\n"
      "WARNING: ThreadSanitizer: something new (pid=1)\n"
      "==================\n";
  rl_findings l = {0};
  assert_int_equal(rl_report_tsan_parse(text, sizeof text - 1, &l), 3);
  assert_int_equal(l.items[0].kind, RL_FINDING_DATA_RACE);
  assert_int_equal(l.items[1].kind, RL_FINDING_SYNC_MISUSE);
  assert_string_equal(l.items[1].locations[0].role, "mutex held in the wrong context");
  assert_int_equal(l.items[2].kind, RL_FINDING_CRASH);
  assert_string_equal(l.items[2].summary, "something new");
  rl_findings_free(&l);
  (void)state;
}

static void runtime_errors(void **state) {
  char msg[64];
  /* Recorded: both runtimes refuse threads after a multi-threaded fork. */
  static const char *const logs[] = {"fork_threads.gcc.sym0", "fork_threads.clang.sym0"};
  for (size_t i = 0; i < 2; i++) {
    rl_findings l;
    parse_log(logs[i], &l, 0);
    char *path = rl_xasprintf("%s/tsan/%s.log", RL_TEST_DATA, logs[i]);
    size_t len;
    char *text = rl_read_file(path, &len);
    assert_int_equal(rl_report_tsan_runtime_error(text, len, msg, sizeof msg), 1);
    assert_true(strncmp(msg, "ThreadSanitizer: starting new threads", 37) == 0);
    free(text);
    free(path);
  }
  static const char fork_text[] =
      "==77==ThreadSanitizer: starting new threads after multi-threaded fork is "
      "not supported. Dying (set die_after_fork=0 to override)\n";
  assert_int_equal(rl_report_tsan_runtime_error(fork_text, sizeof fork_text - 1,
                                                msg, sizeof msg), 1);
  assert_true(strncmp(msg, "ThreadSanitizer: starting new threads", 37) == 0);
  assert_int_equal(strlen(msg), sizeof msg - 1);
  static const char check[] = "FATAL: ThreadSanitizer CHECK failed: x.cpp:1 \"((0)) != (0)\"\n";
  assert_int_equal(rl_report_tsan_runtime_error(check, sizeof check - 1, msg, sizeof msg), 1);
  /* An ordinary report is not a runtime failure, and never a finding. */
  char *a = rl_read_file(RL_TEST_DATA "/tsan/counter_race.gcc.sym0.log", NULL);
  assert_int_equal(rl_report_tsan_runtime_error(a, strlen(a), msg, sizeof msg), 0);
  free(a);
  rl_findings l = {0};
  assert_int_equal(rl_report_tsan_parse(fork_text, sizeof fork_text - 1, &l), 0);
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(counter_race_gcc),     cmocka_unit_test(counter_race_clang),
      cmocka_unit_test(counter_race_symbolized), cmocka_unit_test(heap_race_with_lock),
      cmocka_unit_test(stack_race),           cmocka_unit_test(atomic_and_plain),
      cmocka_unit_test(held_mutexes),           cmocka_unit_test(lock_order_two),       cmocka_unit_test(lock_order_one_stack_per_edge),
      cmocka_unit_test(lock_cycle_three),
      cmocka_unit_test(thread_leak),          cmocka_unit_test(thread_leaks),          cmocka_unit_test(unlock_unlocked),
      cmocka_unit_test(destroy_locked),       cmocka_unit_test(use_after_free),       cmocka_unit_test(several_reports),
      cmocka_unit_test(truncated),            cmocka_unit_test(segv),
      cmocka_unit_test(unknown_warning),
      cmocka_unit_test(runtime_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
