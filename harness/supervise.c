/* supervise.c -- run one program in its own process group with a wall
 * deadline, capped output and limits, and always come back with a result.
 *
 * It does not isolate the program from the machine: the namespaces and
 * cgroups live in sandbox.c, called through the rl__sandbox_* hooks.
 *
 * Why it is built this way:
 * - No SIGCHLD handler: several supervisions run in parallel threads, so each
 *   one watches its own child with a pidfd and reaps exactly that pid.
 * - Never wait for EOF alone: a grandchild can hold the pipes open forever,
 *   so once the main process has been reaped the pipes get a short grace,
 *   then everything left of the run is killed.
 * - Output is kept up to the cap and then drained and counted, so the program
 *   is not stopped by a full pipe; a flood far past the cap is killed, so
 *   neither memory nor time grows with what the program writes.
 * - A run forked by a fork server (forkserver.h) is watched by the same loop:
 *   only its start and its reaping go through the server, whose socket
 *   stands in for the pidfd. The server is a subreaper, so when it says
 *   nothing of the run is alive the /proc sweep (about 2 ms a run on this
 *   machine) is skipped.
 */
#include "supervise.h"
#include "forkserver.h"
#include "sandbox.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* After the main process is reaped, how long descendants may keep the pipes
 * open before we stop reading and kill them. */
#define RL__DRAIN_GRACE_MS 200
/* A run that writes more than this many times the cap (both streams
 * together) is killed: draining 2 GB would cost seconds for nothing. */
#define RL__FLOOD_FACTOR 64
/* The flood bound for tiny caps, so that a cap of 0 still drains a little. */
#define RL__FLOOD_FLOOR (1u << 20)
/* Poll period when the kernel has no pidfd_open (before Linux 5.3). */
#define RL__WAITPID_POLL_MS 10
/* Read size: the pipe buffer is 64 KiB by default. */
#define RL__CHUNK 65536
/* A fork server reaps a killed run at once: past this after the kill, it
 * is taken as lost (stopped, or stuck) rather than waited for. */
#define RL__SERVER_GRACE_MS 2000

/* ------------------------------------------------------------------------ */
/* Small system helpers                                                      */
/* ------------------------------------------------------------------------ */

static void rl__close(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* The raw syscall: glibc's wrapper is only as old as glibc 2.36. */
static int rl__pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0);
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

/* A close-on-exec pipe whose ends are above stderr: if racelab was started
 * with 0, 1 or 2 closed, a pipe end there would be clobbered when the
 * child puts /dev/null and the pipes on 0-2. Returns 0 or -errno. */
