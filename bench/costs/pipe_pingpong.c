/* Cost of a one-byte message from one process to another through a pipe:
 * half a ping-pong round trip between parent and child. */
#include <sys/wait.h>
#include <unistd.h>
#include "costs.h"

int main(void)
{
    static double s[REPS];
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) return 1;
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        char c;
        close(down[1]);                         /* else read() never sees EOF */
        close(up[0]);
        while (read(down[0], &c, 1) == 1)
            if (write(up[1], &c, 1) != 1) _exit(1);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    for (int i = -50; i < REPS; i++) {
        char c = 'x';
        double t0 = now_us();
        if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1) return 1;
        if (i >= 0) s[i] = (now_us() - t0) / 2;
    }
    close(down[1]);
    waitpid(pid, NULL, 0);
    report("pipe message between processes", "half a 1-byte ping-pong round trip", s, REPS);
    return 0;
}
