/* Three threads, run one after the other, take three mutexes pairwise in a
 * cycle: a->b, b->c, c->a. */
#include <pthread.h>

static pthread_mutex_t m[3] = {PTHREAD_MUTEX_INITIALIZER,
                               PTHREAD_MUTEX_INITIALIZER,
                               PTHREAD_MUTEX_INITIALIZER};

static void *pair(void *arg) {
  int i = *(int *)arg;
  pthread_mutex_lock(&m[i]);
  pthread_mutex_lock(&m[(i + 1) % 3]);
  pthread_mutex_unlock(&m[(i + 1) % 3]);
  pthread_mutex_unlock(&m[i]);
  return NULL;
}

int main(void) {
  static int ids[3] = {0, 1, 2};
  for (int i = 0; i < 3; i++) {
    pthread_t t;
    pthread_create(&t, NULL, pair, &ids[i]);
    pthread_join(t, NULL);
  }
  return 0;
}
