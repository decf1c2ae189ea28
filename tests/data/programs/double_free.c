/* Two threads each free the same block: the second free is a double free. */
#include <pthread.h>
#include <stdlib.h>

static char *buf;

static void *release(void *arg) {
  (void)arg;
  free(buf);
  return NULL;
}

int main(void) {
  buf = malloc(8);
  pthread_t t;
  pthread_create(&t, NULL, release, NULL);
  pthread_join(t, NULL);
  free(buf);
  return 0;
}
