/* test_report_rlrt.c -- the runtime-log parser on logs recorded from the
 * fixtures in tests/fixtures/runtime (tests/data/rlrt, re-recorded by its
 * record.sh) and on small hand-written logs for the corners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "finding.h"
#include "report_rlrt.h"
#include "util.h"

/* Parses tests/data/rlrt/<name>.log into *out; asserts n findings. */
static void parse_log(const char *name, rl_findings *out, int n) {
  char *path = rl_xasprintf("%s/rlrt/%s.log", RL_TEST_DATA, name);
  size_t len;
  char *text = rl_read_file(path, &len);
  assert_non_null(text);
  memset(out, 0, sizeof *out);
  assert_int_equal(rl_report_rlrt_parse(text, len, out), n);
  assert_int_equal(out->count, (size_t)n);
  free(text);
  free(path);
}

static void parse_text(const char *text, rl_findings *out, int n) {
  memset(out, 0, sizeof *out);
  assert_int_equal(rl_report_rlrt_parse(text, strlen(text), out), n);
  assert_int_equal(out->count, (size_t)n);
}

/* The location's stack starts in the fixture binary itself. */
static void assert_in_binary(const rl_location *loc, const char *binary) {
  assert_true(loc->stack.count >= 1);
  const char *m = loc->stack.frames[0].module;
  assert_non_null(m);
  size_t lm = strlen(m), lb = strlen(binary);
  assert_true(lm > lb && m[lm - lb - 1] == '/');
  assert_string_equal(m + lm - lb, binary);
}

static void assert_role(const rl_finding *f, size_t i, const char *role,
                        int thread) {
  assert_true(i < f->nlocations);
  assert_string_equal(f->locations[i].role, role);
  assert_int_equal(f->locations[i].thread, thread);
}

static void assert_contains(const char *s, const char *needle) {
  assert_non_null(s);
  if (!strstr(s, needle))
    fail_msg("\"%s\" does not contain \"%s\"", s, needle);
}

/* ---- recorded logs --------------------------------------------------------- */

static void lock_inversion(void **state) {
  rl_findings l;
  parse_log("lock_inversion", &l, 1);
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_LOCK_ORDER_INVERSION);
  assert_string_equal(f->summary,
                      "Locks taken in a cycle: T1 takes mutex M2 while holding mutex M1; "
                      "T2 takes mutex M1 while holding mutex M2");
  assert_string_equal(f->object, "lock cycle M1 => M2 => M1");
  assert_int_equal(f->nlocations, 4);
  assert_role(f, 0, "holds M1, takes M2", 1);
  assert_role(f, 1, "takes M1 first", 1);
  assert_role(f, 2, "holds M2, takes M1", 2);
  assert_role(f, 3, "takes M2 first", 2);
  for (size_t i = 0; i < 4; i++)
    assert_in_binary(&f->locations[i], "lock_inversion");
  /* Taking M2 and taking M1 are different call sites. */
  assert_true(f->locations[0].stack.frames[0].offset !=
              f->locations[1].stack.frames[0].offset);
  assert_int_equal(f->nthreads, 2);
  assert_int_equal(f->threads[0].id, 1);
  assert_true(f->threads[0].created_at.count >= 1);
  rl_findings_free(&l);
}

static void lock_cycle3(void **state) {
  rl_findings l;
  parse_log("lock_cycle3", &l, 1);
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_LOCK_ORDER_INVERSION);
  assert_string_equal(f->object, "lock cycle M1 => M2 => M3 => M1");
  assert_int_equal(f->nlocations, 6);
  assert_role(f, 0, "holds M1, takes M2", 1);
  assert_role(f, 2, "holds M2, takes M3", 2);
  assert_role(f, 4, "holds M3, takes M1", 3);
  assert_int_equal(f->nthreads, 3);
  rl_findings_free(&l);
}

