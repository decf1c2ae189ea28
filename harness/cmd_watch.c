/* cmd_watch.c -- `racelab watch`: re-check the current exercise on every
 * save and move on when it passes. One libuv loop drives it all: file
 * events on the exercise folder, key presses on stdin (a terminal or a
 * pipe), SIGINT/SIGTERM, and the check itself on the thread pool so the
 * loop stays responsive while a check runs. It never checks two things at
 * once: a save during a check queues one more check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "commands.h"
#include "exercise.h"
#include "progress.h"
#include "util.h"

#define DEBOUNCE_MS 150 /* editors write a file in several steps */

typedef enum { JOB_NONE, JOB_CHECK, JOB_CHECK_ALL } job_kind;

typedef struct {
  uv_loop_t *loop;
  uv_fs_event_t files;
  uv_timer_t debounce;
  uv_tty_t tty;
  uv_pipe_t pipe;
  uv_stream_t *keys;          /* &tty or &pipe, NULL when stdin is neither */
  uv_signal_t sigint, sigterm;
  uv_work_t work;
  rl_lab lab;
  const rl_exercise *current;
  const rl_options *opts;     /* --runs, --seed... passed on to each check */
  job_kind running;           /* the job on the thread pool, if any */
  int check_again;            /* a save arrived during a check */
  int quitting;
  int last_code;              /* exit code of the last check */
} watcher;

static void legend(void) {
  printf("\n[n]ext  [h]int  [l]ist  [a] check all  [r]eset  [q]uit   (watching for saves)\n");
  fflush(stdout);
}

static rl_options options_for(const watcher *w, const char *command, const rl_exercise *ex, char *id, size_t cap) {
  rl_options o = *w->opts;
  snprintf(id, cap, "%d", ex->number);
  o.command = command;
  o.target = id;
  o.against = NULL;
  return o;
}

/* ------------------------------------------------- checks on the pool */

static void run_job(uv_work_t *req) {
  watcher *w = req->data;
  char id[16];
  if (w->running == JOB_CHECK) {
    rl_options o = options_for(w, "check", w->current, id, sizeof id);
    w->last_code = rl_cmd_check(&o);
    return;
  }
  for (size_t i = 0; i < w->lab.count; i++) {
    rl_options o = options_for(w, "check", &w->lab.items[i], id, sizeof id);
    o.format = RL_FORMAT_HUMAN;
    printf("\n== %s ==\n", w->lab.items[i].id);
    rl_cmd_check(&o);
  }
}

static void watch_current(watcher *w);
static void start_job(watcher *w, job_kind kind);
static void stop_all(watcher *w);

/* The first exercise after `from` that is not solved, or NULL. */
static const rl_exercise *next_unsolved(const watcher *w, const rl_exercise *from) {
  for (size_t i = 0; i < w->lab.count; i++) {
    const rl_exercise *ex = &w->lab.items[i];
    if (from && ex->number <= from->number) continue;
    if (rl_progress_state(w->lab.root, ex->id) != RL_STATE_SOLVED) return ex;
  }
  return NULL;
}

static void announce(const watcher *w) {
  printf("\nNow: %s, %s. Edit exercises/%s/%s and save.\n", w->current->id, w->current->title, w->current->id,
         w->current->edit[0]);
}

static void job_done(uv_work_t *req, int status) {
  watcher *w = req->data;
  job_kind finished = w->running;
  w->running = JOB_NONE;
  if (status == UV_ECANCELED || w->quitting) {
    stop_all(w);
    return;
  }
  if (finished == JOB_CHECK && w->last_code == 0) {
    const rl_exercise *next = next_unsolved(w, w->current);
    if (next) {
      printf("\nSolved. Moving on.\n");
      w->current = next;
      watch_current(w);
      announce(w);
    } else {
      printf("\nSolved, and that was the last unsolved exercise. Well done.\n");
    }
  }
  if (w->check_again) {
    w->check_again = 0;
    start_job(w, JOB_CHECK);
    return;
  }
  legend();
}

static void start_job(watcher *w, job_kind kind) {
  if (w->running != JOB_NONE) {
    w->check_again |= kind == JOB_CHECK;
    return;
  }
  w->running = kind;
  w->work.data = w;
  printf("\nChecking %s...\n", kind == JOB_CHECK ? w->current->id : "every exercise");
  fflush(stdout);
  uv_queue_work(w->loop, &w->work, run_job, job_done);
}

/* ------------------------------------------------------- file events */

static void on_debounced(uv_timer_t *t) { start_job(t->data, JOB_CHECK); }

static int is_edit_file(const rl_exercise *ex, const char *name) {
  for (size_t i = 0; name && i < ex->nedit; i++)
    if (strcmp(ex->edit[i], name) == 0) return 1;
  return 0;
}

static void on_file_event(uv_fs_event_t *h, const char *filename, int events, int status) {
  (void)events;
  watcher *w = h->data;
  if (status < 0 || !is_edit_file(w->current, filename)) return;
  uv_timer_start(&w->debounce, on_debounced, DEBOUNCE_MS, 0);
}

/* (Re)point the file watcher at the current exercise's folder: watching the
 * folder, not the file, survives editors that save by rename. */
