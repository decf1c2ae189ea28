/* sandbox_mounts.c -- the private root of a sandboxed run: planned in the
 * parent (which host paths, which fresh file systems, in which order), then
 * built by the child in its new mount namespace with system calls only.
 *
 * It does not unshare the namespace (sandbox.c does) and adds no host path
 * of its own beyond /usr, the few /etc files the loader and the compiler
 * need, and a minimal /dev.
 */
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

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

/* ------------------------------------------------------------------------ */
/* In the parent: the plan                                                   */
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
int rl__plan_mounts(const rl_sandbox *sb, rl__sandbox_run *run) {
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

/* ------------------------------------------------------------------------ */
/* In the child: async-signal-safe system calls only                        */
/* ------------------------------------------------------------------------ */

/* mkdir -p of the first n bytes of path, in a stack copy. */
static int rl__mkdirs_n(const char *path, size_t n) {
  char p[RL_SANDBOX_PATH_MAX];
  if (n >= sizeof p)
    return -1;
  memcpy(p, path, n);
  p[n] = '\0';
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

static int rl__mkdirs(const char *path) {
  return rl__mkdirs_n(path, strlen(path));
}

/* A file to mount a file on: its parents, then an empty file. */
static int rl__mkfile(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash && slash != path && rl__mkdirs_n(path, (size_t)(slash - path)) < 0)
    return -1;
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

int rl__pivot_to_tmpfs(const char *opts) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount("tmpfs", RL__NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0 ||
      mkdir(RL__NEWROOT "/" RL__OLDROOT, 0700) < 0 ||
      chdir(RL__NEWROOT) < 0 ||
      syscall(SYS_pivot_root, ".", RL__OLDROOT) < 0 || chdir("/") < 0)
    return -1;
  return 0;
}

/* The planned mounts take their sources through the old root, detached
 * once they are all made. */
int rl__build_root(const rl__sandbox_run *run) {
  if (rl__pivot_to_tmpfs("mode=0755,size=1m") < 0)
    return -1;
  for (int i = 0; i < run->nmounts; i++)
    if (rl__do_mount(&run->mounts[i]) < 0)
      return -1;
  if (umount2("/" RL__OLDROOT, MNT_DETACH) < 0 || rmdir("/" RL__OLDROOT) < 0)
    return -1;
  return mount(NULL, "/", NULL,
               MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}
