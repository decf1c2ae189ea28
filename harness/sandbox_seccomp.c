/* sandbox_seccomp.c -- the system-call filter loaded last in a sandboxed
 * child: it denies, with an errno the program can handle, what the
 * namespaces and the uid change leave open.
 *
 * It does not decide whether to load it (sandbox.c does, when the probe
 * found that it works); it knows only x86-64's system-call numbers.
 */
#include "sandbox_internal.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

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

int rl__seccomp_load(void) {
  struct sock_fprog prog = {
      .len = (unsigned short)(sizeof rl__filter / sizeof *rl__filter),
      .filter = rl__filter};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
#else
int rl__seccomp_load(void) {
  errno = ENOSYS;
  return -1;
}
#endif
