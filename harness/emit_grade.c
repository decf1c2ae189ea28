/* emit_grade.c -- the JSON of `racelab grade`: one test per exercise folder
 * in Exercism's test-runner v3 shape, a student's result, the combined
 * file, and the atomic write. It formats; grade.c decides what was checked. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "grade.h"
#include "util.h"

/* Text that came from a submission (compiler diagnostics, identifiers) may
 * be any bytes: keep printable ASCII, newlines and tabs, replace the rest
 * with '?', and cut to max characters so every string is valid JSON and
 * XML, and bounded. */
static json_t *clean_string(const char *s, size_t max) {
  if (!s) return json_null();
  size_t n = strlen(s);
  size_t keep = n > max ? max - 3 : n;
  char *buf = rl_xmalloc(keep + 4);
  for (size_t i = 0; i < keep; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[i] = (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' ? (char)c : '?';
  }
  strcpy(buf + keep, n > max ? "..." : "");
  json_t *j = json_string(buf);
  free(buf);
  return j;
}

#define LINE_MAX_CHARS 300 /* a summary, role or path */

static const char *under(const char *path, const char *dir) {
  size_t n = dir ? strlen(dir) : 0;
  return n && strncmp(path, dir, n) == 0 && path[n] == '/' ? path + n + 1 : NULL;
}

/* How a result may name a file: relative to the submissions root when it
 * is this submission's own, relative to the course when it is the
 * exercise's, as is under /usr; NULL for anything else (a grader's file,
 * a classmate's): the student must not learn its name or contents. A
 * compiler names included files through "..", so the real path decides.
 * The answer may point into buf. */
static const char *shown_path(const rl_grade_test *t, const char *path, char buf[PATH_MAX]) {
  if (path[0] != '/') return strstr(path, "..") ? NULL : path;
  if (!realpath(path, buf)) return NULL;
  const char *rel = under(buf, t->real) ? under(buf, t->root) : under(buf, t->lab_root);
  return rel ? rel : under(buf, "/usr") ? buf : NULL;
}

/* A finding's locations; one in a file the student may not see keeps its
 * line, and for a build error nothing of the compiler's words about it. */
static json_t *finding_json(const rl_finding *f, const rl_grade_test *t) {
  json_t *locations = json_array();
  for (size_t i = 0; i < f->nlocations; i++) {
    const rl_location *l = &f->locations[i];
    char buf[PATH_MAX];
    const char *path = l->file ? shown_path(t, l->file, buf) : NULL;
    const char *role = path || f->kind != RL_FINDING_BUILD_ERROR ? l->role : NULL;
    json_t *loc = json_pack("{s:o, s:o, s:i, s:o, s:o}", "file",
                            clean_string(path ? rl_path_basename(path) : NULL, LINE_MAX_CHARS), "path",
                            clean_string(path, LINE_MAX_CHARS), "line", l->line, "function",
                            clean_string(l->function, LINE_MAX_CHARS), "role", clean_string(role, LINE_MAX_CHARS));
    if (l->thread >= 0) json_object_set_new(loc, "thread", json_integer(l->thread));
    json_array_append_new(locations, loc);
  }
  return json_pack("{s:s, s:o, s:i, s:i, s:I, s:o, s:o}", "kind", rl_finding_kind_name(f->kind), "summary",
                   clean_string(f->summary, LINE_MAX_CHARS), "count", f->count, "first_run", f->first_run,
                   "seed", (json_int_t)f->seed, "build", f->build ? json_string(f->build) : json_null(),
                   "locations", locations);
}

/* The compiler's words, shown only about files the student may see (see
 * shown_path): a message about another file (`#include "/etc/shadow"`)
 * and the source lines it quotes are replaced by one note. gcc and clang
 * start a message with "PATH:LINE:" or "In file included from PATH:LINE",
 * continued by "                 from PATH:LINE"; quoted source is
 * indented. */
static void print_diagnostics(FILE *o, const char *text, const rl_grade_test *t) {
  int show = 1;
  for (const char *line = text; *line;) {
    const char *end = strchrnul(line, '\n');
    const char *p = line, *from = strstr(line, "from ");
    if (strncmp(line, "In file included from ", 22) == 0) p = line + 22;
    else if (from && from < end && strspn(line, " ") == (size_t)(from - line)) p = from + 5;
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (p != line || (*line != ' ' && colon)) {
      char *path = rl_xstrndup(p, colon ? (size_t)(colon - p) : (size_t)(end - p)), buf[PATH_MAX];
      const char *shown = shown_path(t, path, buf);
      if (!shown && show) fputs("[racelab: a message about a file outside the submission is hidden]\n", o);
      show = shown != NULL;
      const char *rest = colon ? colon : end;
      if (show) fprintf(o, "%.*s%s%.*s\n", (int)(p - line), line, shown, (int)(end - rest), rest);
      free(path);
    } else {
      show |= *line != ' '; /* "compilation terminated." and the like */
      if (show) fprintf(o, "%.*s\n", (int)(end - line), line);
    }
    line = *end ? end + 1 : end;
  }
}

static int only_build_errors(const rl_findings *fs) {
  for (size_t i = 0; i < fs->count; i++)
    if (fs->items[i].kind != RL_FINDING_BUILD_ERROR) return 0;
  return fs->count > 0;
}

/* message: each kind once with how many runs showed it; output: every
 * finding with its first location (or, for a build error, the compiler's
 * own words, which say more). */
static void describe_failure(const rl_grade_test *t, char **message, char **output) {
  const rl_check_result *r = t->result;
  size_t mlen, olen;
  FILE *m = open_memstream(message, &mlen), *o = open_memstream(output, &olen);
  if (!m || !o) abort();
  unsigned seen = 0;
  for (size_t i = 0; i < r->findings.count; i++) {
    const rl_finding *f = &r->findings.items[i];
    if (!(seen & (1u << f->kind))) {
      int k = 0;
      for (size_t j = i; j < r->findings.count; j++)
        if (r->findings.items[j].kind == f->kind && r->findings.items[j].count > k) k = r->findings.items[j].count;
      if (f->kind == RL_FINDING_BUILD_ERROR) fprintf(m, "%sdoes not compile", seen ? "; " : "");
      else if (rl_finding_before_runs(f)) fprintf(m, "%s%s", seen ? "; " : "", rl_finding_kind_name(f->kind));
      else fprintf(m, "%s%s in %d/%d runs", seen ? "; " : "", rl_finding_kind_name(f->kind), k, r->runs);
      seen |= 1u << f->kind;
    }
    if (f->kind == RL_FINDING_BUILD_ERROR) {
      print_diagnostics(o, f->detail ? f->detail : "", t);
      continue;
    }
    if (rl_finding_before_runs(f))
      fprintf(o, "%s: %s\n", rl_finding_kind_name(f->kind), f->summary ? f->summary : "");
    else
      fprintf(o, "%s: %s (%d/%d runs, first seed %llu)\n", rl_finding_kind_name(f->kind),
              f->summary ? f->summary : "", f->count, r->runs, (unsigned long long)f->seed);
    char buf[PATH_MAX];
    const char *path = f->nlocations && f->locations[0].file ? shown_path(t, f->locations[0].file, buf) : NULL;
    if (path) fprintf(o, "  at %s:%d\n", path, f->locations[0].line);
  }
  fclose(m);
  fclose(o);
}

static json_t *limits_json(const rl_check_config *c) {
  json_t *builds = json_array();
  for (int k = 0; k < RL_BUILD_COUNT; k++)
    if (c->builds & (1u << k)) json_array_append_new(builds, json_string(rl_build_kind_name((rl_build_kind)k)));
  return json_pack("{s:i, s:I, s:i, s:o}", "runs_per_build", c->runs, "seed", (json_int_t)c->seed, "timeout_ms",
                   c->timeout_ms, "builds", builds);
}

json_t *rl_grade_test_json(const rl_grade_test *t) {
  const rl_check_result *r = t->problem ? NULL : t->result;
  const char *status = "error";
  char *message = NULL, *output = NULL;
  json_t *findings = json_array();
  if (t->problem) {
    message = rl_xstrdup(t->problem);
  } else if (r->verdict == RL_VERDICT_ERROR) {
    message = rl_xasprintf("racelab could not check this submission: %s", r->error ? r->error : "unknown error");
  } else if (r->verdict == RL_VERDICT_FAIL) {
    describe_failure(t, &message, &output);
    status = only_build_errors(&r->findings) ? "error" : "fail";
  } else {
    status = "pass";
  }
  for (size_t i = 0; r && i < r->findings.count; i++)
    json_array_append_new(findings, finding_json(&r->findings.items[i], t));
  char *code = t->exercise_id ? rl_xasprintf("racelab check %s --against %s --keep-going --runs %d --seed %llu",
                                            t->exercise_id, t->folder, t->check->runs,
                                            (unsigned long long)t->check->seed)
                              : NULL;
  json_t *j = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:i, s:I, s:o, s:s, s:I}", "name",
                        clean_string(t->name, LINE_MAX_CHARS), "status", status, "message",
                        clean_string(message, 2 * LINE_MAX_CHARS), "output",
                        clean_string(output, RL_GRADE_OUTPUT_MAX), "test_code", clean_string(code, 2 * LINE_MAX_CHARS),
                        "findings", findings, "runs", r ? r->runs : 0, "seed", (json_int_t)t->check->seed,
                        "limits", limits_json(t->check), "protections", t->protections, "elapsed_ms",
                        (json_int_t)(r ? r->elapsed_ms : 0));
  if (t->harness_error || (r && r->verdict == RL_VERDICT_ERROR))
    json_object_set_new(j, "harness_error", json_true());
  free(message), free(output), free(code);
  return j;
}

