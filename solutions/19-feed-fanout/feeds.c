/* feeds.c -- refresh news feeds with at most three requests in flight.
 *
 * The story: a feed reader refreshes all its subscriptions on one libuv
 * loop. Starting every request at once would hammer the network and some
 * servers rate-limit, so at most MAX_IN_FLIGHT fetches run at a time: each
 * finished fetch starts the next one. A deadline timer gives up on the
 * whole batch if it takes too long. (The network is simulated with a timer
 * per fetch.) Users complain that the last few feeds in the list are
 * "never updated", and the reader logs "uv_loop_close: resource busy" on
 * every refresh.
 *
 * Usage: feeds
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdio.h>
#include <uv.h>

#define NFEEDS 10
#define MAX_IN_FLIGHT 3
#define DEADLINE_MS 5000

struct fetch {
  const char *feed;
  unsigned latency_ms; /* how long this server takes to answer */
  uv_timer_t network;  /* fires when the answer has "arrived" */
  int items;           /* new items, once fetched; -1 until then */
};

static struct fetch fetches[NFEEDS] = {
    {.feed = "lwn.example", .latency_ms = 7},
    {.feed = "hn.example", .latency_ms = 2},
    {.feed = "rust.example", .latency_ms = 5},
    {.feed = "kernel.example", .latency_ms = 9},
    {.feed = "bbc.example", .latency_ms = 3},
    {.feed = "arxiv.example", .latency_ms = 11},
    {.feed = "weather.example", .latency_ms = 4},
    {.feed = "lobsters.example", .latency_ms = 6},
    {.feed = "xkcd.example", .latency_ms = 8},
    {.feed = "status.example", .latency_ms = 3},
};

static uv_loop_t loop;
static uv_timer_t deadline;
static int next;          /* index of the next fetch to start */
static int in_flight;     /* started, not finished */
static int max_in_flight; /* the most ever in flight at once */

static void start_fetch(struct fetch *f);

/* racelab: your work is here -------------------------------------------- */

static int completed; /* fetches finished */

/* Every fetch has completed. Close the deadline timer, the last handle
 * keeping the loop alive; uv_run() then returns by itself, with nothing
 * left pending. (uv_stop() would return at once, abandoning whatever is
 * still in flight.) */
static void finish_batch(void) {
  uv_close((uv_handle_t *)&deadline, NULL);
}

/* A fetch's answer has arrived. */
static void on_fetched(uv_timer_t *t) {
  struct fetch *f = t->data;
  f->items = (int)(f->latency_ms * 3 % 7) + 1;
  in_flight--;
  completed++;
  uv_close((uv_handle_t *)t, NULL);

  if (next < NFEEDS)
    start_fetch(&fetches[next++]); /* a slot is free: keep the pipe full */
  else if (completed == NFEEDS)
    finish_batch(); /* nothing left to start and nothing left to wait for */
}

/* racelab: end of your work --------------------------------------------- */

static void start_fetch(struct fetch *f) {
  f->items = -1;
  f->network.data = f;
  uv_timer_init(&loop, &f->network);
  uv_timer_start(&f->network, on_fetched, f->latency_ms, 0);
  if (++in_flight > max_in_flight)
    max_in_flight = in_flight;
}

static void on_deadline(uv_timer_t *t) {
  (void)t;
  fprintf(stderr, "feeds: batch took longer than %d ms, giving up\n",
          DEADLINE_MS);
  uv_stop(&loop);
}

int main(void) {
  uv_loop_init(&loop);
  uv_timer_init(&loop, &deadline);
  uv_timer_start(&deadline, on_deadline, DEADLINE_MS, 0);
  for (int i = 0; i < NFEEDS; i++)
    fetches[i].items = -1;
  while (next < MAX_IN_FLIGHT && next < NFEEDS)
    start_fetch(&fetches[next++]);

  uv_run(&loop, UV_RUN_DEFAULT);

  int total = 0;
  for (int i = 0; i < NFEEDS; i++) {
    if (fetches[i].items < 0) {
      printf("%-18s not updated\n", fetches[i].feed);
      continue;
    }
    printf("%-18s %d new\n", fetches[i].feed, fetches[i].items);
    total += fetches[i].items;
  }
  printf("%d new items, at most %d fetches in flight\n", total, max_in_flight);

  int rc = uv_loop_close(&loop);
  if (rc != 0)
    fprintf(stderr, "feeds: uv_loop_close: %s\n", uv_strerror(rc));
  return 0;
}