static int rl__pipe(int p[2]) {
  if (pipe2(p, O_CLOEXEC) < 0)
    return -errno;
  for (int i = 0; i < 2; i++) {
    if (p[i] > 2)
      continue;
    int high = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
    close(p[i]);
    p[i] = high;
    if (high < 0) {
      int rc = -errno;
      rl__close(&p[1 - i]);
      return rc;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Captured streams                                                          */
/* ------------------------------------------------------------------------ */

typedef struct {
  int fd;       /* read end of the pipe, -1 at EOF or once abandoned */
  char *buf;    /* cap + 1 bytes; the head of the stream, NUL-terminated */
  size_t len;   /* bytes kept in buf, <= cap */
  size_t total; /* bytes read from the pipe, kept or not */
} rl__stream;

/* Reads what the pipe holds now, keeping the head and counting the rest.
 * Bounded to a few chunks per call so a flood cannot starve the deadline
 * checks of the caller's loop. Closes the stream at EOF or on error. */
static void rl__stream_drain(rl__stream *s, size_t cap) {
  char scratch[RL__CHUNK];
  for (int i = 0; i < 16 && s->fd >= 0; i++) {
    size_t room = cap - s->len;
    char *dst = room ? s->buf + s->len : scratch;
    size_t want = room ? (room < RL__CHUNK ? room : RL__CHUNK) : RL__CHUNK;
    ssize_t n = read(s->fd, dst, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      rl__close(&s->fd);
      return;
    }
    if (room)
      s->len += (size_t)n;
    s->total += (size_t)n;
  }
}

/* ------------------------------------------------------------------------ */
/* Finding and killing what is left of a run                                 */
/* ------------------------------------------------------------------------ */

/* What /proc/<pid>/stat says of a process: its state, process group and
 * CPU time so far. Returns 0, or -1 if it is gone or unreadable. */
typedef struct {
  char state;
  int pgrp;
  long cpu_ms;
} rl__proc_stat;

static int rl__read_proc_stat(pid_t pid, rl__proc_stat *ps) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
   * majflt cmajflt utime stime ...": comm may hold spaces and parens. */
  char *p = strrchr(buf, ')');
  unsigned long utime, stime;
  if (!p || sscanf(p + 1, " %c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ps->state, &ps->pgrp, &utime,
                   &stime) != 4)
    return -1;
  long ticks = sysconf(_SC_CLK_TCK);
  ps->cpu_ms = (long)((utime + stime) * 1000 / (unsigned long)(ticks > 0 ? ticks : 100));
  return 0;
}

/* Whether /proc/<pid> is a live (not zombie) process of the run: in its
 * process group, or started with its token as the first environment string
 * (a daemon that setsid() away keeps it). */
static int rl__belongs(pid_t pid, pid_t pgid, const char *token) {
  rl__proc_stat ps;
  if (rl__read_proc_stat(pid, &ps) != 0 || ps.state == 'Z' || ps.state == 'X')
    return 0;
  if (ps.pgrp == pgid)
    return 1;
  char path[64], buf[512];
  size_t tlen = strlen(token) + 1; /* the NUL ends the first string */
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, tlen);
  close(fd);
  return n == (ssize_t)tlen && memcmp(buf, token, tlen) == 0;
}

/* SIGKILLs every live process of the run but spare (a fork server, which
 * carries the token of all its runs), repeating until a scan finds none
 * (a process may fork while we scan). Returns how many distinct processes
 * were found. Without a cgroup this is the only way to reach a daemon that
 * left the group; a sandboxed run is also swept through its cgroup. */
static int rl__sweep(pid_t pgid, const char *token, pid_t spare) {
  enum { MAX_SEEN = 1024, MAX_ROUNDS = 100 };
  pid_t seen[MAX_SEEN];
  int nseen = 0;
  pid_t self = getpid();
  /* No killpg first: what it killed would be gone before the scan counts it. */
  for (int round = 0; round < MAX_ROUNDS; round++) {
    DIR *d = opendir("/proc");
    if (!d)
      return nseen;
    int live = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      pid_t pid = (pid_t)atoi(e->d_name);
      if (pid <= 0 || pid == self || pid == spare || !rl__belongs(pid, pgid, token))
        continue;
      kill(pid, SIGKILL);
      live++;
      int known = 0;
      for (int i = 0; i < nseen && !known; i++)
        known = seen[i] == pid;
      if (!known && nseen < MAX_SEEN)
        seen[nseen++] = pid;
    }
    closedir(d);
    if (!live)
      break;
    /* Atomic for the whole group, so a forking loop in it cannot outrun us. */
    killpg(pgid, SIGKILL);
    rl_sleep_ms(2);
  }
  return nseen;
}

/* ------------------------------------------------------------------------ */
/* The child, between fork and exec (async-signal-safe calls only)            */
/* ------------------------------------------------------------------------ */

/* Puts fd on target for exec, clearing close-on-exec if it already is
 * (only /dev/null can be: the pipes are above 2). */
static int rl__move_fd(int fd, int target) {
  if (fd == target)
    return fcntl(fd, F_SETFD, 0);
  return dup2(fd, target) < 0 ? -1 : 0;
}

/* Reports errno on the status pipe and exits; the parent turns it into
 * rl_supervise's negative return. */
static _Noreturn void rl__child_fail(int status_w) {
  int e = errno;
  ssize_t w = write(status_w, &e, sizeof e);
  (void)w;
  _exit(127);
}

