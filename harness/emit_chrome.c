/* emit_chrome.c -- the verbose trace in Chrome's Trace Event Format, which
 * Perfetto and chrome://tracing open: one track per thread (thread_name
 * metadata), lock holds, waits and injected delays as complete (X)
 * slices, libuv requests as async (b/e) slices from start to callback,
 * the other events and the findings as instants. Times are microseconds. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "emit.h"
#include "trace.h"
#include "util.h"

static json_t *source_of(const rl_frame *at) {
  if (at->file && at->line) {
    char *s = rl_xasprintf("%s:%d%s%s%s", rl_path_basename(at->file), at->line, at->function ? " (" : "",
                           at->function ? at->function : "", at->function ? ")" : "");
    json_t *j = json_string(s);
    free(s);
    return j;
  }
  return at->function ? json_string(at->function) : json_null();
}

/* {"name", "cat", "ph", "ts", "pid", "tid", "args": {"source"}} for e. */
static json_t *event(const rl_trace_event *e, const char *ph, const char *cat, const char *name, uint64_t ns) {
  return json_pack("{s:s, s:s, s:s, s:f, s:i, s:i, s:{s:o}}", "name", name, "cat", cat, "ph", ph, "ts", ns / 1000.0,
                   "pid", e->pid, "tid", e->thread, "args", "source", source_of(&e->at));
}

/* Metadata naming each process and each (pid, thread) track once. */
static void add_threads(const rl_trace *t, json_t *events, const char *target) {
  int (*seen)[2] = NULL; /* (pid, thread) pairs named so far */
  size_t nseen = 0;
  for (size_t i = 0; i < t->count; i++) {
    const rl_trace_event *e = &t->items[i];
    size_t k = 0;
    while (k < nseen && !(seen[k][0] == e->pid && seen[k][1] == e->thread)) k++;
    if (k < nseen) continue;
    seen = rl_xrealloc(seen, (nseen + 1) * sizeof *seen);
    seen[nseen][0] = e->pid;
    seen[nseen++][1] = e->thread;
    char name[16];
    snprintf(name, sizeof name, "T%d", e->thread);
    json_array_append_new(events, json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name", "thread_name", "ph", "M", "pid",
                                            e->pid, "tid", e->thread, "args", "name", name));
    if (i == 0 || t->items[i - 1].pid != e->pid)
      json_array_append_new(events, json_pack("{s:s, s:s, s:i, s:{s:s}}", "name", "process_name", "ph", "M", "pid",
                                              e->pid, "args", "name", target));
  }
  free(seen);
}

/* Slice s as an async pair (b/e) named id, from its first event to its
 * last (or, if it never ended, to the end of the trace). */
static void add_async(const rl_trace *t, const rl_trace_slice *s, json_t *events, const char *cat,
                      const char *name, const char *id) {
  const rl_trace_event *b = &t->items[s->begin];
  json_t *j = event(b, "b", cat, name, s->begin_ns);
  json_object_set_new(j, "id", json_string(id));
  json_array_append_new(events, j);
  j = event(s->end >= 0 ? &t->items[s->end] : b, "e", cat, name, s->end_ns);
  json_object_set_new(j, "id", json_string(id));
  json_object_set_new(json_object_get(j, "args"), "completed", json_boolean(s->end >= 0));
  json_array_append_new(events, j);
}

/* The ends of one track's complete slices still open, innermost last. */
typedef struct {
  int pid, thread;
  uint64_t *ends;
  size_t n;
} open_slices;

/* Does [from, to] on e's track nest with the slices open there? If so it
 * is now one of them. Perfetto drops complete slices that do not nest. */
static int nests(open_slices **tracks, size_t *ntracks, const rl_trace_event *e, uint64_t from, uint64_t to) {
  size_t k = 0;
  while (k < *ntracks && !((*tracks)[k].pid == e->pid && (*tracks)[k].thread == e->thread)) k++;
  if (k == *ntracks) {
    *tracks = rl_xrealloc(*tracks, (*ntracks + 1) * sizeof **tracks);
    (*tracks)[(*ntracks)++] = (open_slices){e->pid, e->thread, NULL, 0};
  }
  open_slices *o = &(*tracks)[k];
  while (o->n && o->ends[o->n - 1] <= from) o->n--;
  if (o->n && o->ends[o->n - 1] < to) return 0;
  o->ends = rl_xrealloc(o->ends, (o->n + 1) * sizeof *o->ends);
  o->ends[o->n++] = to;
  return 1;
}

