/* report_rlrt.h -- turns one event log of racelab's runtime (the grammar is
 * in runtime/rlrt_protocol.h) into findings. */
#ifndef RL_REPORT_RLRT_H
#define RL_REPORT_RLRT_H

#include <stddef.h>

#include "finding.h"

/* Appends to out, from the log text of one process:
 *  - lock-order-inversion: one per cycle of the lock-order graph (the
 *    smallest cycle through each edge, each cycle once), even on runs that
 *    did not hang. Per edge, in cycle order starting at the lowest id, two
 *    locations as TSan's parser makes them: "holds M1, takes M2" (the stack
 *    of taking M2) then "takes M1 first" (the stack of taking M1);
 *  - deadlock: from a hang dump, one per cycle of the wait-for graph
 *    (mutex/rwlock owners, joins), summary "T1 holds M1 and waits for M2;
 *    T2 holds M2 and waits for M1";
 *  - hang: a dump with blocked threads but no cycle, with the reason:
 *    a condvar nobody signals (a lost wakeup when a signal found no waiter
 *    earlier), a join on a blocked thread, a thread relocking a mutex it
 *    holds, a lock held by a thread that exited or did not survive fork;
 *  - sync-misuse: unlock of a lock not held, destroying a held mutex, a
 *    condvar wait without its mutex, one condvar with two mutexes, a
 *    condvar wait not in a loop that re-checks its condition (seen when a
 *    spurious wakeup the runtime injected was not followed by a new wait).
 * Frames are (module path, offset): the top frame of each stack gets
 * offset ip-1, the others ip, so that rl_symbolize_findings (which looks
 * up offset-1 below the top) names the line of the call everywhere.
 * Unknown lines are skipped. Returns the number of findings appended, or
 * -ENOMEM (findings appended so far stay in out). */
int rl_report_rlrt_parse(const char *text, size_t len, rl_findings *out);

#endif