static void watch_current(watcher *w) {
  uv_fs_event_stop(&w->files);
  int rc = uv_fs_event_start(&w->files, on_file_event, w->current->dir, 0);
  if (rc < 0) fprintf(stderr, "racelab: cannot watch %s: %s\n", w->current->dir, uv_strerror(rc));
}

/* ------------------------------------------------------------- keys */

static void alloc_key(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h, (void)suggested;
  static char space[64];
  *buf = uv_buf_init(space, sizeof space);
}

static void on_key(watcher *w, char key) {
  char id[16];
  rl_options o;
  switch (key) {
    case 'n': {
      const rl_exercise *next = next_unsolved(w, w->current);
      w->current = next ? next : &w->lab.items[0];
      watch_current(w);
      announce(w);
      legend();
      break;
    }
    case 'h':
      o = options_for(w, "hint", w->current, id, sizeof id);
      rl_cmd_hint(&o);
      legend();
      break;
    case 'l':
      o = options_for(w, "list", w->current, id, sizeof id);
      o.target = NULL;
      rl_cmd_list(&o);
      legend();
      break;
    case 'a':
      start_job(w, JOB_CHECK_ALL);
      break;
    case 'r':
      if (w->running != JOB_NONE) {
        printf("(a check is running; reset after it)\n");
        break;
      }
      o = options_for(w, "reset", w->current, id, sizeof id);
      rl_cmd_reset(&o);
      legend();
      break;
    case 'q':
    case 3: /* Ctrl-C, which raw mode delivers as a key */
      stop_all(w);
      break;
    default:
      break;
  }
  fflush(stdout);
}

static void on_keys(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  watcher *w = s->data;
  if (n < 0) {  /* end of input: keep watching files, stop reading keys */
    uv_read_stop(s);
    return;
  }
  for (ssize_t i = 0; i < n; i++) on_key(w, buf->base[i]);
}

static void open_keys(watcher *w) {
  uv_handle_type type = uv_guess_handle(0);
  if (type == UV_TTY && uv_tty_init(w->loop, &w->tty, 0, 1) == 0) {
    uv_tty_set_mode(&w->tty, UV_TTY_MODE_RAW);
    w->keys = (uv_stream_t *)&w->tty;
  } else if (type == UV_NAMED_PIPE && uv_pipe_init(w->loop, &w->pipe, 0) == 0) {
    if (uv_pipe_open(&w->pipe, 0) == 0) w->keys = (uv_stream_t *)&w->pipe;
    else uv_close((uv_handle_t *)&w->pipe, NULL);
  }
  if (!w->keys) return;
  w->keys->data = w;
  uv_read_start(w->keys, alloc_key, on_keys);
}

/* ------------------------------------------------------ start and stop */

static void on_signal(uv_signal_t *s, int signum) {
  (void)signum;
  stop_all(s->data);
}

/* Close every handle; a running check is awaited (its callback calls us
 * again), never abandoned. */
static void stop_all(watcher *w) {
  w->quitting = 1;
  if (w->running != JOB_NONE) {
    printf("\n(finishing the running check first)\n");
    return;
  }
  if (w->keys) {
    uv_tty_reset_mode();
    if (!uv_is_closing((uv_handle_t *)w->keys)) uv_close((uv_handle_t *)w->keys, NULL);
  }
  uv_handle_t *handles[] = {(uv_handle_t *)&w->files, (uv_handle_t *)&w->debounce, (uv_handle_t *)&w->sigint,
                            (uv_handle_t *)&w->sigterm};
  for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
    if (!uv_is_closing(handles[i])) uv_close(handles[i], NULL);
}

int rl_cmd_watch(const rl_options *opts) {
  watcher w = {.opts = opts, .loop = uv_default_loop()};
  char err[512];
  if (rl_lab_load(rl_lab_root(), &w.lab, err, sizeof err) != 0) {
    fprintf(stderr, "racelab: the course is invalid: %s\n", err);
    return RL_EXIT_USAGE;
  }
  if (opts->target && !(w.current = rl_lab_find(&w.lab, opts->target))) {
    rl_cli_usage_error("watch", "unknown exercise '%s' (racelab list shows them)", opts->target);
    rl_lab_free(&w.lab);
    return RL_EXIT_USAGE;
  }
  if (!w.current) w.current = next_unsolved(&w, NULL);
  if (!w.current) {
    printf("Every exercise is solved. `racelab watch N` watches one again.\n");
    rl_lab_free(&w.lab);
    return RL_EXIT_OK;
  }
  uv_fs_event_init(w.loop, &w.files);
  uv_timer_init(w.loop, &w.debounce);
  uv_signal_init(w.loop, &w.sigint);
  uv_signal_init(w.loop, &w.sigterm);
  w.files.data = w.debounce.data = w.sigint.data = w.sigterm.data = &w;
  uv_signal_start(&w.sigint, on_signal, SIGINT);
  uv_signal_start(&w.sigterm, on_signal, SIGTERM);
  watch_current(&w);
  open_keys(&w);
  announce(&w);
  start_job(&w, JOB_CHECK);
  uv_run(w.loop, UV_RUN_DEFAULT);
  int closed = uv_loop_close(w.loop);
  printf("\nBye.\n");
  rl_lab_free(&w.lab);
  return closed == 0 ? RL_EXIT_OK : RL_EXIT_INTERNAL;
}
