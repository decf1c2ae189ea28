#!/usr/bin/env bash
# forkserver.sh -- runs forked from a fork server (the default) and fresh
# processes (--no-fork-server) reach the same verdict with the same finding
# kinds, on one program per kind of ending: a race, a deadlock ended by the
# hang dump, a lost wakeup, a forked child never waited for, a crash, a bad
# exit status, a clean program, and one that never ends.
source "$(dirname "$0")/lib/common.bash"
F=$RL_FIXTURES

# same WHAT ARGS...: check with and without the server, compare.
same() {
  local what=$1 forked fresh; shift
  rl check "$@" --format json --seed 1 --keep-going
  forked=$(jq -c '[.verdict, ([.findings[].kind] | unique), .runs]' "$out")
  rl check "$@" --format json --seed 1 --keep-going --no-fork-server
  fresh=$(jq -c '[.verdict, ([.findings[].kind] | unique), .runs]' "$out")
  if [[ -n $forked && $forked == "$fresh" ]]; then ok
  else bad "$what: forked runs say $forked, fresh processes $fresh"; fi
}

same "race" "$F/programs/race.c" --runs 3
same "deadlock (dump)" "$F/runtime/deadlock_abba.c" --runs 2 --timeout 2 --build tsan
same "lost wakeup" "$F/runtime/lost_wakeup.c" --runs 3 --timeout 2 --build tsan
same "unwaited child" "$F/procs/child_unwaited.c" --runs 2
same "crash" "$F/programs/crash.c" --runs 2
same "exit status" "$F/programs/exit3.c" --runs 2
same "clean" "$F/programs/clean.c" --runs 3 --expect-stdout "$F/programs/clean.expected"
same "hang" "$F/programs/hang.c" --runs 1 --timeout 1

# The deadlock's finding comes from the hang dump of the forked run: it
# names both threads and the locks they wait for.
rl check "$F/runtime/deadlock_abba.c" --format json --runs 1 --timeout 2 --build tsan
expect_json '[.findings[] | select(.kind == "deadlock")] | length == 1' "deadlock found in a forked run"

finish
