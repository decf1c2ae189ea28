#!/usr/bin/env bash
# verdicts.sh -- the real CLI on one fixture program per verdict: race,
# clean, lock-order inversion, hang, use-after-free, compile error, bad exit;
# a race its program asks ThreadSanitizer to keep quiet about, or whose
# report it deletes.
source "$(dirname "$0")/lib/common.bash"
P=$RL_FIXTURES/programs
# A cache of its own: other tests fill the shared one at the same time.
export RACELAB_CACHE=$RL_SCRATCH/cache
rm -rf "$RACELAB_CACHE"

rl check "$P/race.c" --format json --runs 3
expect_status 1 "race.c fails"
expect_json '.verdict == "fail" and .schema_version == 1' "race.c verdict in JSON"
expect_json '[.findings[] | select(.kind == "data-race")] | length == 1' "race.c: one merged data-race finding"
expect_json '[.findings[] | select(.kind == "data-race") | .locations[] | select(.file == "race.c" and .line == 8 and .function == "serve")] | length == 2' \
  "race.c: both accesses located at race.c:8 in serve()"
expect_json '.findings[0] | (.seed | type) == "number" and (.reproduce | test("^racelab run .* --seed [0-9]+ --build (tsan|asan)$"))' \
  "race.c: a seed and a reproduce command"

# race.c beside a file that asks ThreadSanitizer to keep quiet: a program of
# one's own is not screened (an exercise's is: check-bypass), and racelab's
# sanitizer options come first.
quiet=$RL_SCRATCH/race_quiet
mkdir -p "$quiet" && cp "$P/race.c" "$quiet/"
printf '%s\n' 'const char *__tsan_default_options(void);' \
  'const char *__tsan_default_options(void) { return "report_bugs=0:exitcode=0"; }' >"$quiet/quiet.c"
rl check "$quiet" --format json --runs 2 --build tsan
expect_status 1 "race.c with quiet options fails"
expect_json '[.findings[].kind] | unique == ["data-race"]' \
  "race.c with __tsan_default_options: the race is still reported"

# race.c beside a file that, at exit, deletes the report and leaves through
# exec: seen from outside, with the fork server and without.
hidden=$RL_SCRATCH/hidden_report
mkdir -p "$hidden" && cp "$P/race.c" "$P/hidden_report/hide.c" "$hidden/"
for server in "" --no-fork-server; do
  rl check "$hidden" --format json --runs 2 --build tsan $server
  expect_status 1 "race.c with its report deleted fails ${server:-(fork server)}"
  expect_json '[.findings[].kind] == ["check-bypass"] and (.findings[0].summary | test("deleted its sanitizer.s log"))
    and .findings[0].first_run == 1 and (.findings[0].reproduce | test("--seed"))' \
    "race.c with its report deleted: a check-bypass of run 1 ${server:-(fork server)}"
done

rl check "$P/race.c" --runs 2
expect_status 1 "race.c human output"
expect_out "data-race" "human output names the kind"
if [[ $(grep -cF "requests++; /* the racing line */" "$out") -ge 2 ]]; then ok; else bad "both racing lines quoted"; fi
expect_out "Reproduce: racelab run" "human output gives the reproduce command"

rl check "$P/clean.c" --format json --runs 4 --expect-stdout "$P/clean.expected"
expect_status 0 "clean.c passes"
expect_json '.verdict == "pass" and .findings == [] and .runs == 8' "clean.c: pass after 4 runs of each build"

before=$(find "${RACELAB_CACHE:?}" -type f | wc -l)
rl check "$P/clean.c" --runs 1
after=$(find "$RACELAB_CACHE" -type f | wc -l)
expect_status 0 "clean.c again"
if [[ $before == "$after" ]]; then ok; else bad "an unchanged program was rebuilt ($before -> $after cache files)"; fi

rl check "$P/clean.c" --format json --runs 1 --expect-stdout "$P/clean.wrong-expected"
expect_status 1 "wrong expected stdout fails"
expect_json '.findings[0].kind == "wrong-output" and (.findings[0].detail | test("expected \"1999\""))' \
  "wrong-output says what was expected"

rl check "$P/lock_order.c" --format json --runs 2 --build tsan
expect_status 1 "lock_order.c fails"
expect_json '[.findings[].kind] | index("lock-order-inversion") != null' "lock_order.c: lock-order-inversion"

start=$SECONDS
rl check "$P/hang.c" --format json --runs 1 --timeout 1 --build asan
expect_status 1 "hang.c fails"
expect_json '[.findings[].kind] | (index("timeout") != null or index("hang") != null)' "hang.c: timeout or hang"
if ((SECONDS - start < 30)); then ok; else bad "a hanging program held racelab for $((SECONDS - start)) s"; fi

rl check "$P/uaf.c" --format json --runs 2 --build asan
expect_status 1 "uaf.c fails"
expect_json '.findings[0].kind == "memory-error"' "uaf.c: memory-error under ASan"
expect_json '[.findings[0].locations[] | select(.file == "uaf.c")] | length >= 1' "uaf.c: located in uaf.c"
expect_json '.findings[0].explanation | test("libuv") | not' "uaf.c: not explained in libuv's terms"

# A handle freed while its uv_close() is pending: explained in libuv's terms.
rl check "$RL_FIXTURES/uv/freed_while_closing.c" --format json --runs 1 --build asan
expect_status 1 "freed_while_closing.c fails"
expect_json '.findings[0].kind == "memory-error" and (.findings[0].explanation | test("uv_close\\(\\) only starts closing"))' \
  "freed_while_closing.c: why is told in libuv's terms"

# A handle moved by realloc(), or freed never closed, while libuv holds it:
# told in libuv's terms in both builds (neither sanitizer sees it: only
# libuv uses the old block). <fixture>:<line of the realloc or free>.
for at in handles_in_growing_array:25 freed_without_close:23 freed_inside_struct:21; do
  for build in tsan asan; do
    rl check "$RL_FIXTURES/uv/${at%:*}.c" --format json --runs 1 --build $build
    expect_status 1 "${at%:*}.c fails ($build)"
    expect_json '.findings | length == 1 and (.[0].kind == "memory-error") and (.[0].locations[0].line == '"${at#*:}"') and (.[0].explanation | test("freed, or moved by realloc\\(\\)"))' \
      "${at%:*}.c: why is told in libuv's terms ($build)"
  done
done

rl check "$P/compile_error.c" --format json
expect_status 1 "compile_error.c fails"
expect_json '.findings[0].kind == "build-error" and (.findings[0].detail | test("undeclared_variable"))' \
  "compile error: build-error with the compiler's words"
expect_json '.findings[0].locations[0].line == 3' "compile error located at its line"

rl check "$P/exit3.c" --format json --runs 1
expect_status 1 "exit3.c fails"
expect_json '.findings[0].kind == "wrong-output" and (.findings[0].summary | test("status 3"))' "exit status 3 reported"

rl check "$P/crash.c" --format json --runs 1
expect_status 1 "crash.c fails"
expect_json '[.findings[] | select(.kind == "crash")] | length >= 1' "crash.c: a crash in each build"

finish
