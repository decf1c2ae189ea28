/* rlrt_misuse.c -- logs a misuse of a synchronization object (unlocking what
 * the thread does not hold, destroying a held mutex, a condvar wait without
 * its mutex or with a second one). It only logs: the real call still runs,
 * so the program behaves as it would without racelab. */
#include "rlrt_internal.h"

void rlrt__misuse(rlrt_thread *t, const char *what, const rlrt_obj *a,
                  const rlrt_obj *b, const rlrt_obj *c, int owner,
                  const void *caller) {
  if (!rlrt__cfg.log_prefix[0])
    return;
  rlrt_stack st;
  rlrt__stack_capture(&st, caller);
  rlrt__misuse_at(t, what, a, b, c, owner, &st);
}

void rlrt__misuse_at(rlrt_thread *t, const char *what, const rlrt_obj *a,
                     const rlrt_obj *b, const rlrt_obj *c, int owner,
                     const rlrt_stack *st) {
  if (!rlrt__cfg.log_prefix[0])
    return;
  rlrt_line l = {.n = 0};
  rlrt__put(&l, "misuse ");
  rlrt__put(&l, what);
  rlrt__put(&l, " ");
  rlrt__put_obj(&l, a);
  const rlrt_obj *more[] = {b, c};
  for (int i = 0; i < 2 && more[i]; i++) {
    rlrt__put(&l, " ");
    rlrt__put_obj(&l, more[i]);
  }
  rlrt__put(&l, " ");
  rlrt__put_tid(&l, t->idx);
  if (owner >= -1) {
    rlrt__put(&l, " owner=");
    rlrt__put_tid(&l, owner);
  }
  rlrt__put(&l, " s=");
  rlrt__put_stack(&l, st);
  rlrt__emit(&l);
}
