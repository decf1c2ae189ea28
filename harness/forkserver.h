/* forkserver.h -- a built program started once and asked for a fresh child
 * per run (runtime/rlrt_forkserver.c), so that a run skips exec, ld.so and
 * the sanitizer's start-up. rl_supervise watches a forked run exactly as a
 * fresh process (spec->server): same deadline, dump, output caps and
 * sweep; only the start and the exit status come through the server.
 *
 * For local runs only (check, run, watch): a sandboxed run (grading) is
 * always a fresh process in its own namespaces and cgroup, and shares
 * nothing with another submission's run.
 *
 * A server that cannot start, refuses (the program had threads before its
 * constructors), dies or breaks the protocol is dropped: the caller runs
 * fresh processes from then on, and nothing waits on it past a deadline.
 */
#ifndef RL_FORKSERVER_H
#define RL_FORKSERVER_H

#include <stddef.h>

#include "supervise.h"

typedef struct rl_forkserver rl_forkserver;

/* Starts spec->argv (with spec->envp and spec->cwd; the sanitizer options
 * in envp are every run's) as a fork server and waits at most timeout_ms
 * for it to be ready. Returns NULL, with the reason in err, when it cannot
 * serve. */
rl_forkserver *rl_forkserver_start(const rl_run_spec *spec, int timeout_ms, char *err, size_t errcap);

/* Whether it still serves: false once it died or broke the protocol. */
int rl_forkserver_usable(const rl_forkserver *s);

/* Ends and reaps the server; NULL is a no-op. */
void rl_forkserver_stop(rl_forkserver *s);

/* ---- for supervise.c ---------------------------------------------------- */

/* Asks for a run: a child with exactly envp, its sanitizer reports at
 * report_path (NULL: the server's), stdout on out_w and stderr on err_w.
 * Returns its pid (its own process group), or a negative errno: -EPIPE
 * when the server is lost (it is then unusable). */
long rl__forkserver_fork(rl_forkserver *s, char *const *envp, const char *report_path, int out_w, int err_w);

/* The server's socket: readable when the run's end (or the server's) is. */
int rl__forkserver_fd(const rl_forkserver *s);

/* Without blocking: 1 when the server reaped pid (status, cpu_ms and
 * strays, whether anything of the run is still alive, are set), 0 not yet,
 * -EPIPE when the server is lost. */
int rl__forkserver_ended(rl_forkserver *s, long pid, int *status, long *cpu_ms, int *strays);

/* What the sweep of a forked run needs: descendants of the server carry
 * its token, and the server itself must be spared. */
long rl__forkserver_pid(const rl_forkserver *s);
const char *rl__forkserver_token(const rl_forkserver *s);

/* Marks it lost (a run it started outlived every deadline). */
void rl__forkserver_lose(rl_forkserver *s);

#endif
