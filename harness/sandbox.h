/* sandbox.h -- what this machine offers to contain untrusted code, and how a
 * supervised run (supervise.h) is put inside it.
 *
 * What it does not do: start, time or capture the program (supervise.c does);
 * choose the limits (the caller does, the same for every submission).
 *
 * Protections, each used when the one-time probe found it works, otherwise
 * recorded as missing in rl_sandbox_describe() (never silently dropped):
 * - network namespace: no network, not even the host's loopback (the run
 *   has a loopback of its own);
 * - mount namespace with a new root: only /usr, a few /etc files, a minimal
 *   /dev, /proc, a size-capped tmpfs on /tmp, and the caller's paths; the
 *   grader's files, /etc/shadow and other submissions are not there;
 * - an unprivileged uid of its own per run (root in the sandbox could reach
 *   the host through /proc/1/root; a shared uid would let one submission
 *   kill(-1) another's runs); /proc shows only the run's own processes;
 * - a seccomp filter against what namespaces do not cover: AF_VSOCK sockets
 *   (a way out of the VM), io_uring, kernel keyrings, new namespaces and
 *   mounts, x32 and 32-bit system calls;
 * - pids cgroup (fork bombs; without cgroups and not root, RLIMIT_NPROC at
 *   the user's current task count plus the budget), memory cgroup (works with TSan and ASan, unlike
 *   RLIMIT_AS; an OOM kill is reported as memory_limited), cpuacct (CPU time
 *   of the whole tree), and a cgroup2 directory whose cgroup.kill ends every
 *   descendant, including those that left the process group;
 * - RLIMIT_FSIZE, so rw_path cannot fill the disk with one file (many files
 *   remain possible: bound them with the run's time, or a quota);
 * - fairness, not a protection: a CPU-weight cgroup per run, so a fork bomb's
 *   64 busy processes cannot starve a classmate's run next to it into a
 *   timeout;
 * - always, from supervise.c: process group, RLIMIT_CORE 0, RLIMIT_CPU,
 *   wall timeout, output caps.
 * There is no pid namespace: the cgroup finds every descendant instead, and
 * the uid change keeps the host's processes out of reach.
 *
 * Each run gets its own cgroups, named after racelab's pid and a sequence
 * number, removed when the run ends, so parallel runs never share a limit.
 */
#ifndef RL_SANDBOX_H
#define RL_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#include "supervise.h"

/* Where racelab keeps its per-run cgroups under each hierarchy. */
#define RL_SANDBOX_CGROUP_NAME "racelab"
/* Longest cgroup directory path racelab builds. */
#define RL_SANDBOX_PATH_MAX 256

/* What rl_sandbox_probe found working on this machine. */
typedef struct {
  int netns;   /* unshare(CLONE_NEWNET) */
  int mountns; /* unshare(CLONE_NEWNS), tmpfs, bind mounts, pivot_root */
  int setuid;  /* we are root and can switch to an unprivileged uid */
  int seccomp; /* a seccomp filter loads (x86-64 only: the filter knows its numbers) */
  char pids_root[RL_SANDBOX_PATH_MAX];    /* pids hierarchy dir we can create cgroups in, "" = none */
  char memory_root[RL_SANDBOX_PATH_MAX];  /* memory hierarchy dir, "" = none */
  char cpuacct_root[RL_SANDBOX_PATH_MAX]; /* CPU-time hierarchy dir, "" = none */
  char kill_root[RL_SANDBOX_PATH_MAX];    /* cgroup2 dir with cgroup.kill, "" = none */
  char cpu_root[RL_SANDBOX_PATH_MAX];     /* CPU-weight hierarchy dir, "" = none: each
                                             run gets an equal share of what racelab
                                             gets, however many processes it starts */
  int cgroup2;                            /* pure cgroup2: the roots are one
                                             directory (untested on the v1 CI) */
} rl_sandbox_caps;

struct rl_sandbox {
  rl_sandbox_caps caps;        /* the probe's answer; rl_sandbox_init copies it */
  long long memory_bytes;      /* memory cgroup limit; 0 = none */
  int pids_max;                /* tasks (processes and threads) in the cgroup; 0 = none.
                                  TSan needs one more than the program's own threads */
  long long scratch_bytes;     /* size of the private tmpfs on /tmp */
  long long file_bytes;        /* RLIMIT_FSIZE: largest file the run may write
                                  (SIGXFSZ past it); rw_path is on the host's disk.
                                  Leave room for sanitizer logs; 0 = none */
  const char *const *ro_paths; /* NULL-terminated host paths made visible read-only at
                                  the same place (the binary, its sources) */
  const char *rw_path;         /* one host directory visible read-write at the same
                                  place (sanitizer logs, compiler output); NULL =
                                  none. Handed to the run: chowned to its uid, so
                                  concurrent runs need different ones */
  uid_t uid_base;              /* run n (racelab-wide count) runs as uid and gid */
  unsigned uid_count;          /* uid_base + n % uid_count, when caps.setuid: two
                                  concurrent runs never share a uid, so neither can
                                  signal, trace or see the other */
};

