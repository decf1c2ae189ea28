/* oracle_test.c -- the checks a fixed bank.c must pass.
 *
 * 1. A day of payments, replayed in two batches one after the other (the
 *    morning's payments, then the afternoon's refunds): no money is created
 *    or lost.
 * 2. Two tellers move money between the same two accounts in opposite
 *    directions at the same time: both finish.
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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

static void test_opposite_transfers_finish(void **state) {
  (void)state;
  long before = total();
  struct teller alice = {&accounts[0], &accounts[1], 20};
  struct teller bob = {&accounts[1], &accounts[0], 20};
  pthread_t ta, tb;
  assert_int_equal(pthread_create(&ta, NULL, teller_run, &alice), 0);
  assert_int_equal(pthread_create(&tb, NULL, teller_run, &bob), 0);
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
