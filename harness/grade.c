/* grade.c -- walk a class's submissions, check each (student, exercise) with
 * the same pipeline as `racelab check --against`, one child process per
 * student, and keep every result on disk the moment it is known. It never
 * shells out to racelab and never trusts a name or a link it did not check. */
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define DEFAULT_TIMEOUT_S 10
#define NAME_MAX_CHARS 100
#define CHILD_WRITE_FAILED 3 /* a grading child's exit status: the result could not be stored */

/* ------------------------------------------------------------ file names */

static int safe_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._@+-", c);
}

/* A student's name becomes a file name: anything but [A-Za-z0-9._@+-] is
 * replaced, so no name can climb out of the results folder. */
static char *student_file_name(const char *name) {
  size_t n = strnlen(name, NAME_MAX_CHARS);
  char *s = rl_xstrndup(name, n);
  for (size_t i = 0; i < n; i++)
    if (!safe_name_char(s[i])) s[i] = '_';
  return s;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The visible entries of dir, sorted; hidden ones (.git, .gitkeep) are not
 * part of a submission. NULL-terminated; NULL if dir cannot be read. */
static char **list_visible(const char *dir, size_t *count) {
  DIR *d = opendir(dir);
  if (!d) return NULL;
  char **v = rl_xcalloc(1, sizeof *v);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    v = rl_xrealloc(v, (n + 2) * sizeof *v);
    v[n++] = rl_xstrdup(e->d_name);
    v[n] = NULL;
  }
  closedir(d);
  qsort(v, n, sizeof *v, by_name);
  *count = n;
  return v;
}

static const rl_exercise *exercise_named(const rl_lab *lab, const char *folder) {
  for (size_t i = 0; i < lab->count; i++)
    if (strcmp(lab->items[i].id, folder) == 0) return &lab->items[i];
  return NULL;
}

#define LINK_SEARCH_DEPTH 8 /* folders below an exercise folder that are searched for links */

/* The first entry under dir (hidden ones too: `#include ".x"` works) that
 * is a link leading outside real, as a path relative to dir, or NULL. */
static char *link_outside(const char *dir, const char *real, int depth) {
  DIR *d = opendir(dir);
  if (!d) return NULL;
  size_t rlen = strlen(real);
  char *found = NULL;
  struct dirent *e;
  while (!found && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char *entry = rl_path_join(dir, e->d_name), target[PATH_MAX];
    struct stat st;
    int known = lstat(entry, &st) == 0;
    if (known && S_ISLNK(st.st_mode)) {
      if (!realpath(entry, target) || strncmp(target, real, rlen) != 0 || target[rlen] != '/')
        found = rl_xstrdup(e->d_name);
    } else if (known && S_ISDIR(st.st_mode) && depth > 0) {
      char *below = link_outside(entry, real, depth - 1);
      if (below) found = rl_xasprintf("%s/%s", e->d_name, below), free(below);
    }
    free(entry);
  }
  closedir(d);
  return found;
}

/* Why an exercise folder cannot be checked, written into buf, or NULL:
 * not a real folder, empty, or holding a link that leads outside it (a
 * submission must not make racelab compile /etc/shadow or a classmate's
 * file). */
static const char *folder_problem(const char *path, char *buf, size_t cap) {
  struct stat st;
  char real[PATH_MAX];
  if (lstat(path, &st) != 0 || !realpath(path, real))
    return snprintf(buf, cap, "cannot read the folder: %s", strerror(errno)), buf;
  if (S_ISLNK(st.st_mode)) return "the folder is a symbolic link; submit the files themselves";
  if (!S_ISDIR(st.st_mode)) return "not a folder: a submission holds one folder per exercise";
  size_t n = 0;
  char **entries = list_visible(path, &n);
  rl_free_strv(entries);
  if (!n) return "the folder is empty";
  char *link = link_outside(path, real, LINK_SEARCH_DEPTH);
  if (!link) return NULL;
  snprintf(buf, cap, "%s is a symbolic link to a file outside the submission", link);
  free(link);
  return buf;
}

/* ------------------------------------------------------------- students */

