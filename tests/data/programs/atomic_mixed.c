/* One thread stores a flag atomically, another reads it plainly: still a
 * race, reported with the atomic access marked as such. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static _Atomic int flag;

static void *set(void *arg) {
  (void)arg;
  atomic_store(&flag, 1);
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, set, NULL);
  int seen = *(int *)&flag;
  pthread_join(t, NULL);
  printf("%d\n", seen);
  return 0;
}
