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
 *    call site, object "loop L1";
 *  - memory-error, for a heap block freed while a handle inside it was
 *    closing (uv_close called, its callback not run yet), one per free
 *    site and close site, object "handle H1 (timer)";
 *    locations: the free, the uv_close, the handle's creation. Not when
 *    the log says a sanitizer reported the block (uvlate):
 *    rl_report_rlrt_uv_retell then tells it;
 *  - memory-error, for handles not closed yet inside a heap block
 *    realloc() moved, or freed by realloc() or free(), one per site,
 *    object "open handle H1 (timer)"; locations: the realloc or free, the
 *    first handle's creation. Such a handle is not also reported as never
 *    closed.
 * A request started and never completed but found by no stop (the program
 * was killed, e.g. at a hang) is not reported: the hang is. Frames are as
 * in report_rlrt.h. Unknown and malformed lines are skipped. Returns the
 * number of findings appended, or -ENOMEM (findings appended so far stay
 * in out). */
int rl_report_rlrt_uv_parse(const char *text, size_t len, rl_findings *out);

/* Retells in libuv's words the sanitizer findings, among found (those of
 * the process whose runtime log is text), that the log says are about a
 * request or a handle:
 *  - "uvearly R<n>" (ASan only): the use-after-poison finding becomes
 *    forgotten-await, "uv_fs_read's result is read before its callback
 *    ran", object "request R3 (uv_fs_read)", locations: the read, then
 *    "starts the request";
 *  - "uvlate H<n>" (ASan and TSan): each heap-use-after-free finding whose
 *    block was freed where the runtime saw H<n> freed while closing stays
 *    memory-error, told as a handle freed while its close was pending;
 *    locations: the free, the uv_close, the use, the handle's creation.
 * Returns how many findings it retold, or -ENOMEM (one may be half
 * retold). */
int rl_report_rlrt_uv_retell(const char *text, size_t len, rl_findings *found);

#endif