typedef struct {
  char *name;    /* as found on disk (display) */
  char *file;    /* <results_dir>/<safe name>.json */
  char *dir;     /* the folder holding the exercise folders, real path */
  char *shown;   /* the same folder as the grader named it */
  char **folders; /* the exercise folders to grade, by name, NULL-terminated */
  const char *problem; /* the student entry itself is unusable, or NULL */
} student;

static void student_free(student *s) {
  free(s->name), free(s->file), free(s->dir), free(s->shown);
  rl_free_strv(s->folders);
}

typedef struct {
  const rl_lab *lab;
  const rl_grade_config *cfg;
  char root[PATH_MAX];      /* the submissions root, real path */
  unsigned char *selected;  /* per lab item, when cfg->exercises */
  json_t *settings;
  rl_sandbox sandbox;       /* every run of every submission goes in it */
  char protections[256];    /* rl_sandbox_describe: what was active and what was missing */
} grader;

static rl_check_config check_config(const grader *g, const rl_exercise *ex) {
  int timeout_s = ex && ex->timeout_s ? ex->timeout_s : DEFAULT_TIMEOUT_S;
  return (rl_check_config){.runs = g->cfg->runs, .seed = g->cfg->seed, .timeout_ms = 1000 * timeout_s,
                           .builds = ~0u, .sandbox = &g->sandbox};
}

/* One exercise folder of a student, as a test. */
static json_t *grade_folder(const grader *g, const student *s, const char *name, const char *harness_problem) {
  const rl_exercise *ex = exercise_named(g->lab, name);
  char *path = rl_path_join(s->dir, name), *shown = rl_path_join(s->shown, name);
  char buf[600], real[PATH_MAX];
  rl_check_config check = check_config(g, ex);
  rl_grade_test t = {.name = name, .exercise_id = ex ? ex->id : NULL, .folder = shown, .root = g->root,
                     .lab_root = g->lab->root, .problem = harness_problem, .harness_error = harness_problem != NULL,
                     .check = &check, .protections = g->protections};
  if (!t.problem && !ex) t.problem = "not an exercise of this course (folders are named like 01-hit-counter)";
  if (!t.problem) t.problem = folder_problem(path, buf, sizeof buf);
  if (!t.problem) t.real = realpath(path, real);
  rl_target target;
  int resolved = !t.problem && rl_target_resolve(g->lab, ex->id, path, NULL, &target, buf, sizeof buf) == 0;
  if (!t.problem && !resolved) t.problem = buf;
  rl_check_result result;
  if (resolved) {
    rl_check(&target, &check, &result);
    t.result = &result;
  }
  json_t *j = rl_grade_test_json(&t);
  if (resolved) rl_check_result_free(&result), rl_target_free(&target);
  free(path), free(shown);
  return j;
}

/* Every test of a student. With harness_problem set, nothing is checked:
 * each folder gets that error (racelab failed, not the student). */
static json_t *grade_student(const grader *g, const student *s, const char *harness_problem) {
  json_t *tests = json_array();
  for (char **f = s->folders; f && *f; f++) json_array_append_new(tests, grade_folder(g, s, *f, harness_problem));
  for (size_t i = 0; g->selected && i < g->lab->count; i++) {
    int submitted = 0;
    for (char **f = s->folders; f && *f; f++) submitted |= strcmp(*f, g->lab->items[i].id) == 0;
    if (!g->selected[i] || submitted) continue;
    rl_check_config check = check_config(g, &g->lab->items[i]);
    rl_grade_test t = {.name = g->lab->items[i].id, .root = g->root, .problem = "not submitted",
                       .check = &check, .protections = g->protections};
    json_array_append_new(tests, rl_grade_test_json(&t));
  }
  /* Never an empty list: a student with nothing to check gets one error. */
  if (!json_array_size(tests)) {
    rl_check_config check = check_config(g, NULL);
    rl_grade_test t = {.name = "submission", .root = g->root, .check = &check, .protections = g->protections,
                       .problem = harness_problem ? harness_problem
                                  : s->problem    ? s->problem
                                                  : "the folder is empty: no exercise folder to check",
                       .harness_error = harness_problem != NULL};
    json_array_append_new(tests, rl_grade_test_json(&t));
  }
  json_incref(g->settings);
  return rl_grade_student_json(s->name, g->settings, tests);
}

