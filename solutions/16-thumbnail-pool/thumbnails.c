/* thumbnails.c -- make thumbnails on libuv's thread pool.
 *
 * The story: a photo-sharing app's upload service runs on one libuv loop,
 * which must never block: it handles hundreds of uploads at once. Scaling
 * an image down is CPU work, so each one goes to the thread pool with
 * uv_queue_work(). (Images are generated in memory here.) The service also
 * keeps running statistics for its dashboard. The thumbnails are fine; the
 * dashboard numbers are sometimes off, and ThreadSanitizer, in the nightly
 * test, complains about the statistics every time.
 *
 * Usage: thumbnails
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define NIMAGES 8
#define SRC_SIDE 512 /* every upload is SRC_SIDE x SRC_SIDE, 8-bit grey */
#define THUMB_SIDE 32

struct job {
  uv_work_t req;
  int id;
  uint8_t *pixels;      /* the upload, owned by the job */
  uint8_t thumb[THUMB_SIDE * THUMB_SIDE];
  unsigned mean;        /* average brightness of the thumbnail */
};

/* Dashboard statistics. */
static struct {
  int thumbnails;    /* thumbnails made */
  long pixels_read;  /* source pixels scaled */
} stats;

static uv_loop_t loop;
static uv_timer_t dashboard;    /* refreshes the dashboard every millisecond */
static int finished;            /* jobs delivered, loop thread only */
static unsigned means[NIMAGES]; /* per upload, filled on the loop thread */

/* On the loop thread: show the statistics while the pool works. */
static void refresh_dashboard(uv_timer_t *t) {
  (void)t;
  fprintf(stderr, "\rdashboard: %d thumbnails, %ld pixels", stats.thumbnails,
          stats.pixels_read);
}

/* Box filter: each thumbnail pixel is the mean of a block of the source. */
static unsigned scale_down(const uint8_t *src, uint8_t *dst) {
  const int k = SRC_SIDE / THUMB_SIDE;
  unsigned long sum_all = 0;
  for (int ty = 0; ty < THUMB_SIDE; ty++)
    for (int tx = 0; tx < THUMB_SIDE; tx++) {
      unsigned sum = 0;
      for (int y = 0; y < k; y++)
        for (int x = 0; x < k; x++)
          sum += src[(ty * k + y) * SRC_SIDE + tx * k + x];
      dst[ty * THUMB_SIDE + tx] = (uint8_t)(sum / (unsigned)(k * k));
      sum_all += dst[ty * THUMB_SIDE + tx];
    }
  return (unsigned)(sum_all / (THUMB_SIDE * THUMB_SIDE));
}

/* racelab: your work is here -------------------------------------------- */

/* On a pool thread: the CPU work. It touches only its own job, so the
 * pool threads share nothing and need no lock. */
static void make_thumbnail(uv_work_t *req) {
  struct job *job = req->data;
  job->mean = scale_down(job->pixels, job->thumb);
}

/* On the loop thread, after make_thumbnail() has returned. libuv runs the
 * after-work callbacks one at a time on the loop thread -- the same thread
 * as refresh_dashboard() -- so the statistics are updated here, lock-free. */
static void thumbnail_done(uv_work_t *req, int status) {
  struct job *job = req->data;
  if (status == 0) {
    means[job->id] = job->mean;
    stats.thumbnails++;
    stats.pixels_read += SRC_SIDE * SRC_SIDE;
  }
  free(job->pixels);
  free(job);
  if (++finished == NIMAGES) {
    fprintf(stderr, "\n");
    uv_close((uv_handle_t *)&dashboard, NULL);
  }
}

/* racelab: end of your work --------------------------------------------- */

/* A made-up upload: a gradient with a pattern that depends on id. */
static uint8_t *fake_upload(int id) {
  uint8_t *p = malloc(SRC_SIDE * SRC_SIDE);
  if (p == NULL)
    return NULL;
  for (int y = 0; y < SRC_SIDE; y++)
    for (int x = 0; x < SRC_SIDE; x++)
      p[y * SRC_SIDE + x] = (uint8_t)(((x + y) * (id + 1) / 8 + (x ^ y) % 7) % 256);
  return p;
}

int main(void) {
  uv_loop_init(&loop);
  uv_timer_init(&loop, &dashboard);
  uv_timer_start(&dashboard, refresh_dashboard, 1, 1);
  for (int i = 0; i < NIMAGES; i++) {
    struct job *job = calloc(1, sizeof *job);
    if (job == NULL || (job->pixels = fake_upload(i)) == NULL) {
      free(job);
      return 1;
    }
    job->id = i;
    job->req.data = job;
    uv_queue_work(&loop, &job->req, make_thumbnail, thumbnail_done);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (int i = 0; i < NIMAGES; i++)
    printf("upload %d: %dx%d thumbnail, mean brightness %u\n", i, THUMB_SIDE,
           THUMB_SIDE, means[i]);
  printf("thumbnails %d, source pixels %ld\n", stats.thumbnails,
         stats.pixels_read);
  return uv_loop_close(&loop) == 0 ? 0 : 1;
}
