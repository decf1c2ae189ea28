/* exercise.c -- load the course from exercises/NN-slug/exercise.ini and
 * validate it strictly: an unknown key, a missing hint or a missing file is
 * an error before anything is built. It does not build or run anything.
 *
 * Accepted exercise.ini (inih syntax):
 *   [exercise]  title, group, kind, edit, oracle, expected | test,
 *               args (optional), timeout (optional, seconds)
 *   [hints]     1, 2, 3
 *   [lost-update] (optional, kind = wrong-output only) variable, file (one
 *               of edit), child, parent: the bug is a forked child writing
 *               its own copy of variable, which the parent then reads;
 *               child and parent are text found on exactly one line of
 *               file each (see lost_update.h)
 */
#include "exercise.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lost_update.h"
#include "util.h"

static const char *const groups[] = {"learn-1", "learn-2", "learn-3", "learn-4", "recipes"};

const char *rl_lab_root(void) {
  const char *env = getenv("RACELAB_LAB");
  return env && *env ? env : RL_LAB_DIR;
}

/* ---------------------------------------------------------- ini parsing */

typedef struct {
  rl_exercise *ex;
  char **last_value;  /* the value the previous line set: continuation lines append */
  char problem[256];  /* first semantic error */
} ini_state;

static char **field_for(rl_exercise *ex, const char *section, const char *name) {
  static const struct { const char *section, *name; size_t off; } fields[] = {
      {"exercise", "title", offsetof(rl_exercise, title)},
      {"exercise", "group", offsetof(rl_exercise, group)},
      {"exercise", "expected", offsetof(rl_exercise, expected)},
      {"exercise", "test", offsetof(rl_exercise, test)},
      {"lost-update", "variable", offsetof(rl_exercise, lost_update.variable)},
      {"lost-update", "file", offsetof(rl_exercise, lost_update.file)},
      {"lost-update", "child", offsetof(rl_exercise, lost_update.child)},
      {"lost-update", "parent", offsetof(rl_exercise, lost_update.parent)},
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (strcmp(fields[i].section, section) == 0 && strcmp(fields[i].name, name) == 0)
      return (char **)((char *)ex + fields[i].off);
  if (strcmp(section, "hints") == 0 && name[0] >= '1' && name[0] < '1' + RL_HINT_COUNT && !name[1])
    return &ex->hints[name[0] - '1'];
  return NULL;
}

static void set_problem(ini_state *st, const char *fmt, const char *a, const char *b) {
  if (st->problem[0]) return;
  snprintf(st->problem, sizeof st->problem, fmt, a, b);
}

static int on_value(void *user, const char *section, const char *name, const char *value) {
  ini_state *st = user;
  rl_exercise *ex = st->ex;
  char **field = field_for(ex, section, name);
  if (field && field == st->last_value && *field) {  /* continuation line */
    char *joined = rl_xasprintf("%s %s", *field, value);
    free(*field);
    *field = joined;
    return 1;
  }
  if (field) {
    if (*field) set_problem(st, "duplicate key '%s' in [%s]", name, section);
    free(*field);
    *field = rl_xstrdup(value);
    st->last_value = field;
    return 1;
  }
  st->last_value = NULL;
  if (strcmp(section, "exercise") != 0) {
    set_problem(st, "unknown key '%s' in [%s]", name, section);
  } else if (strcmp(name, "kind") == 0) {
    if (rl_finding_kind_parse(value, &ex->kind) != 0) set_problem(st, "unknown kind '%s'%s", value, "");
  } else if (strcmp(name, "edit") == 0) {
    ex->edit = rl_split_words(value, &ex->nedit);
  } else if (strcmp(name, "args") == 0) {
    ex->args = rl_split_words(value, &ex->nargs);
  } else if (strcmp(name, "oracle") == 0) {
    if (strcmp(value, "stdout") == 0) ex->oracle = RL_ORACLE_STDOUT;
    else if (strcmp(value, "test") == 0) ex->oracle = RL_ORACLE_TEST;
    else set_problem(st, "oracle must be 'stdout' or 'test', not '%s'%s", value, "");
  } else if (strcmp(name, "timeout") == 0) {
    char *end;
    long t = strtol(value, &end, 10);
    if (*end || t < 1 || t > 600) set_problem(st, "timeout must be 1..600 seconds, not '%s'%s", value, "");
    ex->timeout_s = (int)t;
  } else {
    set_problem(st, "unknown key '%s' in [%s]", name, section);
  }
  return 1;
}

/* inih reads lines of at most INI_MAX_LINE (200) bytes, and a hint is often
 * longer. This reader folds a long line at a space into continuation lines
 * (which start with that space), and on_value joins them back with one. */
typedef struct {
  const char *p;
} fold_stream;

static char *fold_reader(char *str, int num, void *stream) {
  fold_stream *fs = stream;
  if (!*fs->p) return NULL;
  size_t len = strcspn(fs->p, "\n"), max = (size_t)num - 2;
  size_t take = len;
  if (len > max) {
    take = max;
    while (take > 1 && fs->p[take] != ' ') take--;
    if (take <= 1) take = max;  /* one enormous word: cut it */
  }
  memcpy(str, fs->p, take);
  str[take] = '\n';
  str[take + 1] = '\0';
  fs->p += take;
  if (take == len && *fs->p == '\n') fs->p++;
  return str;
}

/* ----------------------------------------------------------- validation */

static int fail(char *err, size_t errcap, const char *path, const char *what) {
  snprintf(err, errcap, "%s: %s", path, what);
  return -1;
}

/* [lost-update] is all or nothing, explains a wrong result only, and names
 * lines that exist, once each, in a file the learner edits. */
static int validate_lost_update(const rl_exercise *ex, const char *ini, char *err, size_t errcap) {
  const rl_lost_update *lu = &ex->lost_update;
  if (!lu->variable && !lu->file && !lu->child && !lu->parent) return 0;
  if (!lu->variable || !lu->file || !lu->child || !lu->parent)
    return fail(err, errcap, ini, "[lost-update] needs variable, file, child and parent");
  if (ex->kind != RL_FINDING_WRONG_OUTPUT)
    return fail(err, errcap, ini, "[lost-update] explains a wrong-output exercise only");
  int edited = 0;
  for (size_t i = 0; i < ex->nedit; i++) edited |= strcmp(ex->edit[i], lu->file) == 0;
  char what[300];
  if (!edited) {
    snprintf(what, sizeof what, "[lost-update] file '%s' is not one of 'edit'", lu->file);
    return fail(err, errcap, ini, what);
  }
  char *path = rl_path_join(ex->dir, lu->file);
  char *text = rl_read_file(path, NULL);
  free(path);
  const char *keys[] = {"child", "parent"}, *lines[] = {lu->child, lu->parent};
  for (int i = 0; i < 2; i++) {
    int line = text ? rl_lost_update_line(text, lines[i]) : 0;
    if (line > 0) continue;
    snprintf(what, sizeof what, "[lost-update] %s '%s' is on %s line of %s", keys[i], lines[i],
             line < 0 ? "more than one" : "no", lu->file);
    free(text);
    return fail(err, errcap, ini, what);
  }
  free(text);
  return 0;
}

static int validate(const rl_exercise *ex, const char *ini, char *err, size_t errcap) {
  char what[300];
  if (!ex->title) return fail(err, errcap, ini, "missing 'title'");
  if (!ex->group) return fail(err, errcap, ini, "missing 'group'");
  int group_ok = 0;
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) group_ok |= strcmp(ex->group, groups[i]) == 0;
  if (!group_ok) {
    snprintf(what, sizeof what, "unknown group '%s' (learn-1..learn-4, recipes)", ex->group);
    return fail(err, errcap, ini, what);
  }
  if (ex->kind == RL_FINDING_KIND_COUNT) return fail(err, errcap, ini, "missing 'kind'");
  if (!ex->nedit) return fail(err, errcap, ini, "missing 'edit'");
  if (ex->oracle == RL_ORACLE_STDOUT && !ex->expected)
    return fail(err, errcap, ini, "oracle=stdout needs 'expected'");
  if (ex->oracle == RL_ORACLE_TEST && !ex->test) return fail(err, errcap, ini, "oracle=test needs 'test'");
  for (int i = 0; i < RL_HINT_COUNT; i++) {
    if (!ex->hints[i] || !*ex->hints[i]) {
      snprintf(what, sizeof what, "missing hint %d in [hints]", i + 1);
      return fail(err, errcap, ini, what);
    }
  }
  const char *files[64];
  size_t n = 0;
  for (size_t i = 0; i < ex->nedit && n < 62; i++) files[n++] = ex->edit[i];
  files[n++] = ex->oracle == RL_ORACLE_STDOUT ? ex->expected : ex->test;
  for (size_t i = 0; i < n; i++) {
    if (strchr(files[i], '/')) {
      snprintf(what, sizeof what, "'%s' must be a file name in the exercise folder", files[i]);
      return fail(err, errcap, ini, what);
    }
    char *path = rl_path_join(ex->dir, files[i]);
    int ok = rl_is_file(path);
    free(path);
    if (!ok) {
      snprintf(what, sizeof what, "names '%s', which does not exist", files[i]);
      return fail(err, errcap, ini, what);
    }
  }
  return validate_lost_update(ex, ini, err, errcap);
}

