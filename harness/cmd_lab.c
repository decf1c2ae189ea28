/* cmd_lab.c -- the learner's commands around the course: list, show, hint
 * and reset. None of them builds or runs a program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "emit.h"
#include "exercise.h"
#include "progress.h"
#include "supervise.h"
#include "util.h"

static const struct {
  const char *id, *title;
} group_titles[] = {
    {"learn-1", "Learn 1: concurrency vs parallelism, and the three tools"},
    {"learn-2", "Learn 2: threads and thread pools for I/O-bound work"},
    {"learn-3", "Learn 3: processes for CPU-bound work"},
    {"learn-4", "Learn 4: the event loop for high-volume I/O"},
    {"recipes", "Recipes"},
};

static int load_lab(rl_lab *lab) {
  char err[512];
  if (rl_lab_load(rl_lab_root(), lab, err, sizeof err) == 0) return 0;
  fprintf(stderr, "racelab: the course is invalid: %s\n", err);
  return -1;
}

/* Loads the lab and finds opts->target in it; prints the error otherwise. */
static const rl_exercise *load_exercise(const rl_options *opts, rl_lab *lab) {
  if (load_lab(lab) != 0) return NULL;
  const rl_exercise *ex = rl_lab_find(lab, opts->target);
  if (!ex) {
    rl_cli_usage_error(opts->command, "unknown exercise '%s' (racelab list shows them)", opts->target);
    rl_lab_free(lab);
  }
  return ex;
}

int rl_cmd_list(const rl_options *opts) {
  (void)opts;
  rl_lab lab;
  if (load_lab(&lab) != 0) return RL_EXIT_USAGE;
  rl_palette c = rl_emit_palette(stdout);
  const char *marks[] = {"  ", "\u2717 ", "\u2713 "}; /* untouched, failing, solved */
  const rl_exercise *next = NULL;
  size_t solved = 0;
  for (size_t i = 0; i < lab.count; i++) solved += rl_progress_state(lab.root, lab.items[i].id) == RL_STATE_SOLVED;
  printf("racelab: %zu exercises, %zu solved.\n", lab.count, solved);
  for (size_t g = 0; g < sizeof group_titles / sizeof group_titles[0]; g++) {
    int header = 0;
    for (size_t i = 0; i < lab.count; i++) {
      const rl_exercise *ex = &lab.items[i];
      if (strcmp(ex->group, group_titles[g].id) != 0) continue;
      if (!header++) printf("\n%s%s%s\n", c.bold, group_titles[g].title, c.reset);
      rl_exercise_state s = rl_progress_state(lab.root, ex->id);
      if (s != RL_STATE_SOLVED && !next) next = ex;
      printf("  %s%-24s %-44s %s\n", marks[s], ex->id, ex->title, rl_exercise_state_name(s));
    }
  }
  if (next)
    printf("\nNext: %s. Read it with `racelab show %d`, see the bug with `racelab run %d`,\n"
           "fix exercises/%s/%s, then `racelab check %d`.\n",
           next->id, next->number, next->number, next->id, next->edit[0], next->number);
  else if (lab.count)
    printf("\nEvery exercise is solved. Well done.\n");
  rl_lab_free(&lab);
  return RL_EXIT_OK;
}

int rl_cmd_show(const rl_options *opts) {
  rl_lab lab;
  const rl_exercise *ex = load_exercise(opts, &lab);
  if (!ex) return RL_EXIT_USAGE;
  char *readme_path = rl_path_join(ex->dir, "README.md");
  char *readme = rl_read_file(readme_path, NULL);
  printf("%s (%s)\n\n%s\n", ex->title, ex->id, readme ? readme : "(this exercise has no lesson)");
  printf("Edit:");
  for (size_t i = 0; i < ex->nedit; i++) printf(" exercises/%s/%s", ex->id, ex->edit[i]);
  printf("\nSee the bug: racelab run %d    Check your fix: racelab check %d    Hints: racelab hint %d\n",
         ex->number, ex->number, ex->number);
  free(readme), free(readme_path);
  rl_lab_free(&lab);
  return RL_EXIT_OK;
}

int rl_cmd_hint(const rl_options *opts) {
  rl_lab lab;
  const rl_exercise *ex = load_exercise(opts, &lab);
  if (!ex) return RL_EXIT_USAGE;
  int shown = rl_progress_hints(lab.root, ex->id);
  int upto = opts->all ? RL_HINT_COUNT : shown < RL_HINT_COUNT ? shown + 1 : RL_HINT_COUNT;
  for (int i = 0; i < upto; i++) printf("Hint %d/%d: %s\n\n", i + 1, RL_HINT_COUNT, ex->hints[i]);
  if (upto < RL_HINT_COUNT) printf("(racelab hint %d again for the next one)\n", ex->number);
  int rc = upto > shown ? rl_progress_set_hints(lab.root, ex->id, upto) : 0;
  if (rc != 0) fprintf(stderr, "racelab: could not remember the hint: %s\n", strerror(-rc));
  rl_lab_free(&lab);
  return RL_EXIT_OK;
}

/* The committed version of path (relative to the lab root), via git. */
static char *original(const char *root, const char *relpath, char *err, size_t errcap) {
  char *spec = rl_xasprintf("HEAD:%s", relpath);
  char *argv[] = {"/usr/bin/git", "-C", (char *)root, "show", spec, NULL};
  char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
  rl_run_spec run = {.argv = argv, .envp = envp, .timeout_ms = 10000, .output_cap = 4 << 20};
  rl_run_result res;
  char *text = NULL;
  int rc = rl_supervise(&run, &res);
  if (rc != 0) {
    snprintf(err, errcap, "cannot run git: %s", strerror(-rc));
  } else {
    if (res.exited && res.exit_code == 0 && !res.output_limited) text = rl_xstrndup(res.out, res.out_len);
    else snprintf(err, errcap, "git has no committed %s", relpath);
    rl_run_result_free(&res);
  }
  free(spec);
  return text;
}

int rl_cmd_reset(const rl_options *opts) {
  rl_lab lab;
  const rl_exercise *ex = load_exercise(opts, &lab);
  if (!ex) return RL_EXIT_USAGE;
  int code = RL_EXIT_OK;
  for (size_t i = 0; i < ex->nedit && code == RL_EXIT_OK; i++) {
    char err[512];
    char *rel = rl_xasprintf("exercises/%s/%s", ex->id, ex->edit[i]);
    char *path = rl_path_join(lab.root, rel);
    char *text = original(lab.root, rel, err, sizeof err);
    size_t len;
    char *current = rl_read_file(path, &len);
    if (!text) {
      fprintf(stderr, "racelab: cannot restore %s: %s\n", rel, err);
      code = RL_EXIT_INTERNAL;
    } else if (current && strcmp(current, text) == 0) {
      printf("%s is already the original.\n", rel);
    } else {
      char *backup = rl_xasprintf("%s.bak", path);
      int rc = current ? rl_write_file_atomic(backup, current, len) : 0;
      if (rc == 0) rc = rl_write_file_atomic(path, text, strlen(text));
      if (rc != 0) {
        fprintf(stderr, "racelab: cannot restore %s: %s\n", rel, strerror(-rc));
        code = RL_EXIT_INTERNAL;
      } else {
        printf("Restored %s%s.\n", rel, current ? " (your version is in " : "");
        if (current) printf("  %s.bak)\n", rel);
      }
      free(backup);
    }
    free(text), free(current), free(path), free(rel);
  }
  if (code == RL_EXIT_OK) rl_progress_forget(lab.root, ex->id);
  rl_lab_free(&lab);
  return code;
}
