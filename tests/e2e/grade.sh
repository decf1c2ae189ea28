#!/usr/bin/env bash
# grade.sh -- `racelab grade` over tests/fixtures/submissions: alice has
# solutions (pass), bob the unfixed exercise (data race), carol a syntax
# error, dave nothing, erin a link to a classmate's file, an empty folder
# and a folder that is no exercise, frank `#include "/etc/shadow"`. Checks
# every result file, the reports' formats, --resume after a kill -9, --merge.
source "$(dirname "$0")/lib/common.bash"
S=$RL_SCRATCH/submissions
W=$RL_SCRATCH/work
rm -rf "$S" "$W"
mkdir -p "$W"
cp -a "$RL_FIXTURES/submissions" "$S"
mkdir "$S/odd name"   # an unsafe file name, and nothing in it
students=(alice bob carol dave erin frank "odd name")

# ---------------------------------------------------------------- a batch
rl grade "$S" --runs 2 -j 2 --out "$W/r.json" --junit "$W/r.xml" --sarif "$W/r.sarif"
expect_status 0 "every submission graded, whatever the grades"
expect_out "graded 7, kept 0" "the summary counts the students graded"

for s in "${students[@]}"; do
  f=$W/r.json.d/${s// /_}.json
  if jq -e '.version == 3 and (.tests | length) > 0 and ([.tests[] | select(.status | IN("pass","fail","error") | not)] | length) == 0
            and ([.tests[] | select((.output // "" | length) > 500)] | length) == 0
            and ([.tests[] | select((.protections | test("^netns mountns .*; missing: none$")) and .limits.runs_per_build == 2)] | length) == (.tests | length)' \
    "$f" >/dev/null 2>&1; then ok; else bad "$s: result file $f is not a complete v3 result"; fi
done
cp "$W/r.json" "$out"
cp "$W/r.json" "$W/first.json"
expect_json '[.students[].student] == ["alice","bob","carol","dave","erin","frank","odd name"]' "combined file: every student, in order"
expect_json '[.students[] | {(.student): .status}] | add == {"alice":"pass","bob":"fail","carol":"error","dave":"error","erin":"error","frank":"error","odd name":"error"}' \
  "combined file: a status per student"
expect_json '.students[0].tests | map(.name + "=" + .status) == ["01-hit-counter=pass","02-bank-transfer=pass"]' "alice passes both"
expect_json '.students[1].tests[0] | .status == "fail" and .runs == 4 and .seed == 1
  and ([.findings[] | select(.kind == "data-race" and .count >= 1 and .count <= 2 and .locations[0].path == "bob/01-hit-counter/hits.c" and .locations[0].line > 0)] | length) >= 1' \
  "bob: a located data race, seen in k of 2 TSan runs"
expect_json '.students[2].tests[0] | .message == "does not compile" and (.output | test("carol/01-hit-counter/hits.c:[0-9]+:[0-9]+: error"))' \
  "carol: the compiler's error, paths relative to the submissions"
expect_json '.students[3].tests == [.students[3].tests[0]] and (.students[3].tests[0].message | test("empty"))' "dave: one error test, not an empty list"
expect_json '.students[4].tests | map(.name + ": " + .message) | (.[0] | test("^01-hit-counter: hits.c is a symbolic link to a file outside")) and (.[1] | test("folder is empty")) and (.[2] | test("^99-unknown: not an exercise"))' \
  "erin: the link, the empty folder and the unknown folder are each an error"
expect_json '.students[5].tests[0].output | test("/etc/shadow.{0,3} (No such file|file not found)")' "frank: the sandboxed compiler does not see /etc/shadow"
if grep -rq 'root:' "$W"; then bad "a result quotes /etc/shadow"; else ok; fi

if jq -e '.version == "2.1.0" and (.runs[0].tool.driver.rules | map(.id) | index("data-race") != null and index("build-error") != null)
          and ([.runs[0].results[] | select(.ruleId == "data-race" and .locations[0].physicalLocation.region.startLine > 0
               and (.codeFlows[0].threadFlows | length) == 2)] | length) >= 1' "$W/r.sarif" >/dev/null; then ok
else bad "SARIF: rules per kind, a located data race with two thread flows"; fi
if command -v xmllint >/dev/null; then
  if xmllint --noout "$W/r.xml"; then ok; else bad "JUnit XML is not well-formed"; fi
fi
if [[ $(grep -c '<testsuite ' "$W/r.xml") == 7 ]] && grep -q '<failure type="data-race" message="data-race in [12]/4 runs' "$W/r.xml" &&
  grep -q '<error type="build-error"' "$W/r.xml"; then ok; else bad "JUnit: a suite per student, the race as a failure type"; fi

# ------------------------------------------- --resume keeps finished work
inodes() { stat -c %i "$W"/r.json.d/*.json | tr '\n' ' '; }
before=$(inodes)
touch "$W/r.json.d/zed.json.tmp.4242"   # what a killed write leaves
rl grade "$S" --runs 2 --out "$W/r.json" --resume
expect_status 0 "resume"
expect_out "graded 0, kept 7" "resume grades nobody again"
if [[ $(inodes) == "$before" ]]; then ok; else bad "resume rewrote finished result files"; fi
if [[ ! -e $W/r.json.d/zed.json.tmp.4242 ]]; then ok; else bad "a stale temporary file was not swept"; fi
rl grade "$S" --runs 3 --out "$W/r.json" --resume --exercises 1
expect_out "graded 7, kept 0" "other settings: every student graded again"

# ------------------------------------------- a batch killed mid-way, resumed
"$RACELAB" grade "$S" --runs 2 --out "$W/k.json" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 400); do [[ -e $W/k.json.d/alice.json ]] && break; sleep 0.05; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
if pgrep -f -- "--out $W/k.json" >/dev/null; then bad "a grading process outlived the killed batch"; else ok; fi
rl grade "$S" --runs 2 --out "$W/k.json" --resume
expect_status 0 "the killed batch resumed"
kept=$(sed -nE 's/^graded ([0-9]+), kept ([0-9]+).*/\2/p' "$out")
graded=$(sed -nE 's/^graded ([0-9]+), kept ([0-9]+).*/\1/p' "$out")
if ((kept >= 1 && kept < 7 && kept + graded == 7)); then ok; else bad "resume after kill: kept $kept, graded $graded"; fi
grades='[.students[] | {student, tests: [.tests[] | {name, status}]}]'
if [[ $(jq -c "$grades" "$W/k.json") == "$(jq -c "$grades" "$W/first.json")" ]]; then ok
else bad "the resumed batch's results differ from an uninterrupted one"; fi

# -------------------------------------------------- merge, filters, inputs
rl grade --merge "$W/r.json.d/alice.json" "$W/r.json.d/bob.json" "$W/k.json" --out "$W/m.json" --junit "$W/m.xml"
expect_status 0 "merge"
expect_err "already merged" "a student named twice is reported"
cp "$W/m.json" "$out"
expect_json '(.students | length) == 7 and .summary.pass == 1' "merge: every student once"
rl grade "$S" --runs 1 --out "$S/e.json" --exercises 2   # results kept among the submissions
cp "$S/e.json" "$out"
expect_json '[.students[1].tests[] | .name + "=" + .message] == ["02-bank-transfer=not submitted"]' "--exercises 2: what was not submitted is an error"
expect_json '(.students | length) == 7' "results kept among the submissions are no student"
rl grade "$S/bob/01-hit-counter" --runs 1 --out "$W/one.json"
cp "$W/one.json" "$out"
expect_json '.students[0].student == "bob" and .students[0].tests[0].status == "fail"' "one exercise folder is one submission"
# racelab failing (here: no compiler) is not the student's error: exit 1,
# and a resume grades that student again.
RACELAB_CC=/nonexistent/cc rl grade "$S/bob/01-hit-counter" --runs 1 --out "$W/h.json"
expect_status 1 "racelab could not grade a submission"
cp "$W/h.json" "$out"
expect_json '.students[0].tests[0] | .status == "error" and .harness_error == true and (.message | test("racelab could not check"))' \
  "the result says racelab failed"
rl grade "$S/bob/01-hit-counter" --runs 1 --out "$W/h.json" --resume
expect_status 0 "graded once racelab works again"
expect_out "graded 1, kept 0" "resume grades again what racelab failed"
rl grade "$W/none" --out "$W/x.json"
expect_usage_error "not a folder of submissions" "a missing folder"
rl grade "$S" --exercises 99 --out "$W/x.json"
expect_usage_error "unknown exercise '99'" "an unknown exercise"
rl grade --merge "$W/r.xml" --out "$W/x.json"
expect_usage_error "--merge .*r.xml" "merging a file that is not a result"
finish
