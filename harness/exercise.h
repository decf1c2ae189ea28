/* exercise.h -- the course: each exercise's metadata (exercise.ini),
 * loaded and validated strictly before anything runs. */
#ifndef RL_EXERCISE_H
#define RL_EXERCISE_H

#include <stddef.h>

#include "finding.h"

#define RL_HINT_COUNT 3

typedef enum { RL_ORACLE_STDOUT, RL_ORACLE_TEST } rl_oracle_kind;

/* [lost-update]: the bug is a forked child writing its own copy of a
 * variable that the parent then reads. All NULL when absent. */
typedef struct {
  char *variable;      /* "total" */
  char *file;          /* an edited file holding both lines */
  char *child;         /* text of the line where a child writes its copy */
  char *parent;        /* text of the line where the parent reads its own */
} rl_lost_update;

typedef struct {
  char *id;            /* folder name, "01-hit-counter" */
  int number;          /* 1 */
  char *slug;          /* "hit-counter" */
  char *dir;           /* absolute path of exercises/<id> */
  char *title;
  char *group;         /* learn-1 .. learn-4, recipes */
  rl_finding_kind kind; /* what a check of the unfixed code must report */
  char **edit;         /* file names the learner edits, relative to dir */
  size_t nedit;
  rl_oracle_kind oracle;
  char *expected;      /* oracle=stdout: file name of the expected stdout */
  char *test;          /* oracle=test: file name of the cmocka test */
  char **args;         /* command-line arguments for the program */
  size_t nargs;
  int timeout_s;       /* per run; 0 = default */
  char *hints[RL_HINT_COUNT];
  rl_lost_update lost_update;
} rl_exercise;

typedef struct {
  char *root;          /* the lab folder: exercises/, solutions/ below it */
  rl_exercise *items;  /* sorted by number */
  size_t count;
} rl_lab;

/* The lab's root: $RACELAB_LAB if set, else the source tree racelab was
 * built from. */
const char *rl_lab_root(void);

/* Load and validate every exercises/NN-slug/exercise.ini under root.
 * Returns 0, or -1 with a one-line reason in err (file:line: problem). */
int rl_lab_load(const char *root, rl_lab *lab, char *err, size_t errcap);
void rl_lab_free(rl_lab *lab);

/* Load one exercise folder. Same contract as rl_lab_load. */
int rl_exercise_load(const char *dir, rl_exercise *ex, char *err, size_t errcap);
void rl_exercise_free(rl_exercise *ex);

/* Find an exercise by "1", "01", "01-hit-counter" or "hit-counter". */
const rl_exercise *rl_lab_find(const rl_lab *lab, const char *id);

/* The solution folder of an exercise: <root>/solutions/<id>. */
char *rl_lab_solution_dir(const rl_lab *lab, const rl_exercise *ex);

#endif
