/* pool.c -- a small pthread pool that runs blocking lookups for a crawler.
 *
 * The story: a web crawler must resolve the host name of every link it
 * finds. The resolver call blocks for a network round trip, so the crawler
 * hands lookups to a fixed pool of three threads instead of waiting for
 * each one in turn. (The lookup is simulated here.) The results are right.
 * But since the pool was added, the crawler's memory use creeps up on long
 * runs, and ThreadSanitizer ends every test run with a warning about the
 * pool's threads.
 *
 * Usage: pool
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NWORKERS 3
#define MAX_JOBS 16

/* The blocking call: resolve a host name (simulated: a network round trip
 * of a few milliseconds, then a made-up but stable address). */
static unsigned blocking_resolve(const char *host) {
  unsigned h = 5381;
  for (const char *p = host; *p; p++)
    h = h * 33 + (unsigned char)*p;
  struct timespec rtt = {0, (long)(1 + h % 3) * 1000000L};
  nanosleep(&rtt, NULL);
  return 0xc0a80000u | (h & 0xffffu); /* 192.168.x.y */
}

struct job {
  const char *host;
  unsigned addr; /* the answer, once done */
};

/* The pool: a queue of jobs, a fixed set of workers, one lock. */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t work;       /* signalled when a job is queued or on stop */
  pthread_cond_t idle;       /* signalled when pending drops to 0 */
  struct job *queue[MAX_JOBS];
  int head, tail;            /* queue[head..tail) waits to run */
  int pending;               /* queued or running */
  int stopping;              /* no more jobs: workers exit */
  pthread_t workers[NWORKERS];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .work = PTHREAD_COND_INITIALIZER,
          .idle = PTHREAD_COND_INITIALIZER};

static void *worker_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&pool.lock);
  for (;;) {
    while (pool.head == pool.tail && !pool.stopping)
      pthread_cond_wait(&pool.work, &pool.lock);
    if (pool.head == pool.tail) /* stopping, and nothing left to do */
      break;
    struct job *job = pool.queue[pool.head++];
    pthread_mutex_unlock(&pool.lock);

    unsigned addr = blocking_resolve(job->host); /* outside the lock */

    pthread_mutex_lock(&pool.lock);
    job->addr = addr;
    if (--pool.pending == 0)
      pthread_cond_broadcast(&pool.idle);
  }
  pthread_mutex_unlock(&pool.lock);
  return NULL;
}

static int pool_start(void) {
  for (int i = 0; i < NWORKERS; i++)
    if (pthread_create(&pool.workers[i], NULL, worker_main, NULL) != 0)
      return -1;
  return 0;
}

/* Queue a job; the caller keeps it alive until pool_finish() returns. */
static void pool_submit(struct job *job) {
  pthread_mutex_lock(&pool.lock);
  pool.queue[pool.tail++] = job;
  pool.pending++;
  pthread_cond_signal(&pool.work);
  pthread_mutex_unlock(&pool.lock);
}

/* racelab: your work is here -------------------------------------------- */

/* Wait until every submitted job has run, then shut the pool down. */
static void pool_finish(void) {
  pthread_mutex_lock(&pool.lock);
  while (pool.pending > 0)
    pthread_cond_wait(&pool.idle, &pool.lock);
  pool.stopping = 1;
  pthread_cond_broadcast(&pool.work);
  pthread_mutex_unlock(&pool.lock);
}

/* racelab: end of your work --------------------------------------------- */

int main(void) {
  static const char *links[] = {
      "docs.example.org", "blog.example.com", "cdn.example.net",
      "api.example.io",   "shop.example.com", "wiki.example.org",
      "news.example.net", "mail.example.com", "status.example.io",
  };
  enum { NLINKS = sizeof links / sizeof links[0] };
  struct job jobs[NLINKS];

  if (pool_start() < 0) {
    fprintf(stderr, "pool: cannot start workers\n");
    return 1;
  }
  for (int i = 0; i < NLINKS; i++) {
    jobs[i] = (struct job){links[i], 0};
    pool_submit(&jobs[i]);
  }
  pool_finish();

  for (int i = 0; i < NLINKS; i++) {
    unsigned a = jobs[i].addr;
    printf("%-18s %u.%u.%u.%u\n", jobs[i].host, a >> 24, (a >> 16) & 255,
           (a >> 8) & 255, a & 255);
  }
  return 0;
}
