/* test_finding.c -- the kind table, building findings, user frames and
 * deduplication across runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "finding.h"

static void kind_table(void **state) {
  for (int k = 0; k < RL_FINDING_KIND_COUNT; k++) {
    const char *name = rl_finding_kind_name((rl_finding_kind)k);
    rl_finding_kind back = RL_FINDING_KIND_COUNT;
    assert_int_equal(rl_finding_kind_parse(name, &back), 0);
    assert_int_equal(back, k);
    assert_true(strlen(rl_finding_kind_title((rl_finding_kind)k)) > 0);
    assert_true(strlen(rl_finding_kind_fix((rl_finding_kind)k)) > 20);
    for (int j = 0; j < k; j++)
      assert_string_not_equal(name, rl_finding_kind_name((rl_finding_kind)j));
  }
  assert_string_equal(rl_finding_kind_name(RL_FINDING_DATA_RACE), "data-race");
  assert_string_equal(rl_finding_kind_title(RL_FINDING_LOCK_ORDER_INVERSION),
                      "Lock-order inversion");
  rl_finding_kind k = RL_FINDING_CRASH;
  assert_int_equal(rl_finding_kind_parse("data race", &k), -1);
  assert_int_equal(rl_finding_kind_parse(NULL, &k), -1);
  assert_int_equal(k, RL_FINDING_CRASH);
  (void)state;
}

/* Pushes a frame; strings may be NULL. */
static rl_frame *push(rl_stack *st, const char *module, uint64_t offset,
                      const char *function, const char *file, int line) {
  rl_frame *fr = rl_stack_push(st);
  assert_non_null(fr);
  fr->module = module ? strdup(module) : NULL;
  fr->offset = offset;
  fr->function = function ? strdup(function) : NULL;
  fr->file = file ? strdup(file) : NULL;
  fr->line = line;
  return fr;
}

static void building_and_copying(void **state) {
  rl_findings l = {0};
  for (int i = 0; i < 20; i++) {
    rl_finding *f = rl_findings_add(&l, RL_FINDING_DATA_RACE);
    assert_non_null(f);
    assert_int_equal(f->count, 1);
    rl_location *loc = rl_finding_add_location(f);
    assert_int_equal(loc->thread, -1);
    for (int j = 0; j < i; j++)
      push(&loc->stack, "prog", (uint64_t)j, "f", "/src/a.c", j);
    rl_thread *t = rl_finding_add_thread(f, i);
    assert_int_equal(t->id, i);
    rl_stack_copy(&t->created_at, &loc->stack);
    assert_int_equal(t->created_at.count, (size_t)i);
  }
  assert_int_equal(l.count, 20);
  rl_finding *f = &l.items[19];
  assert_int_equal(f->threads[0].created_at.frames[18].line, 18);
  assert_string_equal(f->threads[0].created_at.frames[18].file, "/src/a.c");
  /* A deep copy: the two stacks share no memory. */
  assert_ptr_not_equal(f->threads[0].created_at.frames[18].file,
                       f->locations[0].stack.frames[18].file);
  rl_stack_free(&f->threads[0].created_at);
  assert_int_equal(f->threads[0].created_at.count, 0);
  rl_findings_free(&l);
  assert_int_equal(l.count, 0);
  assert_null(l.items);
  (void)state;
}

static void user_frames(void **state) {
  rl_stack st = {0};
  push(&st, "libtsan.so.2", 0x5e686, "pthread_mutex_lock",
       "../../../../src/libsanitizer/sanitizer_common/sanitizer_common_interceptors.inc", 4324);
  push(&st, "prog", 0x10, "rlrt_mutex_lock", "/lab/harness/runtime/wrap.c", 40);
  push(&st, "prog", 0x20, "__wrap_pthread_mutex_lock", "/lab/src/other.c", 3);
  push(&st, "prog", 0x30, "memcpy", "/usr/include/x86_64-linux-gnu/bits/string_fortified.h", 29);
  push(&st, "prog", 0x40, "helper", NULL, 0); /* not symbolized: no file */
  push(&st, "libuv.so.1", 0x50, "uv__work_done", "/build/libuv/src/threadpool.c", 9);
  push(&st, "prog", 0x60, "__tsan_thread_start_func", "/x/compiler-rt/lib/tsan/rtl/t.cpp", 1);
  push(&st, "prog", 0x70, "start_thread", "nptl/./nptl/pthread_create.c", 442);
  push(&st, "prog", 0x80, "transfer", "/lab/exercises/03/bank.c", 22);
  push(&st, "prog", 0x90, "main", "/lab/exercises/03/bank.c", 60);
  const rl_frame *fr = rl_stack_user_frame(&st);
  assert_non_null(fr);
  assert_string_equal(fr->function, "transfer");
  assert_int_equal(fr->line, 22);
  /* A user function that merely looks like a libc one is still user code. */
  free(st.frames[7].function);
  st.frames[7].function = strdup("clone_account");
  free(st.frames[7].file);
  st.frames[7].file = strdup("/lab/exercises/03/bank.c");
  assert_string_equal(rl_stack_user_frame(&st)->function, "clone_account");
  rl_stack_free(&st);
  assert_null(rl_stack_user_frame(&st));
  (void)state;
}

