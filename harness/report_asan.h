/* report_asan.h -- turns AddressSanitizer report text into findings. */
#ifndef RL_REPORT_ASAN_H
#define RL_REPORT_ASAN_H

#include <stddef.h>

#include "finding.h"

/* Appends one memory-error finding per AddressSanitizer report in text
 * (heap-use-after-free, buffer overflows, double-free, SEGV, ...; a crash
 * finding for a deadly signal that is not about memory, like ABRT): the
 * faulting access first, then where the block was freed; object_origin is
 * where it was allocated; detail is ASan's bug type ("heap-use-after-free").
 * LeakSanitizer's "detected memory leaks" reports are skipped: racelab is
 * about concurrency, and its own runtime reports unfinished async work.
 * Returns the number of findings appended, or -ENOMEM. */
int rl_report_asan_parse(const char *text, size_t len, rl_findings *out);

/* Returns 1 and a one-line message in msg (truncated to msgcap) when the
 * text shows that the ASan/LSan runtime itself failed (gcc's LSan "Tracer
 * caught signal 11", "LeakSanitizer has encountered a fatal error", CHECK
 * failed), else 0. */
int rl_report_asan_runtime_error(const char *text, size_t len, char *msg,
                                 size_t msgcap);

#endif
