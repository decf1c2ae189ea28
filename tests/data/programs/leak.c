/* Loses the only pointer to a heap block: a leak, which racelab ignores. */
#include <stdlib.h>

static void *volatile keep;

int main(void) {
  keep = malloc(16);
  keep = NULL;
  return 0;
}