json_t *rl_grade_settings_json(const rl_grade_config *cfg) {
  return json_pack("{s:s, s:i, s:I, s:o}", "racelab", RL_VERSION, "runs_per_build", cfg->runs, "seed",
                   (json_int_t)cfg->seed, "exercises", cfg->exercises ? json_string(cfg->exercises) : json_null());
}

int rl_grade_count_status(const json_t *items, const char *status) {
  size_t i;
  json_t *item;
  int n = 0;
  json_array_foreach(items, i, item) {
    const char *s = json_string_value(json_object_get(item, "status"));
    n += s && strcmp(s, status) == 0;
  }
  return n;
}

json_t *rl_grade_student_json(const char *student, json_t *settings, json_t *tests) {
  int total = (int)json_array_size(tests), pass = rl_grade_count_status(tests, "pass"), error = rl_grade_count_status(tests, "error");
  const char *status = pass == total ? "pass" : error == total ? "error" : "fail";
  char *message = error == total ? rl_xasprintf("no exercise could be checked: %s",
                                                json_string_value(json_object_get(json_array_get(tests, 0), "message")))
                                 : rl_xasprintf("%d of %d exercises pass", pass, total);
  json_t *j = json_pack("{s:i, s:s, s:o, s:o, s:o, s:o}", "version", 3, "status", status, "message",
                        clean_string(message, 2 * LINE_MAX_CHARS), "tests", tests, "student",
                        clean_string(student, LINE_MAX_CHARS), "grading", settings);
  free(message);
  return j;
}

