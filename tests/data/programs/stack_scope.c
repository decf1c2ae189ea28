/* Keeps a pointer to a block-scoped local and uses it after the block. */
#include <stdio.h>

int main(int argc, char **argv) {
  (void)argv;
  int *p;
  {
    int local = argc;
    p = &local;
  }
  *p += 1;
  printf("%d\n", *p);
  return 0;
}
