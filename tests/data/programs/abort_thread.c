/* A worker calls abort(): a crash, not a memory error (racelab runs ASan
 * with handle_abort=1, so ASan reports the stack). */
#include <pthread.h>
#include <stdlib.h>

static void *worker(void *arg) {
  (void)arg;
  abort();
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, NULL);
  return 0;
}
