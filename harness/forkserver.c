/* forkserver.c -- the harness's side of the fork server: start the program
 * once with a socket on descriptor 3, ask it for one child per run, read
 * how each ended. The protocol is in runtime/rlrt_protocol.h (FORK
 * SERVER); watching a run is supervise.c's, as for a fresh process.
 *
 * Every wait for the server has a deadline, and anything unexpected from
 * it (a wrong message, the socket closed, no answer) loses it for good:
 * it is killed and reaped, and every later call says -EPIPE, so the caller
 * falls back to fresh processes. A server is used by one thread at a time.
 */
#include "forkserver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/rlrt_protocol.h"
#include "util.h"

/* How long a server may take to answer a request for a fork: it forks and
 * says so at once, so this is slack for a starved machine. */
#define RL__FS_REPLY_MS 10000

struct rl_forkserver {
  long pid;       /* the server process, our child */
  int sock;       /* our end of the socket; -1 once lost */
  char token[64]; /* RL_SUPERVISE_RUN=...: the server's and its runs' */
};

void rl__forkserver_lose(rl_forkserver *s) {
  if (s->sock < 0)
    return;
  close(s->sock);
  s->sock = -1;
  /* Its runs die with it (PR_SET_PDEATHSIG). */
  kill((pid_t)s->pid, SIGKILL);
  while (waitpid((pid_t)s->pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

/* The next message, waiting at most timeout_ms (0: only what is there).
 * 1: *m is set; 0: nothing yet; -1: the server is lost. */
static int rl__fs_receive(rl_forkserver *s, rlrt_fs_msg *m, int timeout_ms) {
  if (s->sock < 0)
    return -1;
  long deadline = rl_now_ms() + timeout_ms;
  for (;;) {
    ssize_t n = recv(s->sock, m, sizeof *m, MSG_DONTWAIT);
    if (n == (ssize_t)sizeof *m)
      return 1;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) {
      long left = deadline - rl_now_ms();
      if (left <= 0)
        return 0;
      struct pollfd pf = {.fd = s->sock, .events = POLLIN};
      poll(&pf, 1, (int)left);
      continue;
    }
    rl__forkserver_lose(s); /* closed, or not one of our messages */
    return -1;
  }
}

rl_forkserver *rl_forkserver_start(const rl_run_spec *spec, int timeout_ms, char *err, size_t errcap) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    snprintf(err, errcap, "socketpair: %s", strerror(errno));
    return NULL;
  }
  /* The child puts its output on 1 and 2 before this end on 3. */
  if (sv[1] <= 2) {
    int high = fcntl(sv[1], F_DUPFD_CLOEXEC, 3);
    close(sv[1]);
    sv[1] = high;
  }
  size_t n = 0;
  while (spec->envp && spec->envp[n])
    n++;
  char **env = calloc(n + 2, sizeof *env);
  rl_forkserver *s = calloc(1, sizeof *s);
  if (!env || !s || sv[1] < 0) {
    snprintf(err, errcap, "out of memory or descriptors");
    close(sv[0]);
    if (sv[1] >= 0)
      close(sv[1]);
    free(env);
    free(s);
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    env[i] = spec->envp[i];
  env[n] = RLRT_ENV_FORKSERVER "=3";
  rl_run_spec server = *spec;
  server.envp = env;
  s->sock = sv[0];
  s->pid = rl_spawn(&server, sv[1], s->token, sizeof s->token);
  close(sv[1]);
  free(env);
  if (s->pid < 0) {
    snprintf(err, errcap, "cannot start %s: %s", spec->argv[0], strerror((int)-s->pid));
    close(s->sock);
    free(s);
    return NULL;
  }
  rlrt_fs_msg m;
  int r = rl__fs_receive(s, &m, timeout_ms);
  if (r == 1 && m.kind == RLRT_FS_READY && m.pid == s->pid)
    return s;
  if (r < 0)
    snprintf(err, errcap, "%s ended without serving (no runtime, or it died)", spec->argv[0]);
  else if (r == 0)
    snprintf(err, errcap, "%s did not answer within %d ms", spec->argv[0], timeout_ms);
  else if (m.kind == RLRT_FS_REFUSED)
    snprintf(err, errcap, "%s refused: it had threads before main", spec->argv[0]);
  else
    snprintf(err, errcap, "%s broke the fork server protocol", spec->argv[0]);
  rl_forkserver_stop(s);
  return NULL;
}

int rl_forkserver_usable(const rl_forkserver *s) { return s && s->sock >= 0; }

void rl_forkserver_stop(rl_forkserver *s) {
  if (!s)
    return;
  rl__forkserver_lose(s);
  free(s);
}

long rl__forkserver_fork(rl_forkserver *s, char *const *envp, const char *report_path, int out_w, int err_w) {
  static char request[RLRT_FS_REQUEST_MAX];
  if (s->sock < 0)
    return -EPIPE;
  size_t len = 0;
  const char *path = report_path ? report_path : "";
  for (size_t i = 0; i == 0 || envp[i - 1]; i++) {
    const char *part = i == 0 ? path : envp[i - 1];
    size_t k = strlen(part) + 1;
    if (len + k > sizeof request) {
      rl__forkserver_lose(s); /* an environment this big is not ours */
      return -EPIPE;
    }
    memcpy(request + len, part, k);
    len += k;
  }
  union {
    char buf[CMSG_SPACE(2 * sizeof(int))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {request, len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  int fds[2] = {out_w, err_w};
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  ssize_t sent;
  while ((sent = sendmsg(s->sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  rlrt_fs_msg m;
  if (sent != (ssize_t)len || rl__fs_receive(s, &m, RL__FS_REPLY_MS) != 1) {
    rl__forkserver_lose(s);
    return -EPIPE;
  }
  if (m.kind == RLRT_FS_STARTED && m.pid > 0)
    return m.pid;
  if (m.kind == RLRT_FS_FAILED && m.status > 0)
    return -m.status;
  rl__forkserver_lose(s);
  return -EPIPE;
}

int rl__forkserver_fd(const rl_forkserver *s) { return s->sock; }

int rl__forkserver_ended(rl_forkserver *s, long pid, int *status, long *cpu_ms, int *strays) {
  rlrt_fs_msg m;
  int r = rl__fs_receive(s, &m, 0);
  if (r == 0)
    return 0;
  if (r < 0 || m.kind != RLRT_FS_ENDED || m.pid != pid) {
    rl__forkserver_lose(s);
    return -EPIPE;
  }
  *status = m.status;
  *cpu_ms = (long)(m.cpu_us / 1000);
  *strays = m.strays;
  return 1;
}

long rl__forkserver_pid(const rl_forkserver *s) { return s->pid; }

const char *rl__forkserver_token(const rl_forkserver *s) { return s->token; }
