/* cli.c -- racelab's command line: a declarative table of commands and one
 * of options, which also produce --help. It parses argv into rl_options and
 * dispatches; it never does a command's work itself. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "commands.h"

/* ---------------------------------------------------------------- tables */

enum {
  CMD_LIST = 1 << 0,
  CMD_SHOW = 1 << 1,
  CMD_HINT = 1 << 2,
  CMD_RESET = 1 << 3,
  CMD_RUN = 1 << 4,
  CMD_CHECK = 1 << 5,
  CMD_GRADE = 1 << 6,
  CMD_WATCH = 1 << 7,
  CMD_DIAGNOSE = CMD_RUN | CMD_CHECK,
  CMD_ALL = ~0
};

typedef struct {
  const char *name;
  int (*fn)(const rl_options *);
  unsigned bit;
  const char *usage;   /* after "racelab <name>" */
  const char *summary; /* one line */
  const char *detail;  /* paragraph for the command's own --help */
  const char *exit_codes; /* its own exit-status text, NULL for the usual */
} rl_command;

static const rl_command commands[] = {
    {"list", rl_cmd_list, CMD_LIST, "", "the course and your progress",
     "Lists every exercise by group with its state (solved, failing,\n"
     "untouched) and says what to do next. Plain `racelab` does the same.", NULL},
    {"show", rl_cmd_show, CMD_SHOW, "EXERCISE", "the lesson of one exercise",
     "Prints the exercise's lesson, the file to edit and how it is checked.", NULL},
    {"hint", rl_cmd_hint, CMD_HINT, "EXERCISE [--all]",
     "the next hint, one more each time",
     "Each call reveals one more of the exercise's three hints.", NULL},
    {"run", rl_cmd_run, CMD_RUN, "TARGET [options]",
     "build and run with jitter, explain findings",
     "Builds TARGET under ThreadSanitizer and AddressSanitizer, runs it with\n"
     "seeded scheduling jitter and stops at the first run with a finding,\n"
     "which it explains. TARGET is an exercise id (1, 01, 01-hit-counter),\n"
     "a .c file, or a folder of .c files. --seed S replays run seed S.", NULL},
    {"check", rl_cmd_check, CMD_CHECK, "TARGET [--against PATH] [options]",
     "pass or fail, with the reason",
     "Builds and runs TARGET like `run` and gives a verdict: pass when it\n"
     "builds, every run is free of findings, and the oracle (the exercise's\n"
     "test or expected output; for a plain file: exit status 0, and the\n"
     "--expect-stdout file if given) holds in every run.\n"
     "--against PATH checks another copy of an exercise (a submission, or\n"
     "solutions/NN-...) with the exercise's oracle. An exercise's source that\n"
     "names a way to turn the checks off (the sanitizers' interfaces, asm,\n"
     "syscall(), ...) fails as check-bypass without running.", NULL},
    {"grade", rl_cmd_grade, CMD_GRADE, "SUBMISSIONS [options] | --merge FILE... --out FILE",
     "check every submission of a class, with reports",
     "Checks SUBMISSIONS/<student>/<NN-slug>/ (the student's copies of the\n"
     "files exercise NN-slug edits; one <NN-slug> folder is one submission)\n"
     "like `check NN --against FOLDER --keep-going`, with the same seeds and\n"
     "runs for everyone. Each student's result (Exercism test-runner v3 JSON\n"
     "with racelab's findings) is written to OUT.d/<student>.json as soon as\n"
     "it is known; OUT combines them. --merge combines result files.",
     "\nExit status: 0 every submission graded, whatever the grades;\n"
     "1 racelab could not grade some submission (its result says why);\n"
     "2 bad invocation; 3 racelab failed (results could not be written).\n"},
    {"watch", rl_cmd_watch, CMD_WATCH, "[EXERCISE] [options]",
     "re-check on every save, move on when it passes",
     "Watches the current exercise (the first unsolved one, or EXERCISE) and\n"
     "checks it each time you save the file you edit; when it passes, moves\n"
     "to the next one. Keys: n next, h hint, l list, a check all, r reset,\n"
     "q quit (stdin may also be a pipe of keys).", NULL},
    {"reset", rl_cmd_reset, CMD_RESET, "EXERCISE",
     "restore an exercise's original files",
     "Restores the files you edit to the original exercise (your version is\n"
     "kept as FILE.bak) and forgets its hints and state.", NULL},
};

typedef enum { OPT_FLAG, OPT_INT, OPT_U64, OPT_STRING, OPT_FORMAT, OPT_BUILD } rl_opt_type;

typedef struct {
  const char *name;   /* long form, without the dashes */
  char short_name;    /* 0 if none */
  rl_opt_type type;
  size_t offset;      /* field of rl_options */
  const char *arg;    /* placeholder in --help, NULL for flags */
  const char *help;
  unsigned commands;  /* the commands that accept it */
} rl_option;

