/* main.c -- the racelab executable: parse the command line, run the
 * command, and make sure what it printed reached stdout. */
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv) {
  rl_options opts;
  int code = rl_cli_parse(argc, argv, &opts);
  if (code == RL_EXIT_OK) code = rl_cli_run(&opts);
  /* A result that never reached its reader is a lost result: say so. */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    perror("racelab: writing to stdout");
    if (code == RL_EXIT_OK) code = RL_EXIT_INTERNAL;
  }
  return code;
}
