/* download.c -- fetch a photo gallery, one thread per image.
 *
 * The story: a static-site generator downloads the gallery's photos from a
 * storage bucket before it builds the pages. Each download mostly waits on
 * the network, so each photo gets its own thread and the waits overlap. The
 * gallery always comes out complete on the author's machine. On the CI
 * server, once in a while, the page is built with a photo missing, and
 * ThreadSanitizer prints a warning nobody understood at the end of every
 * run.
 *
 * Usage: download
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NPHOTOS 5

static const char *photos[NPHOTOS] = {"harbour.jpg", "lighthouse.jpg",
                                      "market.jpg", "ferry.jpg", "dunes.jpg"};

/* What the gallery page needs to know, filled in as downloads finish. */
static struct {
  pthread_mutex_t lock; /* guards everything below */
  int done[NPHOTOS];    /* 1 once photo i is on disk */
  long size[NPHOTOS];   /* its size in bytes */
} gallery = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Simulate fetching photo i: a network wait, then some bytes. Photos are
 * listed smallest first, so later ones take longer. */
static void *fetch_photo(void *arg) {
  int i = (int)(long)arg;
  struct timespec wait = {0, (i + 1) * 3000000L}; /* 3, 6, ... 15 ms */
  nanosleep(&wait, NULL);
  long size = 40000 + 7919L * (long)strlen(photos[i]) * (i + 1);

  pthread_mutex_lock(&gallery.lock);
  gallery.done[i] = 1;
  gallery.size[i] = size;
  pthread_mutex_unlock(&gallery.lock);
  return NULL;
}

/* Print the gallery index; a photo that is not there yet is flagged. */
static void print_gallery(void) {
  long total = 0;
  pthread_mutex_lock(&gallery.lock);
  for (int i = 0; i < NPHOTOS; i++) {
    if (gallery.done[i])
      printf("%-16s %7ld bytes\n", photos[i], gallery.size[i]);
    else
      printf("%-16s MISSING\n", photos[i]);
    total += gallery.size[i];
  }
  pthread_mutex_unlock(&gallery.lock);
  printf("total %ld bytes\n", total);
}

int main(void) {
  /* racelab: your work is here ------------------------------------------ */

  /* One pthread_t per thread: a thread id is the only handle by which it
   * can be joined, so none may be overwritten before its join. */
  pthread_t tids[NPHOTOS];
  int started = 0;
  for (int i = 0; i < NPHOTOS; i++) {
    if (pthread_create(&tids[i], NULL, fetch_photo, (void *)(long)i) != 0) {
      perror("pthread_create");
      break;
    }
    started++;
  }
  /* Wait for every download before building the page -- also on the error
   * path, so that no thread outlives main(). */
  for (int i = 0; i < started; i++)
    pthread_join(tids[i], NULL);
  if (started < NPHOTOS)
    return 1;

  /* racelab: end of your work ------------------------------------------- */

  print_gallery();
  return 0;
}
