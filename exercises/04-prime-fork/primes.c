/* primes.c -- count primes below a limit on every core, one process each.
 *
 * The story: a number-theory class uses this to check its homework. Counting
 * primes is pure computation, so the program forks one worker process per
 * core and gives each a slice of the range; four cores should make it four
 * times faster. It is indeed fast. It also says there are 0 primes below
 * 300000, on every machine, every time.
 *
 * Usage: primes
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMIT 300000L
#define NWORKERS 4

/* Trial division: slow, and that is the point -- it is CPU-bound work. */
static int is_prime(long n) {
  if (n < 2)
    return 0;
  for (long d = 2; d * d <= n; d++)
    if (n % d == 0)
      return 0;
  return 1;
}

static long count_primes(long lo, long hi) {
  long count = 0;
  for (long n = lo; n < hi; n++)
    count += is_prime(n);
  return count;
}

/* racelab: your work is here -------------------------------------------- */

static long total; /* every worker adds its count here */

int main(void) {
  pid_t pids[NWORKERS];
  for (int i = 0; i < NWORKERS; i++) {
    long lo = LIMIT * i / NWORKERS, hi = LIMIT * (i + 1) / NWORKERS;
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("fork");
      return 1;
    }
    if (pids[i] == 0) {
      /* The worker: count its slice, add it in, and leave. _exit, not
       * exit: the child must not run the parent's atexit handlers or flush
       * the parent's stdio buffers a second time. */
      total += count_primes(lo, hi);
      _exit(0);
    }
  }

  for (int i = 0; i < NWORKERS; i++) {
    int status;
    if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      fprintf(stderr, "primes: worker %d failed\n", i);
      return 1;
    }
  }
  printf("primes below %ld: %ld\n", LIMIT, total);
  return 0;
}

/* racelab: end of your work --------------------------------------------- */