static void add_slices(const rl_trace *t, json_t *events) {
  rl_trace_slice *s;
  size_t n = rl_trace_slices(t, &s);
  open_slices *tracks = NULL;
  size_t ntracks = 0;
  for (size_t i = 0; i < n; i++) {
    const rl_trace_event *b = &t->items[s[i].begin];
    char name[96], id[128];
    json_t *j;
    if (s[i].kind == RL_SLICE_REQUEST) {
      snprintf(name, sizeof name, "%s %s", b->name, b->object);
      add_async(t, &s[i], events, "libuv", name, b->object);
      continue;
    }
    static const char *const cats[] = {[RL_SLICE_HOLD] = "lock", [RL_SLICE_WAIT] = "wait",
                                       [RL_SLICE_DELAY] = "jitter"};
    if (s[i].kind == RL_SLICE_HOLD) snprintf(name, sizeof name, "holds %s", b->object);
    else rl_trace_label(b, name, sizeof name);
    if (!nests(&tracks, &ntracks, b, s[i].begin_ns, s[i].end_ns)) {
      /* A lock released before one taken after it (hand over hand). */
      snprintf(id, sizeof id, "T%d %s %zu", b->thread, name, i);
      add_async(t, &s[i], events, cats[s[i].kind], name, id);
      continue;
    }
    j = event(b, "X", cats[s[i].kind], name, s[i].begin_ns);
    json_object_set_new(j, "dur", json_real((s[i].end_ns - s[i].begin_ns) / 1000.0));
    if (s[i].end < 0) json_object_set_new(json_object_get(j, "args"), "ended", json_false());
    else if (s[i].kind == RL_SLICE_HOLD)
      json_object_set_new(json_object_get(j, "args"), "released at", source_of(&t->items[s[i].end].at));
    json_array_append_new(events, j);
  }
  for (size_t k = 0; k < ntracks; k++) free(tracks[k].ends);
  free(tracks);
  free(s);
}

/* Events that are not the edge of a slice: lifecycle, signals, callbacks. */
static void add_instants(const rl_trace *t, json_t *events) {
  for (size_t i = 0; i < t->count; i++) {
    const rl_trace_event *e = &t->items[i];
    switch (e->event) {
      case RLRT_TEV_CREATE: case RLRT_TEV_START: case RLRT_TEV_EXIT:
      case RLRT_TEV_SIGNAL: case RLRT_TEV_BROADCAST: case RLRT_TEV_REQ_DONE: {
        char name[96];
        json_t *j = event(e, "i", "event", rl_trace_label(e, name, sizeof name), e->ns);
        json_object_set_new(j, "s", json_string("t"));
        json_array_append_new(events, j);
        break;
      }
      default:
        break;
    }
  }
}

/* A finding of the traced run on the thread and at the time it arose;
 * any other (or one not tied to an event) as a global instant at the end. */
static void add_findings(const rl_emit_ctx *ctx, json_t *events) {
  const rl_check_result *r = ctx->result;
  const rl_trace *t = r->trace;
  for (size_t k = 0; k < r->findings.count; k++) {
    const rl_finding *f = &r->findings.items[k];
    long at = t && f->first_run == r->trace_run ? rl_trace_mark(t, f) : -1;
    const rl_trace_event *e = at >= 0 ? &t->items[at] : NULL;
    char *name = rl_xasprintf("[%zu] %s: %s", k + 1, rl_finding_kind_name(f->kind),
                              f->summary ? f->summary : rl_finding_kind_title(f->kind));
    uint64_t ns = e ? e->ns : t && t->count ? t->items[t->count - 1].ns : 0;
    json_t *places = json_array();
    for (size_t i = 0; i < f->nlocations; i++) {
      const rl_location *l = &f->locations[i];
      char *p = rl_xasprintf("%s:%d %s", l->file ? rl_path_basename(l->file) : "?", l->line, l->role ? l->role : "");
      json_array_append_new(places, json_string(p));
      free(p);
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:f, s:i, s:i, s:s, s:{s:s, s:s?, s:o, s:i}}", "name", name, "cat",
                          "finding", "ph", "i", "ts", ns / 1000.0, "pid", e ? e->pid : t && t->count ? t->items[0].pid : 0,
                          "tid", e ? e->thread : 0, "s", e ? "t" : "g", "args", "kind", rl_finding_kind_name(f->kind),
                          "explanation", f->explanation, "locations", places, "first_run", f->first_run);
    json_array_append_new(events, j);
    free(name);
  }
}

int rl_emit_chrome(const rl_emit_ctx *ctx, FILE *out) {
  const rl_trace *t = ctx->result->trace;
  json_t *events = json_array();
  if (t) {
    add_threads(t, events, ctx->target ? ctx->target->name : ctx->target_spec);
    add_slices(t, events);
    add_instants(t, events);
  }
  add_findings(ctx, events);
  json_t *root = json_pack("{s:o, s:s, s:{s:s, s:i}}", "traceEvents", events, "displayTimeUnit", "ns", "otherData",
                           "tool", "racelab", "run", ctx->result->trace_run);
  int rc = root && json_dumpf(root, out, JSON_COMPACT | JSON_ENSURE_ASCII) == 0 && fputc('\n', out) != EOF ? 0 : -1;
  json_decref(root);
  return rc;
}