static _Noreturn void rl__child(const rl_run_spec *spec, char *const *envp,
                                int out_w, int err_w, int status_w, int keep_fd,
                                const rl__sandbox_run *sbr, pid_t parent) {
  if (setpgid(0, 0) < 0)
    rl__child_fail(status_w);
  /* Ignored signals and the blocked mask survive exec: racelab ignores
   * SIGPIPE, which would change how the program dies on a closed pipe. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    sigaction(sig, &dfl, NULL); /* fails harmlessly for KILL, STOP, RT gaps */

  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || rl__move_fd(null, 0) < 0 || rl__move_fd(out_w, 1) < 0 ||
      rl__move_fd(err_w, 2) < 0)
    rl__child_fail(status_w);
  /* Other threads' descriptors without O_CLOEXEC must not leak into the
   * program. */
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (keep_fd >= 0) {
    if (status_w == 3 && (status_w = fcntl(3, F_DUPFD_CLOEXEC, 4)) < 0)
      rl__child_fail(3);
    if (rl__move_fd(keep_fd, 3) < 0)
      rl__child_fail(status_w);
  }

  struct rlimit core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &core) < 0)
    rl__child_fail(status_w);
  if (spec->cpu_limit_s > 0) {
    /* The soft limit sends SIGXCPU (a clear "CPU limit" verdict); the hard
     * limit's SIGKILL one second later catches programs that ignore it. */
    struct rlimit cpu = {(rlim_t)spec->cpu_limit_s,
                         (rlim_t)spec->cpu_limit_s + 1};
    if (setrlimit(RLIMIT_CPU, &cpu) < 0)
      rl__child_fail(status_w);
  }
  if (sbr && rl__sandbox_child(sbr) < 0)
    rl__child_fail(status_w);
  /* Dies with the supervising thread if racelab is killed. Set after the
   * sandbox's uid change, which clears it. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(127);
  if (spec->cwd && chdir(spec->cwd) < 0)
    rl__child_fail(status_w);
  execve(spec->argv[0], spec->argv, envp);
  rl__child_fail(status_w);
}

/* ------------------------------------------------------------------------ */
/* The supervision                                                           */
/* ------------------------------------------------------------------------ */

/* Copies envp behind our token, so the child can be found after setsid().
 * The token goes first: rl__belongs reads only the first string. */
static char **rl__env_with_token(char *const *envp, char *token) {
  size_t n = 0;
  while (envp && envp[n])
    n++;
  char **env = calloc(n + 2, sizeof *env);
  if (!env)
    return NULL;
  env[0] = token;
  for (size_t i = 0; i < n; i++)
    env[i + 1] = envp[i];
  return env;
}

/* Fills the exit fields of res from a wait status. */
static void rl__set_status(rl_run_result *res, int status) {
  if (WIFEXITED(status)) {
    res->exited = 1;
    res->exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    res->signaled = 1;
    res->signal = WTERMSIG(status);
  }
}

static long rl__min_deadline(long a, long b) {
  if (a < 0)
    return b;
  if (b < 0)
    return a;
  return a < b ? a : b;
}

/* State of one supervision's wait loop. */
typedef struct {
  pid_t pid;        /* the main process, also the process group id */
  int pidfd;        /* readable when pid exits; -1 without pidfd_open */
  rl_forkserver *server; /* started by it, which reaps it and tells us; or NULL */
  int strays;       /* a server's word: some process of the run is alive */
  int lost;         /* the server was lost before it told how the run ended */
  rl__stream s[2];  /* stdout, stderr */
  long deadline;    /* wall deadline (monotonic ms), -1 = none */
  long kill_at;     /* when to SIGKILL the group after the dump signal, -1 = not yet */
  long drain_until; /* after the main exit: stop reading the pipes then */
  int killed;       /* we SIGKILLed the group */
  long killed_at;   /* when */
  int reaped;       /* pid has been waited for */
  long started;     /* monotonic ms at the start */
  int extensions;   /* deadlines moved because the machine starved the run */
} rl__watch;

/* How many times a starved run's deadline moves, each by the whole limit. */
#define RL__MAX_EXTENSIONS 2

/* Whether the machine, not the program, is why the run is late: some
 * process of the group is runnable (state R) yet the group got under a
 * quarter of the wall time in CPU. A blocked program (state S) or a busy
 * one (plenty of CPU) is not starved. Counts only the group's processes
 * that are alive now, which is enough to tell the two apart. */
static int rl__starved(pid_t pgid, long wall_ms) {
  DIR *d = opendir("/proc");
  if (!d)
    return 0;
  long cpu_ms = 0;
  int runnable = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    rl__proc_stat ps;
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || rl__read_proc_stat(atoi(e->d_name), &ps) != 0 ||
        ps.pgrp != pgid)
      continue;
    runnable |= ps.state == 'R';
    cpu_ms += ps.cpu_ms;
  }
  closedir(d);
  return runnable && cpu_ms * 4 < wall_ms;
}