/* A student entry of the submissions root: its exercise folders (with
 * --exercises, only those exercises'; without, every visible entry, so
 * that what is no exercise is reported). */
static void find_folders(const grader *g, student *s) {
  struct stat st;
  char *path = rl_path_join(g->root, s->name);
  if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
    s->problem = "not a folder (a symbolic link?): each student's submission is a folder";
    free(path);
    return;
  }
  size_t n = 0;
  s->dir = path;
  s->shown = rl_path_join(g->cfg->submissions, s->name);
  s->folders = list_visible(path, &n);
  if (!g->selected || !s->folders) return;
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    const rl_exercise *ex = exercise_named(g->lab, s->folders[i]);
    if (ex && g->selected[ex - g->lab->items]) s->folders[kept++] = s->folders[i];
    else free(s->folders[i]);
  }
  s->folders[kept] = NULL;
}

/* The students of the batch. A root that is itself an exercise folder is
 * one submission, its student named after the folder above it. */
static student *find_students(grader *g, size_t *count) {
  student *list = NULL;
  const char *base = rl_path_basename(g->root);
  if (exercise_named(g->lab, base)) {
    list = rl_xcalloc(1, sizeof *list);
    char *slash = strrchr(g->root, '/');
    list->dir = rl_xstrndup(g->root, (size_t)(slash - g->root));
    list->name = rl_xstrdup(slash == g->root ? "submission" : rl_path_basename(list->dir));
    if (!*list->dir) free(list->dir), list->dir = rl_xstrdup("/");
    size_t typed = strlen(g->cfg->submissions);
    while (typed > 1 && g->cfg->submissions[typed - 1] == '/') typed--;
    char *above = rl_xstrndup(g->cfg->submissions, typed), *cut = strrchr(above, '/');
    list->shown = cut ? rl_xstrndup(above, (size_t)(cut - above + (cut == above))) : rl_xstrdup(".");
    free(above);
    list->folders = rl_xcalloc(2, sizeof *list->folders);
    list->folders[0] = rl_xstrdup(base);
    *count = 1;
    return list;
  }
  size_t n = 0, kept = 0;
  char **names = list_visible(g->root, &n);
  char results[PATH_MAX];
  if (!realpath(g->cfg->results_dir, results)) results[0] = '\0';
  list = rl_xcalloc(n + 1, sizeof *list);
  for (size_t i = 0; i < n; i++) {
    /* Students are folders: a roster or the results themselves, kept
     * next to the submissions, are not. A link is reported, not followed. */
    char *path = rl_path_join(g->root, names[i]), real[PATH_MAX];
    struct stat st;
    int skip = lstat(path, &st) != 0 || S_ISREG(st.st_mode) || (realpath(path, real) && !strcmp(real, results));
    free(path);
    if (skip) continue;
    list[kept].name = rl_xstrdup(names[i]);
    find_folders(g, &list[kept++]);
  }
  rl_free_strv(names);
  *count = kept;
  return list;
}

/* Marks the exercises "1,3,05-page-cache" names; -1 with err if one is unknown. */
static int parse_selection(grader *g, char *err, size_t errcap) {
  if (!g->cfg->exercises) return 0;
  g->selected = rl_xcalloc(g->lab->count, 1);
  size_t n = 0;
  char *spec = rl_xstrdup(g->cfg->exercises);
  for (char *c = spec; *c; c++)
    if (*c == ',') *c = ' ';
  char **ids = rl_split_words(spec, &n);
  int rc = n ? 0 : -1;
  if (!n) snprintf(err, errcap, "--exercises '%s': no exercise named", g->cfg->exercises);
  for (size_t i = 0; i < n && rc == 0; i++) {
    const rl_exercise *ex = rl_lab_find(g->lab, ids[i]);
    if (ex) g->selected[ex - g->lab->items] = 1;
    else snprintf(err, errcap, "--exercises: unknown exercise '%s' (racelab list shows them)", ids[i]), rc = -1;
  }
  rl_free_strv(ids);
  free(spec);
  return rc;
}

/* ------------------------------------------------------------ the batch */