#define FIELD(f) offsetof(rl_options, f)
static const rl_option options[] = {
    {"runs", 'n', OPT_INT, FIELD(runs), "N", "runs per build (default 10)", CMD_DIAGNOSE | CMD_WATCH | CMD_GRADE},
    {"seed", 's', OPT_U64, FIELD(seed), "S", "seed of the first run; run i uses S+i (default 1)", CMD_DIAGNOSE | CMD_WATCH | CMD_GRADE},
    {"timeout", 't', OPT_INT, FIELD(timeout_s), "SECONDS", "wall-clock limit per run (default 10)", CMD_DIAGNOSE | CMD_WATCH},
    {"format", 'f', OPT_FORMAT, FIELD(format), "human|json", "output format (default human)", CMD_DIAGNOSE},
    {"build", 'b', OPT_BUILD, FIELD(builds), "tsan|asan", "only this build (default both)", CMD_DIAGNOSE | CMD_WATCH},
    {"against", 0, OPT_STRING, FIELD(against), "PATH", "check this copy with the exercise's oracle", CMD_CHECK},
    {"expect-stdout", 0, OPT_STRING, FIELD(expect_stdout), "FILE", "a plain program must print exactly this", CMD_DIAGNOSE},
    {"keep-going", 'k', OPT_FLAG, FIELD(keep_going), NULL, "do every run, even after one failed", CMD_DIAGNOSE},
    {"no-fork-server", 0, OPT_FLAG, FIELD(no_fork_server), NULL, "start the program afresh for every run (slower)", CMD_DIAGNOSE | CMD_WATCH},
    {"trace", 0, OPT_FLAG, FIELD(trace), NULL, "print every sync event of the failing (or last) run", CMD_DIAGNOSE},
    {"trace-out", 0, OPT_STRING, FIELD(trace_out), "FILE.json", "write that run's trace for Perfetto/chrome://tracing", CMD_DIAGNOSE},
    {"html", 0, OPT_STRING, FIELD(html), "FILE.html", "write a page with each finding and its timeline", CMD_DIAGNOSE},
    {"out", 'o', OPT_STRING, FIELD(out), "FILE", "combined results (default results.json); per student in FILE.d/", CMD_GRADE},
    {"junit", 0, OPT_STRING, FIELD(junit), "FILE", "also write a JUnit XML report", CMD_GRADE},
    {"sarif", 0, OPT_STRING, FIELD(sarif), "FILE", "also write a SARIF 2.1.0 report", CMD_GRADE},
    {"jobs", 'j', OPT_INT, FIELD(jobs), "N", "grade N submissions at once (default 1)", CMD_GRADE},
    {"exercises", 'e', OPT_STRING, FIELD(exercises), "1,3,...", "grade only these exercises", CMD_GRADE},
    {"resume", 'r', OPT_FLAG, FIELD(resume), NULL, "skip students whose result file is complete", CMD_GRADE},
    {"merge", 'm', OPT_FLAG, FIELD(merge), NULL, "combine the result files given into --out", CMD_GRADE},
    {"all", 'a', OPT_FLAG, FIELD(all), NULL, "every hint at once", CMD_HINT},
    {"help", 'h', OPT_FLAG, FIELD(help), NULL, "show this help", CMD_ALL},
};
#undef FIELD

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ help */

static const char *const usual_exit_codes =
    "\nExit status: 0 pass/clean, 1 fail/findings (a build error too),\n"
    "2 bad invocation or input, 3 internal error.\n";

static void print_main_help(FILE *out) {
  fprintf(out, "racelab %s: learn, diagnose and grade concurrency bugs in C.\n\n"
               "Usage: racelab [COMMAND] [ARGS]\n\nCommands:\n", RL_VERSION);
  for (size_t i = 0; i < COUNT(commands); i++)
    fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nWith no command, racelab lists the course.\n"
               "`racelab COMMAND --help` describes each command and its options.\n");
  fputs(usual_exit_codes, out);
}

static void print_command_help(const rl_command *cmd, FILE *out) {
  fprintf(out, "Usage: racelab %s %s\n\n%s\n\nOptions:\n", cmd->name, cmd->usage, cmd->detail);
  for (size_t i = 0; i < COUNT(options); i++) {
    const rl_option *o = &options[i];
    if (!(o->commands & cmd->bit)) continue;
    char left[64];
    snprintf(left, sizeof left, "%s%c%s--%s%s%s", o->short_name ? "-" : "  ",
             o->short_name ? o->short_name : ' ', o->short_name ? "," : " ", o->name,
             o->arg ? " " : "", o->arg ? o->arg : "");
    fprintf(out, "  %-28s %s\n", left, o->help);
  }
  fputs(cmd->exit_codes ? cmd->exit_codes : usual_exit_codes, out);
}

/* --------------------------------------------------------------- parsing */

static const rl_command *find_command(const char *name) {
  for (size_t i = 0; i < COUNT(commands); i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

void rl_cli_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("racelab: ", stderr);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see 'racelab %s%s--help')\n", command ? command : "", command ? " " : "");
  va_end(ap);
}