/* Kills the whole run now: its process group and, under a sandbox, its
 * cgroup (descendants that left the group). */
static void rl__kill_run(rl__watch *w, const rl__sandbox_run *sbr) {
  killpg(w->pid, SIGKILL);
  if (sbr)
    rl__sandbox_kill(sbr, 0); /* main is not reaped yet: no waiting */
  w->killed = 1;
  w->killed_at = rl_now_ms();
}

/* Whether the main process has ended: 1 with its wait status and CPU time,
 * 2 ended with the status lost (SIGCHLD ignored, or the fork server lost),
 * 0 not yet. A fresh process is reaped here; a forked one by its server. */
static int rl__try_reap(rl__watch *w, long now, int *status, long *cpu_ms,
                        const rl__sandbox_run *sbr) {
  if (w->server) {
    int r = rl__forkserver_ended(w->server, w->pid, status, cpu_ms, &w->strays);
    if (r == 0 && w->killed && now >= w->killed_at + RL__SERVER_GRACE_MS) {
      rl__forkserver_lose(w->server);
      r = -EPIPE;
    }
    if (r >= 0)
      return r;
    /* Its runs die with it (PR_SET_PDEATHSIG); make sure of this one. */
    w->lost = 1;
    rl__kill_run(w, sbr);
    return 2;
  }
  struct rusage ru;
  pid_t r = wait4(w->pid, status, WNOHANG, &ru);
  /* ECHILD: someone set SIGCHLD to SIG_IGN and the kernel reaped it;
   * the status is lost, but the run is over. */
  if (r == w->pid) {
    *cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
              (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    return 1;
  }
  return r < 0 && errno == ECHILD ? 2 : 0;
}

/* The poll loop: reads output, enforces the deadline and the flood bound,
 * reaps the main process, and returns once it is reaped and the pipes are
 * closed or their grace has passed. */
static void rl__watch_run(rl__watch *w, const rl_run_spec *spec,
                          rl_run_result *res, const rl__sandbox_run *sbr) {
  size_t cap = spec->output_cap;
  size_t bound = cap * RL__FLOOD_FACTOR;
  if (bound < RL__FLOOD_FLOOR)
    bound = RL__FLOOD_FLOOR;
  long start = rl_now_ms();
  for (;;) {
    long now = rl_now_ms();
    if (!w->reaped) {
      int status = 0;
      long cpu_ms = 0;
      int r = rl__try_reap(w, now, &status, &cpu_ms, sbr);
      if (r) {
        w->reaped = 1;
        if (r == 1)
          rl__set_status(res, status);
        res->wall_ms = now - start;
        res->cpu_ms = cpu_ms;
        w->drain_until = now + RL__DRAIN_GRACE_MS;
        rl__close(&w->pidfd);
      }
    }
    if (w->reaped && ((w->s[0].fd < 0 && w->s[1].fd < 0) ||
                      now >= w->drain_until))
      return;
    if (!w->reaped && !res->timed_out && w->deadline >= 0 &&
        now >= w->deadline && w->extensions < RL__MAX_EXTENSIONS &&
        rl__starved(w->pid, now - w->started)) {
      /* Never fail a program because the machine was busy. */
      w->extensions++;
      w->deadline = now + spec->timeout_ms;
      res->starved = 1;
    }
    if (!w->reaped && !res->timed_out && w->deadline >= 0 &&
        now >= w->deadline) {
      res->timed_out = 1;
      if (spec->dump_signal > 0) {
        /* The whole group: a forked child that hangs dumps its state too. */
        kill(-w->pid, spec->dump_signal);
        w->kill_at = now + (spec->dump_grace_ms > 0 ? spec->dump_grace_ms : 0);
      } else {
        w->kill_at = now;
      }
    }
    if (!w->reaped && !w->killed && w->kill_at >= 0 && now >= w->kill_at)
      rl__kill_run(w, sbr);

    long until = -1;
    if (!w->reaped && !res->timed_out)
      until = w->deadline;
    if (!w->reaped && !w->killed)
      until = rl__min_deadline(until, w->kill_at);
    if (!w->reaped && w->killed && w->server)
      until = rl__min_deadline(until, w->killed_at + RL__SERVER_GRACE_MS);
    if (w->reaped)
      until = w->drain_until;
    int timeout = until < 0 ? -1 : (int)(until > now ? until - now : 0);
    if (!w->reaped && !w->server && w->pidfd < 0 &&
        (timeout < 0 || timeout > RL__WAITPID_POLL_MS))
      timeout = RL__WAITPID_POLL_MS;

    struct pollfd pf[3];
    int npf = 0;
    for (int i = 0; i < 2; i++)
      pf[npf++] = (struct pollfd){.fd = w->s[i].fd, .events = POLLIN};
    int exit_fd = w->server ? rl__forkserver_fd(w->server) : w->pidfd;
    pf[npf++] = (struct pollfd){.fd = w->reaped ? -1 : exit_fd,
                                .events = POLLIN};
    if (poll(pf, (nfds_t)npf, timeout) < 0 && errno != EINTR)
      rl_sleep_ms(1); /* ENOMEM: nothing sensible to do but retry */
    for (int i = 0; i < 2; i++)
      if (w->s[i].fd >= 0 && pf[i].revents)
        rl__stream_drain(&w->s[i], cap);
    if (w->s[0].total > cap || w->s[1].total > cap)
      res->output_limited = 1;
    if (w->s[0].total + w->s[1].total > bound) {
      /* Stop reading: writers get EPIPE, and the group is killed. */
      rl__close(&w->s[0].fd);
      rl__close(&w->s[1].fd);
      if (!w->killed)
        rl__kill_run(w, sbr);
    }
  }
}

/* Reaps a child that failed before exec (it is already exiting). */
static void rl__reap(pid_t pid) {
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

/* A token that tells this supervision's processes from any other's. */
static void rl__new_token(char *token, size_t cap) {
  static atomic_ulong seq;
  snprintf(token, cap, "RL_SUPERVISE_RUN=%ld.%lu", (long)getpid(),
           atomic_fetch_add(&seq, 1) + 1);
}

/* Forks and execs spec->argv with env (token first), out_w and err_w as
 * stdout and stderr, keep_fd (>= 0) as descriptor 3. Returns the pid once
 * the exec succeeded, or -errno (the child is then reaped and swept). */
static long rl__start(const rl_run_spec *spec, char **env, int out_w,
                      int err_w, int keep_fd, const rl__sandbox_run *sbr) {
  int st[2];
  int rc = rl__pipe(st);
  if (rc < 0)
    return rc;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    rc = -errno;
    rl__close(&st[0]);
    rl__close(&st[1]);
    return rc;
  }
  if (pid == 0)
    rl__child(spec, env, out_w, err_w, st[1], keep_fd, sbr, parent);
  /* Also from this side, so killpg works even before the child runs. */
  setpgid(pid, pid);
  rl__close(&st[1]);
  int child_errno = 0;
  ssize_t n;
  while ((n = read(st[0], &child_errno, sizeof child_errno)) < 0 &&
         errno == EINTR) {
  }
  rl__close(&st[0]);
  if (n == (ssize_t)sizeof child_errno) {
    rl__reap(pid);
    rl__sweep(pid, env[0], 0);
    return child_errno > 0 ? -child_errno : -ECHILD;
  }
  return pid;
}

long rl_spawn(const rl_run_spec *spec, int keep_fd, char *token, size_t cap) {
  if (!spec || !spec->argv || !spec->argv[0] || !token || spec->sandbox ||
      spec->server)
    abort();
  rl__new_token(token, cap);
  char **env = rl__env_with_token(spec->envp, token);
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  long rc = !env ? -ENOMEM : null < 0 ? -errno : 0;
  /* Above 2, as rl__pipe's ends: the child puts it on 1 and 2. */
  if (rc == 0 && null <= 2) {
    int high = fcntl(null, F_DUPFD_CLOEXEC, 3);
    rc = high < 0 ? -errno : 0;
    close(null);
    null = high;
  }
  if (rc == 0)
    rc = rl__start(spec, env, null, null, keep_fd, NULL);
  if (null >= 0)
    close(null);
  free(env);
  return rc;
}

int rl_supervise(const rl_run_spec *spec, rl_run_result *res) {
  if (!spec || !spec->argv || !spec->argv[0] || !res)
    abort();
  memset(res, 0, sizeof *res);
  if (spec->output_cap > RL_SUPERVISE_MAX_CAP || (spec->server && spec->sandbox))
    return -EINVAL;

  char token[64];
  rl__new_token(token, sizeof token);
  rl__watch w = {.pid = -1, .pidfd = -1, .s = {{.fd = -1}, {.fd = -1}},
                 .deadline = -1, .kill_at = -1, .server = spec->server};
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  rl__sandbox_run sbr_store;
  const rl__sandbox_run *sbr = NULL;
  int rc = 0;
  /* A forked run carries its server's token, as its environment block
   * (what /proc shows) is the server's. */
  char **env = rl__env_with_token(
      spec->envp, w.server ? (char *)rl__forkserver_token(w.server) : token);
  w.s[0].buf = malloc(spec->output_cap + 1);
  w.s[1].buf = malloc(spec->output_cap + 1);
  if (!env || !w.s[0].buf || !w.s[1].buf) {
    rc = -ENOMEM;
    goto out;
  }
  if ((rc = rl__pipe(out)) < 0 || (rc = rl__pipe(err)) < 0)
    goto out;
  if (spec->sandbox) {
    rc = rl__sandbox_begin(spec->sandbox, &sbr_store);
    if (rc < 0)
      goto out;
    sbr = &sbr_store;
  }

  long pid = w.server ? rl__forkserver_fork(w.server, env, spec->report_path,
                                            out[1], err[1])
                      : rl__start(spec, env, out[1], err[1], -1, sbr);
  if (pid < 0) {
    rc = (int)pid;
    goto out;
  }
  w.pid = (pid_t)pid;
  res->pid = pid;
  rl__close(&out[1]);
  rl__close(&err[1]);

  if (!w.server)
    w.pidfd = rl__pidfd_open(w.pid);
  w.s[0].fd = out[0];
  w.s[1].fd = err[0];
  out[0] = err[0] = -1;
  for (int i = 0; i < 2; i++)
    fcntl(w.s[i].fd, F_SETFL, O_NONBLOCK);
  w.started = rl_now_ms();
  if (spec->timeout_ms > 0)
    w.deadline = w.started + spec->timeout_ms;
  rl__watch_run(&w, spec, res, sbr);

  /* The cgroup, when there is one, holds every descendant; the /proc sweep
   * (a few ms on a busy machine) is for runs without it, and for a forked
   * run only when its server (a subreaper: the run's orphans are its
   * children) says something of it is alive. */
  if (sbr)
    res->strays_killed = rl__sandbox_kill(sbr, 1);
  if (w.server && (w.strays || w.lost))
    res->strays_killed += rl__sweep(w.pid, rl__forkserver_token(w.server),
                                    (pid_t)rl__forkserver_pid(w.server));
  else if (!w.server && (!sbr || !rl__sandbox_tracks(sbr)))
    res->strays_killed += rl__sweep(w.pid, token, 0);
  if (w.lost)
    rc = -EPIPE;

out:
  if (sbr)
    rl__sandbox_end(&sbr_store, rc == 0 ? res : NULL);
  rl__close(&w.pidfd);
  rl__close(&w.s[0].fd);
  rl__close(&w.s[1].fd);
  int *fds[] = {&out[0], &out[1], &err[0], &err[1]};
  for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
    rl__close(fds[i]);
  free(env);
  if (rc < 0) {
    free(w.s[0].buf);
    free(w.s[1].buf);
    memset(res, 0, sizeof *res);
    return rc;
  }
  w.s[0].buf[w.s[0].len] = '\0';
  w.s[1].buf[w.s[1].len] = '\0';
  res->out = w.s[0].buf;
  res->out_len = w.s[0].len;
  res->out_total = w.s[0].total;
  res->err = w.s[1].buf;
  res->err_len = w.s[1].len;
  res->err_total = w.s[1].total;
  return 0;
}

void rl_run_result_free(rl_run_result *res) {
  if (!res)
    return;
  free(res->out);
  free(res->err);
  res->out = res->err = NULL;
  res->out_len = res->err_len = 0;
}
