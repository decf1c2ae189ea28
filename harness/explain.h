/* explain.h -- plain words for findings: a why-it-matters paragraph from
 * the finding's kind and object, and the source lines to quote. It adds
 * words; it never re-reads reports. */
#ifndef RL_EXPLAIN_H
#define RL_EXPLAIN_H

#include "finding.h"

/* Fill f->explanation (and f->summary if no parser gave one). */
void rl_explain(rl_finding *f);
void rl_explain_all(rl_findings *list);

/* Line `line` of source file `file`, or NULL if unreadable. The files are
 * cached; the string returned stays valid until the next call. */
const char *rl_source_line(const char *file, int line);

#endif
