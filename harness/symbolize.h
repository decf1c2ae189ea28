/* symbolize.h -- turns the module+offset frames of findings into function,
 * file and line, in one llvm-symbolizer (or addr2line) process per call,
 * with a cache that lives across calls. */
#ifndef RL_SYMBOLIZE_H
#define RL_SYMBOLIZE_H

#include "finding.h"

typedef struct rl_symbolizer rl_symbolizer;

/* Finds llvm-symbolizer, else addr2line, on PATH ($RL_SYMBOLIZER, a path
 * to either, takes precedence). Returns NULL only on out-of-memory; with no
 * tool at all, symbolizing is a no-op and frames stay module+offset. */
rl_symbolizer *rl_symbolizer_new(void);
void rl_symbolizer_free(rl_symbolizer *s);

/* Symbolizes every frame of every finding in list (locations' stacks,
 * threads' creation stacks, object origins) whose module is `binary` (same
 * path or same basename) and that has no function yet. Frames below the
 * top of a stack are looked up at offset-1, so that a raw return address
 * (rlrt's libunwind stacks) names the line of the call, not the next one.
 * TSan and ASan print every frame already moved back one byte, into the
 * call; the extra byte is harmless there, as an x86-64 call is at least two
 * bytes long (test_symbolize checks the lines against TSan's own
 * symbolization, gcc and clang). A global object (object "global", one frame
 * in object_origin) gets its variable name: object becomes "global `name`".
 * Returns the number of frames filled in, or a negative errno when the
 * tool could not be run (frames then stay as they were). */
int rl_symbolize_findings(rl_symbolizer *s, const char *binary, rl_findings *list);

#endif
