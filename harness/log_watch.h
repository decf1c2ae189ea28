/* log_watch.h -- what a program did to its logs while it ran. The
 * sanitizers write their reports from inside the program, with its rights,
 * so a program can delete, rename or replace them before racelab reads
 * them; inotify, outside the program, sees it happen. */
#ifndef RL_LOG_WATCH_H
#define RL_LOG_WATCH_H

typedef struct {
  int wd; /* an inotify watch, -1 when nothing is watched */
} rl_log_watch;

/* Watch the logs of dir ("san.*", "rlrt.*") and dir itself. Never fails
 * the run: without inotify nothing is watched. */
void rl_log_watch_start(rl_log_watch *w, const char *dir);

/* Stop watching. Returns what happened to a log since the start, in words
 * ("deleted its sanitizer's log"), or NULL if nothing did. */
char *rl_log_watch_stop(rl_log_watch *w);

#endif
