/* Cost of an uncontended pthread_mutex_lock + unlock, timed in batches. */
#include <pthread.h>
#include "costs.h"

#define BATCH 1000

int main(void)
{
    static double s[REPS];
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    volatile int x = 0;
    for (int i = -50; i < REPS; i++) {
        double t0 = now_us();
        for (int j = 0; j < BATCH; j++) {
            pthread_mutex_lock(&m);
            x++;
            pthread_mutex_unlock(&m);
        }
        if (i >= 0) s[i] = (now_us() - t0) / BATCH;
    }
    report("mutex lock+unlock, uncontended", "one thread, timed per 1000", s, REPS);
    return 0;
}
