/* lost_update.c -- the classic silent no-op of processes, explained from
 * the exercise's own metadata: no tool sees a child's write vanish with
 * its copy of memory, the oracle only sees the wrong result, so the
 * exercise names the two lines and this file points the finding at them
 * in the program actually checked. It does not decide that the output is
 * wrong (run.c's oracle does). */
#include "lost_update.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int rl_lost_update_line(const char *text, const char *needle) {
  int found = 0, line = 1;
  for (const char *p = text; *p; line++) {
    size_t len = strcspn(p, "\n");
    char *copy = rl_xstrndup(p, len);
    if (strstr(copy, needle))
      found = found ? -1 : line;
    free(copy);
    p += len + (p[len] == '\n');
  }
  return found;
}

static void add_location(rl_finding *f, const char *path, const char *text, const char *needle,
                         char *role) {
  int line = rl_lost_update_line(text, needle);
  if (line <= 0) {
    free(role);
    return;
  }
  rl_location *loc = rl_finding_add_location(f);
  if (!loc) {
    free(role);
    return;
  }
  loc->file = rl_xstrdup(path);
  loc->line = line;
  loc->role = role;
  loc->thread = -1;
}

void rl_lost_update_explain(const rl_target *t, rl_findings *list) {
  const rl_lost_update *lu = t->exercise ? &t->exercise->lost_update : NULL;
  if (!lu || !lu->variable) return;
  const char *path = NULL;
  for (size_t i = 0; i < t->nsources && !path; i++)
    if (strcmp(rl_path_basename(t->sources[i]), lu->file) == 0) path = t->sources[i];
  char *text = path ? rl_read_file(path, NULL) : NULL;
  for (size_t i = 0; i < list->count; i++) {
    rl_finding *f = &list->items[i];
    if (f->kind != RL_FINDING_WRONG_OUTPUT || f->nlocations || f->object) continue;
    f->object = rl_xasprintf("`%s`, of which each process has its own copy after fork()", lu->variable);
    if (!text) continue;
    add_location(f, path, text, lu->child,
                 rl_xasprintf("a child writes `%s` here: its own copy, gone when the child exits",
                              lu->variable));
    add_location(f, path, text, lu->parent,
                 rl_xasprintf("the parent reads `%s` here: its own copy, which no child wrote",
                              lu->variable));
  }
  free(text);
}
