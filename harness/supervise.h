/* supervise.h -- start one program (a program under test or a compiler),
 * bound it in time, output and processes, and always get a result back.
 *
 * What it does not do: interpret the output (the parsers do), or isolate the
 * program from the machine (sandbox.h does, when spec->sandbox is set).
 *
 * Contract, in short:
 * - The caller passes the COMPLETE environment in envp: nothing is inherited
 *   from racelab's own environment (TSAN_OPTIONS, PATH, HOME...). One variable
 *   is added: RL_SUPERVISE_RUN=<token>, which lets racelab find descendants
 *   that left the process group (setsid) when there is no cgroup to find
 *   them.
 * - The child runs in its own process group, with stdin from /dev/null, every
 *   signal at its default disposition and unblocked, no inherited file
 *   descriptor beyond 0-2, RLIMIT_CORE 0 and, when asked, RLIMIT_CPU.
 * - It never hangs (given a timeout_ms): a wall deadline, an output bound,
 *   and a short grace after the main process has exited (descendants holding
 *   the pipes open are then killed) bound every call. Whatever of the run is
 *   still alive at the end is killed: its process group, what carries its
 *   token, and under a sandbox its whole cgroup. No zombie is left.
 * - If racelab dies, the main process dies with the calling thread
 *   (PR_SET_PDEATHSIG); under a sandbox the next rl_sandbox_probe() kills
 *   its descendants.
 * - Thread-safe: several supervisions may run at once in different threads.
 *   No signal handler is installed; the child is watched with a pidfd (or a
 *   polled waitpid on kernels without pidfd_open). Each call reaps only its
 *   own child, so nothing else in the process may wait(-1).
 * - Exec failure (missing binary, not executable, bad cwd, sandbox set-up
 *   refused) is NOT a run result: rl_supervise returns the child's negative
 *   errno (-ENOENT, -EACCES, ...), and res holds nothing to free. Under a
 *   sandbox, argv[0] and cwd must be visible inside it (sandbox.h).
 * - Reading a result: timed_out means our wall deadline (signal is then
 *   SIGKILL, or the program's own end after dump_signal); output_limited
 *   with signaled and not timed_out means we killed a flood; SIGXCPU is the
 *   CPU limit; memory_limited (sandbox) explains a SIGKILL by the OOM killer.
 */
#ifndef RL_SUPERVISE_H
#define RL_SUPERVISE_H

#include <stddef.h>

typedef struct rl_sandbox rl_sandbox; /* sandbox.h */
typedef struct rl_forkserver rl_forkserver; /* forkserver.h */

/* The largest output_cap (-EINVAL past it): both buffers are allocated up
 * front, and 64 times the cap bounds a flood. */
#define RL_SUPERVISE_MAX_CAP ((size_t)1 << 30)

typedef struct {
  char *const *argv;         /* argv[0] is a path: no PATH search */
  char *const *envp;         /* the complete environment: nothing inherited */
  const char *cwd;           /* working directory, NULL = unchanged */
  int timeout_ms;            /* wall clock limit; 0 = none */
  int cpu_limit_s;           /* RLIMIT_CPU soft limit (SIGXCPU), hard = +1 s; 0 = none */
  size_t output_cap;         /* bytes of stdout and of stderr kept, each (at most
                                RL_SUPERVISE_MAX_CAP); the rest is drained and counted */
  int dump_signal;           /* sent to the process group on timeout before the kill, 0 = none */
  int dump_grace_ms;         /* how long to wait after dump_signal before SIGKILL */
  const rl_sandbox *sandbox; /* NULL: no sandbox beyond process group + limits */
  rl_forkserver *server;     /* fork the run from this server (forkserver.h)
                                instead of exec'ing argv, which it already
                                runs; never with a sandbox. NULL: exec */
  const char *report_path;   /* server: where the sanitizer reports this run
                                (log_path is the server's); NULL: there */
} rl_run_spec;

typedef struct {
  int exited, exit_code;  /* normal exit */
  int signaled, signal;   /* killed by a signal (including our SIGKILL); neither
                             exited nor signaled: the status was lost because
                             racelab ignores SIGCHLD (don't) */
  int timed_out;          /* we killed it at the wall deadline */
  int starved;            /* the machine starved it (runnable, little CPU):
                             its deadline was moved, at most twice */
  int output_limited;     /* a stream exceeded the cap (we kept the head); past
                             64x the cap in total we killed the run */
  char *out; size_t out_len; size_t out_total; /* captured stdout, NUL-terminated; total = bytes the program wrote */
  char *err; size_t err_len; size_t err_total;
  long wall_ms, cpu_ms;   /* cpu: main plus the descendants it waited for,
                             or the whole cgroup under a sandbox */
  int strays_killed;      /* descendants still alive after main exited, killed by us
                             (a sanitizer's llvm-symbolizer counts too, unless
                             symbolize=0) */
  long pid;               /* the main process, also its process group id (for logs) */
  int memory_limited;     /* sandbox only: the memory cgroup killed a process (OOM) */
  int memory_full;        /* sandbox only: usage reached the memory limit. A run
                             stuck there (the kernel reclaiming, slow to OOM-kill)
                             can time out before memory_limited is ever set */
  int pids_limited;       /* sandbox only: a fork failed at the pids limit */
  char protections[256];  /* sandbox only: the active and missing protections
                             (rl_sandbox_describe); "" without a sandbox */
} rl_run_result;

/* Run spec->argv to completion or to a limit. Returns 0 with *res filled
 * (free it with rl_run_result_free), or a negative errno when the program
 * could not be started: a bad spec (-EINVAL), the fork, a pipe or the
 * sandbox set-up failed in racelab (-EAGAIN, -EMFILE, ...), or the child's
 * exec failed (-ENOENT, -EACCES, ...); with spec->server, -EPIPE when the
 * server was lost before or during the run (whatever the run did is void:
 * run it again without the server). Programmer errors (NULL spec or argv)
 * abort. */
int rl_supervise(const rl_run_spec *spec, rl_run_result *res);

/* Starts spec->argv as rl_supervise does (the complete environment behind
 * a token, written to token, its own process group, signals, limits,
 * death with the calling thread) with stdout and stderr on /dev/null and
 * keep_fd on descriptor 3, and returns at once: its pid, or a negative
 * errno as rl_supervise. Not for spec->sandbox or spec->server; timeout_ms
 * and the output fields are unused. The caller kills and reaps it. */
long rl_spawn(const rl_run_spec *spec, int keep_fd, char *token, size_t cap);

/* Frees the captured output; safe on a zeroed result and twice. */
void rl_run_result_free(rl_run_result *res);

#endif
