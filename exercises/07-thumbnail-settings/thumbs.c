/* thumbs.c -- a thumbnail pipeline whose workers wait for their settings.
 *
 * The story: the photo service starts its thumbnail workers as early as
 * possible, because each one needs a while to connect to the image store.
 * Meanwhile main() reads settings.conf (the thumbnail size, the JPEG
 * quality) and then tells the workers to go. It worked while the settings
 * came from a slow network share. Since they moved to a local file, the
 * service hangs at start-up almost every time: all workers asleep, CPU at
 * zero, nothing in the logs.
 *
 * Usage: thumbs
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NWORKERS 3

struct image {
  const char *name;
  int width, height;
};

static const struct image images[] = {
    {"beach.jpg", 4032, 3024}, {"cat.png", 1200, 1600},
    {"receipt.jpg", 900, 2400}, {"skyline.jpg", 6000, 2000},
    {"avatar.png", 512, 512},  {"map.png", 3000, 3000},
};
#define NIMAGES (int)(sizeof images / sizeof images[0])

struct settings {
  int max_side; /* longest side of a thumbnail, in pixels */
  int quality;  /* JPEG quality, 1..100 */
};

/* racelab: your work is here -------------------------------------------- */

static pthread_mutex_t settings_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t settings_loaded = PTHREAD_COND_INITIALIZER;
static struct settings settings; /* guarded by settings_lock */

/* Called by main() once settings.conf has been read. */
static void publish_settings(const struct settings *s) {
  pthread_mutex_lock(&settings_lock);
  settings = *s;
  pthread_cond_broadcast(&settings_loaded);
  pthread_mutex_unlock(&settings_lock);
}

/* Called by each worker: block until main() has published the settings. */
static struct settings wait_for_settings(void) {
  pthread_mutex_lock(&settings_lock);
  pthread_cond_wait(&settings_loaded, &settings_lock);
  struct settings s = settings;
  pthread_mutex_unlock(&settings_lock);
  return s;
}

/* racelab: end of your work --------------------------------------------- */

/* Results, one line per image, written by the worker that made it. */
static char lines[NIMAGES][80];

static void *worker_run(void *arg) {
  int id = (int)(long)arg;
  /* Connecting to the image store takes a while. */
  struct timespec connect = {0, 20000000}; /* 20 ms */
  nanosleep(&connect, NULL);

  struct settings s = wait_for_settings();
  for (int i = id; i < NIMAGES; i += NWORKERS) {
    const struct image *im = &images[i];
    int longest = im->width > im->height ? im->width : im->height;
    int w = im->width * s.max_side / longest;
    int h = im->height * s.max_side / longest;
    snprintf(lines[i], sizeof lines[i], "%-12s %4dx%-4d -> %3dx%-3d q%d",
             im->name, im->width, im->height, w, h, s.quality);
  }
  return NULL;
}

/* Read "key = value" lines; unknown keys and comments are ignored. */
static int load_settings(const char *path, struct settings *s) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[128];
  *s = (struct settings){128, 75}; /* defaults */
  while (fgets(line, sizeof line, f)) {
    int v;
    if (sscanf(line, " max_side = %d", &v) == 1)
      s->max_side = v;
    else if (sscanf(line, " quality = %d", &v) == 1)
      s->quality = v;
  }
  fclose(f);
  return 0;
}

int main(void) {
  pthread_t workers[NWORKERS];
  for (int i = 0; i < NWORKERS; i++)
    pthread_create(&workers[i], NULL, worker_run, (void *)(long)i);

  struct settings s;
  if (load_settings("settings.conf", &s) < 0) {
    perror("settings.conf");
    return 1;
  }
  publish_settings(&s);

  for (int i = 0; i < NWORKERS; i++)
    pthread_join(workers[i], NULL);
  for (int i = 0; i < NIMAGES; i++)
    puts(lines[i]);
  return 0;
}