/* Leftovers of writes a killed batch never renamed. */
static void sweep_temporaries(const char *dir) {
  size_t n = 0;
  char **names = list_visible(dir, &n);
  for (size_t i = 0; i < n; i++) {
    if (!strstr(names[i], ".json.tmp.")) continue;
    char *path = rl_path_join(dir, names[i]);
    unlink(path);
    free(path);
  }
  rl_free_strv(names);
}

static json_t *load_complete(const char *path, const json_t *settings) {
  json_t *j = json_load_file(path, 0, NULL);
  if (j && !rl_grade_student_complete(j, settings)) json_decref(j), j = NULL;
  return j;
}

/* In a child process: grade one student and store the result. */
static void grade_in_child(const grader *g, const student *s, pid_t batch) {
  /* Grading stops with the batch: a killed racelab leaves nothing running
   * (the check, in turn, ends its own runs when this process dies). */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != batch) _exit(CHILD_WRITE_FAILED);
  json_t *j = grade_student(g, s, NULL);
  int rc = rl_grade_write_json(j, s->file);
  if (rc != 0) fprintf(stderr, "racelab: cannot write %s: %s\n", s->file, strerror(-rc));
  fflush(stderr);
  _exit(rc == 0 ? 0 : CHILD_WRITE_FAILED);
}

/* After a child ended: its result, or an error result saying why there is
 * none (racelab crashed or was killed while grading). */
static int collect(const grader *g, const student *s, int status, rl_grade_outcome *o) {
  json_t *j = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? json_load_file(s->file, 0, NULL) : NULL;
  if (!j || !json_is_object(j)) {
    char why[160];
    if (WIFSIGNALED(status))
      snprintf(why, sizeof why, "racelab stopped while grading this submission (signal %d)", WTERMSIG(status));
    else
      snprintf(why, sizeof why, "racelab could not store this submission's result (status %d)",
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    json_decref(j);
    j = grade_student(g, s, why);
    int rc = rl_grade_write_json(j, s->file);
    json_decref(j);
    if (rc != 0) return rc;
  } else {
    json_decref(j);
  }
  j = json_load_file(s->file, 0, NULL);
  if (!j) return -EIO;
  o->graded++;
  const char *grade = json_string_value(json_object_get(j, "status")),
             *message = json_string_value(json_object_get(j, "message"));
  printf("%-24s %-5s %s\n", s->name, grade ? grade : "?", message ? message : "");
  fflush(stdout);
  json_decref(j);
  return 0;
}

static int run_batch(const grader *g, student *list, size_t n, rl_grade_outcome *o) {
  pid_t *pids = rl_xcalloc(n ? n : 1, sizeof *pids);
  int jobs = g->cfg->jobs > 0 ? g->cfg->jobs : 1, running = 0, rc = 0;
  size_t next = 0;
  pid_t batch = getpid();
  for (;;) {
    while (rc == 0 && running < jobs && next < n) {
      size_t i = next++;
      json_t *done = g->cfg->resume ? load_complete(list[i].file, g->settings) : NULL;
      if (done) {
        json_decref(done);
        o->resumed++;
        continue;
      }
      fflush(stdout), fflush(stderr);
      pids[i] = fork();
      if (pids[i] == 0) grade_in_child(g, &list[i], batch);
      if (pids[i] < 0) rc = -errno;
      else running++;
    }
    if (!running) break;
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      break;
    }
    for (size_t i = 0; i < n; i++) {
      if (pids[i] != pid) continue;
      running--;
      pids[i] = 0;
      int c = collect(g, &list[i], status, o);
      if (c != 0 && rc == 0) rc = c;
    }
  }
  free(pids);
  return rc;
}

