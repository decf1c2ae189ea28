#!/usr/bin/env bash
# course.sh -- the course proves itself: every exercise fails `racelab
# check` with the kind it declares, and every solution passes.
source "$(dirname "$0")/lib/common.bash"
runs=${RL_COURSE_RUNS:-6}

for dir in "$RL_LAB"/exercises/[0-9]*/; do
  id=$(basename "$dir")
  kind=$(sed -n 's/^kind *= *//p' "$dir/exercise.ini")
  rl check "$id" --format json --runs "$runs"
  expect_status 1 "$id (unfixed) fails"
  expect_json "[.findings[].kind] | index(\"$kind\") != null" "$id (unfixed) shows $kind"
  rl check "$id" --against "$RL_LAB/solutions/$id" --format json --runs "$runs"
  expect_status 0 "solutions/$id passes"
  [[ $status == 0 ]] || jq -c '[.findings[] | {kind, summary, build, seed}]' "$out" 2>/dev/null | head -c 600
done

finish
