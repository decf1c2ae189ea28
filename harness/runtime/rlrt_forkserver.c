/* rlrt_forkserver.c -- the fork server: with RLRT_FORKSERVER=<fd>, the
 * program starts once (ld.so, the sanitizer's start-up, the libraries'
 * constructors) and forks a fresh child for each run the harness asks for,
 * before any of the runtime's or the program's constructors and before any
 * thread exists, as coverage fuzzers do. The child becomes the run: it
 * returns from this constructor into the others and main. The protocol is
 * in rlrt_protocol.h (FORK SERVER); the harness side is harness/forkserver.c.
 *
 * It does not watch the run (deadlines, output, the dump: the harness
 * does, as for a fresh process) and it never serves a process that already
 * has threads: a fork keeps only the forking one.
 *
 * Every call here but the warm-up's is a raw system call or glibc's _Fork,
 * so that the sanitizers' interceptors see nothing of the server. Their
 * fork handling guards their state against other threads, of which the
 * server has none; skipping it spares each run a start of TSan's background
 * thread (a fresh process starts it only with its first thread) and the
 * locking around fork (bench/costs/fork_waitpid.c with gcc's TSan: 1.06 ms
 * per fork, exit and wait through fork, 0.79 ms through _Fork).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rlrt_internal.h"
#include "rlrt_protocol.h"

/* wrap.rsp forces this symbol in with -Wl,--undefined, which pulls this
 * object, and so the constructor, into every program. */
const int rlrt_forkserver_anchor = RLRT_PROTOCOL_VERSION;

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
/* Weak: absent from a program built without a sanitizer. */
void __sanitizer_set_report_path(const char *path) __attribute__((weak));

/* One request at a time; the child keeps pointing into it (its environment). */
static char request[RLRT_FS_REQUEST_MAX];

static int sys_close(int fd) { return (int)syscall(SYS_close, fd); }

/* Sends one message; racelab gone (EPIPE) ends the server. */
static void reply(int sock, int kind, pid_t pid, int status, int strays, int64_t cpu_us) {
  rlrt_fs_msg m = {.kind = kind, .pid = pid, .status = status, .strays = strays, .cpu_us = cpu_us};
  long n;
  do
    n = syscall(SYS_sendto, sock, &m, sizeof m, MSG_NOSIGNAL, NULL, 0);
  while (n < 0 && errno == EINTR);
  if (n != (long)sizeof m)
    _exit(0);
}

/* The number of threads of this process, from /proc/self/stat (field 20);
 * 0 if it cannot be read. */
static int thread_count(void) {
  char buf[1024];
  int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
  sys_close(fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* "pid (comm) state ..." : comm may hold spaces and parens. */
  char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 20; field++)
    p = strchr(p + 1, ' ');
  return p ? atoi(p + 1) : 0;
}

/* Receives one request and its two descriptors. Returns the request's
 * length, 0 when the harness closed the socket, -1 for a malformed one
 * (its descriptors closed). */
static long receive(int sock, int fds[2]) {
  union {
    char buf[CMSG_SPACE(2 * sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {request, sizeof request - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  long n;
  do
    n = syscall(SYS_recvmsg, sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return 0;
  int got = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < k; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (got < 2)
        fds[got++] = fd;
      else
        sys_close(fd);
    }
  }
  if (got != 2 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
    for (int i = 0; i < got; i++)
      sys_close(fds[i]);
    return -1;
  }
  request[n] = '\0';
  return n;
}

/* In the child: becomes the run described by request[0..len) and returns
 * (into the constructors and main). */
static void become_run(int sock, const int fds[2], long len, pid_t server) {
  syscall(SYS_setpgid, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if ((pid_t)syscall(SYS_getppid) != server)
    _exit(127);
  if (syscall(SYS_dup2, fds[0], 1) < 0 || syscall(SYS_dup2, fds[1], 2) < 0)
    _exit(127);
  sys_close(fds[0]);
  sys_close(fds[1]);
  sys_close(sock);
  /* The run's orphans are the server's, not this process's to reap. */
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  if (request[0] && __sanitizer_set_report_path)
    __sanitizer_set_report_path(request);
  clearenv();
  for (char *s = request + strlen(request) + 1; s < request + len; s += strlen(s) + 1)
    if (*s)
      putenv(s);
}

/* Reaps every child that has exited (orphans of earlier runs) and says
 * whether one is still alive. */
static int reap_strays(void) {
  for (;;) {
    siginfo_t si = {0};
    if (syscall(SYS_waitid, P_ALL, 0, &si, WEXITED | WNOHANG, NULL) != 0)
      return 0; /* ECHILD: none left */
    if (si.si_pid == 0)
      return 1; /* alive, none exited */
  }
}

/* Does once, in the server, the start-up work every run would otherwise
 * repeat: TSan's deadlock detector clears its 2 MB lock graph at the first
 * lock of a process (measured: 1.5 ms of a 4-6 ms forked run, with gcc and
 * clang). The mutex is the server's own and never used again. */
static void warm_up(void) {
  static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  __real_pthread_mutex_lock(&m);
  __real_pthread_mutex_unlock(&m);
}

/* Serves runs; returns only in a child, which is the run. */
static void serve(int sock) {
  pid_t server = (pid_t)syscall(SYS_getpid);
  if (thread_count() != 1) {
    reply(sock, RLRT_FS_REFUSED, server, EBUSY, 0, 0);
    _exit(1);
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  warm_up();
  reply(sock, RLRT_FS_READY, server, 0, 0, 0);
  for (;;) {
    int fds[2];
    long len = receive(sock, fds);
    if (len == 0)
      _exit(0);
    if (len < 0) {
      reply(sock, RLRT_FS_FAILED, 0, EPROTO, 0, 0);
      continue;
    }
    reap_strays();
    pid_t pid = _Fork();
    if (pid == 0) {
      become_run(sock, fds, len, server);
      return;
    }
    int err = errno;
    sys_close(fds[0]);
    sys_close(fds[1]);
    if (pid < 0) {
      reply(sock, RLRT_FS_FAILED, 0, err, 0, 0);
      continue;
    }
    /* Also from this side, so that the harness can signal the group as
     * soon as it knows the pid. */
    syscall(SYS_setpgid, pid, pid);
    reply(sock, RLRT_FS_STARTED, pid, 0, 0, 0);
    int status = 0;
    struct rusage ru;
    long r;
    do
      r = syscall(SYS_wait4, pid, &status, 0, &ru);
    while (r < 0 && errno == EINTR);
    int64_t cpu_us = r == pid ? (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                                    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec
                              : 0;
    reply(sock, RLRT_FS_ENDED, pid, status, reap_strays(), cpu_us);
  }
}

/* 101: before rlrt_init (102) and every other constructor of the runtime
 * and of the program (which come later still), so that each child reads
 * its own run's environment in them. */
__attribute__((constructor(101))) static void rlrt_forkserver(void) {
  const char *v = getenv(RLRT_ENV_FORKSERVER);
  if (!v)
    return;
  char *end;
  long fd = strtol(v, &end, 10);
  unsetenv(RLRT_ENV_FORKSERVER);
  if (*end || fd < 3 || fd > 1024)
    return;
  serve((int)fd);
}
