/* emit_html.c -- one self-contained HTML page for a run (no script, no
 * network, no font to fetch): each finding with its explanation, the
 * source lines quoted, and an inline SVG timeline of the threads around
 * the event where it arose: who held which lock when, who waited where,
 * the delays racelab injected. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "explain.h"
#include "trace.h"
#include "util.h"

#define WINDOW_BEFORE 150 /* events shown before the one a finding marks */
#define WINDOW_AFTER 50
#define LABEL_W 64
#define PLOT_W 880
#define ROW_H 26
#define AXIS_H 22

static void esc(FILE *out, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '&': fputs("&amp;", out); break;
      case '"': fputs("&quot;", out); break;
      default: fputc(*s, out);
    }
  }
}

static void esc_source(FILE *out, const rl_frame *at) {
  if (at->file && at->line) fprintf(out, " at %s:%d", rl_path_basename(at->file), at->line);
  if (at->function) {
    fputs(" in ", out);
    esc(out, at->function);
    fputs("()", out);
  }
}

static const char *const style =
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;color:#a00}code,pre{font-family:monospace}"
    "pre{background:#f6f6f6;padding:.4em .8em;margin:.2em 0}"
    ".finding{border-top:1px solid #ccc;margin-top:1.5em}"
    "svg.timeline{border:1px solid #ddd;background:#fff}svg text{font:11px monospace}"
    ".wait{fill:url(#hatch);stroke:#c00}.delay{fill:#bbb}.request{fill:#839}"
    ".finding-mark{stroke:#d00;stroke-width:2}.legend span{margin-right:1.2em}";

/* A lock's colour from its id, so M1 looks the same in every row. */
static const char *colour_of(const char *object) {
  static const char *const palette[] = {"#4a90d9", "#50a050", "#e09030", "#9060c0",
                                        "#30a0a0", "#c05080", "#808030", "#6070a0"};
  unsigned h = 0;
  for (; *object; object++) h = h * 31 + (unsigned char)*object;
  return palette[h % 8];
}

typedef struct {
  int pid, thread;
  uint64_t first_ns, last_ns; /* its events in the window: its lifeline */
} track;

static size_t row_of(const track *tr, size_t n, const rl_trace_event *e) {
  size_t k = 0;
  while (k < n && !(tr[k].pid == e->pid && tr[k].thread == e->thread)) k++;
  return k;
}

/* The tracks (pid, thread) with an event in [lo, hi] or a slice open
 * across it, in order of appearance; returns their number. */
static size_t tracks_of(const rl_trace *t, size_t lo, size_t hi, const rl_trace_slice *s, size_t ns,
                        track **out) {
  track *tr = NULL;
  size_t n = 0;
  for (size_t i = 0; i <= hi + ns; i++) {
    const rl_trace_event *e;
    if (i <= hi) {
      if (i < lo) continue;
      e = &t->items[i];
    } else {
      const rl_trace_slice *x = &s[i - hi - 1];
      if (x->begin >= lo || x->end_ns < t->items[lo].ns) continue;
      e = &t->items[x->begin];
    }
    size_t k = row_of(tr, n, e);
    if (k == n) {
      tr = rl_xrealloc(tr, (n + 1) * sizeof *tr);
      tr[n++] = (track){e->pid, e->thread, e->ns, e->ns};
    }
    if (i <= hi) tr[k].last_ns = e->ns;
  }
  *out = tr;
  return n;
}

typedef struct {
  uint64_t t0, t1; /* the time window drawn */
} window;

static double x_of(const window *w, uint64_t ns) {
  if (ns < w->t0) ns = w->t0;
  if (ns > w->t1) ns = w->t1;
  return LABEL_W + (double)(ns - w->t0) * PLOT_W / (double)(w->t1 > w->t0 ? w->t1 - w->t0 : 1);
}

/* Nested holds of one thread are drawn thinner, inside the outer ones. */
static int hold_depth(const rl_trace *t, const rl_trace_slice *s, size_t i) {
  int depth = 0;
  const rl_trace_event *b = &t->items[s[i].begin];
  for (size_t j = i; j-- > 0 && depth < 3;)
    if (s[j].kind == RL_SLICE_HOLD && t->items[s[j].begin].thread == b->thread &&
        t->items[s[j].begin].pid == b->pid && s[j].end_ns >= s[i].begin_ns && (s[j].end < 0 || s[j].end > (long)s[i].begin))
      depth++;
  return depth;
}

