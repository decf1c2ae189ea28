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

/* The hot path, inline: a TLS load and a decrement per access; a call
 * only when the countdown runs out (or on a thread's first access). */
static inline void access_point(void) {
  rlrt_thread *t = rlrt__self_tls;
  if (__builtin_expect(!t, 0) && !(t = rlrt__self()))
    return;
  if (__builtin_expect(t->access_countdown > 1, 1))
    t->access_countdown--;
  else
    rlrt__jitter_access(t);
}

/* The real hook last, as a tail call, so TSan sees the program's pc. */
#define XX(name)                                                               \
  void __real___tsan_##name(void *addr);                                       \
  void __wrap___tsan_##name(void *addr);                                       \
  void __wrap___tsan_##name(void *addr) {                                      \
    if (__builtin_expect(rlrt__cfg.mode == RLRT_MODE_RANDOM, 0))               \
      access_point();                                                          \
    __real___tsan_##name(addr);                                                \
  }
RLRT_ACCESS_HOOKS(XX)
#undef XX
