/* errscan.c -- count ERROR lines in many log files, one process per file.
 *
 * The story: the on-call engineer runs this over the web servers' logs
 * every morning: one child process per file scans for ERROR lines and
 * reports its count back through a pipe, and the parent prints the table.
 * Scanning big logs is CPU and disk work, so processes spread it over the
 * cores. After a refactoring that moved the pipe set-up around, errscan
 * scans everything (the children exit) and then never prints anything.
 * It just sits there until someone presses Ctrl-C.
 *
 * Usage: errscan FILE...
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FILES 8

/* Count the lines of path that contain " ERROR ", or return -1. */
static long count_errors(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[512];
  long n = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, " ERROR "))
      n++;
  fclose(f);
  return n;
}

/* The child's whole life: scan one file, send one line "index count\n".
 * One short write() on a pipe is atomic (under PIPE_BUF bytes), so lines
 * from different children never interleave. */
static void child_main(int index, const char *path, int out) {
  char msg[64];
  int len = snprintf(msg, sizeof msg, "%d %ld\n", index, count_errors(path));
  _exit(write(out, msg, (size_t)len) == len ? 0 : 1);
}

int main(int argc, char **argv) {
  int nfiles = argc - 1;
  if (nfiles < 1 || nfiles > MAX_FILES) {
    fprintf(stderr, "usage: %s FILE... (at most %d)\n", argv[0], MAX_FILES);
    return 2;
  }

  /* racelab: your work is here ------------------------------------------ */

  /* One pipe for all the children's reports. */
  int fds[2];
  if (pipe(fds) < 0) {
    perror("pipe");
    return 1;
  }
  pid_t pids[MAX_FILES];
  for (int i = 0; i < nfiles; i++) {
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("fork");
      return 1;
    }
    if (pids[i] == 0) {
      close(fds[0]); /* the child only writes */
      child_main(i, argv[i + 1], fds[1]);
    }
  }

  /* Read reports until the pipe says end-of-file, i.e. every writer is done. */
  long counts[MAX_FILES];
  for (int i = 0; i < nfiles; i++)
    counts[i] = -1;
  char buf[512];
  size_t used = 0;
  ssize_t r;
  while ((r = read(fds[0], buf + used, sizeof buf - 1 - used)) > 0)
    used += (size_t)r;
  close(fds[0]);

  /* racelab: end of your work ------------------------------------------- */

  buf[used] = '\0';
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    int index;
    long count;
    if (sscanf(line, "%d %ld", &index, &count) == 2 && index >= 0 &&
        index < nfiles)
      counts[index] = count;
  }
  int failed = 0;
  for (int i = 0; i < nfiles; i++) {
    int status;
    if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      failed = 1;
  }
  long total = 0;
  for (int i = 0; i < nfiles; i++) {
    printf("%-20s %ld\n", argv[i + 1], counts[i]);
    total += counts[i] > 0 ? counts[i] : 0;
  }
  printf("%-20s %ld\n", "total", total);
  return failed;
}
