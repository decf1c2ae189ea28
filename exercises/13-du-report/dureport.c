/* dureport.c -- how much space each part of a web site takes.
 *
 * The story: the deploy script prints this report before it uploads the
 * site, and the budget tool parses it. Each directory is measured by its
 * own child process (on the real site, with thousands of files on a slow
 * network disk, this overlaps the waits), and the children send their
 * totals back through pipes. In a terminal the report looks perfect. In
 * the deploy log, and for the budget tool reading it from a pipe, the title
 * comes out four times, and the tool refuses to parse it.
 *
 * Usage: dureport DIR...
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_DIRS 8

/* Total size in bytes of the regular files directly inside dir, or -1. */
static long dir_bytes(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return -1;
  long total = 0;
  struct dirent *e;
  char path[1024];
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
      total += (long)st.st_size;
  }
  closedir(d);
  return total;
}

/* Read exactly n bytes; 0 on success, -1 on error or early end-of-file. */
static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r <= 0)
      return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int main(int argc, char **argv) {
  int ndirs = argc - 1;
  if (ndirs < 1 || ndirs > MAX_DIRS) {
    fprintf(stderr, "usage: %s DIR... (at most %d)\n", argv[0], MAX_DIRS);
    return 2;
  }
  printf("Disk usage report\n");
  printf("=================\n");

  /* racelab: your work is here ------------------------------------------ */

  pid_t pids[MAX_DIRS];
  int fds[MAX_DIRS];
  for (int i = 0; i < ndirs; i++) {
    int p[2];
    if (pipe(p) < 0) {
      perror("pipe");
      return 1;
    }
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("fork");
      return 1;
    }
    if (pids[i] == 0) {
      /* The child: measure one directory, send the number, done. */
      close(p[0]);
      long bytes = dir_bytes(argv[i + 1]);
      int ok = write(p[1], &bytes, sizeof bytes) == (ssize_t)sizeof bytes;
      exit(ok ? 0 : 1);
    }
    close(p[1]);
    fds[i] = p[0];
  }

  /* racelab: end of your work ------------------------------------------- */

  long total = 0;
  int failed = 0;
  for (int i = 0; i < ndirs; i++) {
    long bytes = -1;
    if (read_all(fds[i], &bytes, sizeof bytes) < 0 || bytes < 0)
      failed = 1;
    close(fds[i]);
    int status;
    if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      failed = 1;
    printf("%-12s %8ld\n", argv[i + 1], bytes);
    total += bytes > 0 ? bytes : 0;
  }
  printf("%-12s %8ld\n", "total", total);
  return failed;
}
