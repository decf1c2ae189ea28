/* rlrt_access.c -- jitter at TSan's memory-access hooks (TSan builds only:
 * wrap.rsp wraps __tsan_readN/__tsan_writeN, and this object is pulled in
 * only when the program references them). A race with no sync call in its
 * window (a counter bumped in a loop) gets a rare, seeded sleep between
 * its load and its store. Only in `random` mode: it slows the threads with
 * many accesses, which hides ordering bugs (a lost wakeup went from 16/20
 * hung runs to 0/20 under it), and those are what `pct` is for. Other modes
 * cost one branch per access. */
#include "rlrt_internal.h"

#define RLRT_ACCESS_HOOKS(XX)                                                  \
  XX(read1) XX(read2) XX(read4) XX(read8) XX(write1) XX(write2) XX(write4)    \
  XX(write8)

#define XX(name)                                                               \
  void __real___tsan_##name(void *addr);                                       \
  void __wrap___tsan_##name(void *addr);                                       \
  void __wrap___tsan_##name(void *addr) {                                      \
    if (__builtin_expect(rlrt__cfg.mode == RLRT_MODE_RANDOM, 0)) {                \
      rlrt_thread *t = rlrt__self();                                           \
      if (t)                                                                   \
        rlrt__jitter_access(t);                                                \
    }                                                                          \
    __real___tsan_##name(addr);                                                \
  }
RLRT_ACCESS_HOOKS(XX)
#undef XX
