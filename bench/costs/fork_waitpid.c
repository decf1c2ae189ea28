/* Cost of fork + _exit in the child + waitpid in the parent. */
#include <sys/wait.h>
#include <unistd.h>
#include "costs.h"

int main(void)
{
    static double s[REPS];
    for (int i = -20; i < REPS; i++) {
        double t0 = now_us();
        pid_t pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) _exit(0);
        int status;
        if (waitpid(pid, &status, 0) != pid) return 1;
        if (i >= 0) s[i] = now_us() - t0;
    }
    report("process fork+waitpid", "fork, child _exit(0), parent waitpid (small parent)", s, REPS);
    return 0;
}
