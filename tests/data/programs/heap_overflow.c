/* Writes one element past the end of a heap array. */
#include <stdlib.h>

int main(int argc, char **argv) {
  (void)argv;
  int *v = malloc(4 * sizeof(int));
  for (int i = 0; i <= 4; i++)
    v[i] = argc;
  int r = v[0];
  free(v);
  return r - argc;
}
