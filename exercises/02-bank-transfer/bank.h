/* bank.h -- accounts and transfers for the settlement service. */
#ifndef BANK_H
#define BANK_H

#include <pthread.h>

struct account {
  int id;               /* unique, never changes: safe to read unlocked */
  long balance;         /* in cents; guarded by lock */
  pthread_mutex_t lock; /* guards balance */
};

void account_init(struct account *a, int id, long balance);
void account_destroy(struct account *a);

/* The balance, read under the account's lock. */
long account_balance(struct account *a);

/* Move amount cents from one account to another, atomically: no other
 * transfer sees the money in neither or in both accounts. Returns 0, or -1
 * (and moves nothing) when from holds less than amount. */
int transfer(struct account *from, struct account *to, long amount);

#endif
