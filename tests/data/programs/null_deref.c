/* A worker writes through a pointer that was never set: SEGV in a thread. */
#include <pthread.h>
#include <stddef.h>

static int *volatile slot;

static void *worker(void *arg) {
  (void)arg;
  *slot = 1;
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, NULL);
  return 0;
}
