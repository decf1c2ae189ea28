/* rlrt_modules.c -- logs every loaded module (load bias, mapped range,
 * path) once, so the harness can turn the raw instruction pointers of the
 * log into (module, offset) pairs. It does not symbolize anything. */
#include <fcntl.h>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rlrt_internal.h"

static int log_one(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  int *first = data;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t a = info->dlpi_addr + ph->p_vaddr;
    if (a < lo)
      lo = a;
    if (a + ph->p_memsz > hi)
      hi = a + ph->p_memsz;
  }
  /* The program itself comes first, with an empty name: use its path. */
  char exe[512];
  const char *path = info->dlpi_name;
  if (*first) {
    long n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe,
                     sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    path = exe;
    *first = 0;
  }
  if (hi == 0 || !path || !*path)
    return 0; /* the vdso and other nameless mappings */
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "module base=");
  rlrt__put_hex(&l, info->dlpi_addr);
  rlrt__put(&l, " lo=");
  rlrt__put_hex(&l, lo);
  rlrt__put(&l, " hi=");
  rlrt__put_hex(&l, hi);
  rlrt__put(&l, " path=");
  rlrt__put(&l, path);
  rlrt__emit(&l);
  return 0;
}

void rlrt__log_modules(void) {
  int first = 1;
  dl_iterate_phdr(log_one, &first);
}