static int parse_value(const rl_command *cmd, const rl_option *o, const char *value, rl_options *opts) {
  void *field = (char *)opts + o->offset;
  char *end;
  switch (o->type) {
    case OPT_FLAG:
      *(int *)field = 1;
      return 0;
    case OPT_STRING:
      *(const char **)field = value;
      return 0;
    case OPT_INT: {
      errno = 0;
      long v = strtol(value, &end, 10);
      if (errno || *end || end == value || v < 1 || v > 100000) break;
      *(int *)field = (int)v;
      return 0;
    }
    case OPT_U64: {
      errno = 0;
      unsigned long long v = strtoull(value, &end, 10);
      if (errno || *end || end == value || value[0] == '-') break;
      *(uint64_t *)field = v;
      opts->seed_set = 1;
      return 0;
    }
    case OPT_FORMAT:
      if (strcmp(value, "human") == 0) opts->format = RL_FORMAT_HUMAN;
      else if (strcmp(value, "json") == 0) opts->format = RL_FORMAT_JSON;
      else break;
      return 0;
    case OPT_BUILD: {
      rl_build_kind kind;
      if (rl_build_kind_parse(value, &kind) != 0) break;
      *(int *)field |= 1 << kind;
      return 0;
    }
  }
  rl_cli_usage_error(cmd->name, "invalid value '%s' for --%s (expected %s)", value, o->name, o->arg);
  return -1;
}

/* Finds the option an argument names: "--runs", "--runs=5", "-n". Sets
 * *inline_value to the text after '=' if any. */
static const rl_option *find_option(const rl_command *cmd, const char *arg, const char **inline_value) {
  *inline_value = NULL;
  for (size_t i = 0; i < COUNT(options); i++) {
    const rl_option *o = &options[i];
    if (!(o->commands & cmd->bit)) continue;
    if (arg[1] == '-') {
      size_t n = strlen(o->name);
      if (strncmp(arg + 2, o->name, n) != 0) continue;
      if (arg[2 + n] == '=' && o->arg) *inline_value = arg + 3 + n;
      else if (arg[2 + n] != '\0') continue;
      return o;
    }
    if (o->short_name && arg[1] == o->short_name && arg[2] == '\0') return o;
  }
  return NULL;
}

int rl_cli_parse(int argc, char **argv, rl_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->seed = 1;
  if (argc < 2) {
    opts->command = "list";
    return RL_EXIT_OK;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    opts->help = 1;
    return RL_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    opts->command = "version";
    return RL_EXIT_OK;
  }
  const rl_command *cmd = find_command(argv[1]);
  if (!cmd) {
    rl_cli_usage_error(NULL, "unknown command '%s'", argv[1]);
    return RL_EXIT_USAGE;
  }
  opts->command = cmd->name;
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-' || arg[1] == '\0') {
      if (opts->target && !(cmd->bit & CMD_GRADE)) {
        rl_cli_usage_error(cmd->name, "unexpected argument '%s'", arg);
        return RL_EXIT_USAGE;
      }
      if (!opts->target) opts->target = arg;
      /* Gather operands at the front of argv's consumed slots, like getopt. */
      argv[2 + opts->ntargets++] = argv[i];
      opts->targets = (const char *const *)argv + 2;
      continue;
    }
    const char *value;
    const rl_option *o = find_option(cmd, arg, &value);
    if (!o) {
      rl_cli_usage_error(cmd->name, "unknown option '%s' for %s", arg, cmd->name);
      return RL_EXIT_USAGE;
    }
    if (o->arg && !value) {
      if (i + 1 >= argc) {
        rl_cli_usage_error(cmd->name, "option --%s needs a value (%s)", o->name, o->arg);
        return RL_EXIT_USAGE;
      }
      value = argv[++i];
    }
    if (parse_value(cmd, o, value, opts) != 0) return RL_EXIT_USAGE;
  }
  if (opts->help) return RL_EXIT_OK;
  int needs_target = cmd->bit & (CMD_SHOW | CMD_HINT | CMD_RESET | CMD_RUN | CMD_CHECK | CMD_GRADE);
  if (needs_target && !opts->target) {
    rl_cli_usage_error(cmd->name, "%s needs a target: %s", cmd->name, cmd->usage);
    return RL_EXIT_USAGE;
  }
  if (!needs_target && opts->target && !(cmd->bit & CMD_WATCH)) {
    rl_cli_usage_error(cmd->name, "%s takes no argument, got '%s'", cmd->name, opts->target);
    return RL_EXIT_USAGE;
  }
  return RL_EXIT_OK;
}

int rl_cli_run(const rl_options *opts) {
  if (opts->help && !opts->command) {
    print_main_help(stdout);
    return RL_EXIT_OK;
  }
  if (strcmp(opts->command, "version") == 0) {
    printf("racelab %s\n", RL_VERSION);
    return RL_EXIT_OK;
  }
  const rl_command *cmd = find_command(opts->command);
  if (opts->help) {
    print_command_help(cmd, stdout);
    return RL_EXIT_OK;
  }
  return cmd->fn(opts);
}
