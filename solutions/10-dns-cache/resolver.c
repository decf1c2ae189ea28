/* resolver.c -- a caching DNS stub resolver with a statistics report.
 *
 * The story: a mail relay resolves the same few dozen host names again and
 * again, so it keeps answers in a cache shared by its worker threads and
 * counts hits and misses. An operator can ask for a report at any time.
 * Nothing has ever gone wrong in production. The new CI job, which runs
 * the test suite under ThreadSanitizer, fails on every run with a
 * "lock-order-inversion (potential deadlock)" warning, and the team wants
 * to know whether it is real before the holidays.
 *
 * Usage: resolver
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NWORKERS 3
#define LOOKUPS 40 /* per worker */
#define MAX_ENTRIES 64

static const char *hosts[] = {"mx1.example.org", "mx2.example.org",
                              "smtp.example.net", "relay.example.com",
                              "mail.example.edu", "spam.example.info",
                              "lists.example.org"};
#define NHOSTS (int)(sizeof hosts / sizeof hosts[0])

struct entry {
  char name[32];
  unsigned addr; /* IPv4, host order */
};

/* Lock order: cache.lock before stats.lock, whenever both are held. */
static struct {
  pthread_mutex_t lock; /* guards n and entries */
  int n;
  struct entry entries[MAX_ENTRIES];
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct {
  pthread_mutex_t lock; /* guards hits and misses */
  long hits, misses;
} stats = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Ask the upstream server (simulated: a made-up but stable address). */
static unsigned query_upstream(const char *name) {
  unsigned h = 2166136261u;
  for (const char *p = name; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  return 0x0a000000u | (h & 0xffffu);
}

/* racelab: your work is here -------------------------------------------- */

/* Resolve name through the cache. A miss is answered and stored within the
 * same cache lock hold, so two workers never both insert the same name.
 * Lock order here: cache, then stats. */
static unsigned resolve(const char *name) {
  pthread_mutex_lock(&cache.lock);
  unsigned addr = 0;
  int hit = 0;
  for (int i = 0; i < cache.n; i++)
    if (strcmp(cache.entries[i].name, name) == 0) {
      addr = cache.entries[i].addr;
      hit = 1;
      break;
    }
  if (!hit && cache.n < MAX_ENTRIES) {
    addr = query_upstream(name);
    struct entry *e = &cache.entries[cache.n++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->addr = addr;
  }
  pthread_mutex_lock(&stats.lock);
  if (hit)
    stats.hits++;
  else
    stats.misses++;
  pthread_mutex_unlock(&stats.lock);
  pthread_mutex_unlock(&cache.lock);
  return addr;
}

/* The operator's report: counters and cache size, as one consistent
 * snapshot. It takes the locks in the program's one order, cache before
 * stats, like resolve(): two threads that agree on the order can never
 * each hold the lock the other one waits for. */
static void print_report(void) {
  pthread_mutex_lock(&cache.lock);
  pthread_mutex_lock(&stats.lock);
  printf("lookups %ld\nhits %ld\nmisses %ld\ncached names %d\n",
         stats.hits + stats.misses, stats.hits, stats.misses, cache.n);
  pthread_mutex_unlock(&stats.lock);
  pthread_mutex_unlock(&cache.lock);
}

/* racelab: end of your work --------------------------------------------- */

static unsigned checksums[NWORKERS];

static void *worker_run(void *arg) {
  int id = (int)(long)arg;
  for (int i = 0; i < LOOKUPS; i++)
    checksums[id] += resolve(hosts[(id + i * 3) % NHOSTS]);
  return NULL;
}

int main(void) {
  pthread_t workers[NWORKERS];
  for (int i = 0; i < NWORKERS; i++)
    pthread_create(&workers[i], NULL, worker_run, (void *)(long)i);
  unsigned sum = 0;
  for (int i = 0; i < NWORKERS; i++) {
    pthread_join(workers[i], NULL);
    sum += checksums[i];
  }
  /* In the relay the report can be asked for at any moment; here it runs
   * once the workers are done, so this run itself never blocks. */
  print_report();
  printf("answer checksum %08x\n", sum);
  return 0;
}