/* A data race with accesses at file:la (T1) and file:lb (T2). */
static rl_finding *add_race(rl_findings *l, int la, int lb, int run) {
  rl_finding *f = rl_findings_add(l, RL_FINDING_DATA_RACE);
  int lines[2] = {la, lb};
  for (int i = 0; i < 2; i++) {
    rl_location *loc = rl_finding_add_location(f);
    loc->thread = i + 1;
    loc->role = strdup(i ? "reads 4 bytes" : "writes 4 bytes");
    push(&loc->stack, "libtsan.so.2", 0x1, NULL, NULL, 0);
    push(&loc->stack, "prog", (uint64_t)lines[i], "bump", "/lab/a.c", lines[i]);
  }
  f->first_run = run;
  f->seed = (uint64_t)run * 100;
  return f;
}

static void locate(void **state) {
  rl_findings l = {0};
  rl_finding *f = add_race(&l, 9, 12, 1);
  rl_location *extra = rl_finding_add_location(f);
  push(&extra->stack, "libc.so.6", 0x27249, NULL, NULL, 0);
  rl_finding_locate(f);
  assert_string_equal(f->locations[0].file, "/lab/a.c");
  assert_int_equal(f->locations[0].line, 9);
  assert_string_equal(f->locations[0].function, "bump");
  assert_int_equal(f->locations[1].line, 12);
  assert_null(f->locations[2].file); /* no user frame: left empty */
  rl_findings_free(&l);
  (void)state;
}

static void merge(void **state) {
  rl_findings all = {0}, run = {0};
  add_race(&run, 9, 12, 1);
  for (size_t i = 0; i < run.count; i++)
    rl_finding_locate(&run.items[i]);
  rl_findings_merge(&all, &run);
  assert_int_equal(all.count, 1);
  assert_int_equal(run.count, 0);
  assert_null(run.items);

  /* Run 2: the same race, the same race with the accesses swapped, a race
   * on other lines, and a lock-order finding with no located frames. */
  add_race(&run, 9, 12, 2);
  add_race(&run, 12, 9, 2);
  add_race(&run, 9, 13, 2);
  rl_finding *loi = rl_findings_add(&run, RL_FINDING_LOCK_ORDER_INVERSION);
  rl_location *loc = rl_finding_add_location(loi);
  push(&loc->stack, "prog", 0x1275, NULL, NULL, 0);
  for (size_t i = 0; i < run.count; i++)
    rl_finding_locate(&run.items[i]);
  rl_findings_merge(&all, &run);
  assert_int_equal(all.count, 3);
  assert_int_equal(all.items[0].count, 3);
  assert_int_equal(all.items[0].first_run, 1);
  assert_int_equal(all.items[0].seed, 100);
  assert_int_equal(all.items[1].locations[1].line, 13);
  assert_int_equal(all.items[1].count, 1);
  assert_int_equal(all.items[1].first_run, 2);
  assert_int_equal(all.items[2].kind, RL_FINDING_LOCK_ORDER_INVERSION);

  /* Run 3: the lock-order finding again, unsymbolized: keyed by
   * module+offset, it merges; at another offset it does not. */
  for (int off = 0x1275; off <= 0x1276; off++) {
    loi = rl_findings_add(&run, RL_FINDING_LOCK_ORDER_INVERSION);
    loc = rl_finding_add_location(loi);
    push(&loc->stack, "prog", (uint64_t)off, NULL, NULL, 0);
  }
  rl_findings_merge(&all, &run);
  assert_int_equal(all.count, 4);
  assert_int_equal(all.items[2].count, 2);
  rl_findings_free(&all);
  (void)state;
}

