/* rlrt_proc.c -- the children a process owes a wait: fork() numbers each
 * child (P1, P2.. per process) and logs where it was forked, wait() and
 * waitpid() log each child reaped, and at exit every child never waited
 * for is logged with its fork stack and whether it had exited (a zombie)
 * or still ran (an orphan from now on). It does not decide that this is a
 * bug (the harness does), and a process ended by _exit() or a signal logs
 * nothing. A child reaped by a call the runtime does not wrap (waitid,
 * wait4, libuv's own waitpid) or auto-reaped (SIGCHLD ignored) is not
 * reported: at exit the kernel is asked whether it is still waitable.
 */
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rlrt_internal.h"

pid_t __real_fork(void);
pid_t __real_waitpid(pid_t pid, int *status, int options);
pid_t __real_wait(int *status);
pid_t __wrap_fork(void);
pid_t __wrap_waitpid(pid_t pid, int *status, int options);
pid_t __wrap_wait(int *status);

#define RLRT_MAX_CHILDREN 256 /* children past this are not followed */

typedef struct {
  _Atomic int pid;    /* 0 until the slot is published */
  _Atomic int waited; /* reaped by wait() or waitpid() */
  int tid;            /* T<n> that forked it */
  rlrt_stack st;      /* where */
} rlrt_child;

/* P<n> is slot n-1. */
static rlrt_child children[RLRT_MAX_CHILDREN];
static _Atomic int nchildren;

static void put_child(rlrt_line *l, const char *kind, int slot) {
  rlrt__put(l, kind);
  rlrt__put(l, " P");
  rlrt__put_dec(l, (uint64_t)slot + 1);
}

pid_t __wrap_fork(void) {
  pid_t pid = __real_fork();
  if (pid == 0) {
    /* The child's children are its own; the parent's are not. */
    atomic_store(&nchildren, 0);
    return pid;
  }
  rlrt_thread *self = rlrt__self();
  if (pid < 0 || !self || !rlrt__cfg.log_prefix[0])
    return pid;
  int slot = atomic_fetch_add(&nchildren, 1);
  if (slot >= RLRT_MAX_CHILDREN) {
    atomic_store(&nchildren, RLRT_MAX_CHILDREN);
    return pid;
  }
  rlrt_child *c = &children[slot];
  c->tid = self->idx;
  rlrt__stack_capture(&c->st, __builtin_return_address(0));
  atomic_store(&c->waited, 0);
  atomic_store(&c->pid, pid);
  rlrt_line l = {.n = 0};
  put_child(&l, "fork", slot);
  rlrt__put(&l, " pid=");
  rlrt__put_dec(&l, (uint64_t)pid);
  rlrt__put(&l, " ");
  rlrt__put_tid(&l, c->tid);
  rlrt__put(&l, " s=");
  rlrt__put_stack(&l, &c->st);
  rlrt__emit(&l);
  return pid;
}

/* A wait call returned pid with *status: a child that exited or was
 * killed is reaped (one merely stopped or continued is not). */
static void reaped(pid_t pid, const int *status) {
  if (pid <= 0 || !(WIFEXITED(*status) || WIFSIGNALED(*status)))
    return;
  int n = atomic_load(&nchildren);
  for (int i = 0; i < n && i < RLRT_MAX_CHILDREN; i++) {
    /* A pid is reused only after its child was reaped: among the children
     * not waited for, it names one. */
    rlrt_child *c = &children[i];
    if (atomic_load(&c->pid) != pid || atomic_exchange(&c->waited, 1))
      continue;
    rlrt_line l = {.n = 0};
    put_child(&l, "waited", i);
    rlrt__emit(&l);
    return;
  }
}

pid_t __wrap_waitpid(pid_t pid, int *status, int options) {
  int st = 0;
  pid_t rc = __real_waitpid(pid, status ? status : &st, options);
  reaped(rc, status ? status : &st);
  return rc;
}

pid_t __wrap_wait(int *status) {
  int st = 0;
  pid_t rc = __real_wait(status ? status : &st);
  reaped(rc, status ? status : &st);
  return rc;
}

static void at_exit(void) {
  if (!rlrt__cfg.log_prefix[0])
    return;
  int n = atomic_load(&nchildren);
  for (int i = 0; i < n && i < RLRT_MAX_CHILDREN; i++) {
    rlrt_child *c = &children[i];
    int pid = atomic_load(&c->pid);
    if (!pid || atomic_load(&c->waited))
      continue;
    /* WNOWAIT: look, leave it waitable. A raw call, so that no sanitizer
     * sees a wait the program did not make. */
    siginfo_t si = {0};
    if (syscall(SYS_waitid, P_PID, (id_t)pid, &si,
                WEXITED | WNOHANG | WNOWAIT, NULL) != 0)
      continue;
    rlrt_line l = {.n = 0};
    put_child(&l, "unwaited", i);
    rlrt__put(&l, " pid=");
    rlrt__put_dec(&l, (uint64_t)pid);
    rlrt__put(&l, " ");
    rlrt__put_tid(&l, c->tid);
    rlrt__put(&l, si.si_pid ? " state=exited" : " state=running");
    rlrt__put(&l, " s=");
    rlrt__put_stack(&l, &c->st);
    rlrt__emit(&l);
  }
}

/* After rlrt_init's constructor (102), which reads the configuration. */
__attribute__((constructor(103))) static void rlrt_proc_init(void) {
  if (rlrt__cfg.on)
    atexit(at_exit);
}
