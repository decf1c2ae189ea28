/* rlrt_finst.c -- the -finstrument-functions hooks: a rare seeded jitter at
 * function entry, sharing the memory-access hook's budget. This object is
 * linked only into programs compiled with -finstrument-functions. */
#include "rlrt_internal.h"

void __cyg_profile_func_enter(void *fn, void *site);
void __cyg_profile_func_exit(void *fn, void *site);

__attribute__((no_instrument_function)) void
__cyg_profile_func_enter(void *fn, void *site) {
  if (__builtin_expect(rlrt__cfg.mode == RLRT_MODE_RANDOM, 0)) {
    rlrt_thread *t = rlrt__self();
    if (t)
      rlrt__jitter_access(t);
  }
}

__attribute__((no_instrument_function)) void
__cyg_profile_func_exit(void *fn, void *site) {}
