/* sandbox.c -- probe what this machine offers for containing untrusted code,
 * then, per run, create its cgroups, build its private root and drop its
 * privileges; kill what is left and read what the limits did.
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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* The per-run cgroup slots of rl__sandbox_run.cg. */
enum { RL__CG_PIDS, RL__CG_MEMORY, RL__CG_CPUACCT, RL__CG_CPU, RL__CG_KILL, RL__CG_N };

/* The control files that cgroup v1 and v2 name differently. */
typedef struct {
  const char *mem_limit;  /* the memory limit, in bytes */
  const char *mem_swap;   /* the swap limit file ... */
  int swap_is_total;      /* ... for memory+swap (v1), or swap alone (v2) */
  const char *mem_events; /* flat-keyed, counts OOM kills as "oom_kill" */
  const char *mem_full;   /* how often usage reached the limit ... */
  const char *mem_full_key; /* ... under this key; NULL: the file holds one number */
  const char *cpu_file;   /* CPU time of the whole cgroup */
  const char *cpu_key;    /* its key; NULL: the file holds one number */
  long long cpu_per_ms;   /* cpu_file units per millisecond */
} rl__cg_files;

static const rl__cg_files rl__cg_v1 = {
    "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", 1,
    "memory.oom_control", "memory.failcnt", NULL, "cpuacct.usage", NULL,
    1000000};
static const rl__cg_files rl__cg_v2 = {
    "memory.max", "memory.swap.max", 0, "memory.events", "memory.events",
    "max", "cpu.stat", "usage_usec", 1000};

static const rl__cg_files *rl__files(const rl_sandbox_caps *caps) {
  return caps->cgroup2 ? &rl__cg_v2 : &rl__cg_v1;
}

enum rl__mount_kind {
  RL__M_TMPFS,   /* tmpfs on dst with data as options */
  RL__M_PROC,    /* a new proc on dst */
  RL__M_RO_DIR,  /* bind src on dst, read-only, nosuid, nodev */
  RL__M_RO_FILE, /* the same for a single file */
  RL__M_RW_DIR,  /* bind src on dst, writable, nosuid, nodev */
  RL__M_DEV,     /* bind a device node: nosuid, noexec, devices allowed */
  RL__M_SYMLINK, /* symlink dst -> src */
};

/* Host paths kept in the new root besides /usr: what the dynamic loader,
 * the compiler driver (cc is an /etc/alternatives link) and name lookup of
 * "localhost" need; no secrets. */
static const char *const rl__etc_keep[] = {
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
    "/etc/alternatives", "/etc/localtime", "/etc/hosts",
    "/etc/nsswitch.conf", NULL};
/* Top-level names that are links into /usr on merged-/usr systems, or
 * directories to bind read-only on the others. */
static const char *const rl__top_dirs[] = {"/bin",   "/sbin",  "/lib",
                                           "/lib32", "/lib64", "/libx32",
                                           NULL};
static const char *const rl__devices[] = {"null", "zero", "full", "random",
                                          "urandom", NULL};
/* Where the new root is assembled before pivot_root; a tmpfs hides it. */
#define RL__NEWROOT "/tmp"
#define RL__OLDROOT "oldroot"
/* The CPU weight of racelab's cgroup as a whole (v1 shares, v2 weight),
 * against the machine's other tasks at 1024 (v1) or 100 (v2) each: about
 * as much as the busy threads of a few runs had before they were grouped. */
#define RL__CPU_SHARES "16384"
#define RL__CPU_WEIGHT "1600"
/* How long rl__sandbox_kill waits for a killed cgroup to empty. */
#define RL__KILL_WAIT_MS 2000

