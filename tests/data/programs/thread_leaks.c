/* Four threads are created in a loop, and none is joined. */
#include <pthread.h>
#include <unistd.h>

static void *work(void *arg) {
  (void)arg;
  return NULL;
}

int main(void) {
  for (int i = 0; i < 4; i++) {
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
  }
  usleep(100000);
  return 0;
}
