/* log_watch.c -- inotify on a run's folder (log_watch.h). Only what the
 * program can do to a log by name is watched: delete it, rename it away,
 * or rename another file over it; and remove or move the folder. racelab
 * itself changes nothing there while the program runs. */
#include "log_watch.h"

#include <stdalign.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util.h"

#define WATCHED (IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

/* One inotify instance per process, kept open: closing one waits for the
 * kernel's RCU grace period (measured: 6 ms a run), a watch costs
 * microseconds. A forked process makes its own, so that no two processes
 * read each other's events. */
static int instance = -1;
static pid_t instance_pid;

static int process_instance(void) {
  if (instance >= 0 && instance_pid == getpid()) return instance;
  if (instance >= 0) close(instance); /* the parent's: not the last reference, cheap */
  instance = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  instance_pid = getpid();
  return instance;
}

void rl_log_watch_start(rl_log_watch *w, const char *dir) {
  int fd = process_instance();
  w->wd = fd < 0 ? -1 : inotify_add_watch(fd, dir, WATCHED);
}

/* Whose log a file name is, or NULL when it is none. */
static const char *log_owner(const char *name) {
  if (strncmp(name, "san.", 4) == 0) return "its sanitizer's";
  if (strncmp(name, "rlrt.", 5) == 0) return "racelab's runtime";
  return NULL;
}

/* One event of watch wd in words, or NULL when it is about no log. */
static char *describe(const struct inotify_event *ev, int wd) {
  if (ev->mask & IN_Q_OVERFLOW)
    return rl_xstrdup("changed so many files in its scratch folder that racelab lost track of its logs");
  if (ev->wd != wd) return NULL; /* an earlier run's, removed */
  if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) return rl_xstrdup("removed its scratch folder, logs and all");
  const char *owner = ev->len ? log_owner(ev->name) : NULL;
  if (!owner) return NULL;
  const char *what = ev->mask & IN_DELETE ? "deleted" : ev->mask & IN_MOVED_FROM ? "renamed away" : "replaced";
  return rl_xasprintf("%s %s log", what, owner);
}

char *rl_log_watch_stop(rl_log_watch *w) {
  if (w->wd < 0) return NULL;
  alignas(struct inotify_event) char buf[4096];
  char *first = NULL;
  ssize_t n;
  while ((n = read(instance, buf, sizeof buf)) > 0) { /* all of it: the next run starts clean */
    for (char *p = buf; p < buf + n; p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len) {
      char *said = first ? NULL : describe((const struct inotify_event *)p, w->wd);
      if (said) first = said;
    }
  }
  inotify_rm_watch(instance, w->wd);
  w->wd = -1;
  return first;
}
