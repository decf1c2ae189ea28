/* Forks while a second thread runs, then starts a thread in the child:
 * TSan's runtime refuses ("starting new threads after multi-threaded fork"). */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static void *idle(void *arg) {
  (void)arg;
  usleep(200000);
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, idle, NULL);
  pid_t pid = fork();
  if (pid == 0) {
    pthread_t c;
    pthread_create(&c, NULL, idle, NULL);
    pthread_join(c, NULL);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  pthread_join(t, NULL);
  return 0;
}
