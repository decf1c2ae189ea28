/* emit.h -- the output formats of a check. Emitters only format: every word
 * they print comes from the finding (parsers, explain.c) or the check. */
#ifndef RL_EMIT_H
#define RL_EMIT_H

#include <stdio.h>

#include "check.h"
#include "target.h"

typedef struct {
  const char *command;      /* "run" or "check" */
  const char *target_spec;  /* how to name the target on a command line */
  const char *against;      /* --against PATH, or NULL */
  const rl_target *target;
  const rl_check_result *result;
  int runs_per_build;
} rl_emit_ctx;

/* The escape sequences racelab colours with, each "" when what is written
 * to out should stay plain: out is not a terminal, or NO_COLOR is set and
 * not empty (https://no-color.org). */
typedef struct {
  const char *bold, *red, *green, *yellow, *cyan, *dim, *reset;
} rl_palette;

rl_palette rl_emit_palette(FILE *out);

/* The command line that replays f: its seed and build, same target. */
char *rl_emit_reproduce(const rl_emit_ctx *ctx, const rl_finding *f);

void rl_emit_human(const rl_emit_ctx *ctx, FILE *out);
/* 0, or -1 if the JSON could not be written. */
int rl_emit_json(const rl_emit_ctx *ctx, FILE *out);

/* The verbose trace of ctx->result (its trace must be set): every event
 * per thread in order, with its source line and the findings marked. */
void rl_emit_trace(const rl_emit_ctx *ctx, FILE *out);
/* The same trace in Chrome's Trace Event Format; 0, or -1. */
int rl_emit_chrome(const rl_emit_ctx *ctx, FILE *out);
/* One self-contained HTML page: the findings explained, with their source
 * lines and an SVG timeline of the trace around each; 0, or -1. */
int rl_emit_html(const rl_emit_ctx *ctx, FILE *out);

#endif
