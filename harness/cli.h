/* cli.h -- the command line: the command table, the option table, and the
 * options struct they fill. Nothing below this layer reads argv. */
#ifndef RL_CLI_H
#define RL_CLI_H

#include <stdint.h>
#include <stdio.h>

/* Exit codes: stable, documented in --help and the README. */
enum {
  RL_EXIT_OK = 0,       /* pass, clean, or the command did what was asked */
  RL_EXIT_FINDINGS = 1, /* fail: findings, wrong output, build error */
  RL_EXIT_USAGE = 2,    /* bad invocation or input */
  RL_EXIT_INTERNAL = 3  /* racelab itself failed */
};

typedef enum { RL_FORMAT_HUMAN, RL_FORMAT_JSON } rl_format;

typedef struct {
  const char *command;
  const char *target;        /* exercise id, .c file or folder */
  const char *against;       /* check EX --against PATH */
  const char *expect_stdout; /* plain targets: exact expected stdout file */
  int runs;                  /* runs per build; 0 = the command's default */
  uint64_t seed;             /* base seed: run i uses seed + i */
  int seed_set;
  int timeout_s;             /* per run; 0 = the exercise's or default */
  rl_format format;
  int keep_going;            /* do every run even after a failing one */
  int no_fork_server;        /* run, check, watch: every run a fresh process */
  int builds;                /* bit set of rl_build_kind; 0 = both */
  int all;                   /* hint --all, reset --all */
  int help;
  const char *const *targets; /* every operand, target first (grade takes several) */
  int ntargets;
  const char *out;           /* grade: combined result file */
  const char *junit;         /* grade: JUnit XML report */
  const char *sarif;         /* grade: SARIF report */
  int jobs;                  /* grade: submissions at once; 0 = 1 */
  const char *exercises;     /* grade: "1,3"; NULL = every folder submitted */
  int resume;                /* grade: keep complete result files */
  int merge;                 /* grade: operands are result files to combine */
  int trace;                 /* run, check: print a run's verbose trace */
  const char *trace_out;     /* run, check: its Chrome trace-event file */
  const char *html;          /* run, check: a page with its timeline */
} rl_options;

/* Parse argv into opts. Returns RL_EXIT_OK, or RL_EXIT_USAGE after printing
 * a one-line error that points to --help. */
int rl_cli_parse(int argc, char **argv, rl_options *opts);

/* Run the command opts names; returns the process exit code. */
int rl_cli_run(const rl_options *opts);

/* Print `racelab: <message>` and the pointer to --help on stderr. */
void rl_cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
