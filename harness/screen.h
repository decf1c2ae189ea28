/* screen.h -- what in an exercise's own source would turn racelab's checks
 * off, found before anything runs: the sanitizers' interfaces and
 * annotations, no_sanitize, inline assembly, raw system calls, run-time
 * symbol lookup, racelab's runtime's own names; line directives, which
 * could pass the program's lines off as a system header's, and macros with
 * reserved names, which system headers would expand. It reads the
 * preprocessed source, so a macro or a pasted token does not hide a name. */
#ifndef RL_SCREEN_H
#define RL_SCREEN_H

#include "finding.h"
#include "sandbox.h"
#include "target.h"

/* Screen every source of t, preprocessed with t's TSan build flags (in
 * sandbox when one is given). Adds a check-bypass finding per forbidden name
 * to out. Returns 0; 1 when a source does not preprocess (its build will
 * say why); -1 with a one-line reason in err when racelab failed. */
int rl_screen(const rl_target *t, const rl_sandbox *sandbox, rl_findings *out, char *err, size_t errcap);

/* Screen one preprocessed text. Lines from files under one of own_dirs
 * (NULL-terminated, no trailing '/') are the program's; every such file the
 * text names is also read for line directives. */
void rl_screen_text(const char *text, const char *const *own_dirs, rl_findings *out);

#endif