int rl_grade(const rl_lab *lab, const rl_grade_config *cfg, rl_grade_outcome *outcome, char *err, size_t errcap) {
  memset(outcome, 0, sizeof *outcome);
  grader g = {.lab = lab, .cfg = cfg};
  if (!rl_is_dir(cfg->submissions) || !realpath(cfg->submissions, g.root)) {
    snprintf(err, errcap, "%s: not a folder of submissions", cfg->submissions);
    return -EINVAL;
  }
  if (parse_selection(&g, err, errcap) != 0) {
    free(g.selected);
    return -EINVAL;
  }
  int rc = rl_mkdirs(cfg->results_dir);
  if (rc != 0) {
    snprintf(err, errcap, "cannot create %s: %s", cfg->results_dir, strerror(-rc));
    free(g.selected);
    return rc;
  }
  sweep_temporaries(cfg->results_dir);
  rl_sandbox_caps caps;
  rl_sandbox_probe(&caps);
  rl_sandbox_init(&g.sandbox, &caps);
  rl_sandbox_describe(&g.sandbox, g.protections, sizeof g.protections);
  if (!rl_sandbox_complete(&g.sandbox))
    fprintf(stderr, "racelab: warning: the sandbox is incomplete on this machine (%s); grade only code you would run\n",
            g.protections);
  g.settings = rl_grade_settings_json(cfg);
  size_t n = 0;
  student *list = find_students(&g, &n);
  for (size_t i = 0; i < n; i++) {
    char *safe = student_file_name(list[i].name);
    list[i].file = rl_xasprintf("%s/%s.json", cfg->results_dir, safe);
    free(safe);
  }
  rc = run_batch(&g, list, n, outcome);
  if (rc != 0) snprintf(err, errcap, "grading stopped: %s", strerror(-rc));
  /* The combined view is rebuilt from the files: what is on disk is the truth. */
  outcome->students = json_array();
  for (size_t i = 0; i < n && rc == 0; i++) {
    json_t *j = json_load_file(list[i].file, 0, NULL);
    if (!j) {
      snprintf(err, errcap, "cannot read back %s", list[i].file);
      rc = -EIO;
    }
    json_array_append_new(outcome->students, j);
  }
  for (size_t i = 0; i < n; i++) student_free(&list[i]);
  free(list);
  free(g.selected);
  json_decref(g.settings);
  if (rc != 0) json_decref(outcome->students), outcome->students = NULL;
  return rc;
}

/* -------------------------------------------------------------- merging */

static void add_student(json_t *students, json_t *result, const char *path) {
  const char *name = json_string_value(json_object_get(result, "student"));
  size_t i;
  json_t *other;
  json_array_foreach(students, i, other) {
    if (strcmp(json_string_value(json_object_get(other, "student")), name) != 0) continue;
    fprintf(stderr, "racelab: %s: student %s was already merged; keeping this later result\n", path, name);
    json_array_set(students, i, result);
    return;
  }
  json_array_append(students, result);
}

static int by_student(const void *a, const void *b) {
  return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "student")),
                json_string_value(json_object_get(*(json_t *const *)b, "student")));
}

int rl_grade_merge(const char *const *paths, int npaths, json_t **students, char *err, size_t errcap) {
  json_t *all = json_array();
  for (int p = 0; p < npaths; p++) {
    json_error_t jerr;
    json_t *j = json_load_file(paths[p], 0, &jerr);
    if (!j) {
      snprintf(err, errcap, "--merge %s: %s (line %d)", paths[p], jerr.text, jerr.line);
      json_decref(all);
      return -EINVAL;
    }
    json_t *items = json_object_get(j, "students");
    if (!items) items = j; /* one student's file */
    json_t *one = json_array();
    if (json_is_array(items)) json_array_extend(one, items);
    else json_array_append(one, items);
    size_t i;
    json_t *result;
    json_array_foreach(one, i, result) {
      if (!rl_grade_student_valid(result)) {
        snprintf(err, errcap, "--merge %s: not a racelab grade result", paths[p]);
        json_decref(one), json_decref(j), json_decref(all);
        return -EINVAL;
      }
      add_student(all, result, paths[p]);
    }
    json_decref(one);
    json_decref(j);
  }
  /* Sort through a plain array: jansson arrays have no sort. */
  size_t n = json_array_size(all);
  json_t **v = rl_xcalloc(n ? n : 1, sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = json_incref(json_array_get(all, i));
  qsort(v, n, sizeof *v, by_student);
  json_array_clear(all);
  for (size_t i = 0; i < n; i++) json_array_append_new(all, v[i]);
  free(v);
  *students = all;
  return 0;
}
