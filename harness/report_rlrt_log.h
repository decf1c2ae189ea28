/* report_rlrt_log.h -- what every reader of racelab's runtime log needs
 * besides its own lines: the module table ("module" lines) and stacks of
 * raw return addresses turned into finding frames. report_rlrt_uv.c and
 * report_rlrt.c use it. */
#ifndef RL_REPORT_RLRT_LOG_H
#define RL_REPORT_RLRT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"

typedef struct {
  uint64_t base, lo, hi; /* load bias and mapped range [lo, hi) */
  char *path;
} rl__rlrt_module;

typedef struct {
  rl__rlrt_module *items;
  size_t count;
} rl__rlrt_modules;

/* Reads "module base=<hex> lo=<hex> hi=<hex> path=<rest of line>" (line
 * NUL-terminated) into mods. Returns 1 if it was such a line, 0 if not
 * (nothing added), -ENOMEM. */
int rl__rlrt_module_line(rl__rlrt_modules *mods, const char *line);
void rl__rlrt_modules_free(rl__rlrt_modules *mods);

/* Appends to out the frames of ips, "<hex>,<hex>,..." innermost first or
 * "-" for none: (module path, offset) from the table, the top frame at
 * ip-1 so that rl_symbolize_findings names the line of the call for every
 * frame (see report_rlrt.h); an ip in no module keeps no module and its
 * raw value. Returns 0, -EINVAL if ips is malformed (out may hold the
 * frames before the fault), -ENOMEM. */
int rl__rlrt_stack(const rl__rlrt_modules *mods, const char *ips, rl_stack *out);

#endif
