/* sessions.c -- idle timeouts for client sessions in a chat gateway.
 *
 * The story: the gateway keeps one session per connected client, and each
 * session has an idle timer: a client silent for too long is dropped and
 * its memory freed, so that abandoned phones do not pile up. (Clients are
 * simulated here: each goes silent after its own time.) In testing the log
 * is perfect. In production the gateway crashes a few times a day, always
 * somewhere inside libuv, never in our code, with a different stack each
 * time.
 *
 * Usage: sessions
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct session {
  uv_timer_t idle; /* fires when the client has been silent too long */
  char user[32];
  int unread;      /* messages the client never picked up */
  char *backlog;   /* those messages, heap-allocated */
};

static uv_loop_t loop;
static int open_sessions;
static int unread_dropped; /* messages lost with dropped sessions */

/* racelab: your work is here -------------------------------------------- */

/* libuv has finished closing the session's timer. */
static void on_session_closed(uv_handle_t *h) {
  struct session *s = h->data;
  open_sessions--;
  unread_dropped += s->unread;
}

/* The client has been silent too long: drop the session. */
static void on_idle(uv_timer_t *t) {
  struct session *s = t->data;
  printf("dropping %s (backlog: %s)\n", s->user, s->backlog);
  uv_close((uv_handle_t *)&s->idle, on_session_closed);
  free(s->backlog);
  free(s);
}

/* racelab: end of your work --------------------------------------------- */

static struct session *session_open(const char *user, unsigned idle_ms) {
  struct session *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  snprintf(s->user, sizeof s->user, "%s", user);
  s->backlog = malloc(64);
  if (s->backlog == NULL) {
    free(s);
    return NULL;
  }
  s->unread = (int)idle_ms / 4;
  snprintf(s->backlog, 64, "%d unread", s->unread);
  uv_timer_init(&loop, &s->idle);
  s->idle.data = s;
  uv_timer_start(&s->idle, on_idle, idle_ms, 0);
  open_sessions++;
  return s;
}

int main(void) {
  static const struct {
    const char *user;
    unsigned idle_ms;
  } clients[] = {{"amira", 12}, {"bjorn", 4}, {"chen", 20}, {"dolores", 8}};
  uv_loop_init(&loop);
  for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++)
    if (session_open(clients[i].user, clients[i].idle_ms) == NULL)
      return 1;

  uv_run(&loop, UV_RUN_DEFAULT);
  printf("open sessions: %d, unread messages dropped: %d\n", open_sessions,
         unread_dropped);
  int rc = uv_loop_close(&loop);
  if (rc != 0) {
    fprintf(stderr, "sessions: uv_loop_close: %s\n", uv_strerror(rc));
    return 1;
  }
  return 0;
}
