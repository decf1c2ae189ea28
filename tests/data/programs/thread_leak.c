/* A thread is created, finishes, and is never joined. */
#include <pthread.h>
#include <unistd.h>

static void *work(void *arg) {
  (void)arg;
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, work, NULL);
  usleep(100000);
  return 0;
}
