/* cache.c -- a page cache in front of a slow catalog service.
 *
 * The story: the shop's product pages come from a catalog service that
 * takes a millisecond or more per page. The front end serves requests on
 * four threads, so that while one waits for the catalog the others keep
 * serving, and it keeps rendered pages in a small cache. Since the cache
 * went in, support gets the odd report of a product page showing another
 * product's price, and the nightly byte count wobbles.
 *
 * Usage: cache
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NTHREADS 4
#define REQUESTS 40 /* per thread */
#define NSLOTS 8
#define NPRODUCTS 12

/* The slow part: ask the catalog service for a product page. */
static int catalog_fetch(int id, char *page, size_t size) {
  struct timespec wait = {0, 1000000}; /* 1 ms on the network */
  nanosleep(&wait, NULL);
  return snprintf(page, size, "<h1>Product %d</h1><p>price %d.%02d</p>", id,
                  3 + id * 7 % 40, id * 13 % 100);
}

/* racelab: your work is here -------------------------------------------- */

struct slot {
  int id;         /* the product cached here, if valid */
  int valid;      /* 0 until the first page is stored */
  int len;        /* length of page */
  char page[96];  /* the rendered page */
};

static struct slot cache[NSLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER; /* guards cache */

/* Copy product id's page into out if cached; returns its length or -1.
 * The check and the copy happen under one lock hold, so no cache_put() can
 * slip in between and swap the slot's page under our feet. */
static int cache_get(int id, char *out) {
  int len = -1;
  pthread_mutex_lock(&cache_lock);
  struct slot *s = &cache[id % NSLOTS];
  if (s->valid && s->id == id) {
    memcpy(out, s->page, (size_t)s->len + 1);
    len = s->len;
  }
  pthread_mutex_unlock(&cache_lock);
  return len;
}

/* The slow catalog_fetch() stays outside the lock: holding it across a
 * network wait would make the four threads take turns, one at a time. */
static void cache_put(int id, const char *page, int len) {
  pthread_mutex_lock(&cache_lock);
  struct slot *s = &cache[id % NSLOTS];
  s->id = id;
  s->len = len;
  memcpy(s->page, page, (size_t)len + 1);
  s->valid = 1;
  pthread_mutex_unlock(&cache_lock);
}

/* racelab: end of your work --------------------------------------------- */

/* Serve one request: from the cache if possible, else from the catalog. */
static int serve(int id, char *page, size_t size) {
  int len = cache_get(id, page);
  if (len < 0) {
    len = catalog_fetch(id, page, size);
    cache_put(id, page, len);
  }
  return len;
}

struct worker {
  int first;  /* where this worker starts in the request stream */
  long bytes; /* bytes served, summed over its requests */
  long check; /* a checksum of the pages served */
};

static void *worker_run(void *arg) {
  struct worker *w = arg;
  char page[96];
  for (int i = 0; i < REQUESTS; i++) {
    int id = (w->first + i * 5) % NPRODUCTS; /* a made-up request stream */
    int len = serve(id, page, sizeof page);
    w->bytes += len;
    for (int k = 0; k < len; k++)
      w->check = (w->check * 31 + (unsigned char)page[k]) % 1000003;
  }
  return NULL;
}

int main(void) {
  pthread_t threads[NTHREADS];
  struct worker workers[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    workers[i] = (struct worker){i * 3, 0, 0};
    pthread_create(&threads[i], NULL, worker_run, &workers[i]);
  }
  long bytes = 0, check = 0;
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(threads[i], NULL);
    bytes += workers[i].bytes;
    check = (check + workers[i].check) % 1000003;
  }
  printf("requests %d\nbytes %ld\nchecksum %ld\n", NTHREADS * REQUESTS, bytes,
         check);
  return 0;
}
