/* sandbox_cgroup.c -- the per-run cgroups of a sandboxed run: find the
 * hierarchies this machine offers (cgroup v1, a cgroup2 beside it, or a
 * pure cgroup2), create a run's cgroups with their limits, move the child
 * into them, then kill what is left, read what the limits did and remove
 * them; also remove what racelab processes that died left behind.
 *
 * It does not decide the limits (rl_sandbox does) and does not start the
 * program (supervise.c does).
 */
#include "sandbox_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "util.h"

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

/* The CPU weight of racelab's cgroup as a whole (v1 shares, v2 weight),
 * against the machine's other tasks at 1024 (v1) or 100 (v2) each: about
 * as much as the busy threads of a few runs had before they were grouped. */
#define RL__CPU_SHARES "16384"
#define RL__CPU_WEIGHT "1600"
/* How long rl__sandbox_kill waits for a killed cgroup to empty. */
#define RL__KILL_WAIT_MS 2000

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
    rl_sleep_ms(1);
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
      rl_sleep_ms(1);
    rl__cg_remove(dir);
  }
  closedir(d);
}

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

void rl__cg_probe(rl_sandbox_caps *caps) {
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
}

/* ------------------------------------------------------------------------ */
/* Per run, before and at its start                                          */
/* ------------------------------------------------------------------------ */

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

int rl__cg_begin(rl__sandbox_run *run, const char *name) {
  const rl_sandbox *sb = run->sb;
  const rl_sandbox_caps *c = &sb->caps;
  char num[32];
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
  return rc;
}

int rl__cg_join(const rl__sandbox_run *run) {
  for (int i = 0; i < RL__CG_N; i++) {
    if (!run->cg[i][0] || rl__cg_shared(run, i))
      continue;
    int rc = rl__cg_write(run->cg[i], "cgroup.procs", "0");
    if (rc < 0) {
      errno = -rc;
      return -1;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* After the run                                                             */
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
  long until = rl_now_ms() + (wait_empty ? RL__KILL_WAIT_MS : 0);
  while (rl__cg_each(dir, rl__sigkill) > 0 && rl_now_ms() < until)
    rl_sleep_ms(1);
  return found;
}

void rl__cg_account(const rl__sandbox_run *run, rl_run_result *res) {
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
}

void rl__cg_release(rl__sandbox_run *run) {
  rl__sandbox_kill(run, 1);
  for (int i = 0; i < RL__CG_N; i++)
    if (run->cg[i][0] && !rl__cg_shared(run, i))
      rl__cg_remove(run->cg[i]);
  memset(run->cg, 0, sizeof run->cg);
}
