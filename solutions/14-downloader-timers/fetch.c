/* fetch.c -- a podcast downloader on one event loop, with a progress line.
 *
 * The story: the downloader fetches the week's episodes at once: each
 * download is an operation started on one libuv loop, and the loop runs
 * whichever one can make progress. (Here the network is simulated with a
 * timer per episode, so the program runs anywhere.) Each episode is saved
 * with libuv's asynchronous file requests. A repeating timer shows
 * progress. Every episode arrives intact, yet the program ends with
 * "uv_loop_close: resource busy or locked" and exit status 1, so the cron
 * job that runs it reports a failure every single night.
 *
 * Usage: fetch   (saves into $TMPDIR)
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define NEPISODES 4

/* One download: a simulated network wait, then open, write, close. */
struct download {
  const char *name;
  unsigned latency_ms; /* how long the "network" takes */
  uv_timer_t network;  /* fires when the body has arrived */
  uv_fs_t req;         /* the file request in progress */
  uv_file fd;
  char path[512];
  char body[256];
  uv_buf_t buf;
  size_t saved; /* bytes written, once done */
};

static uv_loop_t loop;
static uv_timer_t progress; /* repeating: prints how far we are */
static int finished;        /* downloads done, ok or not */
static struct download episodes[NEPISODES] = {
    {.name = "ep101-threads.mp3", .latency_ms = 9},
    {.name = "ep102-locks.mp3", .latency_ms = 3},
    {.name = "ep103-loops.mp3", .latency_ms = 12},
    {.name = "ep104-forks.mp3", .latency_ms = 6},
};

static void on_closed_timer(uv_handle_t *h) { (void)h; }

/* The last step of a download: the file is closed. */
static void on_file_closed(uv_fs_t *req) {
  uv_fs_req_cleanup(req);
  finished++;
}

static void on_written(uv_fs_t *req) {
  struct download *d = req->data;
  if (req->result >= 0)
    d->saved = (size_t)req->result;
  uv_fs_req_cleanup(req);
  uv_fs_close(&loop, &d->req, d->fd, on_file_closed);
}

static void on_opened(uv_fs_t *req) {
  struct download *d = req->data;
  d->fd = (uv_file)req->result;
  uv_fs_req_cleanup(req);
  if (d->fd < 0) {
    fprintf(stderr, "fetch: %s: %s\n", d->path, uv_strerror(d->fd));
    finished++;
    return;
  }
  d->buf = uv_buf_init(d->body, (unsigned)strlen(d->body));
  uv_fs_write(&loop, &d->req, d->fd, &d->buf, 1, 0, on_written);
}

/* The body has "arrived": save it. The network timer is done for good. */
static void on_arrived(uv_timer_t *t) {
  struct download *d = t->data;
  uv_close((uv_handle_t *)t, on_closed_timer);
  snprintf(d->body, sizeof d->body, "ID3 fake audio for %s, %u ms away\n",
           d->name, d->latency_ms);
  uv_fs_open(&loop, &d->req, d->path, O_WRONLY | O_CREAT | O_TRUNC, 0644,
             on_opened);
}

/* racelab: your work is here -------------------------------------------- */

/* Every 2 ms: report progress; once everything is in, stop reporting.
 * uv_close(), not just uv_timer_stop(): a stopped timer still belongs to
 * the loop, and uv_loop_close() refuses to close a loop that still owns a
 * handle. Closing also stops it; uv_run() runs on_closed_timer() before it
 * returns. */
static void on_progress(uv_timer_t *t) {
  fprintf(stderr, "\rfetch: %d/%d episodes", finished, NEPISODES);
  if (finished == NEPISODES) {
    fprintf(stderr, "\n");
    uv_close((uv_handle_t *)t, on_closed_timer);
  }
}

/* racelab: end of your work --------------------------------------------- */

int main(void) {
  const char *dir = getenv("TMPDIR");
  uv_loop_init(&loop);
  for (int i = 0; i < NEPISODES; i++) {
    struct download *d = &episodes[i];
    snprintf(d->path, sizeof d->path, "%s/%s", dir ? dir : "/tmp", d->name);
    d->req.data = d;
    d->network.data = d;
    uv_timer_init(&loop, &d->network);
    uv_timer_start(&d->network, on_arrived, d->latency_ms, 0);
  }
  uv_timer_init(&loop, &progress);
  uv_timer_start(&progress, on_progress, 2, 2);

  uv_run(&loop, UV_RUN_DEFAULT);

  size_t total = 0;
  for (int i = 0; i < NEPISODES; i++) {
    printf("%-20s %3zu bytes\n", episodes[i].name, episodes[i].saved);
    total += episodes[i].saved;
  }
  printf("%d episodes, %zu bytes\n", NEPISODES, total);

  int rc = uv_loop_close(&loop);
  if (rc != 0) {
    fprintf(stderr, "fetch: uv_loop_close: %s\n", uv_strerror(rc));
    return 1;
  }
  return 0;
}
