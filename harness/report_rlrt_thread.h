/* report_rlrt_thread.h -- the lifetime lines of one runtime event log
 * (threads never joined, children never waited for, joins of a failed
 * create: the "unjoined", "unwaited" and "joinfailed" lines of
 * runtime/rlrt_protocol.h) into findings. */
#ifndef RL_REPORT_RLRT_THREAD_H
#define RL_REPORT_RLRT_THREAD_H

#include <stddef.h>

#include "finding.h"

/* Appends to out, from the log text of one process (the same text
 * rl_report_rlrt_parse reads; each parser skips the other's lines):
 *  - unjoined-thread, for threads neither joined nor detached when the
 *    process exited, one finding per creation site (same stack), object
 *    "thread T1" or "threads T1, T2"; its location is where they were
 *    created, role "creates T1, which is never joined" (as in TSan's thread
 *    leak, so that the two merge), its threads those listed, each with its
 *    creation stack;
 *  - unwaited-child, for child processes never waited for when the
 *    process exited, one finding per fork site, object "child process P1"
 *    or "child processes P1, P2", location "forks P1, which is never
 *    waited for";
 *  - sync-misuse, for a join of the pthread_t a failed pthread_create()
 *    left unset, one per join site and create site, object "thread T2,
 *    which never started", locations "joins T2, which never started" and
 *    "creates T2: pthread_create() fails, unchecked".
 * Frames are as in report_rlrt.h. Unknown and malformed lines are skipped.
 * Returns the number of findings appended, or -ENOMEM (findings appended
 * so far stay in out). */
int rl_report_rlrt_thread_parse(const char *text, size_t len, rl_findings *out);

#endif
