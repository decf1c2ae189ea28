/* sandbox_internal.h -- what sandbox.c, the conductor, calls in its three
 * parts: the per-run cgroups (sandbox_cgroup.c), the private root
 * (sandbox_mounts.c) and the system-call filter (sandbox_seccomp.c).
 *
 * Not for other files: supervise.c goes through the rl__sandbox_* hooks of
 * sandbox.h. Functions marked async-signal-safe run in the child between
 * fork and exec.
 */
#ifndef RL_SANDBOX_INTERNAL_H
#define RL_SANDBOX_INTERNAL_H

#include "sandbox.h"

/* ---- cgroups (sandbox_cgroup.c) ---- */

/* sandbox.h's rl__sandbox_kill and rl__sandbox_tracks are defined there
 * too: they only read and write the run's cgroups. */

/* Fills the cgroup roots of caps (v1 hierarchies, a cgroup2 beside them
 * for cgroup.kill, or a pure cgroup2), and kills and removes per-run
 * cgroups left by racelab processes that died. What does not work is
 * left "". */
void rl__cg_probe(rl_sandbox_caps *caps);

/* Parent, before fork: creates the run's cgroups, named `name`, and writes
 * their limits; without a pids cgroup and not root, sets run->nproc.
 * Returns 0 or a negative errno (the caller then releases the run). */
int rl__cg_begin(rl__sandbox_run *run, const char *name);

/* Child: moves the calling process into the run's cgroups. Returns 0 or -1
 * with errno. Async-signal-safe. */
int rl__cg_join(const rl__sandbox_run *run);

/* After the run: fills memory_limited, memory_full, pids_limited and cpu_ms
 * of res from the cgroups' counters. */
void rl__cg_account(const rl__sandbox_run *run, rl_run_result *res);

/* Kills what is left in the run's cgroups, removes them and clears
 * run->cg. */
void rl__cg_release(rl__sandbox_run *run);

/* ---- the mount namespace (sandbox_mounts.c) ---- */

/* Parent, before fork: plans the mounts of the new root into run->mounts.
 * Returns 0 or a negative errno. */
int rl__plan_mounts(const rl_sandbox *sb, rl__sandbox_run *run);

/* Child, in a new mount namespace: makes a tmpfs with mount options `opts`
 * the root and the current directory, with the old root reachable under
 * /oldroot. Returns 0 or -1 with errno. Async-signal-safe. */
int rl__pivot_to_tmpfs(const char *opts);

/* Child, in a new mount namespace: pivots into a fresh tmpfs, makes the
 * planned mounts, detaches the old root and makes / read-only. Returns 0
 * or -1 with errno. Async-signal-safe. */
int rl__build_root(const rl__sandbox_run *run);

/* ---- seccomp (sandbox_seccomp.c) ---- */

/* Loads the filter; needs no_new_privs or CAP_SYS_ADMIN. Returns 0 or -1
 * with errno (ENOSYS where the filter does not know the architecture).
 * Async-signal-safe. */
int rl__seccomp_load(void);

#endif