static void lock_helper(void **state) {
  rl_findings l;
  parse_log("lock_helper", &l, 1);
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_LOCK_ORDER_INVERSION);
  assert_role(f, 0, "holds M1, takes M2", 1);
  /* gcc -O1 inlines credit() and transfer(): one physical frame, which the
   * symbolizer expands (test_runtime_fixtures checks the lines). */
  assert_in_binary(&f->locations[0], "lock_helper");
  assert_true(f->locations[0].stack.frames[0].offset !=
              f->locations[1].stack.frames[0].offset);
  rl_findings_free(&l);
}

static void deadlock_abba(void **state) {
  rl_findings l;
  parse_log("deadlock_abba", &l, 1); /* no edge completed: no inversion */
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_DEADLOCK);
  assert_string_equal(f->summary,
                      "T1 holds M1 and waits for M2; T2 holds M2 and waits for M1");
  assert_string_equal(f->object, "mutex M1, mutex M2");
  assert_int_equal(f->nlocations, 4);
  assert_role(f, 0, "holds M1", 1);
  assert_role(f, 1, "waits for M2, held by T2", 1);
  assert_role(f, 2, "holds M2", 2);
  assert_role(f, 3, "waits for M1, held by T1", 2);
  for (size_t i = 0; i < 4; i++)
    assert_in_binary(&f->locations[i], "deadlock_abba");
  rl_findings_free(&l);
}

static void join_cycle(void **state) {
  rl_findings l;
  parse_log("join_cycle", &l, 1);
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_DEADLOCK);
  assert_string_equal(f->summary, "T1 waits for T2 to finish; T2 waits for T1 to finish");
  assert_role(f, 0, "waits for T2 to finish (pthread_join)", 1);
  assert_role(f, 1, "waits for T1 to finish (pthread_join)", 2);
  rl_findings_free(&l);
}

static void rwlock_upgrade(void **state) {
  rl_findings l;
  parse_log("rwlock_upgrade", &l, 1);
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_DEADLOCK);
  assert_string_equal(f->summary,
                      "T1 holds R1 and waits for R1; T2 holds R1 and waits for R1");
  assert_string_equal(f->object, "rwlock R1");
  rl_findings_free(&l);
}

static void self_relock(void **state) {
  rl_findings l;
  parse_log("self_relock", &l, 1);
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_HANG);
  assert_string_equal(f->summary,
                      "T1 locks mutex M1 again while holding it: a mutex that is not "
                      "recursive waits for itself forever; T0 waits for T1 to finish, "
                      "but T1 is blocked");
  assert_string_equal(f->object, "mutex M1");
  assert_role(f, 0, "takes M1 first", 1);
  assert_role(f, 1, "takes M1 again, while holding it", 1);
  assert_role(f, 2, "waits for T1 to finish (pthread_join)", 0);
  assert_true(f->locations[1].stack.frames[0].offset !=
              f->locations[0].stack.frames[0].offset);
  rl_findings_free(&l);
}

static void lost_wakeup(void **state) {
  rl_findings l;
  parse_log("lost_wakeup", &l, 1);
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_HANG);
  assert_contains(f->summary, "T2 waits on condvar C1, but T1 signalled it earlier, when "
                              "no thread was waiting and without holding mutex M1: a lost "
                              "wakeup");
  assert_string_equal(f->object, "condvar C1");
  assert_role(f, 0, "waits on C1", 2);
  assert_role(f, 1, "signals C1 while no thread waits", 1);
  assert_in_binary(&f->locations[1], "lost_wakeup");
  rl_findings_free(&l);
}

static void sync_misuse(void **state) {
  rl_findings l;
  parse_log("sync_misuse", &l, 4);
  const char *summaries[] = {
      "T0 waits on condvar C1 without holding mutex M2",
      "condvar C1 is used with mutex M2 and also with mutex M1",
      "T1 unlocks mutex M3, which T0 holds",
      "T0 destroys mutex M1 while holding it",
  };
  const char *objects[] = {"condvar C1", "condvar C1", "mutex M3", "mutex M1"};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(l.items[i].kind, RL_FINDING_SYNC_MISUSE);
    assert_string_equal(l.items[i].summary, summaries[i]);
    assert_string_equal(l.items[i].object, objects[i]);
    assert_in_binary(&l.items[i].locations[0], "sync_misuse");
  }
  assert_role(&l.items[2], 0, "unlocks M3 without holding it", 1);
  rl_findings_free(&l);
}

