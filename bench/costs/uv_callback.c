/* Cost of one event-loop callback: a uv_idle_t handle whose callback runs
 * once per loop iteration, timed per batch of 1000 iterations. */
#include <uv.h>
#include "costs.h"

#define BATCH 1000

static int left;

static void on_idle(uv_idle_t *h)
{
    if (--left == 0)
        uv_idle_stop(h);
}

int main(void)
{
    static double s[REPS];
    uv_loop_t loop;
    uv_idle_t idle;
    uv_loop_init(&loop);
    uv_idle_init(&loop, &idle);
    for (int i = -50; i < REPS; i++) {
        left = BATCH;
        double t0 = now_us();
        uv_idle_start(&idle, on_idle);
        uv_run(&loop, UV_RUN_DEFAULT);
        if (i >= 0) s[i] = (now_us() - t0) / BATCH;
    }
    uv_close((uv_handle_t *)&idle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    report("event-loop callback (uv_idle)", "one loop iteration running one idle callback, timed per 1000", s, REPS);
    return 0;
}
