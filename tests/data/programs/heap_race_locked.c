/* A heap object written under a mutex by one thread and without it by
 * another: a data race where one side holds a lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
  pthread_mutex_t lock;
  long balance;
};

static void *deposit(void *arg) {
  struct account *acc = arg;
  pthread_mutex_lock(&acc->lock);
  acc->balance += 10;
  pthread_mutex_unlock(&acc->lock);
  return NULL;
}

static void *audit(void *arg) {
  struct account *acc = arg;
  acc->balance = 0;
  return NULL;
}

int main(void) {
  struct account *acc = malloc(sizeof *acc);
  pthread_mutex_init(&acc->lock, NULL);
  acc->balance = 0;
  pthread_t a, b;
  pthread_create(&a, NULL, deposit, acc);
  pthread_create(&b, NULL, audit, acc);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("%ld\n", acc->balance);
  pthread_mutex_destroy(&acc->lock);
  free(acc);
  return 0;
}