int rl_exercise_load(const char *dir, rl_exercise *ex, char *err, size_t errcap) {
  memset(ex, 0, sizeof *ex);
  ex->kind = RL_FINDING_KIND_COUNT;
  ex->dir = rl_xstrdup(dir);
  ex->id = rl_xstrdup(rl_path_basename(dir));
  char *end;
  ex->number = (int)strtol(ex->id, &end, 10);
  if (end == ex->id || *end != '-' || !end[1]) {
    rl_exercise_free(ex);
    return fail(err, errcap, dir, "exercise folders are named NN-slug");
  }
  ex->slug = rl_xstrdup(end + 1);
  char *ini = rl_path_join(dir, "exercise.ini");
  ini_state st = {.ex = ex};
  char *text = rl_read_file(ini, NULL);
  fold_stream fs = {text};
  int rc = text ? ini_parse_stream(fold_reader, &fs, on_value, &st) : -1;
  free(text);
  int result = 0;
  if (rc < 0) {
    result = fail(err, errcap, ini, "cannot read exercise.ini");
  } else if (rc > 0) {
    snprintf(err, errcap, "%s:%d: syntax error", ini, rc);
    result = -1;
  } else if (st.problem[0]) {
    result = fail(err, errcap, ini, st.problem);
  } else {
    result = validate(ex, ini, err, errcap);
  }
  free(ini);
  if (result != 0) rl_exercise_free(ex);
  return result;
}

