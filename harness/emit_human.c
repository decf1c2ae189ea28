/* emit_human.c -- the default output: per finding a headline, the source
 * lines involved quoted like a compiler diagnostic, the threads, why it is
 * a bug, how such bugs are fixed, and the command that reproduces it.
 * Colour only on a terminal, and never when NO_COLOR is set (emit.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "explain.h"
#include "util.h"

/* Wrap text at 76 columns with the given indent. */
static void paragraph(FILE *out, const char *indent, const char *label, const char *text) {
  int col = fprintf(out, "%s%s", indent, label);
  const char *p = text;
  while (*p) {
    size_t word = strcspn(p, " \n");
    if (col + (int)word > 78 && col > (int)strlen(indent) + (int)strlen(label)) {
      col = fprintf(out, "\n%s%*s", indent, (int)strlen(label), "");
    }
    col += fprintf(out, "%.*s", (int)word, p);
    p += word;
    if (*p == '\n') {
      col = fprintf(out, "\n%s%*s", indent, (int)strlen(label), "");
      p++;
    } else if (*p == ' ') {
      fputc(' ', out);
      col++;
      p++;
    }
  }
  fputc('\n', out);
}

static void quote_location(FILE *out, const rl_palette *c, const rl_location *l) {
  if (!l->file) {
    fprintf(out, "  %s- %s%s\n", c->dim, l->role ? l->role : "", c->reset);
    return;
  }
  fprintf(out, "  %s%s:%d%s", c->cyan, rl_path_basename(l->file), l->line, c->reset);
  if (l->thread >= 0) fprintf(out, " %sT%d%s", c->bold, l->thread, c->reset);
  if (l->role) fprintf(out, " %s", l->role);
  if (l->function) fprintf(out, " %sin %s()%s", c->dim, l->function, c->reset);
  fputc('\n', out);
  const char *src = rl_source_line(l->file, l->line);
  if (src) fprintf(out, "  %5d | %s\n", l->line, src);
}

static void print_detail(FILE *out, const rl_palette *c, const char *detail) {
  int lines = 0;
  for (const char *p = detail; *p && lines < 40; lines++) {
    size_t n = strcspn(p, "\n");
    fprintf(out, "  %s|%s %.*s\n", c->dim, c->reset, (int)n, p);
    p += n;
    if (*p) p++;
  }
}

/* "T1, T3 were created at thumbs.c:105 in main()": threads grouped by the
 * place that created them. */
static void print_creations(FILE *out, const rl_palette *c, const rl_finding *f) {
  for (size_t i = 0; i < f->nthreads; i++) {
    const rl_frame *at = rl_stack_user_frame(&f->threads[i].created_at);
    if (!at || f->threads[i].id == 0) continue;
    int first = 1, count = 0;
    for (size_t k = 0; k < i && first; k++) {
      const rl_frame *other = rl_stack_user_frame(&f->threads[k].created_at);
      first = !(other && f->threads[k].id != 0 && other->line == at->line && strcmp(other->file, at->file) == 0);
    }
    if (!first) continue;
    fputs("  ", out);
    for (size_t k = i; k < f->nthreads; k++) {
      const rl_frame *other = rl_stack_user_frame(&f->threads[k].created_at);
      if (!other || f->threads[k].id == 0 || other->line != at->line || strcmp(other->file, at->file) != 0) continue;
      fprintf(out, "%s%sT%d%s", count++ ? ", " : "", c->bold, f->threads[k].id, c->reset);
    }
    fprintf(out, " %s created at %s%s:%d%s in %s()\n", count > 1 ? "were" : "was", c->cyan,
            rl_path_basename(at->file), at->line, c->reset, at->function ? at->function : "?");
  }
}

static void print_finding(FILE *out, const rl_palette *c, const rl_emit_ctx *ctx, const rl_finding *f, size_t index) {
  fprintf(out, "\n%s%s[%zu] %s%s: %s\n", c->bold, c->red, index, rl_finding_kind_name(f->kind), c->reset,
          f->summary ? f->summary : rl_finding_kind_title(f->kind));
  for (size_t i = 0; i < f->nlocations; i++) quote_location(out, c, &f->locations[i]);
  print_creations(out, c, f);
  if (f->detail && *f->detail) print_detail(out, c, f->detail);
  if (f->explanation) paragraph(out, "  ", "Why: ", f->explanation);
  paragraph(out, "  ", "Fix: ", rl_finding_kind_fix(f->kind));
  if (!rl_finding_before_runs(f)) {
    fprintf(out, "  %sSeen in %d of %d runs; first in run %d (%s build, seed %" PRIu64 ", jitter %s).%s\n", c->dim,
            f->count, ctx->result->runs, f->first_run, f->build, f->seed, f->mode, c->reset);
  }
  char *cmd = rl_emit_reproduce(ctx, f);
  fprintf(out, "  Reproduce: %s%s%s\n", c->bold, cmd, c->reset);
  free(cmd);
}

void rl_emit_human(const rl_emit_ctx *ctx, FILE *out) {
  rl_palette c = rl_emit_palette(out);
  const rl_check_result *r = ctx->result;
  const char *name = ctx->target ? ctx->target->name : ctx->target_spec;
  if (r->verdict == RL_VERDICT_ERROR) {
    fprintf(out, "%s%sracelab could not finish %s: %s%s\n", c.bold, c.red, name, r->error, c.reset);
    return;
  }
  const char *colour = r->verdict == RL_VERDICT_PASS ? c.green : c.red;
  fprintf(out, "%s%s%s%s %s: ", c.bold, colour, r->verdict == RL_VERDICT_PASS ? "PASS" : "FAIL", c.reset, name);
  if (r->verdict == RL_VERDICT_PASS)
    fprintf(out, "no findings in %d runs (seeds %" PRIu64 "..%" PRIu64 ", %.1f s).\n", r->runs, r->seed,
            r->seed + (uint64_t)ctx->runs_per_build - 1, r->elapsed_ms / 1000.0);
  else if (r->runs == 0) /* a build error, a check bypass: found before running */
    fprintf(out, "%zu finding%s before any run (%.1f s).\n", r->findings.count, r->findings.count == 1 ? "" : "s",
            r->elapsed_ms / 1000.0);
  else
    fprintf(out, "%zu finding%s in %d run%s (%.1f s).\n", r->findings.count, r->findings.count == 1 ? "" : "s",
            r->runs, r->runs == 1 ? "" : "s", r->elapsed_ms / 1000.0);
  for (size_t i = 0; i < r->findings.count; i++) print_finding(out, &c, ctx, &r->findings.items[i], i + 1);
}
