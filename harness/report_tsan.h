/* report_tsan.h -- turns ThreadSanitizer report text into findings. */
#ifndef RL_REPORT_TSAN_H
#define RL_REPORT_TSAN_H

#include <stddef.h>

#include "finding.h"

/* Appends one finding per report in text (a log_path file or stderr) to
 * out: data races, lock-order inversions, thread leaks, heap-use-after-free
 * and misused mutexes or signals. Frames are left as the report printed
 * them (module+offset, or already symbolized). Returns the number of
 * findings appended, or -ENOMEM (findings appended so far stay in out). */
int rl_report_tsan_parse(const char *text, size_t len, rl_findings *out);

/* Returns 1 and a one-line message in msg (truncated to msgcap) when the
 * text shows that the TSan runtime itself failed (CHECK failed, FATAL,
 * threads started after a multi-threaded fork), else 0. Such a failure is
 * not the learner's bug and never becomes a finding. */
int rl_report_tsan_runtime_error(const char *text, size_t len, char *msg,
                                 size_t msgcap);

#endif
