/* test_trace.c -- the trace-ring reader on ring files the test writes
 * itself in the layout of rlrt_protocol.h: wrap-around, seq order, stale
 * and unpublished slots, a file cut short, a file that is no ring; then
 * the slices, labels and finding placement built on the events. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "trace.h"
#include "util.h"

#define CAP 8 /* a small ring: the reader takes the capacity from the header */

typedef struct {
  rlrt_trace_header h;
  rlrt_trace_record r[CAP];
} ring;

static void init_ring(ring *g, uint64_t next) {
  memset(g, 0, sizeof *g);
  memcpy(g->h.magic, RLRT_TRACE_MAGIC, sizeof g->h.magic);
  g->h.rec_size = sizeof(rlrt_trace_record);
  g->h.cap = CAP;
  g->h.next = next;
  g->h.start_ns = 5000;
  g->h.pid = 42;
}

/* Record seq in its slot: thread, event, object and ns = 100 * seq. */
static void put(ring *g, uint64_t seq, int thread, int event, int kind, int obj, uint64_t ip) {
  rlrt_trace_record *r = &g->r[(seq - 1) % CAP];
  memset(r, 0, sizeof *r);
  r->seq = seq;
  r->ns = 100 * seq;
  r->thread = (uint32_t)thread;
  r->event = (uint8_t)event;
  r->obj_kind = (uint8_t)kind;
  r->obj = (uint32_t)obj;
  r->ip = ip;
}

