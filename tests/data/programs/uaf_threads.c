/* main frees a block while a worker thread still reads it. The worker
 * waits until main has freed, so the read always comes after the free. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int *volatile result;

static void *worker(void *arg) {
  (void)arg;
  usleep(50000);
  printf("%d\n", *result);
  return NULL;
}

int main(void) {
  result = malloc(4 * sizeof(int));
  result[0] = 42;
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  free(result);
  pthread_join(t, NULL);
  return 0;
}