void rl_exercise_free(rl_exercise *ex) {
  free(ex->id), free(ex->slug), free(ex->dir), free(ex->title), free(ex->group);
  free(ex->expected), free(ex->test);
  rl_free_strv(ex->edit), rl_free_strv(ex->args);
  for (int i = 0; i < RL_HINT_COUNT; i++) free(ex->hints[i]);
  free(ex->lost_update.variable), free(ex->lost_update.file);
  free(ex->lost_update.child), free(ex->lost_update.parent);
  memset(ex, 0, sizeof *ex);
}

/* ------------------------------------------------------------------ lab */

static int by_number(const void *a, const void *b) {
  const rl_exercise *x = a, *y = b;
  return x->number != y->number ? (x->number > y->number) - (x->number < y->number) : strcmp(x->id, y->id);
}

int rl_lab_load(const char *root, rl_lab *lab, char *err, size_t errcap) {
  memset(lab, 0, sizeof *lab);
  lab->root = rl_xstrdup(root);
  char *dir = rl_path_join(root, "exercises");
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(err, errcap, "%s: cannot open the exercises folder: %s", dir, strerror(errno));
    free(dir);
    return -1;
  }
  size_t cap = 0;
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char *sub = rl_path_join(dir, e->d_name);
    if (rl_is_dir(sub)) {
      if (lab->count == cap) lab->items = rl_xrealloc(lab->items, (cap = cap ? cap * 2 : 16) * sizeof *lab->items);
      rc = rl_exercise_load(sub, &lab->items[lab->count], err, errcap);
      if (rc == 0) lab->count++;
    }
    free(sub);
  }
  closedir(d);
  free(dir);
  if (rc != 0) {
    rl_lab_free(lab);
    return -1;
  }
  qsort(lab->items, lab->count, sizeof *lab->items, by_number);
  for (size_t i = 1; i < lab->count; i++) {
    if (lab->items[i].number == lab->items[i - 1].number) {
      snprintf(err, errcap, "exercises %s and %s share the number %d", lab->items[i - 1].id, lab->items[i].id,
               lab->items[i].number);
      rl_lab_free(lab);
      return -1;
    }
  }
  return 0;
}

void rl_lab_free(rl_lab *lab) {
  for (size_t i = 0; i < lab->count; i++) rl_exercise_free(&lab->items[i]);
  free(lab->items);
  free(lab->root);
  memset(lab, 0, sizeof *lab);
}

const rl_exercise *rl_lab_find(const rl_lab *lab, const char *id) {
  char *end;
  long n = strtol(id, &end, 10);
  int numeric = end != id && *end == '\0';
  for (size_t i = 0; i < lab->count; i++) {
    const rl_exercise *ex = &lab->items[i];
    if (numeric ? ex->number == n : strcmp(ex->id, id) == 0 || strcmp(ex->slug, id) == 0) return ex;
  }
  return NULL;
}

char *rl_lab_solution_dir(const rl_lab *lab, const rl_exercise *ex) {
  return rl_xasprintf("%s/solutions/%s", lab->root, ex->id);
}
