#!/usr/bin/env bash
# cli.sh -- help on every command, and bad input: one line, exit 2.
source "$(dirname "$0")/lib/common.bash"

rl --help
expect_status 0 "racelab --help"
for cmd in list show hint run check reset; do
  expect_out "^  $cmd " "--help lists $cmd"
done
for cmd in list show hint run check reset; do
  rl "$cmd" --help
  expect_status 0 "racelab $cmd --help"
  expect_out "^Usage: racelab $cmd" "$cmd --help shows its usage"
  expect_out "Exit status" "$cmd --help documents exit codes"
done

rl frobnicate
expect_usage_error "unknown command 'frobnicate'" "unknown command"
rl check 99
expect_usage_error "unknown exercise '99'" "unknown exercise"
rl check no-such-exercise
expect_usage_error "unknown exercise" "unknown exercise by name"
rl check /nonexistent/prog.c
expect_usage_error "/nonexistent/prog.c" "missing file"
rl check "$RL_FIXTURES/programs/empty_folder"
expect_usage_error "no .c files" "empty folder"
rl check "$RL_FIXTURES/programs/clean.expected"
expect_usage_error "not a .c file" "not a C file"
rl check 1 --runs abc
expect_usage_error "invalid value 'abc' for --runs" "bad option value"
rl check 1 --runs 0
expect_usage_error "invalid value '0' for --runs" "zero runs"
rl check 1 --format xml
expect_usage_error "invalid value 'xml' for --format" "bad format"
rl check 1 --frobnicate
expect_usage_error "unknown option '--frobnicate'" "unknown option"
rl run
expect_usage_error "needs a target" "missing target"
rl check 1 --timeout
expect_usage_error "needs a value" "option without value"
rl list extra
expect_usage_error "takes no argument" "list with an argument"
rl check "$RL_FIXTURES/programs/race.c" --against "$RL_LAB/solutions"
expect_usage_error "--against needs an exercise" "--against on a plain file"
rl check 1 --expect-stdout /nonexistent
expect_usage_error "no such file" "missing expected-stdout file"
rl hint 99
expect_usage_error "unknown exercise" "hint of an unknown exercise"

finish
