/* Cost of pthread_create + pthread_join of a thread that does nothing. */
#include <pthread.h>
#include "costs.h"

static void *noop(void *arg) { return arg; }

int main(void)
{
    static double s[REPS];
    for (int i = -50; i < REPS; i++) {          /* 50 warm-up rounds */
        pthread_t t;
        double t0 = now_us();
        if (pthread_create(&t, NULL, noop, NULL) != 0) return 1;
        pthread_join(t, NULL);
        if (i >= 0) s[i] = now_us() - t0;
    }
    report("thread create+join", "pthread_create + pthread_join, empty thread", s, REPS);
    return 0;
}
