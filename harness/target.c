/* target.c -- resolve what the user named into the list of sources to build,
 * the working directory and the oracle. It reads the file system only; it
 * never builds. */
#include "target.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void add_source(rl_target *t, const char *path) {
  t->sources = rl_xrealloc(t->sources, (t->nsources + 2) * sizeof *t->sources);
  t->sources[t->nsources++] = rl_xstrdup(path);
  t->sources[t->nsources] = NULL;
}

static int is_listed(char **names, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return 1;
  return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every .c file of dir except those in skip, sorted so builds are stable. */
static void add_folder_sources(rl_target *t, const char *dir, char **skip, size_t nskip) {
  DIR *d = opendir(dir);
  if (!d) return;
  size_t first = t->nsources;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".c") || is_listed(skip, nskip, e->d_name)) continue;
    char *path = rl_path_join(dir, e->d_name);
    if (rl_is_file(path)) add_source(t, path);
    free(path);
  }
  closedir(d);
  qsort(t->sources + first, t->nsources - first, sizeof *t->sources, by_name);
}

static char *absolute(const char *path) {
  char buf[PATH_MAX];
  return realpath(path, buf) ? rl_xstrdup(buf) : NULL;
}

/* An exercise: the learner's files from `from` (the exercise itself, or a
 * copy given with --against), everything else from the exercise. */
static int resolve_exercise(const rl_lab *lab, const rl_exercise *ex, const char *from, rl_target *t, char *err,
                            size_t errcap) {
  t->exercise = ex;
  t->run_dir = rl_xstrdup(ex->dir);
  t->timeout_s = ex->timeout_s;
  for (size_t i = 0; i < ex->nedit; i++) {
    char *path = rl_path_join(from, ex->edit[i]);
    if (!rl_is_file(path)) {
      snprintf(err, errcap, "%s: missing %s, the file exercise %s edits", rl_target_display_path(lab, from),
               ex->edit[i], ex->id);
      free(path);
      return -1;
    }
    add_source(t, path);
    free(path);
  }
  char *skip[64];
  size_t nskip = 0;
  for (size_t i = 0; i < ex->nedit && nskip < 63; i++) skip[nskip++] = ex->edit[i];
  if (ex->test) skip[nskip++] = ex->test;
  add_folder_sources(t, ex->dir, skip, nskip);
  if (ex->oracle == RL_ORACLE_TEST) {
    char *test = rl_path_join(ex->dir, ex->test);
    add_source(t, test);
    free(test);
    t->uses_cmocka = 1;
  } else {
    t->expected_stdout = rl_path_join(ex->dir, ex->expected);
  }
  t->args = rl_xcalloc(ex->nargs + 1, sizeof *t->args);
  for (size_t i = 0; i < ex->nargs; i++) t->args[i] = rl_xstrdup(ex->args[i]);
  return 0;
}

static int resolve_path(const char *spec, rl_target *t, char *err, size_t errcap) {
  char *path = absolute(spec);
  if (!path) {
    snprintf(err, errcap, "%s: %s", spec, strerror(errno));
    return -1;
  }
  if (rl_is_dir(path)) {
    add_folder_sources(t, path, NULL, 0);
    t->run_dir = rl_xstrdup(path);
    if (!t->nsources) {
      snprintf(err, errcap, "%s: no .c files in this folder", spec);
      free(path);
      return -1;
    }
  } else if (has_suffix(path, ".c")) {
    add_source(t, path);
    char *slash = strrchr(path, '/');
    t->run_dir = rl_xstrndup(path, (size_t)(slash - path));
  } else {
    snprintf(err, errcap, "%s: not a .c file or a folder", spec);
    free(path);
    return -1;
  }
  free(path);
  t->args = rl_xcalloc(1, sizeof *t->args);
  return 0;
}

int rl_target_is_path(const char *spec) {
  return strchr(spec, '/') || has_suffix(spec, ".c") || strcmp(spec, ".") == 0;
}

int rl_target_resolve(const rl_lab *lab, const char *spec, const char *against, const char *expect_stdout,
                      rl_target *t, char *err, size_t errcap) {
  memset(t, 0, sizeof *t);
  int rc;
  const rl_exercise *ex = rl_target_is_path(spec) ? NULL : rl_lab_find(lab, spec);
  if (ex) {
    if (against && !rl_is_dir(against)) {
      snprintf(err, errcap, "--against %s: not a folder", against);
      return -1;
    }
    char *from = against ? absolute(against) : rl_xstrdup(ex->dir);
    rc = resolve_exercise(lab, ex, from, t, err, errcap);
    t->name = against ? rl_xstrdup(rl_target_display_path(lab, from)) : rl_xasprintf("exercises/%s", ex->id);
    free(from);
  } else if (!rl_target_is_path(spec) && !rl_is_file(spec) && !rl_is_dir(spec)) {
    snprintf(err, errcap, "unknown exercise '%s' (racelab list shows them)", spec);
    return -1;
  } else if (against) {
    snprintf(err, errcap, "--against needs an exercise, and '%s' is a path", spec);
    return -1;
  } else {
    rc = resolve_path(spec, t, err, errcap);
    t->name = rl_xstrdup(spec);
  }
  if (rc == 0 && expect_stdout) {
    if (!rl_is_file(expect_stdout)) {
      snprintf(err, errcap, "--expect-stdout %s: no such file", expect_stdout);
      rc = -1;
    } else {
      free(t->expected_stdout);
      t->expected_stdout = absolute(expect_stdout);
    }
  }
  if (rc != 0) rl_target_free(t);
  return rc;
}

void rl_target_free(rl_target *t) {
  free(t->name), free(t->run_dir), free(t->expected_stdout);
  rl_free_strv(t->sources), rl_free_strv(t->args);
  memset(t, 0, sizeof *t);
}

const char *rl_target_display_path(const rl_lab *lab, const char *path) {
  size_t n = strlen(lab->root);
  if (strncmp(path, lab->root, n) == 0 && path[n] == '/') return path + n + 1;
  return path;
}