static void clean_locks(void **state) {
  rl_findings l;
  parse_log("clean_locks", &l, 0);
  rl_findings_free(&l);
}

/* ---- hand-written corners ----------------------------------------------------- */

/* Offsets: the top frame at ip-1, the others at ip, relative to the base of
 * the module whose range holds the ip; an ip in no module keeps it raw. */
static void frames_and_modules(void **state) {
  rl_findings l;
  parse_text("rlrt v=1 pid=1 ppid=0 seed=0 mode=off\n"
             "module base=1000 lo=1000 hi=2000 path=/x/my prog\n"
             "module base=7000 lo=7100 hi=7200 path=/lib/libc.so.6\n"
             "edge M1 M2 T1 s1=1010,7150 s2=1234,1300,9999\n"
             "edge M2 M1 T2 s1=1400 s2=1500\n",
             &l, 1);
  const rl_stack *s = &l.items[0].locations[0].stack;
  assert_int_equal(s->count, 3);
  assert_string_equal(s->frames[0].module, "/x/my prog");
  assert_int_equal(s->frames[0].offset, 0x233);
  assert_int_equal(s->frames[1].offset, 0x300);
  assert_null(s->frames[2].module);
  assert_int_equal(s->frames[2].offset, 0x9999);
  const rl_stack *first = &l.items[0].locations[1].stack;
  assert_string_equal(first->frames[1].module, "/lib/libc.so.6");
  assert_int_equal(first->frames[1].offset, 0x150);
  rl_findings_free(&l);
}

/* Malformed and unknown lines are skipped; an edge with itself, and edges
 * that form no cycle, give nothing. */
static void junk_and_no_cycle(void **state) {
  rl_findings l;
  parse_text("garbage\n\nedge M1\nedge M1 M2 Tx s1=1 s2=2\nedge M1 M1 T1 s1=1 s2=2\n"
             "edge M1 M2 T1 s1=zz s2=2\nfuture-line a=b\n"
             "edge M1 M2 T1 s1=1 s2=2\nedge M2 M3 T1 s1=1 s2=2\n"
             "dthread T1 state=mutex obj=M1 s=1\n",
             &l, 0);
  rl_findings_free(&l);
}

/* Only the last complete dump counts; a dump without its end is ignored. */
static void last_complete_dump(void **state) {
  rl_findings l;
  parse_text("dump begin\ndthread T0 state=sem obj=S1 s=-\ndump end\n"
             "dump begin\ndthread T0 state=barrier obj=B1 s=-\ndump end\n",
             &l, 1);
  assert_int_equal(l.items[0].kind, RL_FINDING_HANG);
  assert_string_equal(l.items[0].summary,
                      "T0 waits at barrier B1 for threads that never arrive");
  rl_findings_free(&l);
  parse_text("dump begin\ndthread T0 state=sem obj=S1 s=-\n", &l, 0);
  rl_findings_free(&l);
}

/* A lock whose holder exited, or did not survive fork(); a busy holder. */
static void holders_gone(void **state) {
  rl_findings l;
  parse_text("dump begin\n"
             "dthread T0 state=mutex obj=M1 s=10\n"
             "dthread T1 state=exited s=-\n"
             "dheld T1 M1 mode=w s=20\n"
             "dthread T2 state=mutex obj=M2 s=30\n"
             "dthread T3 state=gone s=-\n"
             "dheld T3 M2 mode=w s=40\n"
             "dthread T4 state=rdlock obj=R1 s=50\n"
             "dthread T5 state=running s=-\n"
             "dheld T5 R1 mode=w s=60\n"
             "dheld T0 R1 mode=r s=70\n"
             "dump end\n",
             &l, 1);
  const rl_finding *f = &l.items[0];
  assert_int_equal(f->kind, RL_FINDING_HANG);
  assert_contains(f->summary, "T0 waits for mutex M1, which T1 still held when it exited");
  assert_contains(f->summary, "T2 waits for mutex M2, which T3 held when the process forked");
  /* T0's read hold does not block a reader: only T5's write hold does. */
  assert_contains(f->summary, "T4 waits for rwlock R1, held by T5, which is still running");
  rl_findings_free(&l);
}

