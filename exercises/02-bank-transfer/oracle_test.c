/* oracle_test.c -- the checks a fixed bank.c must pass.
 *
 * 1. A day of payments, replayed in two batches one after the other (the
 *    morning's payments, then the afternoon's refunds): no money is created
 *    or lost.
 * 2. Two tellers move money between the same two accounts in opposite
 *    directions at the same time: both finish (within 2 s; a test that
 *    deadlocked would otherwise hang, so it gives up and fails instead).
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"

#define NACCOUNTS 4
#define PAYMENTS 200

static struct account accounts[NACCOUNTS];

struct teller {
  struct account *from, *to;
  int payments;
};

static void *teller_run(void *arg) {
  struct teller *t = arg;
  for (int i = 0; i < t->payments; i++)
    transfer(t->from, t->to, 1 + i % 7);
  return NULL;
}

static long total(void) {
  long sum = 0;
  for (int i = 0; i < NACCOUNTS; i++)
    sum += account_balance(&accounts[i]);
  return sum;
}

static int setup(void **state) {
  (void)state;
  for (int i = 0; i < NACCOUNTS; i++)
    account_init(&accounts[i], i + 1, 10000);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (int i = 0; i < NACCOUNTS; i++)
    account_destroy(&accounts[i]);
  return 0;
}

/* Run one batch on NACCOUNTS-1 threads. Forward: teller i pays account
 * i -> i+1; backward: i+1 -> i. Within one batch no two tellers wait for
 * each other in a circle; the two batches run one after the other. */
static void run_batch(int forward) {
  pthread_t threads[NACCOUNTS - 1];
  struct teller tellers[NACCOUNTS - 1];
  for (int i = 0; i < NACCOUNTS - 1; i++) {
    struct account *a = &accounts[i], *b = &accounts[i + 1];
    tellers[i] = forward ? (struct teller){a, b, PAYMENTS}
                         : (struct teller){b, a, PAYMENTS};
    assert_int_equal(pthread_create(&threads[i], NULL, teller_run, &tellers[i]), 0);
  }
  for (int i = 0; i < NACCOUNTS - 1; i++)
    assert_int_equal(pthread_join(threads[i], NULL), 0);
}

static void test_money_is_conserved(void **state) {
  (void)state;
  long before = total();
  run_batch(1); /* the morning's payments */
  run_batch(0); /* the afternoon's, mostly refunds */
  assert_int_equal(total(), before);
}

/* Tellers of the second test report here when they are done, so that the
 * test can give up after a deadline instead of hanging forever. */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int done_count;

static void *teller_run_and_report(void *arg) {
  teller_run(arg);
  pthread_mutex_lock(&done_lock);
  done_count++;
  pthread_cond_signal(&done_cond);
  pthread_mutex_unlock(&done_lock);
  return NULL;
}

static void test_opposite_transfers_finish(void **state) {
  (void)state;
  long before = total();
  struct teller alice = {&accounts[0], &accounts[1], 5};
  struct teller bob = {&accounts[1], &accounts[0], 5};
  pthread_t ta, tb;
  assert_int_equal(pthread_create(&ta, NULL, teller_run_and_report, &alice), 0);
  assert_int_equal(pthread_create(&tb, NULL, teller_run_and_report, &bob), 0);

  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 2;
  pthread_mutex_lock(&done_lock);
  int rc = 0;
  while (done_count < 2 && rc == 0)
    rc = pthread_cond_timedwait(&done_cond, &done_lock, &deadline);
  int finished = done_count;
  pthread_mutex_unlock(&done_lock);
  if (finished < 2) {
    /* The tellers are stuck for good; nothing can be cleaned up. */
    fprintf(stderr, "opposite transfers did not finish within 2 s: "
                    "the two tellers deadlocked\n");
    fflush(stderr);
    _exit(1);
  }
  assert_int_equal(pthread_join(ta, NULL), 0);
  assert_int_equal(pthread_join(tb, NULL), 0);
  assert_int_equal(total(), before);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_money_is_conserved),
      cmocka_unit_test(test_opposite_transfers_finish),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