static long rl__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rl__nap(void) {
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------------ */
/* cgroup files                                                              */
/* ------------------------------------------------------------------------ */

/* dir + "/" + file into path (RL_SANDBOX_PATH_MAX + 32 bytes), cut if
 * longer. Without snprintf: the child between fork and exec uses it. */
static void rl__cg_path(char *path, const char *dir, const char *file) {
  size_t d = strnlen(dir, RL_SANDBOX_PATH_MAX - 1);
  size_t f = strnlen(file, 30);
  memcpy(path, dir, d);
  path[d] = '/';
  memcpy(path + d + 1, file, f);
  path[d + 1 + f] = '\0';
}

/* Writes s to dir/file. Returns 0 or a negative errno. Async-signal-safe. */
static int rl__cg_write(const char *dir, const char *file, const char *s) {
  char path[RL_SANDBOX_PATH_MAX + 32];
  rl__cg_path(path, dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = write(fd, s, strlen(s));
  int rc = n < 0 ? -errno : 0;
  close(fd);
  return rc;
}

/* Reads dir/file (a cgroup or /proc file) into buf, NUL-terminated.
 * Returns bytes read or -errno. */
static ssize_t rl__read_in(const char *dir, const char *file, char *buf,
                           size_t size) {
  char path[RL_SANDBOX_PATH_MAX + 32];
  rl__cg_path(path, dir, file);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t len = 0;
  ssize_t n;
  while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
    len += (size_t)n;
  close(fd);
  buf[len] = '\0';
  return (ssize_t)len;
}

/* The number after "key " in a flat-keyed cgroup file, 0 if absent. */
static long long rl__cg_key(const char *dir, const char *file,
                            const char *key) {
  char buf[4096];
  if (rl__read_in(dir, file, buf, sizeof buf) < 0)
    return 0;
  size_t klen = strlen(key);
  for (char *line = buf; line && *line; line = strchr(line, '\n')) {
    if (*line == '\n')
      line++;
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
      return atoll(line + klen + 1);
  }
  return 0;
}

/* Calls fn(pid) for each process listed in dir/cgroup.procs; returns how
 * many there were (cgroup files report size 0, so read the content). */
static int rl__cg_each(const char *dir, void (*fn)(pid_t)) {
  char buf[65536];
  if (rl__read_in(dir, "cgroup.procs", buf, sizeof buf) < 0)
    return 0;
  int count = 0;
  for (char *p = buf; *p;) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p)
      break;
    if (fn)
      fn((pid_t)pid);
    count++;
    p = end;
  }
  return count;
}

static void rl__sigkill(pid_t pid) { kill(pid, SIGKILL); }

/* Removes a cgroup dir, waiting (bounded) for exiting tasks to leave it. */
static void rl__cg_remove(const char *dir) {
  for (int i = 0; i < 200 && rmdir(dir) < 0 && errno == EBUSY; i++)
    rl__nap();
}

/* Kills and removes per-run cgroups left under root by racelab processes
 * that no longer exist (names are "<pid>-<seq>"). */
static void rl__cg_sweep_stale(const char *root) {
  DIR *d = opendir(root);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    long owner = atol(e->d_name);
    if (owner <= 0 || !strchr(e->d_name, '-') ||
        (kill((pid_t)owner, 0) == 0 || errno != ESRCH))
      continue;
    char dir[RL_SANDBOX_PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
    for (int i = 0; i < 100 && rl__cg_each(dir, rl__sigkill) > 0; i++)
      rl__nap();
    rl__cg_remove(dir);
  }
  closedir(d);
}

/* ------------------------------------------------------------------------ */
/* seccomp                                                                   */
/* ------------------------------------------------------------------------ */

#if defined(__x86_64__)
#define RL__SECCOMP_ARCH AUDIT_ARCH_X86_64
#define RL__DENY(err) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err))
#define RL__NR(name, err)                                                      \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_##name, 0, 1), RL__DENY(err)
/* clone() flags that would create namespaces. */
#define RL__CLONE_NEW                                                          \
  (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | \
   CLONE_NEWUTS | CLONE_NEWCGROUP)

