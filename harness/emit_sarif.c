/* emit_sarif.c -- `racelab grade --sarif`: SARIF 2.1.0 made from the student
 * results: one rule per finding kind (the kind table), one result per
 * finding with its location, and a thread flow per racing thread. Paths
 * are relative to the graded folder (uriBaseId SUBMISSIONS). */
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "grade.h"
#include "util.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

static const char *field(const json_t *j, const char *key) {
  const char *s = json_string_value(json_object_get(j, key));
  return s ? s : "";
}

/* A relative path as a URI reference: unreserved characters and '/' kept,
 * everything else percent-encoded. */
static char *uri_of(const char *path) {
  char *u = rl_xmalloc(3 * strlen(path) + 1), *p = u;
  for (; *path; path++) {
    unsigned char c = (unsigned char)*path;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", c))
      *p++ = (char)c;
    else
      p += sprintf(p, "%%%02X", c);
  }
  *p = '\0';
  return u;
}

/* A SARIF location from a racelab location; NULL when it names no file. */
static json_t *location(const json_t *loc) {
  const char *path = field(loc, "path");
  if (!*path) return NULL;
  char *uri = uri_of(path);
  json_t *physical = json_pack("{s:{s:s, s:s}}", "artifactLocation", "uri", uri, "uriBaseId", "SUBMISSIONS");
  free(uri);
  json_int_t line = json_integer_value(json_object_get(loc, "line"));
  if (line > 0) json_object_set_new(physical, "region", json_pack("{s:I}", "startLine", line));
  json_t *l = json_pack("{s:o}", "physicalLocation", physical);
  if (*field(loc, "role")) json_object_set_new(l, "message", json_pack("{s:s}", "text", field(loc, "role")));
  return l;
}

/* A data race's accesses, each as the one step of its thread's flow. */
static json_t *race_flows(const json_t *locations) {
  json_t *flows = json_array();
  size_t i;
  json_t *loc;
  json_array_foreach(locations, i, loc) {
    json_t *l = location(loc);
    if (!l) continue;
    json_t *thread = json_object_get(loc, "thread");
    char *id = thread ? rl_xasprintf("T%lld", (long long)json_integer_value(thread)) : rl_xasprintf("access %zu", i + 1);
    json_array_append_new(flows, json_pack("{s:s, s:[{s:o}]}", "id", id, "locations", "location", l));
    free(id);
  }
  return flows;
}

static json_t *result(const json_t *student, const json_t *test, const json_t *f, rl_finding_kind kind) {
  char *text = rl_xasprintf("%s, %s: %s (%lld/%lld runs, first seed %lld)", field(student, "student"),
                            field(test, "name"), field(f, "summary"),
                            (long long)json_integer_value(json_object_get(f, "count")),
                            (long long)json_integer_value(json_object_get(test, "runs")),
                            (long long)json_integer_value(json_object_get(f, "seed")));
  json_t *r = json_pack("{s:s, s:i, s:s, s:{s:s}, s:{s:s, s:s, s:O, s:O, s:O}}", "ruleId",
                        rl_finding_kind_name(kind), "ruleIndex", (int)kind, "level", "error", "message", "text",
                        text, "properties", "student", field(student, "student"), "exercise", field(test, "name"),
                        "count", json_object_get(f, "count"), "runs", json_object_get(test, "runs"), "seed",
                        json_object_get(f, "seed"));
  free(text);
  json_t *locations = json_object_get(f, "locations");
  json_t *first = location(json_array_get(locations, 0));
  if (first) json_object_set_new(r, "locations", json_pack("[o]", first));
  if (kind == RL_FINDING_DATA_RACE) {
    json_t *flows = race_flows(locations);
    if (json_array_size(flows) >= 2) json_object_set_new(r, "codeFlows", json_pack("[{s:o}]", "threadFlows", flows));
    else json_decref(flows);
  }
  return r;
}

int rl_emit_sarif(const json_t *students, FILE *out) {
  json_t *rules = json_array();
  for (int k = 0; k < RL_FINDING_KIND_COUNT; k++)
    json_array_append_new(rules, json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "id",
                                           rl_finding_kind_name((rl_finding_kind)k), "name",
                                           rl_finding_kind_title((rl_finding_kind)k), "shortDescription", "text",
                                           rl_finding_kind_title((rl_finding_kind)k), "help", "text",
                                           rl_finding_kind_fix((rl_finding_kind)k)));
  json_t *results = json_array();
  size_t i, k, m;
  json_t *s, *t, *f;
  json_array_foreach(students, i, s) {
    json_array_foreach(json_object_get(s, "tests"), k, t) {
      json_array_foreach(json_object_get(t, "findings"), m, f) {
        rl_finding_kind kind;
        if (rl_finding_kind_parse(field(f, "kind"), &kind) == 0) json_array_append_new(results, result(s, t, f, kind));
      }
    }
  }
  json_t *root = json_pack(
      "{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:{s:{s:{s:s}}}, s:o}]}", "$schema", SARIF_SCHEMA, "version", "2.1.0",
      "runs", "tool", "driver", "name", "racelab", "version", RL_VERSION, "rules", rules, "originalUriBaseIds",
      "SUBMISSIONS", "description", "text", "the folder of submissions racelab graded", "results", results);
  int rc = root && json_dumpf(root, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) == 0 && fputc('\n', out) != EOF ? 0 : -1;
  json_decref(root);
  return rc;
}
