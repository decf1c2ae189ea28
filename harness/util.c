/* util.c -- allocation, strings, files, paths and the clock for the harness. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void out_of_memory(void) {
  fputs("racelab: out of memory\n", stderr);
  exit(RL_EXIT_INTERNAL);
}

void *rl_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

void *rl_xcalloc(size_t count, size_t n) {
  void *p = calloc(count ? count : 1, n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

void *rl_xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

char *rl_xstrdup(const char *s) { return rl_xstrndup(s, strlen(s)); }

char *rl_xstrndup(const char *s, size_t n) {
  char *p = rl_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *rl_xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s;
  if (vasprintf(&s, fmt, ap) < 0) out_of_memory();
  va_end(ap);
  return s;
}

char *rl_read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = rl_xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) buf = rl_xrealloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      close(fd);
      errno = e;
      return NULL;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

char *rl_read_untrusted_file(const char *path, size_t max, size_t *len) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    errno = EINVAL;
    return NULL;
  }
  size_t cap = (size_t)st.st_size < max ? (size_t)st.st_size : max, n = 0;
  char *data = rl_xmalloc(cap + 1);
  ssize_t r;
  while (n < cap && ((r = read(fd, data + n, cap - n)) > 0 || (r < 0 && errno == EINTR)))
    if (r > 0) n += (size_t)r;
  close(fd);
  data[n] = '\0';
  *len = n;
  return data;
}

int rl_write_file_atomic(const char *path, const char *data, size_t len) {
  char *tmp = rl_xasprintf("%s.tmp.%d", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = 0;
  if (fd < 0) {
    err = -errno;
  } else {
    size_t off = 0;
    while (off < len) {
      ssize_t w = write(fd, data + off, len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) { err = -errno; break; }
      off += (size_t)w;
    }
    if (!err && fsync(fd) != 0) err = -errno;
    if (close(fd) != 0 && !err) err = -errno;
    if (!err && rename(tmp, path) != 0) err = -errno;
    if (err) unlink(tmp);
  }
  free(tmp);
  return err;
}

char *rl_find_program(const char *name) {
  if (strchr(name, '/')) return access(name, X_OK) == 0 ? rl_xstrdup(name) : NULL;
  const char *env = getenv("PATH");
  char *dirs = rl_xstrdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin"), *save = NULL, *found = NULL;
  for (char *dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
    char *candidate = rl_path_join(dir, name);
    if (access(candidate, X_OK) == 0) found = candidate;
    else free(candidate);
  }
  free(dirs);
  return found;
}

char *rl_path_join(const char *dir, const char *name) {
  if (name[0] == '/') return rl_xstrdup(name);
  size_t n = strlen(dir);
  return rl_xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

const char *rl_path_basename(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

int rl_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int rl_is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int rl_mkdirs(const char *path) {
  char *p = rl_xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      int e = errno;
      free(p);
      return -e;
    }
    *s = '/';
  }
  int rc = mkdir(p, 0755) != 0 && errno != EEXIST ? -errno : 0;
  free(p);
  return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int rl_remove_tree(const char *path) {
  return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 ? -errno : 0;
}

char **rl_split_words(const char *s, size_t *count) {
  size_t n = 0, cap = 4;
  char **v = rl_xmalloc(cap * sizeof *v);
  while (*s) {
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) break;
    const char *start = s;
    while (*s && *s != ' ' && *s != '\t') s++;
    if (n + 2 > cap) v = rl_xrealloc(v, (cap *= 2) * sizeof *v);
    v[n++] = rl_xstrndup(start, (size_t)(s - start));
  }
  v[n] = NULL;
  if (count) *count = n;
  return v;
}

void rl_free_strv(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

char *rl_text_line(const char *text, int n) {
  for (int i = 1; i < n && text; i++) {
    text = strchr(text, '\n');
    if (text) text++;
  }
  if (!text || !*text || n < 1) return NULL;
  const char *end = strchr(text, '\n');
  return rl_xstrndup(text, end ? (size_t)(end - text) : strlen(text));
}

long rl_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rl_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}
