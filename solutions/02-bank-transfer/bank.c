/* bank.c -- transfers between accounts for a small settlement service.
 *
 * The story: every night the service replays the day's payments between
 * customer accounts, many payments at once on a pool of threads. Each
 * account has its own mutex, so payments between unrelated accounts never
 * wait for each other. It passed every test for months. Then one night the
 * batch froze: two threads stuck, both inside transfer(), both forever. It
 * happened again a week later, on a night when Alice paid Bob while Bob was
 * paying Alice.
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include "bank.h"

void account_init(struct account *a, int id, long balance) {
  a->id = id;
  a->balance = balance;
  pthread_mutex_init(&a->lock, NULL);
}

void account_destroy(struct account *a) { pthread_mutex_destroy(&a->lock); }

long account_balance(struct account *a) {
  pthread_mutex_lock(&a->lock);
  long b = a->balance;
  pthread_mutex_unlock(&a->lock);
  return b;
}

/* racelab: your work is here -------------------------------------------- */

int transfer(struct account *from, struct account *to, long amount) {
  if (from == to) { /* nothing moves; locking one mutex twice would hang */
    pthread_mutex_lock(&from->lock);
    int rc = from->balance >= amount ? 0 : -1;
    pthread_mutex_unlock(&from->lock);
    return rc;
  }

  /* Hold both accounts' locks so that the debit and the credit happen as
   * one step. Every thread takes them in the same global order -- smaller
   * account id first, whichever way the money flows -- so no two threads
   * can each hold one and wait for the other. */
  struct account *first = from->id < to->id ? from : to;
  struct account *second = from->id < to->id ? to : from;
  pthread_mutex_lock(&first->lock);
  pthread_mutex_lock(&second->lock);

  int rc = -1;
  if (from->balance >= amount) {
    from->balance -= amount;
    to->balance += amount;
    rc = 0;
  }

  pthread_mutex_unlock(&second->lock);
  pthread_mutex_unlock(&first->lock);
  return rc;
}

/* racelab: end of your work --------------------------------------------- */
