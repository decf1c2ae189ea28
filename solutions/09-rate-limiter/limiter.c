/* limiter.c -- a per-customer request quota in an API gateway.
 *
 * The story: the gateway lets each customer make 10 calls per minute to the
 * expensive search API, on the free plan. Its request threads share one
 * token bucket per customer. After the first audit found a data race, every
 * access to the bucket was put under a mutex and ThreadSanitizer went
 * quiet. Yet the billing report still shows free customers getting 13, 15,
 * 17 calls through in a burst.
 *
 * Usage: limiter
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define NTHREADS 6
#define REQUESTS 4 /* per thread, all in one burst */
#define QUOTA 10

/* The plan lookup: a round trip to the accounts database. */
static const char *lookup_plan(const char *customer) {
  struct timespec rtt = {0, 500000}; /* 0.5 ms */
  nanosleep(&rtt, NULL);
  return customer[0] == 'a' ? "free" : "pro";
}

/* racelab: your work is here -------------------------------------------- */

static struct {
  pthread_mutex_t lock; /* guards tokens */
  int tokens;           /* calls left in this window */
} bucket = {PTHREAD_MUTEX_INITIALIZER, QUOTA};

/* Take one token if there is one: the check and the decrement happen in
 * one lock hold, so no other thread can take the last token in between.
 * Returns 1 if a token was taken, else 0. */
static int try_take_token(void) {
  pthread_mutex_lock(&bucket.lock);
  int ok = bucket.tokens > 0;
  if (ok)
    bucket.tokens--;
  pthread_mutex_unlock(&bucket.lock);
  return ok;
}

/* Admit one call for customer, or refuse it (returns 1 or 0). The slow plan
 * lookup for the access log comes after the decision, outside the lock. */
static int admit(const char *customer, const char **plan) {
  if (!try_take_token())
    return 0;
  *plan = lookup_plan(customer);
  return 1;
}

/* racelab: end of your work --------------------------------------------- */

static pthread_barrier_t burst; /* all request threads start at once */
static int admitted[NTHREADS], refused[NTHREADS];

static void *request_thread(void *arg) {
  int id = (int)(long)arg;
  pthread_barrier_wait(&burst);
  for (int i = 0; i < REQUESTS; i++) {
    const char *plan = "?";
    if (admit("acme-labs", &plan))
      admitted[id]++;
    else
      refused[id]++;
  }
  return NULL;
}

int main(void) {
  pthread_t threads[NTHREADS];
  pthread_barrier_init(&burst, NULL, NTHREADS);
  for (int i = 0; i < NTHREADS; i++)
    pthread_create(&threads[i], NULL, request_thread, (void *)(long)i);
  int yes = 0, no = 0;
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(threads[i], NULL);
    yes += admitted[i];
    no += refused[i];
  }
  pthread_barrier_destroy(&burst);
  printf("admitted %d\nrefused %d\ntokens left %d\n", yes, no, bucket.tokens);
  return 0;
}
