/* backup.c -- an online backup that freezes the database only briefly.
 *
 * The story: the nightly backup must copy a consistent snapshot of the
 * database's files, so writes are frozen while the snapshot is taken. But
 * compressing and uploading the snapshot takes minutes, and the shop cannot
 * refuse orders that long. So a backup thread takes the snapshot, tells the
 * main thread "snapshot done" so it can unfreeze the database at once, and
 * then goes on compressing and uploading in the background. The backups
 * are fine. But ThreadSanitizer, run on it for the first time, reports a
 * misuse of a mutex, and the team lead calls the code "undefined
 * behaviour that happens to work on glibc".
 *
 * Usage: backup
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void sleep_ms(long ms) {
  struct timespec t = {0, ms * 1000000L};
  nanosleep(&t, NULL);
}

static const char *files[] = {"orders.db", "orders.wal", "customers.db",
                              "stock.db"};
#define NFILES (int)(sizeof files / sizeof files[0])

/* Results of the backup thread, read by main() at the moments noted. */
static int snapshot_files; /* read after "snapshot done" */
static long uploaded;      /* read after pthread_join() */

/* racelab: your work is here -------------------------------------------- */

/* "Snapshot done": locked by main() before the backup starts, unlocked by
 * the backup thread once the snapshot is taken. main() waits by locking it
 * a second time. */
static pthread_mutex_t snapshot_done = PTHREAD_MUTEX_INITIALIZER;

static void gate_close(void) { pthread_mutex_lock(&snapshot_done); }
static void gate_open(void) { pthread_mutex_unlock(&snapshot_done); }
static void gate_wait(void) {
  pthread_mutex_lock(&snapshot_done);
  pthread_mutex_unlock(&snapshot_done);
}

/* racelab: end of your work --------------------------------------------- */

static void *backup_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < NFILES; i++) {
    sleep_ms(1); /* copy-on-write snapshot of one file */
    snapshot_files++;
  }
  gate_open(); /* main() may unfreeze the database now */

  long bytes = 0;
  for (int i = 0; i < NFILES; i++) {
    sleep_ms(2); /* compress and upload one file */
    bytes += 1000 + 37 * (long)strlen(files[i]); /* compressed size */
  }
  uploaded = bytes;
  return NULL;
}

int main(void) {
  pthread_t backup;
  printf("database frozen\n");
  gate_close();
  if (pthread_create(&backup, NULL, backup_thread, NULL) != 0)
    return 1;

  gate_wait();
  printf("snapshot of %d files taken\n", snapshot_files);
  printf("database writable again\n");

  pthread_join(backup, NULL);
  printf("uploaded %ld bytes\n", uploaded);
  return 0;
}
