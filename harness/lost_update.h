/* lost_update.h -- an exercise's [lost-update] metadata (a forked child
 * writes its own copy of a variable the parent then reads) turned into the
 * places a wrong-output finding points at: which line changed which copy. */
#ifndef RL_LOST_UPDATE_H
#define RL_LOST_UPDATE_H

#include "finding.h"
#include "target.h"

/* The line (from 1) of text that contains needle; 0 if none does, -1 if
 * more than one does. */
int rl_lost_update_line(const char *text, const char *needle);

/* Gives each wrong-output finding of list that has no location yet, when
 * t is an exercise with [lost-update], the variable as its object and two
 * locations in t's copy of the file: where a child writes its own copy,
 * where the parent reads its own. A line the learner has changed is left
 * out. */
void rl_lost_update_explain(const rl_target *t, rl_findings *list);

#endif
