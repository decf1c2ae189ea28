/* checksum.c -- CRC-32 manifest for a release folder, on libuv's thread pool.
 *
 * The story: before a release is uploaded, this tool prints a CRC-32 for
 * every file and a total, and the upload script compares them with the
 * mirror. Reading files blocks, so the author hands each file to libuv's
 * thread pool with uv_queue_work() instead of reading them one by one. Since
 * that change the manifest says every file's CRC is 00000000 and the release
 * holds "0 files, 0 bytes". The program does not crash and exits 0, so the
 * upload script happily compared garbage for a week.
 *
 * Usage: checksum FILE...
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <uv.h>

#define MAX_FILES 16

/* One file's job. The pool thread fills crc_work/size_work/error_work; the
 * loop thread publishes them into crc/size in checksum_done(). */
struct job {
  uv_work_t req;       /* req.data points back to this job */
  const char *path;
  uint32_t crc_work;   /* written by the pool thread only */
  long size_work;      /* written by the pool thread only */
  int error_work;      /* written by the pool thread only */
  uint32_t crc;        /* published on the loop thread */
  long size;           /* published on the loop thread */
};

/* The manifest totals, touched only on the loop thread. */
static struct {
  int files;
  long bytes;
} totals;

/* Static, not on main's stack: the pool threads hold pointers into both. */
static uv_loop_t loop;
static struct job jobs[MAX_FILES];

/* Plain bitwise CRC-32 (IEEE 802.3), slow on purpose: this is the CPU part. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n) {
  crc = ~crc;
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/* Runs on a pool thread: blocking reads are fine here, the loop is free. */
static void checksum_work(uv_work_t *req) {
  struct job *job = req->data;
  /* Release folders live on a network share: opening a file costs a round
   * trip (simulated here, so the program behaves the same on any disk). */
  struct timespec rtt = {0, 30000000}; /* 30 ms */
  nanosleep(&rtt, NULL);
  FILE *f = fopen(job->path, "rb");
  if (f == NULL) {
    job->error_work = 1;
    return;
  }
  unsigned char buf[4096];
  size_t n;
  uint32_t crc = 0;
  long size = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    crc = crc32_update(crc, buf, n);
    size += (long)n;
  }
  fclose(f);
  job->crc_work = crc;
  job->size_work = size;
}

/* Runs on the loop thread, inside uv_run(), once checksum_work() returned:
 * the one place where a job's result may be read. */
static void checksum_done(uv_work_t *req, int status) {
  struct job *job = req->data;
  if (status != 0 || job->error_work) {
    fprintf(stderr, "checksum: cannot read %s\n", job->path);
    return;
  }
  job->crc = job->crc_work;
  job->size = job->size_work;
  totals.files++;
  totals.bytes += job->size;
}

static void print_manifest(int n) {
  for (int i = 0; i < n; i++)
    printf("%08x  %6ld  %s\n", (unsigned)jobs[i].crc, jobs[i].size,
           jobs[i].path);
  printf("%d files, %ld bytes\n", totals.files, totals.bytes);
}

int main(int argc, char **argv) {
  int n = argc - 1;
  if (n < 1 || n > MAX_FILES) {
    fprintf(stderr, "usage: %s FILE... (at most %d)\n", argv[0], MAX_FILES);
    return 2;
  }
  uv_loop_init(&loop);
  for (int i = 0; i < n; i++) {
    jobs[i].path = argv[i + 1];
    jobs[i].req.data = &jobs[i];
    uv_queue_work(&loop, &jobs[i].req, checksum_work, checksum_done);
  }

  /* racelab: your work is here ------------------------------------------ */

  /* All the files are queued: print what they hashed to. */
  print_manifest(n);

  /* Let libuv deliver whatever has finished, without blocking. */
  uv_run(&loop, UV_RUN_NOWAIT);

  /* racelab: end of your work ------------------------------------------- */

  int rc = uv_loop_close(&loop);
  if (rc != 0)
    fprintf(stderr, "checksum: uv_loop_close: %s\n", uv_strerror(rc));
  return 0;
}
