/* Cost of handing control to another thread and back: two threads take
 * turns through a mutex and a condition variable. One round trip wakes each
 * thread once, so a handoff (one wake-up plus a context switch, or a
 * cross-core wake) costs half a round trip. */
#include <pthread.h>
#include "costs.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;                                /* 0: main's turn, 1: peer's */
static int stop;

static void *peer(void *arg)
{
    pthread_mutex_lock(&m);
    while (!stop) {
        while (turn != 1 && !stop)
            pthread_cond_wait(&cv, &m);
        turn = 0;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&m);
    return arg;
}

int main(void)
{
    static double s[REPS];
    pthread_t t;
    if (pthread_create(&t, NULL, peer, NULL) != 0) return 1;
    for (int i = -50; i < REPS; i++) {
        double t0 = now_us();
        pthread_mutex_lock(&m);
        turn = 1;
        pthread_cond_signal(&cv);
        while (turn != 0)
            pthread_cond_wait(&cv, &m);
        pthread_mutex_unlock(&m);
        if (i >= 0) s[i] = (now_us() - t0) / 2;
    }
    pthread_mutex_lock(&m);
    stop = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
    report("thread handoff (mutex+condvar)", "half a ping-pong round trip between two threads", s, REPS);
    return 0;
}
