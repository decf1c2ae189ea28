#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static long total;

int main(void) {
  if (fork() == 0) {
    total += 1;
    _exit(0);
  }
  wait(NULL);
  printf("%ld\n", total);
  return 0;
}
