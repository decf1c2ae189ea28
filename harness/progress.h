/* progress.h -- the learner's progress through the course, kept in a small
 * state file in the lab (.racelab/state): each exercise's last check and
 * how many hints were revealed. */
#ifndef RL_PROGRESS_H
#define RL_PROGRESS_H

typedef enum { RL_STATE_UNTOUCHED, RL_STATE_FAILING, RL_STATE_SOLVED } rl_exercise_state;

const char *rl_exercise_state_name(rl_exercise_state s);

rl_exercise_state rl_progress_state(const char *lab_root, const char *exercise_id);
int rl_progress_hints(const char *lab_root, const char *exercise_id);

/* Both return 0, or -errno if the state file could not be written. */
int rl_progress_set_state(const char *lab_root, const char *exercise_id, rl_exercise_state s);
int rl_progress_set_hints(const char *lab_root, const char *exercise_id, int hints);
/* Forget an exercise (reset). */
int rl_progress_forget(const char *lab_root, const char *exercise_id);

#endif