static void draw_slices(FILE *out, const rl_trace *t, const rl_trace_slice *s, size_t n, const window *w,
                        const track *tr, size_t ntracks) {
  for (size_t i = 0; i < n; i++) {
    const rl_trace_event *b = &t->items[s[i].begin];
    size_t row = row_of(tr, ntracks, b);
    if (s[i].end_ns < w->t0 || s[i].begin_ns > w->t1 || row == ntracks) continue;
    double x0 = x_of(w, s[i].begin_ns), x1 = x_of(w, s[i].end_ns);
    double y = AXIS_H + (double)row * ROW_H;
    double width = x1 - x0 < 1 ? 1 : x1 - x0;
    char label[96];
    switch (s[i].kind) {
      case RL_SLICE_HOLD: {
        int d = hold_depth(t, s, i);
        fprintf(out, "<rect class=\"hold\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>T%d holds %s",
                x0, y + 5 + 3 * d, width, 16 - 6 * d, colour_of(b->object), b->thread, b->object);
        esc_source(out, &b->at);
        fputs("</title></rect>", out);
        if (width > 28 && !d) fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#fff\">%s</text>", x0 + 3, y + 17, b->object);
        break;
      }
      case RL_SLICE_WAIT:
      case RL_SLICE_DELAY:
        fprintf(out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"><title>T%d %s ",
                s[i].kind == RL_SLICE_WAIT ? "wait" : "delay", x0, y + (s[i].kind == RL_SLICE_WAIT ? 5 : 9), width,
                s[i].kind == RL_SLICE_WAIT ? 16 : 8, b->thread, s[i].kind == RL_SLICE_WAIT ? "waits:" : "");
        esc(out, rl_trace_label(b, label, sizeof label));
        esc_source(out, &b->at);
        fprintf(out, "%s</title></rect>", s[i].end < 0 ? " (never ended)" : "");
        break;
      case RL_SLICE_REQUEST:
        fprintf(out, "<rect class=\"request\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"3\"><title>%s %s",
                x0, y + 22, width, b->object, b->name);
        esc_source(out, &b->at);
        fprintf(out, "%s</title></rect>", s[i].end < 0 ? " (no callback)" : "");
        break;
    }
  }
}

/* The timeline of events [lo, hi], with finding index+1 marked at event
 * mark (if >= 0). */
static void timeline(FILE *out, const rl_trace *t, size_t lo, size_t hi, long mark, size_t index) {
  rl_trace_slice *s;
  size_t nslices = rl_trace_slices(t, &s);
  track *tr;
  size_t ntracks = tracks_of(t, lo, hi, s, nslices, &tr);
  window w = {t->items[lo].ns, t->items[hi].ns};
  int height = AXIS_H + (int)ntracks * ROW_H + 4;
  fprintf(out, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\">",
          LABEL_W + PLOT_W + 10, height, LABEL_W + PLOT_W + 10, height);
  fprintf(out, "<text x=\"%d\" y=\"14\">%.3f ms</text><text x=\"%d\" y=\"14\" text-anchor=\"end\">%.3f ms</text>",
          LABEL_W, w.t0 / 1e6, LABEL_W + PLOT_W, w.t1 / 1e6);
  for (size_t k = 0; k < ntracks; k++) {
    int y = AXIS_H + (int)k * ROW_H;
    fprintf(out, "<text class=\"thread\" x=\"4\" y=\"%d\">T%d</text>", y + 17, tr[k].thread);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>", LABEL_W, y + 13,
            LABEL_W + PLOT_W, y + 13);
    fprintf(out, "<line class=\"alive\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>",
            x_of(&w, tr[k].first_ns), y + 13, x_of(&w, tr[k].last_ns), y + 13);
  }
  draw_slices(out, t, s, nslices, &w, tr, ntracks);
  for (size_t i = lo; i <= hi; i++) {
    const rl_trace_event *e = &t->items[i];
    char label[96];
    if (!*rl_trace_label(e, label, sizeof label)) continue;
    double y = AXIS_H + (double)row_of(tr, ntracks, e) * ROW_H;
    fprintf(out, "<circle class=\"event\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#333\"><title>%.3f ms T%d ",
            x_of(&w, e->ns), y + 13, e->ns / 1e6, e->thread);
    esc(out, label);
    esc_source(out, &e->at);
    fputs("</title></circle>", out);
  }
  if (mark >= 0) {
    double x = x_of(&w, t->items[mark].ns);
    fprintf(out, "<line class=\"finding-mark\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
                 "<text x=\"%.1f\" y=\"%d\" fill=\"#d00\">[%zu]</text>",
            x, AXIS_H - 4, x, height, x + 3, AXIS_H - 6, index);
  }
  fputs("</svg>\n", out);
  free(tr);
  free(s);
}

