/* Two threads increment a counter that lives on main's stack. */
#include <pthread.h>
#include <stdio.h>

static void *bump(void *arg) {
  int *counter = arg;
  for (int i = 0; i < 1000; i++)
    (*counter)++;
  return NULL;
}

int main(void) {
  int counter = 0;
  pthread_t a, b;
  pthread_create(&a, NULL, bump, &counter);
  pthread_create(&b, NULL, bump, &counter);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("%d\n", counter);
  return 0;
}
