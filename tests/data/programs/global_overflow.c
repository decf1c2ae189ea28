/* Reads one element past the end of a global array. */
#include <stdio.h>

int table[10];

int main(int argc, char **argv) {
  (void)argv;
  printf("%d\n", table[9 + argc]);
  return 0;
}