/* Denies, with an errno the program can handle, what the namespaces leave
 * open (shared/research/sandbox.md 2.5: AF_VSOCK reaches the host even
 * from a new network namespace). ptrace and personality stay: LSan and
 * TSan need them. Everything else is allowed. */
static struct sock_filter rl__filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RL__SECCOMP_ARCH, 1, 0),
    RL__DENY(ENOSYS), /* i386 calls through int 0x80 */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* x32 ABI */
    RL__DENY(ENOSYS),
    RL__NR(io_uring_setup, ENOSYS),
    RL__NR(io_uring_enter, ENOSYS),
    RL__NR(io_uring_register, ENOSYS),
    RL__NR(keyctl, ENOSYS),
    RL__NR(add_key, ENOSYS),
    RL__NR(request_key, ENOSYS),
    RL__NR(unshare, EPERM),
    RL__NR(setns, EPERM),
    RL__NR(mount, EPERM),
    RL__NR(umount2, EPERM),
    RL__NR(pivot_root, EPERM),
    RL__NR(open_tree, EPERM),
    RL__NR(move_mount, EPERM),
    RL__NR(fsopen, EPERM),
    RL__NR(clone3, ENOSYS), /* its flags are out of a filter's reach; glibc
                               falls back to clone, which is checked below */
    /* Jump offsets count the instructions skipped: not clone -> the socket
     * test; clone without namespace flags -> allow. */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, RL__CLONE_NEW, 0, 5),
    RL__DENY(EPERM),
    /* not socket -> allow; socket, not AF_VSOCK -> allow. */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK, 0, 1),
    RL__DENY(EAFNOSUPPORT),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

