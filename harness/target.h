/* target.h -- what a command acts on: an exercise (or another copy of one
 * checked with its oracle), a .c file, or a folder of .c files. */
#ifndef RL_TARGET_H
#define RL_TARGET_H

#include <stddef.h>

#include "exercise.h"

typedef struct {
  char *name;          /* how output names it: "exercises/01-hit-counter", a path */
  char *run_dir;       /* the program's working directory */
  char **sources;      /* absolute paths of every .c file compiled, NULL-terminated */
  size_t nsources;
  char **args;         /* program arguments, NULL-terminated (may be empty) */
  const rl_exercise *exercise; /* NULL for a plain file or folder */
  char *expected_stdout; /* path of the exact expected stdout, or NULL */
  int uses_cmocka;     /* the oracle is a cmocka test linked in */
  int timeout_s;       /* the target's own per-run limit, 0 = default */
} rl_target;

/* Resolve spec (and --against, --expect-stdout) against lab. Returns 0, or
 * -1 with a one-line reason in err: the input is bad (exit 2). */
int rl_target_resolve(const rl_lab *lab, const char *spec, const char *against, const char *expect_stdout,
                      rl_target *t, char *err, size_t errcap);
void rl_target_free(rl_target *t);

/* Whether spec names a file or folder rather than an exercise. */
int rl_target_is_path(const char *spec);

/* A display form of a path: relative to the lab root when inside it. */
const char *rl_target_display_path(const rl_lab *lab, const char *path);

#endif
