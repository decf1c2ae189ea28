/* progress.c -- read and update .racelab/state, an INI file with one
 * section per exercise touched:
 *   [01-hit-counter]
 *   state = solved
 *   hints = 2
 * Updates rewrite the whole file atomically; it is a few hundred bytes. */
#include "progress.h"

#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_ENTRIES 256

typedef struct {
  char *id;
  rl_exercise_state state;
  int hints;
} entry;

typedef struct {
  entry items[MAX_ENTRIES];
  size_t count;
} state_file;

static const char *const state_names[] = {"untouched", "failing", "solved"};

const char *rl_exercise_state_name(rl_exercise_state s) { return state_names[s]; }

static entry *find(state_file *sf, const char *id, int create) {
  for (size_t i = 0; i < sf->count; i++)
    if (strcmp(sf->items[i].id, id) == 0) return &sf->items[i];
  if (!create || sf->count == MAX_ENTRIES) return NULL;
  entry *e = &sf->items[sf->count++];
  *e = (entry){.id = rl_xstrdup(id)};
  return e;
}

static int on_value(void *user, const char *section, const char *name, const char *value) {
  entry *e = find(user, section, 1);
  if (!e) return 1;
  if (strcmp(name, "state") == 0) {
    for (int s = 0; s < 3; s++)
      if (strcmp(value, state_names[s]) == 0) e->state = (rl_exercise_state)s;
  } else if (strcmp(name, "hints") == 0) {
    e->hints = atoi(value);
  }
  return 1;  /* a damaged state file is progress lost, not an error */
}

/* $RACELAB_STATE names another state file (tests use it to keep a
 * learner's progress untouched). */
static char *state_path(const char *root) {
  const char *env = getenv("RACELAB_STATE");
  return env && *env ? rl_xstrdup(env) : rl_xasprintf("%s/.racelab/state", root);
}

static void load(const char *root, state_file *sf) {
  memset(sf, 0, sizeof *sf);
  char *path = state_path(root);
  ini_parse(path, on_value, sf);
  free(path);
}

static void release(state_file *sf) {
  for (size_t i = 0; i < sf->count; i++) free(sf->items[i].id);
}

static int save(const char *root, state_file *sf) {
  char *path = state_path(root), *dir = rl_xstrndup(path, (size_t)(strrchr(path, '/') - path));
  size_t cap = 64 + sf->count * 128, len = 0;
  char *text = rl_xmalloc(cap);
  text[0] = '\0';
  for (size_t i = 0; i < sf->count; i++) {
    const entry *e = &sf->items[i];
    if (e->state == RL_STATE_UNTOUCHED && e->hints == 0) continue;
    len += (size_t)snprintf(text + len, cap - len, "[%s]\nstate = %s\nhints = %d\n", e->id, state_names[e->state],
                            e->hints);
  }
  int rc = rl_mkdirs(dir);
  if (rc == 0) rc = rl_write_file_atomic(path, text, len);
  free(text), free(dir), free(path);
  release(sf);
  return rc;
}

/* The stored entry of one exercise (untouched, no hints if none). */
static entry lookup(const char *root, const char *id) {
  state_file sf;
  load(root, &sf);
  entry *e = find(&sf, id, 0);
  entry copy = {.state = e ? e->state : RL_STATE_UNTOUCHED, .hints = e ? e->hints : 0};
  release(&sf);
  return copy;
}

rl_exercise_state rl_progress_state(const char *root, const char *id) { return lookup(root, id).state; }

int rl_progress_hints(const char *root, const char *id) { return lookup(root, id).hints; }

int rl_progress_set_state(const char *root, const char *id, rl_exercise_state s) {
  state_file sf;
  load(root, &sf);
  entry *e = find(&sf, id, 1);
  if (e) e->state = s;
  return save(root, &sf);
}

int rl_progress_set_hints(const char *root, const char *id, int hints) {
  state_file sf;
  load(root, &sf);
  entry *e = find(&sf, id, 1);
  if (e) e->hints = hints;
  return save(root, &sf);
}

int rl_progress_forget(const char *root, const char *id) {
  state_file sf;
  load(root, &sf);
  entry *e = find(&sf, id, 0);
  if (e) e->state = RL_STATE_UNTOUCHED, e->hints = 0;
  return save(root, &sf);
}