/* Finds what works here: creates and removes a test cgroup in each
 * hierarchy and tries the namespaces and the seccomp filter in short-lived
 * children. Also kills and removes per-run cgroups left by racelab processes
 * that died. Call once; the answer does not change while racelab runs.
 * Returns 0; what does not work is left 0 or "" in caps. */
int rl_sandbox_probe(rl_sandbox_caps *caps);

/* Fills *sb with the probe's answer and the defaults: 512 MiB memory, 64
 * tasks, 64 MiB scratch, 64 MiB files, uids 600000-600999 (no user has
 * them), no extra paths. The caller may then change the limits and paths.
 * Two racelab processes grading at once should use different uid ranges. */
void rl_sandbox_init(rl_sandbox *sb, const rl_sandbox_caps *caps);

/* Writes one line naming the active protections and the missing ones into
 * buf, e.g. "netns mountns uid=600000+1000 seccomp pids=64 memory=512M
 * fsize=64M cpuacct kill pgroup core=0; missing: none". Returns buf. */
const char *rl_sandbox_describe(const rl_sandbox *sb, char *buf, size_t size);

/* Whether every protection above is active (for a fail-closed grader). */
int rl_sandbox_complete(const rl_sandbox *sb);

/* Inside the sandbox the program sees only the new root: spec->argv[0] and
 * spec->cwd must be absolute paths under ro_paths, rw_path or /usr, and
 * without a cwd it starts in /. Everything written outside rw_path (the
 * tmpfs /tmp, /dev/shm) is discarded with the run. */

/* ---- Internal: the hooks supervise.c calls around one run. ---- */

/* Mount operations and cgroup paths are computed before fork, so that the
 * child only makes system calls. */
#define RL__SANDBOX_MAX_MOUNTS 48

typedef struct {
  int kind;                       /* rl__mount_kind (sandbox_mounts.c) */
  char src[RL_SANDBOX_PATH_MAX];  /* bind source under /oldroot, or a symlink target */
  char dst[RL_SANDBOX_PATH_MAX];  /* path inside the new root */
  char data[64];                  /* mount options for tmpfs and proc */
} rl__mount_op;

typedef struct {
  const rl_sandbox *sb;  /* the configuration this run follows */
  uid_t uid;             /* this run's uid and gid */
  long nproc;            /* RLIMIT_NPROC, the fallback for a pids cgroup when
                            racelab is not root (root ignores it); 0 = none */
  char cg[5][RL_SANDBOX_PATH_MAX]; /* per-run cgroup dirs: pids, memory, cpuacct, cpu,
                                      kill; "" = unused */
  rl__mount_op mounts[RL__SANDBOX_MAX_MOUNTS]; /* executed in order by the child */
  int nmounts;           /* used entries of mounts */
} rl__sandbox_run;

/* Parent, before fork: creates the run's cgroups and plans the mounts.
 * Returns 0 or a negative errno (nothing to clean up then). */
int rl__sandbox_begin(const rl_sandbox *sb, rl__sandbox_run *run);

/* Child, after fork and before exec: joins the cgroups, unshares, builds the
 * new root, drops privileges. Async-signal-safe. Returns 0 or -1 with errno. */
int rl__sandbox_child(const rl__sandbox_run *run);

/* SIGKILLs everything in the run's cgroup; with wait_empty, also waits
 * (bounded) until the cgroup is empty, which needs the main process reaped.
 * Returns how many processes it found. */
int rl__sandbox_kill(const rl__sandbox_run *run, int wait_empty);

/* Whether the run's cgroup holds every descendant (an unprivileged process
 * cannot leave it), so no other search for strays is needed. */
int rl__sandbox_tracks(const rl__sandbox_run *run);

/* After the run: fills memory_limited, pids_limited, cpu_ms and protections
 * into res (when res is not NULL), then removes the cgroups. */
void rl__sandbox_end(rl__sandbox_run *run, rl_run_result *res);

#endif