/* A lock cycle through lines a->b and c->d, listed from edge `first`. */
static void add_cycle(rl_findings *l, int first) {
  static const int lines[2][2] = {{11, 12}, {21, 22}};
  rl_finding *f = rl_findings_add(l, RL_FINDING_LOCK_ORDER_INVERSION);
  for (int e = 0; e < 2; e++)
    for (int k = 0; k < 2; k++) {
      rl_location *loc = rl_finding_add_location(f);
      push(&loc->stack, "prog", 0x100, "take", "/lab/b.c", lines[(first + e) % 2][1 - k]);
    }
  rl_finding_locate(f);
}

static void merge_lock_cycles(void **state) {
  rl_findings all = {0}, run = {0};
  add_cycle(&run, 0);
  add_cycle(&run, 1); /* the same cycle, reported from the other edge */
  rl_findings_merge(&all, &run);
  assert_int_equal(all.count, 1);
  assert_int_equal(all.items[0].count, 2);
  assert_int_equal(all.items[0].locations[0].line, 12);
  rl_findings_free(&all);
  (void)state;
}

/* add_cycle's cycle with its two mutexes named as a report names them:
 * TSan numbers its own (M6, M7), the runtime as its trace does (M1, M2). */
static void add_named_cycle(rl_findings *l, int first, const char *a, const char *b,
                            int runtime_ids, int run) {
  add_cycle(l, first);
  rl_finding *f = &l->items[l->count - 1];
  char text[64];
  snprintf(text, sizeof text, "lock cycle %s => %s => %s", a, b, a);
  f->object = strdup(text);
  snprintf(text, sizeof text, "holds %s, takes %s", a, b);
  f->locations[0].role = strdup(text);
  f->runtime_ids = runtime_ids;
  f->first_run = run;
  f->seed = (uint64_t)run * 100;
}

/* One lock cycle seen by TSan and by the runtime names its mutexes the
 * runtime's way, whichever report came first; the sighting stays the
 * first's. */
static void merge_keeps_runtime_ids(void **state) {
  for (int tsan_first = 0; tsan_first < 2; tsan_first++) {
    rl_findings all = {0}, run = {0};
    if (tsan_first)
      add_named_cycle(&run, 0, "M6", "M7", 0, 1);
    add_named_cycle(&run, 1, "M1", "M2", 1, 1);
    if (!tsan_first)
      add_named_cycle(&run, 0, "M6", "M7", 0, 1);
    rl_findings_merge(&all, &run);
    /* A later run: TSan's report alone does not rename it. */
    add_named_cycle(&run, 0, "M6", "M7", 0, 2);
    rl_findings_merge(&all, &run);
    assert_int_equal(all.count, 1);
    const rl_finding *f = &all.items[0];
    assert_int_equal(f->count, 3);
    assert_int_equal(f->first_run, 1);
    assert_int_equal(f->seed, 100);
    assert_true(f->runtime_ids);
    assert_string_equal(f->object, "lock cycle M1 => M2 => M1");
    assert_string_equal(f->locations[0].role, "holds M1, takes M2");
    assert_int_equal(f->locations[0].line, 22); /* the runtime's order, too */
    rl_findings_free(&all);
  }
  /* Neither or both the runtime's: the first report's words stay. */
  rl_findings all = {0}, run = {0};
  add_named_cycle(&run, 0, "M6", "M7", 0, 1);
  add_named_cycle(&run, 1, "M8", "M9", 0, 1);
  rl_findings_merge(&all, &run);
  assert_int_equal(all.count, 1);
  assert_string_equal(all.items[0].object, "lock cycle M6 => M7 => M6");
  rl_findings_free(&all);
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kind_table), cmocka_unit_test(building_and_copying),
      cmocka_unit_test(user_frames), cmocka_unit_test(locate),
      cmocka_unit_test(merge),      cmocka_unit_test(merge_lock_cycles),
      cmocka_unit_test(merge_keeps_runtime_ids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