/* Writes the first len bytes of g to a temporary file; returns its path. */
static char *write_ring(const ring *g, size_t len) {
  char *path = rl_xstrdup("/tmp/test_trace.XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, g, len), (ssize_t)len);
  close(fd);
  return path;
}

static int read_ring(const ring *g, size_t len, const rl__rlrt_modules *mods, rl_trace *t) {
  char *path = write_ring(g, len);
  memset(t, 0, sizeof *t);
  int rc = rl_trace_read_ring(path, mods, t);
  unlink(path);
  free(path);
  return rc;
}

static void wraps_around_in_seq_order(void **state) {
  (void)state;
  ring g;
  init_ring(&g, 13); /* 13 written, 8 kept: seqs 6..13 */
  for (uint64_t s = 1; s <= 13; s++) put(&g, s, (int)(s % 3), RLRT_TEV_ACQUIRED, RLRT_TOBJ_MUTEX, (int)s, 0);
  rl_trace t;
  assert_int_equal(read_ring(&g, sizeof g, NULL, &t), 0);
  assert_int_equal(t.count, CAP);
  assert_int_equal(t.dropped, 5);
  for (size_t i = 0; i < t.count; i++) {
    assert_int_equal(t.items[i].seq, 6 + i);
    assert_int_equal(t.items[i].ns, 100 * (6 + i)); /* from its own start */
    assert_int_equal(t.items[i].pid, 42);
  }
  assert_string_equal(t.items[0].object, "M6");
  assert_int_equal(t.nthreads, 3);
  rl_trace_free(&t);
}

static void skips_unpublished_and_stale_slots(void **state) {
  (void)state;
  ring g;
  init_ring(&g, 10);
  for (uint64_t s = 3; s <= 10; s++) put(&g, s, 1, RLRT_TEV_EXIT, RLRT_TOBJ_NONE, 0, 0);
  g.r[(7 - 1) % CAP].seq = 0;       /* caught mid-write */
  put(&g, 2, 1, RLRT_TEV_EXIT, 0, 0, 0); /* seq 10's slot holds an older lap's seq 2 */
  rl_trace t;
  assert_int_equal(read_ring(&g, sizeof g, NULL, &t), 0);
  assert_int_equal(t.count, 6); /* 3..10 but 7 and 10 */
  for (size_t i = 1; i < t.count; i++) assert_true(t.items[i - 1].seq < t.items[i].seq);
  for (size_t i = 0; i < t.count; i++) assert_true(t.items[i].seq != 7 && t.items[i].seq != 2);
  rl_trace_free(&t);
}

static void reads_a_file_cut_short(void **state) {
  (void)state;
  ring g;
  init_ring(&g, 5);
  for (uint64_t s = 1; s <= 5; s++) put(&g, s, 0, RLRT_TEV_START, 0, 0, 0);
  rl_trace t;
  /* Three whole records and half of the fourth. */
  assert_int_equal(read_ring(&g, sizeof g.h + 3 * sizeof(rlrt_trace_record) + 20, NULL, &t), 0);
  assert_int_equal(t.count, 3);
  assert_int_equal(t.items[2].seq, 3);
  rl_trace_free(&t);
  assert_int_equal(read_ring(&g, 10, NULL, &t), -EINVAL); /* not even a header */
  g.h.magic[0] = 'X';
  assert_int_equal(read_ring(&g, sizeof g, NULL, &t), -EINVAL);
  assert_int_equal(t.count, 0);
}

/* The program under test writes the folder: a FIFO or a link there must
 * not block or lead the reader out. */
static void never_opens_a_fifo_or_a_link(void **state) {
  (void)state;
  char dir[] = "/tmp/test_trace.XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *fifo = rl_xasprintf("%s/rlrt-trace.1", dir), *link = rl_xasprintf("%s/rlrt-trace.2", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(symlink("/etc/passwd", link), 0);
  rl_trace t = {0};
  assert_int_equal(rl_trace_read_ring(fifo, NULL, &t), -EINVAL);
  assert_int_equal(rl_trace_read_ring(link, NULL, &t), -ELOOP);
  assert_int_equal(rl_trace_read_dir(dir, "rlrt", &t), 0);
  assert_int_equal(t.count, 0);
  unlink(fifo);
  unlink(link);
  rmdir(dir);
  free(fifo);
  free(link);
}

static void call_sites_become_module_offsets(void **state) {
  (void)state;
  rl__rlrt_modules mods = {0};
  assert_int_equal(rl__rlrt_module_line(&mods, "module base=1000 lo=1000 hi=9000 path=/x/prog"), 1);
  ring g;
  init_ring(&g, 3);
  put(&g, 1, 0, RLRT_TEV_WAIT, RLRT_TOBJ_MUTEX, 1, 0x1234); /* a return address: the call is before it */
  put(&g, 2, 1, RLRT_TEV_START, 0, 0, 0x2000);              /* a function: exactly there */
  put(&g, 3, 1, RLRT_TEV_EXIT, 0, 0, 0);                    /* no call site */
  rl_trace t;
  assert_int_equal(read_ring(&g, sizeof g, &mods, &t), 0);
  assert_string_equal(t.items[0].at.module, "/x/prog");
  assert_int_equal(t.items[0].at.offset, 0x233);
  assert_int_equal(t.items[1].at.offset, 0x1000);
  assert_null(t.items[2].at.module);
  rl_trace_free(&t);
  rl__rlrt_modules_free(&mods);
}

/* T1 holds M1, T2 waits for it, gets it after T1's unlock; a delay. */
static void slices_labels_and_marks(void **state) {
  (void)state;
  ring g;
  init_ring(&g, 7);
  put(&g, 1, 1, RLRT_TEV_ACQUIRED, RLRT_TOBJ_MUTEX, 1, 0);
  g.r[0].arg = 1;
  put(&g, 2, 2, RLRT_TEV_WAIT, RLRT_TOBJ_MUTEX, 1, 0);
  strcpy(g.r[1].name, "mutex");
  put(&g, 3, 1, RLRT_TEV_RELEASED, RLRT_TOBJ_MUTEX, 1, 0);
  put(&g, 4, 2, RLRT_TEV_WOKEN, RLRT_TOBJ_MUTEX, 1, 0);
  strcpy(g.r[3].name, "mutex");
  put(&g, 5, 2, RLRT_TEV_ACQUIRED, RLRT_TOBJ_MUTEX, 1, 0);
  g.r[4].arg = 1;
  put(&g, 6, 1, RLRT_TEV_DELAY, 0, 0, 0);
  g.r[5].arg = 2000; /* 2 us, but T1's previous event was at 300 ns */
  strcpy(g.r[5].name, "random");
  put(&g, 7, 2, RLRT_TEV_SIGNAL, RLRT_TOBJ_COND, 3, 0);
  g.r[6].arg = 2;
  rl_trace t;
  assert_int_equal(read_ring(&g, sizeof g, NULL, &t), 0);
  char buf[96];
  assert_string_equal(rl_trace_label(&t.items[1], buf, sizeof buf), "lock M1");
  assert_string_equal(rl_trace_label(&t.items[3], buf, sizeof buf), ""); /* acquired says it */
  assert_string_equal(rl_trace_label(&t.items[5], buf, sizeof buf), "delay 2 us (random)");
  assert_string_equal(rl_trace_label(&t.items[6], buf, sizeof buf), "signal C3 (2 waiting)");
  rl_trace_slice *s;
  size_t n = rl_trace_slices(&t, &s);
  assert_int_equal(n, 4);
  assert_int_equal(s[0].kind, RL_SLICE_HOLD); /* T1's hold of M1: seq 1..3 */
  assert_int_equal(s[0].end, 2);
  assert_int_equal(s[1].kind, RL_SLICE_WAIT); /* T2's wait: seq 2..4 */
  assert_int_equal(s[1].end, 3);
  assert_int_equal(s[2].kind, RL_SLICE_HOLD); /* T2's hold, never released */
  assert_int_equal(s[2].end, -1);
  assert_int_equal(s[2].end_ns, 700);
  assert_int_equal(s[3].kind, RL_SLICE_DELAY);
  assert_int_equal(s[3].begin_ns, 300);
  free(s);
  /* A finding placed by file:line, else by function on its thread. */
  t.items[4].at.file = rl_xstrdup("/src/bank.c");
  t.items[4].at.line = 35;
  t.items[2].at.function = rl_xstrdup("worker");
  rl_location loc = {.file = "bank.c", .line = 35, .thread = 7};
  assert_int_equal(rl_trace_locate(&t, &loc), 4);
  rl_location in_fn = {.file = "bank.c", .line = 99, .function = "worker", .thread = 1};
  assert_int_equal(rl_trace_locate(&t, &in_fn), 2);
  in_fn.thread = 2;
  assert_int_equal(rl_trace_locate(&t, &in_fn), -1);
  rl_trace_free(&t);
}

/* A callback's lock wait inside uv_run ends first, and only itself. */
static void waits_nest_inside_uv_run(void **state) {
  (void)state;
  ring g;
  init_ring(&g, 4);
  const char *names[] = {"uv_run", "mutex", "mutex", "uv_run"};
  for (uint64_t s = 1; s <= 4; s++) {
    put(&g, s, 0, s == 1 || s == 2 ? RLRT_TEV_WAIT : RLRT_TEV_WOKEN, 0, 0, 0);
    strcpy(g.r[s - 1].name, names[s - 1]);
  }
  rl_trace t;
  assert_int_equal(read_ring(&g, sizeof g, NULL, &t), 0);
  rl_trace_slice *s;
  assert_int_equal(rl_trace_slices(&t, &s), 2);
  assert_int_equal(s[0].end, 3); /* uv_run: from its start to its return */
  assert_int_equal(s[1].end, 2);
  char buf[32];
  assert_string_equal(rl_trace_label(&t.items[3], buf, sizeof buf), "uv_run returned");
  free(s);
  rl_trace_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(wraps_around_in_seq_order),
      cmocka_unit_test(skips_unpublished_and_stale_slots),
      cmocka_unit_test(reads_a_file_cut_short),
      cmocka_unit_test(never_opens_a_fifo_or_a_link),
      cmocka_unit_test(call_sites_become_module_offsets),
      cmocka_unit_test(slices_labels_and_marks),
      cmocka_unit_test(waits_nest_inside_uv_run),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