json_t *rl_grade_combined_json(json_t *students) {
  int total = (int)json_array_size(students), pass = rl_grade_count_status(students, "pass"),
      error = rl_grade_count_status(students, "error");
  return json_pack("{s:i, s:s, s:{s:i, s:i, s:i, s:i}, s:o}", "schema_version", 1, "status",
                   pass == total ? "pass" : "fail", "summary", "students", total, "pass", pass, "fail",
                   total - pass - error, "error", error, "students", students);
}

int rl_grade_student_valid(const json_t *j) {
  json_t *tests = json_object_get(j, "tests");
  if (json_integer_value(json_object_get(j, "version")) != 3 || !json_is_string(json_object_get(j, "student")) ||
      !json_is_string(json_object_get(j, "status")) || !json_array_size(tests))
    return 0;
  size_t i;
  json_t *test;
  json_array_foreach(tests, i, test) {
    if (!json_is_string(json_object_get(test, "name")) || !json_is_string(json_object_get(test, "status")))
      return 0;
  }
  return 1;
}

int rl_grade_student_complete(const json_t *j, const json_t *settings) {
  if (!rl_grade_student_valid(j)) return 0;
  if (settings && !json_equal(json_object_get(j, "grading"), (json_t *)settings)) return 0;
  size_t i;
  json_t *test;
  json_array_foreach(json_object_get(j, "tests"), i, test) {
    if (json_is_true(json_object_get(test, "harness_error"))) return 0;
  }
  return 1;
}

int rl_grade_write_json(const json_t *j, const char *path) {
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
  if (!text) return -ENOMEM;
  size_t n = strlen(text);
  text = rl_xrealloc(text, n + 2);
  strcpy(text + n, "\n");
  int rc = rl_write_file_atomic(path, text, n + 1);
  free(text);
  if (rc != 0) return rc;
  /* The rename is durable only once the folder itself is on disk. */
  const char *slash = strrchr(path, '/');
  char *dir = slash ? rl_xstrndup(path, (size_t)(slash - path)) : rl_xstrdup(".");
  int fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (fd < 0) return -errno;
  rc = fsync(fd) == 0 ? 0 : -errno;
  close(fd);
  return rc;
}