/* Loads the filter; needs no_new_privs or CAP_SYS_ADMIN. Async-signal-safe. */
static int rl__seccomp_load(void) {
  struct sock_fprog prog = {
      .len = (unsigned short)(sizeof rl__filter / sizeof *rl__filter),
      .filter = rl__filter};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
#else
static int rl__seccomp_load(void) {
  errno = ENOSYS;
  return -1;
}
#endif

/* ------------------------------------------------------------------------ */
/* Probe                                                                     */
/* ------------------------------------------------------------------------ */

/* Sets root to mount/racelab if a cgroup with control file `probe` can be
 * created (and removed) there; leaves it "" otherwise. On cgroup2, enable
 * names the controllers ("+memory") to hand down to racelab's children. */
static void rl__probe_hierarchy(char *root, const char *mount,
                                const char *probe,
                                const char *const *enable) {
  char dir[RL_SANDBOX_PATH_MAX], test[RL_SANDBOX_PATH_MAX + 32];
  root[0] = '\0';
  snprintf(dir, sizeof dir, "%s/" RL_SANDBOX_CGROUP_NAME, mount);
  if (mkdir(dir, 0755) < 0 && errno != EEXIST)
    return;
  /* One at a time: a controller the machine lacks must not stop the rest.
   * Both levels, since a child gets only what its parent delegates. */
  for (int i = 0; enable && enable[i]; i++) {
    rl__cg_write(mount, "cgroup.subtree_control", enable[i]);
    rl__cg_write(dir, "cgroup.subtree_control", enable[i]);
  }
  snprintf(test, sizeof test, "%s/probe-%ld", dir, (long)getpid());
  if (mkdir(test, 0755) < 0 && errno != EEXIST)
    return;
  char path[sizeof test + 32];
  snprintf(path, sizeof path, "%s/%s", test, probe);
  int ok = access(path, W_OK) == 0 || access(path, R_OK) == 0;
  rmdir(test);
  if (ok) {
    snprintf(root, RL_SANDBOX_PATH_MAX, "%s", dir);
    rl__cg_sweep_stale(root);
  }
}

/* Tries, in a child, the calls rl__sandbox_child makes: unshare(flags),
 * the new root, the seccomp filter (which must then refuse unshare). */
static int rl__probe_child(int flags, int with_mounts, int with_seccomp) {
  pid_t pid = fork();
  if (pid < 0)
    return 0;
  if (pid == 0) {
    if (flags && unshare(flags) < 0)
      _exit(1);
    if (with_mounts &&
        (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
         mount("tmpfs", RL__NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV,
               "size=64k") < 0 ||
         mkdir(RL__NEWROOT "/" RL__OLDROOT, 0700) < 0 ||
         chdir(RL__NEWROOT) < 0 ||
         syscall(SYS_pivot_root, ".", RL__OLDROOT) < 0))
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

/* A pure cgroup2 machine (the default of Debian 12 and most distributions
 * under systemd): pids, memory, CPU time and kill in one hierarchy. */
static void rl__probe_cgroup2(rl_sandbox_caps *caps) {
  static const char *const enable[] = {"+memory", "+pids", "+cpu", NULL};
  rl__probe_hierarchy(caps->kill_root, "/sys/fs/cgroup", "cgroup.kill",
                      enable);
  char on[256];
  if (!caps->kill_root[0] ||
      rl__read_in(caps->kill_root, "cgroup.subtree_control", on, sizeof on) < 0)
    return;
  caps->cgroup2 = 1;
  if (strstr(on, "pids"))
    memcpy(caps->pids_root, caps->kill_root, sizeof caps->kill_root);
  if (strstr(on, "memory"))
    memcpy(caps->memory_root, caps->kill_root, sizeof caps->kill_root);
  if ((strncmp(on, "cpu", 3) == 0 && (on[3] == ' ' || on[3] == '\n')) ||
      strstr(on, " cpu ") || strstr(on, " cpu\n")) {
    memcpy(caps->cpu_root, caps->kill_root, sizeof caps->kill_root);
    rl__cg_write(caps->cpu_root, "cpu.weight", RL__CPU_WEIGHT);
  }
  /* cpu.stat's usage_usec is there even without the cpu controller. */
  memcpy(caps->cpuacct_root, caps->kill_root, sizeof caps->kill_root);
}

int rl_sandbox_probe(rl_sandbox_caps *caps) {
  memset(caps, 0, sizeof *caps);
  rl__probe_hierarchy(caps->pids_root, "/sys/fs/cgroup/pids", "pids.max",
                      NULL);
  rl__probe_hierarchy(caps->memory_root, "/sys/fs/cgroup/memory",
                      "memory.limit_in_bytes", NULL);
  rl__probe_hierarchy(caps->cpuacct_root, "/sys/fs/cgroup/cpuacct",
                      "cpuacct.usage", NULL);
  /* Where cpu and cpuacct share a hierarchy, one cgroup serves both. */
  rl__probe_hierarchy(caps->cpu_root, "/sys/fs/cgroup/cpu", "cpu.shares",
                      NULL);
  char a[PATH_MAX], b[PATH_MAX];
  if (caps->cpu_root[0] && caps->cpuacct_root[0] &&
      realpath(caps->cpu_root, a) && realpath(caps->cpuacct_root, b) &&
      strcmp(a, b) == 0)
    memcpy(caps->cpu_root, caps->cpuacct_root, sizeof caps->cpu_root);
  if (caps->cpu_root[0])
    rl__cg_write(caps->cpu_root, "cpu.shares", RL__CPU_SHARES);
  /* v1 has no kill: a controller-less cgroup2 beside it gives cgroup.kill. */
  rl__probe_hierarchy(caps->kill_root, "/sys/fs/cgroup/unified",
                      "cgroup.kill", NULL);
  if (!caps->pids_root[0] && !caps->memory_root[0] && !caps->kill_root[0])
    rl__probe_cgroup2(caps);
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
/* Per run, in the parent: cgroups and the mount plan                        */
/* ------------------------------------------------------------------------ */

/* Appends a mount op; src is a host path for binds (looked up under the
 * old root, once pivot_root has run), or a symlink target. */
static int rl__plan(rl__sandbox_run *run, int kind, const char *src,
                    const char *dst, const char *data) {
  if (run->nmounts == RL__SANDBOX_MAX_MOUNTS)
    return -E2BIG;
  rl__mount_op *op = &run->mounts[run->nmounts++];
  op->kind = kind;
  int is_bind = kind == RL__M_RO_DIR || kind == RL__M_RO_FILE ||
                kind == RL__M_RW_DIR || kind == RL__M_DEV;
  int n = snprintf(op->src, sizeof op->src, "%s%s",
                   is_bind ? "/" RL__OLDROOT : "", src ? src : "");
  int m = snprintf(op->dst, sizeof op->dst, "%s", dst);
  snprintf(op->data, sizeof op->data, "%s", data ? data : "");
  return n >= (int)sizeof op->src || m >= (int)sizeof op->dst ? -ENAMETOOLONG
                                                              : 0;
}

/* Plans a bind of a host path at the same place, read-only unless rw, as a
 * file or a directory; missing paths are skipped. */
static int rl__plan_host(rl__sandbox_run *run, const char *path, int rw) {
  struct stat st;
  if (stat(path, &st) < 0)
    return errno == ENOENT ? 0 : -errno;
  int kind = S_ISDIR(st.st_mode) ? (rw ? RL__M_RW_DIR : RL__M_RO_DIR)
                                 : RL__M_RO_FILE;
  return rl__plan(run, kind, path, path, NULL);
}

/* The new root, in mount order: system files read-only, a private /dev,
 * /proc and /tmp, then the caller's paths (last: they may lie under /tmp). */
static int rl__plan_mounts(const rl_sandbox *sb, rl__sandbox_run *run) {
  char opts[64], target[RL_SANDBOX_PATH_MAX], dev[64];
  int rc = rl__plan(run, RL__M_RO_DIR, "/usr", "/usr", NULL);
  for (int i = 0; rc == 0 && rl__top_dirs[i]; i++) {
    ssize_t n = readlink(rl__top_dirs[i], target, sizeof target - 1);
    if (n > 0) {
      target[n] = '\0';
      rc = rl__plan(run, RL__M_SYMLINK, target, rl__top_dirs[i], NULL);
    } else {
      rc = rl__plan_host(run, rl__top_dirs[i], 0);
    }
  }
  for (int i = 0; rc == 0 && rl__etc_keep[i]; i++)
    rc = rl__plan_host(run, rl__etc_keep[i], 0);
  if (rc == 0)
    rc = rl__plan(run, RL__M_TMPFS, NULL, "/dev", "mode=0755,size=64k");
  for (int i = 0; rc == 0 && rl__devices[i]; i++) {
    snprintf(dev, sizeof dev, "/dev/%s", rl__devices[i]);
    rc = rl__plan(run, RL__M_DEV, dev, dev, NULL);
  }
  static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
                                         {"/proc/self/fd/0", "/dev/stdin"},
                                         {"/proc/self/fd/1", "/dev/stdout"},
                                         {"/proc/self/fd/2", "/dev/stderr"}};
  for (size_t i = 0; rc == 0 && i < sizeof links / sizeof *links; i++)
    rc = rl__plan(run, RL__M_SYMLINK, links[i][0], links[i][1], NULL);
  /* POSIX semaphores and shm_open live in /dev/shm; tmpfs pages are charged
   * to the memory cgroup, so the scratch size bounds it twice over. */
  snprintf(opts, sizeof opts, "mode=1777,size=%lld", sb->scratch_bytes);
  if (rc == 0)
    rc = rl__plan(run, RL__M_TMPFS, NULL, "/dev/shm", opts);
  /* hidepid: the unprivileged program sees only its own processes. */
  if (rc == 0)
    rc = rl__plan(run, RL__M_PROC, NULL, "/proc", "hidepid=2");
  if (rc == 0)
    rc = rl__plan(run, RL__M_TMPFS, NULL, "/tmp", opts);
  for (int i = 0; rc == 0 && sb->ro_paths && sb->ro_paths[i]; i++)
    rc = rl__plan_host(run, sb->ro_paths[i], 0);
  if (rc == 0 && sb->rw_path)
    rc = rl__plan_host(run, sb->rw_path, 1);
  return rc;
}

/* Whether slot's cgroup is one an earlier slot already has (cgroup2: one
 * directory serves every slot). */
static int rl__cg_shared(const rl__sandbox_run *run, int slot) {
  for (int i = 0; i < slot; i++)
    if (run->cg[i][0] && strcmp(run->cg[i], run->cg[slot]) == 0)
      return 1;
  return 0;
}

/* How many tasks (threads) real uid `uid` has now: RLIMIT_NPROC counts them
 * all, across the machine, so the fallback limit is this plus the budget. */
static long rl__tasks_of(uid_t uid) {
  DIR *d = opendir("/proc");
  long tasks = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (atoi(e->d_name) <= 0)
      continue;
    char dir[300], buf[2048];
    snprintf(dir, sizeof dir, "/proc/%s", e->d_name);
    if (rl__read_in(dir, "status", buf, sizeof buf) <= 0)
      continue;
    const char *u = strstr(buf, "\nUid:"), *t = strstr(buf, "\nThreads:");
    if (u && t && (uid_t)atol(u + 5) == uid)
      tasks += atol(t + 9);
  }
  if (d)
    closedir(d);
  return tasks;
}

static int rl__cg_create(rl__sandbox_run *run, int slot, const char *root,
                         const char *name) {
  if (!root[0])
    return 0;
  if (snprintf(run->cg[slot], sizeof run->cg[slot], "%s/%s", root, name) >=
      (int)sizeof run->cg[slot]) {
    run->cg[slot][0] = '\0';
    return -ENAMETOOLONG;
  }
  if (rl__cg_shared(run, slot))
    return 0;
  if (mkdir(run->cg[slot], 0755) < 0) {
    int rc = -errno;
    run->cg[slot][0] = '\0';
    return rc;
  }
  return 0;
}

int rl__sandbox_begin(const rl_sandbox *sb, rl__sandbox_run *run) {
  static atomic_ulong seq;
  memset(run, 0, sizeof *run);
  run->sb = sb;
  char name[64], num[32];
  unsigned long n = atomic_fetch_add(&seq, 1) + 1;
  snprintf(name, sizeof name, "%ld-%lu", (long)getpid(), n);
  if (sb->caps.setuid && sb->uid_count && sb->uid_base)
    run->uid = sb->uid_base + (uid_t)(n % sb->uid_count);
  const rl_sandbox_caps *c = &sb->caps;
  int rc = 0;
  if (sb->pids_max > 0)
    rc = rl__cg_create(run, RL__CG_PIDS, c->pids_root, name);
  if (rc == 0 && sb->memory_bytes > 0)
    rc = rl__cg_create(run, RL__CG_MEMORY, c->memory_root, name);
  if (rc == 0)
    rc = rl__cg_create(run, RL__CG_CPUACCT, c->cpuacct_root, name);
  if (rc == 0)
    rc = rl__cg_create(run, RL__CG_CPU, c->cpu_root, name);
  if (rc == 0)
    rc = rl__cg_create(run, RL__CG_KILL, c->kill_root, name);
  if (rc == 0 && run->cg[RL__CG_PIDS][0]) {
    snprintf(num, sizeof num, "%d", sb->pids_max);
    rc = rl__cg_write(run->cg[RL__CG_PIDS], "pids.max", num);
  } else if (rc == 0 && sb->pids_max > 0 && !c->setuid) {
    run->nproc = rl__tasks_of(getuid()) + sb->pids_max;
  }
  if (rc == 0 && run->cg[RL__CG_MEMORY][0]) {
    const rl__cg_files *f = rl__files(c);
    snprintf(num, sizeof num, "%lld", sb->memory_bytes);
    rc = rl__cg_write(run->cg[RL__CG_MEMORY], f->mem_limit, num);
    /* With swap, the limit would only slow a hog down. The file exists only
     * when swap accounting is on. */
    if (rc == 0)
      rl__cg_write(run->cg[RL__CG_MEMORY], f->mem_swap,
                   f->swap_is_total ? num : "0");
  }
  if (rc == 0 && c->mountns)
    rc = rl__plan_mounts(sb, run);
  if (rc == 0 && run->uid && sb->rw_path &&
      chown(sb->rw_path, run->uid, run->uid) < 0)
    rc = -errno;
  if (rc < 0)
    rl__sandbox_end(run, NULL);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Per run, in the child: async-signal-safe system calls only               */
/* ------------------------------------------------------------------------ */

/* mkdir -p, in a stack copy of the path. */
static int rl__mkdirs(const char *path) {
  char p[RL_SANDBOX_PATH_MAX];
  size_t n = strlen(path);
  if (n >= sizeof p)
    return -1;
  memcpy(p, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != '\0')
      continue;
    char c = p[i];
    p[i] = '\0';
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
      return -1;
    p[i] = c;
  }
  return 0;
}

/* A file to mount a file on: its parents, then an empty file. */
static int rl__mkfile(const char *path) {
  char p[RL_SANDBOX_PATH_MAX];
  size_t n = strlen(path);
  if (n >= sizeof p)
    return -1;
  memcpy(p, path, n + 1);
  char *slash = strrchr(p, '/');
  if (slash && slash != p) {
    *slash = '\0';
    if (rl__mkdirs(p) < 0)
      return -1;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

static int rl__bind(const rl__mount_op *op, unsigned long flags) {
  if (mount(op->src, op->dst, NULL, MS_BIND | MS_REC, NULL) < 0)
    return -1;
  return mount(NULL, op->dst, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
}

static int rl__do_mount(const rl__mount_op *op) {
  const unsigned long safe = MS_NOSUID | MS_NODEV;
  switch ((enum rl__mount_kind)op->kind) {
  case RL__M_TMPFS:
    return rl__mkdirs(op->dst) < 0 ? -1
           : mount("tmpfs", op->dst, "tmpfs", safe, op->data);
  case RL__M_PROC:
    return rl__mkdirs(op->dst) < 0
               ? -1
               : mount("proc", op->dst, "proc", safe | MS_NOEXEC, op->data);
  case RL__M_RO_DIR:
    return rl__mkdirs(op->dst) < 0 ? -1 : rl__bind(op, safe | MS_RDONLY);
  case RL__M_RO_FILE:
    return rl__mkfile(op->dst) < 0 ? -1 : rl__bind(op, safe | MS_RDONLY);
  case RL__M_RW_DIR:
    return rl__mkdirs(op->dst) < 0 ? -1 : rl__bind(op, safe);
  case RL__M_DEV:
    return rl__mkfile(op->dst) < 0 ? -1
                                   : rl__bind(op, MS_NOSUID | MS_NOEXEC);
  case RL__M_SYMLINK:
    return symlink(op->src, op->dst);
  }
  return -1;
}

/* Builds the new root: a tmpfs, pivot_root into it, the planned mounts
 * (sources reached through the old root), then the old root detached. */
static int rl__build_root(const rl__sandbox_run *run) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount("tmpfs", RL__NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV,
            "mode=0755,size=1m") < 0 ||
      mkdir(RL__NEWROOT "/" RL__OLDROOT, 0700) < 0 ||
      chdir(RL__NEWROOT) < 0 ||
      syscall(SYS_pivot_root, ".", RL__OLDROOT) < 0 || chdir("/") < 0)
    return -1;
  for (int i = 0; i < run->nmounts; i++)
    if (rl__do_mount(&run->mounts[i]) < 0)
      return -1;
  if (umount2("/" RL__OLDROOT, MNT_DETACH) < 0 || rmdir("/" RL__OLDROOT) < 0)
    return -1;
  return mount(NULL, "/", NULL,
               MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
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

int rl__sandbox_child(const rl__sandbox_run *run) {
  const rl_sandbox *sb = run->sb;
  /* Join first: moving into a cgroup needs the privileges dropped below. */
  for (int i = 0; i < RL__CG_N; i++) {
    if (!run->cg[i][0] || rl__cg_shared(run, i))
      continue;
    int rc = rl__cg_write(run->cg[i], "cgroup.procs", "0");
    if (rc < 0) {
      errno = -rc;
      return -1;
    }
  }
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

/* ------------------------------------------------------------------------ */
/* Per run, after: kill, account, remove                                     */
/* ------------------------------------------------------------------------ */

/* The cgroup that lists every process of the run, "" if none. */
static const char *rl__cg_any(const rl__sandbox_run *run) {
  for (int i = 0; i < RL__CG_N; i++)
    if (run->cg[i][0])
      return run->cg[i];
  return "";
}

int rl__sandbox_tracks(const rl__sandbox_run *run) {
  return rl__cg_any(run)[0] && run->uid;
}

int rl__sandbox_kill(const rl__sandbox_run *run, int wait_empty) {
  const char *dir = rl__cg_any(run);
  if (!dir[0])
    return 0;
  int found = rl__cg_each(dir, NULL);
  /* cgroup.kill also stops a fork bomb mid-fork; v1 needs the loop. */
  if (run->cg[RL__CG_KILL][0])
    rl__cg_write(run->cg[RL__CG_KILL], "cgroup.kill", "1");
  long until = rl__now_ms() + (wait_empty ? RL__KILL_WAIT_MS : 0);
  while (rl__cg_each(dir, rl__sigkill) > 0 && rl__now_ms() < until)
    rl__nap();
  return found;
}

void rl__sandbox_end(rl__sandbox_run *run, rl_run_result *res) {
  if (res) {
    const rl__cg_files *f = rl__files(&run->sb->caps);
    char buf[64];
    if (run->cg[RL__CG_MEMORY][0]) {
      res->memory_limited =
          rl__cg_key(run->cg[RL__CG_MEMORY], f->mem_events, "oom_kill") > 0;
      if (f->mem_full_key)
        res->memory_full = rl__cg_key(run->cg[RL__CG_MEMORY], f->mem_full,
                                      f->mem_full_key) > 0;
      else if (rl__read_in(run->cg[RL__CG_MEMORY], f->mem_full, buf,
                           sizeof buf) > 0)
        res->memory_full = atoll(buf) > 0;
    }
    if (run->cg[RL__CG_PIDS][0])
      res->pids_limited =
          rl__cg_key(run->cg[RL__CG_PIDS], "pids.events", "max") > 0;
    if (run->cg[RL__CG_CPUACCT][0] && f->cpu_key)
      res->cpu_ms =
          rl__cg_key(run->cg[RL__CG_CPUACCT], f->cpu_file, f->cpu_key) /
          f->cpu_per_ms;
    else if (run->cg[RL__CG_CPUACCT][0] &&
             rl__read_in(run->cg[RL__CG_CPUACCT], f->cpu_file, buf,
                         sizeof buf) > 0)
      res->cpu_ms = atoll(buf) / f->cpu_per_ms;
    rl_sandbox_describe(run->sb, res->protections, sizeof res->protections);
  }
  rl__sandbox_kill(run, 1);
  for (int i = 0; i < RL__CG_N; i++)
    if (run->cg[i][0] && !rl__cg_shared(run, i))
      rl__cg_remove(run->cg[i]);
  memset(run->cg, 0, sizeof run->cg);
}
