/* emit_trace.c -- the verbose trace on a terminal: one line per event in
 * the order they happened, indented by thread so each thread reads as a
 * column, with the source line of the call, and each finding of the
 * traced run marked after the event where it arose. Plain columns, so it
 * greps and pipes; colour only on a terminal without NO_COLOR. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "explain.h"
#include "trace.h"
#include "util.h"

#define MAX_INDENT 8 /* threads past T8 share the last column */
#define SOURCE_WIDTH 60

/* Does finding f come from the traced run? Only those can be placed. */
static int in_traced_run(const rl_check_result *r, const rl_finding *f) {
  return r->trace && f->first_run == r->trace_run;
}

static void print_source(FILE *out, const rl_frame *at) {
  if (at->file && at->line) {
    fprintf(out, "  %s:%d", rl_path_basename(at->file), at->line);
    const char *src = rl_source_line(at->file, at->line);
    while (src && (*src == ' ' || *src == '\t')) src++;
    if (src && *src) fprintf(out, "  %.*s", SOURCE_WIDTH, src);
  } else if (at->function) {
    fprintf(out, "  in %s()", at->function);
  }
}

static void print_mark(FILE *out, const rl_palette *c, size_t index, const rl_finding *f) {
  fprintf(out, "%s%s>> [%zu] %s: %s%s\n", c->bold, c->red, index, rl_finding_kind_name(f->kind),
          f->summary ? f->summary : rl_finding_kind_title(f->kind), c->reset);
}

void rl_emit_trace(const rl_emit_ctx *ctx, FILE *out) {
  const rl_check_result *r = ctx->result;
  const rl_trace *t = r->trace;
  if (!t) {
    fputs("\nNo trace: no run of the program completed.\n", out);
    return;
  }
  rl_palette c = rl_emit_palette(out);
  int depth = t->nthreads - 1 < MAX_INDENT ? t->nthreads - 1 : MAX_INDENT;
  int width = 2 * depth + 4;
  fprintf(out, "\nTrace of run %d: %zu event%s, %d thread%s; times in ms from the start.\n", r->trace_run, t->count,
          t->count == 1 ? "" : "s", t->nthreads, t->nthreads == 1 ? "" : "s");
  if (t->dropped)
    fprintf(out, "(the %" PRIu64 " oldest events were overwritten: the ring keeps the latest %d)\n", t->dropped,
            RLRT_TRACE_CAP);
  fprintf(out, "%10s  %-*s  %-24s  %s\n", "ms", width, "thread", "event", "source");
  long *marks = rl_xcalloc(r->findings.count + 1, sizeof *marks);
  for (size_t k = 0; k < r->findings.count; k++)
    marks[k] = in_traced_run(r, &r->findings.items[k]) ? rl_trace_mark(t, &r->findings.items[k]) : -1;
  int pid = t->count ? t->items[0].pid : 0;
  for (size_t i = 0; i < t->count; i++) {
    const rl_trace_event *e = &t->items[i];
    char label[96];
    if (e->pid != pid) fprintf(out, "-- process %d (forked) --\n", pid = e->pid);
    if (!*rl_trace_label(e, label, sizeof label)) continue;
    int indent = 2 * (e->thread < MAX_INDENT ? e->thread : MAX_INDENT);
    char tid[16];
    snprintf(tid, sizeof tid, "T%d", e->thread);
    fprintf(out, "%10.3f  %*s%-*s  %-24s", e->ns / 1e6, indent, "", width - indent, tid, label);
    print_source(out, &e->at);
    fputc('\n', out);
    for (size_t k = 0; k < r->findings.count; k++)
      if (marks[k] == (long)i) {
        fprintf(out, "%10s  %*s", "", indent, "");
        print_mark(out, &c, k + 1, &r->findings.items[k]);
      }
  }
  for (size_t k = 0; k < r->findings.count; k++)
    if (marks[k] < 0 && in_traced_run(r, &r->findings.items[k])) {
      fprintf(out, "%10s  ", "(end)");
      print_mark(out, &c, k + 1, &r->findings.items[k]);
    }
  free(marks);
}
