/* report_rlrt_uv.h -- the libuv lines of one runtime event log (the "uv*"
 * lines of runtime/rlrt_protocol.h) into findings. */
#ifndef RL_REPORT_RLRT_UV_H
#define RL_REPORT_RLRT_UV_H

#include <stddef.h>

#include "finding.h"

/* Appends to out, from the log text of one process (the same text
 * rl_report_rlrt_parse reads; each parser skips the other's lines):
 *  - forgotten-await, for requests started with a callback that never ran
 *    although a loop stop (uv_run(UV_RUN_DEFAULT) returning,
 *    uv_loop_close, program exit) found them pending; one finding per
 *    start site (same call, same stack), object "request R3 (uv_fs_open)"
 *    or "requests R1, R2 (uv_queue_work)". Locations: "starts the request"
 *    with the start stack, then, when the stop was a call, where it was
 *    (uv_loop_close, uv_run);
 *  - forgotten-await, for handles never closed (or whose close never
 *    finished) at uv_loop_close or exit, one per creation site, object
 *    "handle H1 (timer)", location "creates the handle";
 *  - forgotten-await, for uv_loop_close returning UV_EBUSY with nothing the
 *    runtime follows still open (a handle or request it does not wrap);
 *  - sync-misuse, a call on a loop while another thread runs it, one per
 *    call site, object "loop L1".
 * A request started and never completed but found by no stop (the program
 * was killed, e.g. at a hang) is not reported: the hang is. Frames are as
 * in report_rlrt.h. Unknown and malformed lines are skipped. Returns the
 * number of findings appended, or -ENOMEM (findings appended so far stay
 * in out). */
int rl_report_rlrt_uv_parse(const char *text, size_t len, rl_findings *out);

#endif
