/* sandbox.c -- the conductor of the sandbox: probe what this machine offers
 * for containing untrusted code, describe it, and per run put the child
 * into its cgroups (sandbox_cgroup.c), its own network and mount namespaces
 * (the root is built by sandbox_mounts.c), its own uid and, last, the
 * system-call filter (sandbox_seccomp.c); after the run, read what the
 * limits did.
 *
 * It does not start or watch the program: supervise.c does, and calls the
 * rl__sandbox_* hooks around its fork.
 *
 * Measured on this machine kind (shared/research/sandbox.md): RLIMIT_AS and
 * RLIMIT_DATA break TSan and ASan, so memory goes through the memory cgroup;
 * RLIMIT_NPROC is ignored for root, so processes go through the pids cgroup;
 * cgroup v1 has no kill, so a cgroup2 directory with no controllers gives us
 * cgroup.kill; bubblewrap is not installed, so the mounts are made here.
 */
#include "sandbox.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "sandbox_internal.h"

/* ------------------------------------------------------------------------ */
/* Probe                                                                     */
/* ------------------------------------------------------------------------ */

/* Tries, in a child, the calls rl__sandbox_child makes: unshare(flags),
 * the new root, the seccomp filter (which must then refuse unshare). */
static int rl__probe_child(int flags, int with_mounts, int with_seccomp) {
  pid_t pid = fork();
  if (pid < 0)
    return 0;
  if (pid == 0) {
    if (flags && unshare(flags) < 0)
      _exit(1);
    if (with_mounts && rl__pivot_to_tmpfs("size=64k") < 0)
      _exit(1);
    if (with_seccomp && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                         rl__seccomp_load() < 0 || unshare(CLONE_NEWNET) == 0))
      _exit(1);
    _exit(0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return 0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int rl_sandbox_probe(rl_sandbox_caps *caps) {
  memset(caps, 0, sizeof *caps);
  rl__cg_probe(caps);
  caps->netns = rl__probe_child(CLONE_NEWNET, 0, 0);
  caps->mountns = rl__probe_child(CLONE_NEWNS, 1, 0);
  caps->seccomp = rl__probe_child(0, 0, 1);
  caps->setuid = geteuid() == 0;
  return 0;
}

void rl_sandbox_init(rl_sandbox *sb, const rl_sandbox_caps *caps) {
  memset(sb, 0, sizeof *sb);
  sb->caps = *caps;
  sb->memory_bytes = 512LL << 20;
  sb->pids_max = 64;
  sb->scratch_bytes = 64LL << 20;
  sb->file_bytes = 64LL << 20;
  sb->uid_base = 600000;
  sb->uid_count = 1000;
}

/* ------------------------------------------------------------------------ */
/* Description                                                               */
/* ------------------------------------------------------------------------ */

/* Appends s to buf at *len (truncating at size). */
static void rl__cat(char *buf, size_t size, size_t *len, const char *s) {
  int n = snprintf(buf + *len, size - *len, "%s", s);
  if (n > 0)
    *len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

/* The protections a sandbox can give, in the order they are described. */
#define RL__PROTECTIONS(XX)                                                    \
  XX(NETNS, "netns")                                                           \
  XX(MOUNTNS, "mountns")                                                       \
  XX(UID, "uid")                                                               \
  XX(SECCOMP, "seccomp")                                                       \
  XX(PIDS, "pids")                                                             \
  XX(MEMORY, "memory")                                                         \
  XX(FSIZE, "fsize")                                                           \
  XX(CPUACCT, "cpuacct")                                                       \
  XX(KILL, "kill")

#define RL__PROT_ENUM(id, name) RL__P_##id,
#define RL__PROT_NAME(id, name) name,
enum rl__prot { RL__PROTECTIONS(RL__PROT_ENUM) RL__NPROT };
static const char *const rl__prot_names[] = {RL__PROTECTIONS(RL__PROT_NAME)};

/* Whether runs in sb go without protection p (unavailable or disabled). */
static int rl__lacks(const rl_sandbox *sb, enum rl__prot p) {
  const rl_sandbox_caps *c = &sb->caps;
  switch (p) {
  case RL__P_NETNS: return !c->netns;
  case RL__P_MOUNTNS: return !c->mountns;
  case RL__P_UID: return !c->setuid || !sb->uid_count || !sb->uid_base;
  case RL__P_SECCOMP: return !c->seccomp;
  case RL__P_PIDS: return sb->pids_max <= 0 || (!c->pids_root[0] && c->setuid);
  case RL__P_MEMORY: return !c->memory_root[0] || sb->memory_bytes <= 0;
  case RL__P_FSIZE: return sb->file_bytes <= 0;
  case RL__P_CPUACCT: return !c->cpuacct_root[0];
  case RL__P_KILL: return !c->kill_root[0];
  case RL__NPROT: break;
  }
  return 1;
}

/* How an active protection is shown: its name, with its limit if it has one. */
static void rl__detail(const rl_sandbox *sb, enum rl__prot p, char *item,
                       size_t size) {
  switch (p) {
  case RL__P_UID:
    snprintf(item, size, "uid=%ld+%u ", (long)sb->uid_base, sb->uid_count);
    return;
  case RL__P_PIDS:
    snprintf(item, size, sb->caps.pids_root[0] ? "pids=%d " : "nproc=+%d ",
             sb->pids_max);
    return;
  case RL__P_MEMORY:
    snprintf(item, size, "memory=%lldM ", sb->memory_bytes >> 20);
    return;
  case RL__P_FSIZE:
    snprintf(item, size, "fsize=%lldM ", sb->file_bytes >> 20);
    return;
  case RL__P_NETNS: case RL__P_MOUNTNS: case RL__P_SECCOMP:
  case RL__P_CPUACCT: case RL__P_KILL: case RL__NPROT:
    break;
  }
  snprintf(item, size, "%s ", rl__prot_names[p]);
}

const char *rl_sandbox_describe(const rl_sandbox *sb, char *buf,
                                size_t size) {
  size_t len = 0;
  char item[64];
  buf[0] = '\0';
  for (int p = 0; p < RL__NPROT; p++) {
    if (rl__lacks(sb, (enum rl__prot)p))
      continue;
    rl__detail(sb, (enum rl__prot)p, item, sizeof item);
    rl__cat(buf, size, &len, item);
  }
  rl__cat(buf, size, &len, "pgroup core=0; missing:");
  int none = 1;
  for (int p = 0; p < RL__NPROT; p++) {
    if (!rl__lacks(sb, (enum rl__prot)p))
      continue;
    none = 0;
    rl__cat(buf, size, &len, " ");
    rl__cat(buf, size, &len, rl__prot_names[p]);
  }
  if (none)
    rl__cat(buf, size, &len, " none");
  return buf;
}

int rl_sandbox_complete(const rl_sandbox *sb) {
  for (int p = 0; p < RL__NPROT; p++)
    if (rl__lacks(sb, (enum rl__prot)p))
      return 0;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Per run                                                                   */
/* ------------------------------------------------------------------------ */

int rl__sandbox_begin(const rl_sandbox *sb, rl__sandbox_run *run) {
  static atomic_ulong seq;
  memset(run, 0, sizeof *run);
  run->sb = sb;
  char name[64];
  unsigned long n = atomic_fetch_add(&seq, 1) + 1;
  snprintf(name, sizeof name, "%ld-%lu", (long)getpid(), n);
  if (sb->caps.setuid && sb->uid_count && sb->uid_base)
    run->uid = sb->uid_base + (uid_t)(n % sb->uid_count);
  int rc = rl__cg_begin(run, name);
  if (rc == 0 && sb->caps.mountns)
    rc = rl__plan_mounts(sb, run);
  if (rc == 0 && run->uid && sb->rw_path &&
      chown(sb->rw_path, run->uid, run->uid) < 0)
    rc = -errno;
  if (rc < 0)
    rl__sandbox_end(run, NULL);
  return rc;
}

/* A new network namespace has only a loopback, and it is down: bring it up
 * so programs can talk to themselves over 127.0.0.1 (a libuv server and its
 * client), while the host's listeners stay out of reach. */
static int rl__loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  close(fd);
  return rc;
}

/* Async-signal-safe system calls only: the child of a threaded process. */
int rl__sandbox_child(const rl__sandbox_run *run) {
  const rl_sandbox *sb = run->sb;
  /* First: joining a cgroup needs the privileges dropped below. */
  if (rl__cg_join(run) < 0)
    return -1;
  int flags = (sb->caps.netns ? CLONE_NEWNET : 0) |
              (sb->caps.mountns ? CLONE_NEWNS : 0);
  if (flags && unshare(flags) < 0)
    return -1;
  if (sb->caps.netns && rl__loopback_up() < 0)
    return -1;
  if (sb->caps.mountns && rl__build_root(run) < 0)
    return -1;
  struct rlimit nproc = {(rlim_t)run->nproc, (rlim_t)run->nproc};
  if (run->nproc > 0 && setrlimit(RLIMIT_NPROC, &nproc) < 0)
    return -1;
  struct rlimit fsize = {(rlim_t)sb->file_bytes, (rlim_t)sb->file_bytes};
  if (sb->file_bytes > 0 && setrlimit(RLIMIT_FSIZE, &fsize) < 0)
    return -1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -1;
  /* Raw syscalls: glibc's set*id broadcast to threads is not meant for a
   * forked child of a threaded process. */
  if (run->uid &&
      (syscall(SYS_setgroups, 0, NULL) < 0 ||
       syscall(SYS_setresgid, run->uid, run->uid, run->uid) < 0 ||
       syscall(SYS_setresuid, run->uid, run->uid, run->uid) < 0))
    return -1;
  /* Last: the filter forbids the mount calls made above. */
  if (sb->caps.seccomp && rl__seccomp_load() < 0)
    return -1;
  return 0;
}

void rl__sandbox_end(rl__sandbox_run *run, rl_run_result *res) {
  if (res) {
    rl__cg_account(run, res);
    rl_sandbox_describe(run->sb, res->protections, sizeof res->protections);
  }
  rl__cg_release(run);
}
