#!/usr/bin/env bash
# watch.sh -- `racelab watch` on a copy of the course: it checks at start,
# re-checks when the learner saves a fixed file, moves on when it passes,
# answers keys from a pipe, and quits cleanly.
source "$(dirname "$0")/lib/common.bash"

lab=$RL_SCRATCH/lab
rm -rf "$lab" "$RL_SCRATCH/keys"
mkdir -p "$lab"
cp -r "$RL_LAB/exercises" "$RL_LAB/solutions" "$lab/"
first=$(basename "$lab"/exercises/01-*)
edit=$(sed -n 's/^edit *= *//p' "$lab/exercises/$first/exercise.ini" | cut -d' ' -f1)
mkfifo "$RL_SCRATCH/keys"

RACELAB_LAB=$lab timeout -k 5 180 "$RACELAB" watch 1 --runs 2 <"$RL_SCRATCH/keys" >"$out" 2>"$err" &
pid=$!
exec 3>"$RL_SCRATCH/keys"

# wait_for PATTERN DESCRIPTION: poll stdout for up to 90 s.
wait_for() {
  local i
  for ((i = 0; i < 900; i++)); do
    grep -qE -- "$1" "$out" && { ok; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  bad "$2 (stdout never showed /$1/)"
  return 1
}

wait_for "^FAIL exercises/$first" "the first check fails on the unfixed exercise"
wait_for "\[q\]uit" "the key legend follows the check"
cp "$lab/solutions/$first/$edit" "$lab/exercises/$first/$edit"
wait_for "^PASS exercises/$first" "saving the fixed file re-checks it"
wait_for "Solved. Moving on." "a pass moves on"
wait_for "^Now: 02-" "to the next exercise"
echo h >&3
wait_for "^Hint 1/3" "h shows a hint"
echo q >&3
exec 3>&-
wait "$pid"
status=$?
expect_status 0 "q quits cleanly"
expect_out "^Bye" "and says goodbye"

finish
