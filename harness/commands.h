/* commands.h -- one function per racelab command, all with one signature.
 * cli.c owns the table that maps names to these. */
#ifndef RL_COMMANDS_H
#define RL_COMMANDS_H

#include "cli.h"

int rl_cmd_list(const rl_options *opts);
int rl_cmd_show(const rl_options *opts);
int rl_cmd_hint(const rl_options *opts);
int rl_cmd_reset(const rl_options *opts);
int rl_cmd_run(const rl_options *opts);
int rl_cmd_check(const rl_options *opts);
int rl_cmd_watch(const rl_options *opts);
int rl_cmd_grade(const rl_options *opts);

#endif
