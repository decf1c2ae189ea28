/* rlrt_log.c -- the event-log writer: builds one line in a fixed buffer and
 * writes it with a raw write(2). No stdio, no malloc, no locks, so it is
 * async-signal-safe and invisible to TSan (whose fd interceptors would turn
 * the log into synchronization between the program's threads). It does not
 * decide what to log. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rlrt_internal.h"
#include "rlrt_protocol.h"

static _Atomic int log_fd = -1;

long rlrt__sys_write(int fd, const void *buf, size_t n) {
  return syscall(SYS_write, fd, buf, n);
}

void rlrt__sys_sleep_us(unsigned us) {
  struct timespec ts = {us / 1000000u, (long)(us % 1000000u) * 1000};
  syscall(SYS_nanosleep, &ts, NULL);
}

void rlrt__put(rlrt_line *l, const char *s) {
  while (*s && l->n < sizeof l->b - 1)
    l->b[l->n++] = *s++;
}

void rlrt__put_dec(rlrt_line *l, uint64_t v) {
  char tmp[24];
  int i = 0;
  do {
    tmp[i++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (i > 0 && l->n < sizeof l->b - 1)
    l->b[l->n++] = tmp[--i];
}

void rlrt__put_hex(rlrt_line *l, uint64_t v) {
  char tmp[16];
  int i = 0;
  do {
    tmp[i++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  while (i > 0 && l->n < sizeof l->b - 1)
    l->b[l->n++] = tmp[--i];
}

void rlrt__put_tid(rlrt_line *l, int idx) {
  if (idx < 0) {
    rlrt__put(l, "-");
    return;
  }
  rlrt__put(l, "T");
  rlrt__put_dec(l, (uint64_t)idx);
}

void rlrt__put_obj(rlrt_line *l, const rlrt_obj *o) {
  char name[16];
  rlrt__obj_name(o, name);
  rlrt__put(l, name);
}

void rlrt__put_stack(rlrt_line *l, const rlrt_stack *st) {
  if (st->n == 0)
    rlrt__put(l, "-");
  for (uint32_t i = 0; i < st->n; i++) {
    if (i)
      rlrt__put(l, ",");
    rlrt__put_hex(l, st->ip[i]);
  }
}

void rlrt__emit(rlrt_line *l) {
  int fd = atomic_load_explicit(&log_fd, memory_order_relaxed);
  if (fd < 0)
    return;
  l->b[l->n++] = '\n'; /* put() always leaves room for it */
  rlrt__sys_write(fd, l->b, l->n);
}

int rlrt__log_open(void) {
  rlrt_line path = {.n = 0};
  pid_t pid = (pid_t)syscall(SYS_getpid);
  rlrt__put(&path, rlrt__cfg.log_prefix);
  rlrt__put(&path, ".");
  rlrt__put_dec(&path, (uint64_t)pid);
  path.b[path.n] = '\0';
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path.b,
                        O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                        0644);
  if (fd < 0)
    return -1;
  int old = atomic_exchange(&log_fd, fd);
  if (old >= 0)
    syscall(SYS_close, old); /* the parent's log, inherited over fork */

  static const char *const modes[] = {"off", "random", "pct"};
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "rlrt v=");
  rlrt__put_dec(&l, RLRT_PROTOCOL_VERSION);
  rlrt__put(&l, " pid=");
  rlrt__put_dec(&l, (uint64_t)pid);
  rlrt__put(&l, " ppid=");
  rlrt__put_dec(&l, (uint64_t)syscall(SYS_getppid));
  rlrt__put(&l, " seed=");
  rlrt__put_dec(&l, rlrt__cfg.seed);
  rlrt__put(&l, " mode=");
  rlrt__put(&l, modes[rlrt__cfg.mode]);
  rlrt__emit(&l);
  rlrt__log_modules();
  return 0;
}
