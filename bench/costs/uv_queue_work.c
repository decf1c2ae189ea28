/* Cost of a uv_queue_work round trip: queue an empty work_cb, run the loop
 * until its after_work_cb has run on the loop thread. */
#include <uv.h>
#include "costs.h"

static void work(uv_work_t *req) { (void)req; }
static void after(uv_work_t *req, int status) { (void)req; (void)status; }

int main(void)
{
    static double s[REPS];
    uv_loop_t loop;
    uv_work_t req;
    uv_loop_init(&loop);
    for (int i = -50; i < REPS; i++) {
        double t0 = now_us();
        if (uv_queue_work(&loop, &req, work, after) != 0) return 1;
        uv_run(&loop, UV_RUN_DEFAULT);
        if (i >= 0) s[i] = now_us() - t0;
    }
    uv_loop_close(&loop);
    report("uv_queue_work round trip", "empty work_cb on the pool, after_work_cb back on the loop", s, REPS);
    return 0;
}