static void cond_no_loop(void **state) {
  rl_findings l;
  parse_text("misuse cond-no-loop C2 M1 T3 s=10,20\n", &l, 1);
  assert_int_equal(l.items[0].kind, RL_FINDING_SYNC_MISUSE);
  assert_contains(l.items[0].summary, "T3 waits on condvar C2 without re-checking its "
                                      "condition in a loop");
  assert_contains(l.items[0].summary, "went on with mutex M1");
  assert_string_equal(l.items[0].object, "condvar C2");
  assert_role(&l.items[0], 0, "waits on C2, not in a loop that re-checks the condition", 3);
  rl_findings_free(&l);
}

/* A lost wakeup says whether the signaller held the waiter's mutex. */
static void lost_wakeup_under_the_mutex(void **state) {
  rl_findings l;
  parse_text("nowaiter C1 T1 held=M3,M1 s=10\n"
             "dump begin\ndthread T2 state=cond obj=C1 mutex=M1 s=20\ndump end\n",
             &l, 1);
  assert_string_equal(l.items[0].summary,
                      "T2 waits on condvar C1, but T1 signalled it earlier, when no thread "
                      "was waiting: a lost wakeup");
  rl_findings_free(&l);
  parse_text("nowaiter C1 T1 held=M11 s=10\n"
             "dump begin\ndthread T2 state=cond obj=C1 mutex=M1 s=20\ndump end\n",
             &l, 1);
  assert_contains(l.items[0].summary, "and without holding mutex M1");
  rl_findings_free(&l);
}

/* A join on a thread the runtime never saw (created by a library). */
static void join_unknown_thread(void **state) {
  rl_findings l;
  parse_text("dump begin\ndthread T0 state=join s=10\ndump end\n", &l, 1);
  assert_string_equal(l.items[0].summary,
                      "T0 waits in pthread_join for a thread racelab did not see start");
  rl_findings_free(&l);
}

/* All threads just sleeping or running: nothing racelab can explain. */
static void nothing_blocked(void **state) {
  rl_findings l;
  parse_text("dump begin\ndthread T0 state=sleep s=1\ndthread T1 state=running s=-\n"
             "dump end\n",
             &l, 0);
  rl_findings_free(&l);
}

/* The same misuse from the same call site (a loop) is one finding. */
static void misuse_once_per_site(void **state) {
  rl_findings l;
  parse_text("misuse unlock-unheld M1 T1 owner=- s=40,50\n"
             "misuse unlock-unheld M1 T1 owner=- s=40,50\n"
             "misuse unlock-unheld M1 T2 owner=- s=41\n"
             "misuse brand-new-kind M1 T2 s=41\n",
             &l, 2);
  assert_string_equal(l.items[0].summary, "T1 unlocks mutex M1, which it does not hold");
  rl_findings_free(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lock_inversion),    cmocka_unit_test(lock_cycle3),
      cmocka_unit_test(lock_helper),       cmocka_unit_test(deadlock_abba),
      cmocka_unit_test(join_cycle),        cmocka_unit_test(rwlock_upgrade),
      cmocka_unit_test(self_relock),       cmocka_unit_test(lost_wakeup),
      cmocka_unit_test(sync_misuse),       cmocka_unit_test(clean_locks),
      cmocka_unit_test(frames_and_modules), cmocka_unit_test(junk_and_no_cycle),
      cmocka_unit_test(last_complete_dump), cmocka_unit_test(holders_gone),
      cmocka_unit_test(nothing_blocked),   cmocka_unit_test(misuse_once_per_site),
      cmocka_unit_test(lost_wakeup_under_the_mutex), cmocka_unit_test(cond_no_loop),
      cmocka_unit_test(join_unknown_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
