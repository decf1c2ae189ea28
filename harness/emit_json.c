/* emit_json.c -- `--format json`: the result of a check as one JSON object
 * (DESIGN.md's form, with schema_version), built with jansson. */
#include <jansson.h>
#include <stdlib.h>

#include "emit.h"
#include "util.h"

#define SCHEMA_VERSION 1

static json_t *nullable(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *place(const char *file, int line, const char *function) {
  return json_pack("{s:o, s:i, s:o}", "file", nullable(file ? rl_path_basename(file) : NULL), "line", line,
                   "function", nullable(function));
}

static json_t *finding_json(const rl_emit_ctx *ctx, const rl_finding *f) {
  json_t *locations = json_array();
  for (size_t i = 0; i < f->nlocations; i++) {
    const rl_location *l = &f->locations[i];
    json_t *loc = place(l->file, l->line, l->function);
    json_object_set_new(loc, "path", nullable(l->file));
    json_object_set_new(loc, "role", nullable(l->role));
    if (l->thread >= 0) json_object_set_new(loc, "thread", json_integer(l->thread));
    json_array_append_new(locations, loc);
  }
  json_t *threads = json_array();
  for (size_t i = 0; i < f->nthreads; i++) {
    const rl_frame *at = rl_stack_user_frame(&f->threads[i].created_at);
    json_array_append_new(threads, json_pack("{s:i, s:o}", "id", f->threads[i].id, "created_at",
                                             at ? place(at->file, at->line, at->function) : json_null()));
  }
  char *reproduce = rl_emit_reproduce(ctx, f);
  json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:I, s:o, s:o, s:i, s:s}",
                        "kind", rl_finding_kind_name(f->kind), "summary", nullable(f->summary),
                        "explanation", nullable(f->explanation), "object", nullable(f->object),
                        "detail", nullable(f->detail), "locations", locations, "threads", threads,
                        "first_run", f->first_run, "seed", (json_int_t)f->seed, "mode", nullable(f->mode),
                        "build", nullable(f->build), "count", f->count, "reproduce", reproduce);
  free(reproduce);
  return j;
}

int rl_emit_json(const rl_emit_ctx *ctx, FILE *out) {
  const rl_check_result *r = ctx->result;
  json_t *findings = json_array();
  for (size_t i = 0; i < r->findings.count; i++) json_array_append_new(findings, finding_json(ctx, &r->findings.items[i]));
  json_t *root = json_pack("{s:i, s:s, s:s, s:i, s:i, s:I, s:I, s:o}", "schema_version", SCHEMA_VERSION,
                           "target", ctx->target ? ctx->target->name : ctx->target_spec,
                           "verdict", rl_verdict_name(r->verdict), "runs", r->runs,
                           "runs_per_build", ctx->runs_per_build, "seed", (json_int_t)r->seed,
                           "elapsed_ms", (json_int_t)r->elapsed_ms, "findings", findings);
  if (ctx->target && ctx->target->exercise)
    json_object_set_new(root, "exercise", json_string(ctx->target->exercise->id));
  if (r->error) json_object_set_new(root, "error", json_string(r->error));
  int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) == 0 && fputc('\n', out) != EOF ? 0 : -1;
  json_decref(root);
  return rc;
}
