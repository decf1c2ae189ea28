# common.bash -- what every e2e script shares: a scratch folder, running
# racelab with a hard deadline, and assertions that count and report.
set -u
# Under ctest the environment names everything; run by hand (for example
# `bash tests/e2e/course.sh` to prove the course), these defaults apply.
RL_LAB=${RL_LAB:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
RACELAB=${RACELAB:-$RL_LAB/build/gcc/harness/racelab}
RL_FIXTURES=${RL_FIXTURES:-$RL_LAB/tests/fixtures}
RL_SCRATCH=${RL_SCRATCH:-$(mktemp -d)}
export RACELAB_CACHE=${RACELAB_CACHE:-$RL_SCRATCH/cache}
export RACELAB_STATE=${RACELAB_STATE:-$RL_SCRATCH/state}
[[ -x $RACELAB ]] || { echo "no racelab at $RACELAB: build it first (bash harness/racelab.sh)"; exit 1; }
mkdir -p "$RL_SCRATCH"
export NO_COLOR=1
out=$RL_SCRATCH/out
err=$RL_SCRATCH/err
passed=0
failed=0

# rl ARGS...: run racelab (never longer than 300 s); stdout in $out,
# stderr in $err, exit status in $status.
rl() {
  timeout -k 5 300 "$RACELAB" "$@" >"$out" 2>"$err"
  status=$?
}

ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  echo "FAIL: $*"
  echo "  stdout: $(head -c 1500 "$out")"
  echo "  stderr: $(head -c 800 "$err")"
}

# expect_status N DESCRIPTION
expect_status() {
  if [[ $status == "$1" ]]; then ok; else bad "$2: exit $status, expected $1"; fi
}

# expect_json JQ-FILTER DESCRIPTION: the filter must print true for $out.
expect_json() {
  if [[ $(jq -r "$1" "$out" 2>&1) == true ]]; then ok; else bad "$2 (jq: $1)"; fi
}

# expect_out PATTERN DESCRIPTION / expect_err: grep -E on stdout / stderr.
expect_out() { if grep -qE -- "$1" "$out"; then ok; else bad "$2 (stdout lacks /$1/)"; fi; }
expect_err() { if grep -qE -- "$1" "$err"; then ok; else bad "$2 (stderr lacks /$1/)"; fi; }

# The one-line error contract for bad input: exit 2, exactly one line on
# stderr, naming the problem and pointing to --help.
expect_usage_error() {
  local pattern=$1 what=$2
  expect_status 2 "$what"
  if [[ $(wc -l <"$err") == 1 ]] && grep -qE -- "$pattern" "$err" && grep -q -- "--help" "$err"; then ok
  else bad "$what: expected one stderr line matching /$pattern/ and --help"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  ((failed == 0))
}