static void finding_section(FILE *out, const rl_check_result *r, const rl_finding *f, size_t index) {
  fprintf(out, "<section class=\"finding\" id=\"finding-%zu\"><h2>[%zu] %s: ", index, index,
          rl_finding_kind_name(f->kind));
  esc(out, f->summary ? f->summary : rl_finding_kind_title(f->kind));
  fputs("</h2>\n", out);
  for (size_t i = 0; i < f->nlocations; i++) {
    const rl_location *l = &f->locations[i];
    fputs("<p class=\"place\"><code>", out);
    esc(out, l->file ? rl_path_basename(l->file) : "?");
    fprintf(out, ":%d</code>", l->line);
    if (l->thread >= 0) fprintf(out, " T%d", l->thread);
    fputc(' ', out);
    esc(out, l->role);
    const char *src = l->file ? rl_source_line(l->file, l->line) : NULL;
    if (src) {
      fprintf(out, "</p>\n<pre class=\"source\">%5d | ", l->line);
      esc(out, src);
      fputs("</pre>\n", out);
    } else {
      fputs("</p>\n", out);
    }
  }
  if (f->detail && *f->detail) {
    fputs("<pre class=\"detail\">", out);
    esc(out, f->detail);
    fputs("</pre>\n", out);
  }
  fputs("<p class=\"why\"><b>Why:</b> ", out);
  esc(out, f->explanation);
  fputs("</p>\n<p class=\"fix\"><b>Fix:</b> ", out);
  esc(out, rl_finding_kind_fix(f->kind));
  fputs("</p>\n", out);
  const rl_trace *t = r->trace;
  if (!t || !t->count) {
    fputs("<p>No trace of this run.</p>\n</section>\n", out);
    return;
  }
  long mark = f->first_run == r->trace_run ? rl_trace_mark(t, f) : -1;
  size_t last = t->count - 1;
  size_t hi = mark >= 0 ? ((size_t)mark + WINDOW_AFTER < last ? (size_t)mark + WINDOW_AFTER : last) : last;
  size_t lo = hi > WINDOW_BEFORE + WINDOW_AFTER ? hi - WINDOW_BEFORE - WINDOW_AFTER : 0;
  if (mark >= 0)
    fprintf(out, "<p>Timeline of run %d around where it arose (events %zu to %zu of %zu); hover for details.</p>\n",
            r->trace_run, lo + 1, hi + 1, t->count);
  else if (f->first_run == r->trace_run)
    fprintf(out, "<p>Timeline of the end of run %d (the finding is not tied to one event).</p>\n", r->trace_run);
  else
    fprintf(out, "<p>Timeline of the end of run %d (the finding was first seen in run %d).</p>\n", r->trace_run,
            f->first_run);
  timeline(out, t, lo, hi, mark, index);
  fputs("</section>\n", out);
}

int rl_emit_html(const rl_emit_ctx *ctx, FILE *out) {
  const rl_check_result *r = ctx->result;
  const char *name = ctx->target ? ctx->target->name : ctx->target_spec;
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>racelab: ", out);
  esc(out, name);
  fprintf(out, "</title><style>%s</style></head><body>\n<h1>racelab %s ", style, ctx->command);
  esc(out, name);
  fprintf(out, ": %s, %zu finding%s in %d run%s</h1>\n", rl_verdict_name(r->verdict), r->findings.count,
          r->findings.count == 1 ? "" : "s", r->runs, r->runs == 1 ? "" : "s");
  fputs("<p class=\"legend\"><span>Timeline rows are threads, time runs right.</span>"
        "<span style=\"color:#4a90d9\">&#9632; lock held</span><span style=\"color:#c00\">&#9633; waiting</span>"
        "<span style=\"color:#888\">&#9632; delay injected by racelab</span>"
        "<span style=\"color:#839\">&#9644; libuv request</span><span style=\"color:#d00\">| finding</span></p>\n",
        out);
  /* The hatching of waits, defined once for every timeline. */
  fputs("<svg width=\"0\" height=\"0\" aria-hidden=\"true\"><defs><pattern id=\"hatch\" width=\"6\" height=\"6\" "
        "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" "
        "fill=\"#fee\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#c00\" stroke-width=\"2\"/></pattern>"
        "</defs></svg>\n",
        out);
  if (r->verdict == RL_VERDICT_ERROR) {
    fputs("<p>racelab could not finish: ", out);
    esc(out, r->error);
    fputs("</p>\n", out);
  }
  for (size_t i = 0; i < r->findings.count; i++) finding_section(out, r, &r->findings.items[i], i + 1);
  if (!r->findings.count && r->trace && r->trace->count) {
    fprintf(out, "<section class=\"finding\"><h2>No finding</h2><p>Timeline of the end of run %d.</p>\n",
            r->trace_run);
    size_t last = r->trace->count - 1;
    timeline(out, r->trace, last > WINDOW_BEFORE ? last - WINDOW_BEFORE : 0, last, -1, 0);
    fputs("</section>\n", out);
  }
  fputs("</body></html>\n", out);
  return ferror(out) ? -1 : 0;
}
