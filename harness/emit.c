/* emit.c -- what every output format shares: the colours and the
 * reproduce command. */
#include "emit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

rl_palette rl_emit_palette(FILE *out) {
  const char *no = getenv("NO_COLOR");
  if ((no && *no) || !isatty(fileno(out))) return (rl_palette){"", "", "", "", "", "", ""};
  return (rl_palette){"\033[1m", "\033[31m", "\033[32m", "\033[33m", "\033[36m", "\033[2m", "\033[0m"};
}

char *rl_emit_reproduce(const rl_emit_ctx *ctx, const rl_finding *f) {
  if (rl_finding_before_runs(f))
    return rl_xasprintf("racelab %s %s%s%s", ctx->command, ctx->target_spec, ctx->against ? " --against " : "",
                        ctx->against ? ctx->against : "");
  /* `run` stops at the first finding, and its first run uses the seed. */
  return rl_xasprintf("racelab %s %s%s%s --seed %" PRIu64 " --build %s", ctx->against ? "check" : "run",
                      ctx->target_spec, ctx->against ? " --against " : "", ctx->against ? ctx->against : "",
                      f->seed, f->build ? f->build : "tsan");
}
