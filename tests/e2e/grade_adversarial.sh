#!/usr/bin/env bash
# grade_adversarial.sh -- `racelab grade` over a class of hostile
# submissions (tests/fixtures/adversarial: one student per threat of issue 7
# and shared/research/sandbox.md section 4, each a plausible hits.c for
# exercise 01 doing the hostile thing inside the program), in one batch:
# every student gets a well-formed result that names what happened (timeout,
# memory limit, output flood, crash, deadlock, the race that the submission
# tried to hide), the batch ends on time, nothing of it is left running, no
# secret reaches a result, the test's own listener is never reached and the
# daemon's marker never appears.
#
# The students: spin (endless loop), forkbomb, setsid-bomb, memhog (4 GiB,
# both builds), flood-out and flood-err (2 GB), segv, abort, deadlock (ABBA),
# snoop (reads /etc/shadow, $HOME and a classmate's folder by absolute path,
# ../ and __FILE__), snoop-cc (#includes the classmate's file), victim (the
# classmate, with a canary), netcat (connects to this test's listener),
# daemon (double fork + setsid, a marker 2 s later), and the race of
# exercise 01 hidden by tsan-options (__tsan_default_options) or annotate
# (TSan's annotations, named by token pasting), both screened out before
# they run, stderr-null (dup2 over 2), exit0 (_exit(0)), forge (fake
# results, links and a FIFO in its working directory and $TMPDIR),
# forge-log (TSan's own log file linked to /dev/null) and hide-log (deletes
# TSan's report, then execs /bin/true). Bad inputs (a compile error, an empty folder, links
# out of the submission) are grade.sh's.
#
# Exercise 01 runs here from a copy of the course whose timeout is 3 s, so
# that the loops and deadlocks cost seconds, not minutes.
source "$(dirname "$0")/lib/common.bash"
A=$RL_SCRATCH/adversarial
S=$A/submissions
W=$A/work
LAB=$A/lab
rm -rf "$A"
mkdir -p "$W/home" "$LAB/exercises"
# A cache of its own: what runs from it is ours, which is how leftovers are
# told from the runs of other tests on the same machine.
export RACELAB_CACHE=$A/cache
export RACELAB_LAB=$LAB
cp -a "$RL_LAB/exercises/01-hit-counter" "$LAB/exercises/"
sed -i 's/^timeout = .*/timeout = 3/' "$LAB/exercises/01-hit-counter/exercise.ini"
chmod 755 "$A"   # the sandbox's uids must reach the course files

# ------------------------------------------------- a listener on 127.0.0.1
# It accepts for as long as it lives and counts connections into a file.
cat >"$W/listener.c" <<'EOF'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in addr = {.sin_family = AF_INET};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) || listen(fd, 16) ||
      getsockname(fd, (struct sockaddr *)&addr, &len)) return 1;
  FILE *f = fopen(argv[1], "w");
  fprintf(f, "%d\n", ntohs(addr.sin_port));
  fclose(f);
  for (int accepted = 1;; accepted++) {
    int c = accept(fd, NULL, NULL);
    if (c < 0) continue;
    close(c);
    f = fopen(argv[2], "w");
    fprintf(f, "%d\n", accepted);
    fclose(f);
  }
}
EOF
cc -O1 -o "$W/listener" "$W/listener.c" || { echo "cannot build the listener"; exit 1; }
"$W/listener" "$W/port" "$W/accepts" &
listener=$!
trap 'kill "$listener" 2>/dev/null' EXIT   # whatever happens below
for _ in $(seq 100); do [[ -s $W/port ]] && break; sleep 0.05; done
port=$(cat "$W/port")
# It works: one connection from here is counted, then forgotten.
exec 3<>"/dev/tcp/127.0.0.1/$port" && exec 3>&-
for _ in $(seq 100); do [[ -s $W/accepts ]] && break; sleep 0.05; done
if [[ $(cat "$W/accepts" 2>/dev/null) == 1 ]]; then ok; else bad "the test's listener does not count connections"; fi
rm -f "$W/accepts"

# ---------------------------------------------------------- the submissions
canary="CANARY-$RANDOM$RANDOM-$$"
cp -a "$RL_FIXTURES/adversarial" "$S"
echo "$canary (victim's notes)" >"$S/victim/01-hit-counter/notes.txt"
echo "machine grader login $canary" >"$W/home/.netrc"   # racelab runs with HOME=$W/home
chmod 600 "$W/home/.netrc"
marker=$W/daemon-marker
tmp_marker=/tmp/racelab-adversarial-daemon-$canary   # in the host's /tmp, unique
sed -i -e "s|@PORT@|$port|g" -e "s|@HOME@|$W/home|g" -e "s|@VICTIM@|$S/victim/01-hit-counter|g" \
  -e "s|@MARKER@|$marker|g" -e "s|@TMP_MARKER@|$tmp_marker|g" "$S"/*/01-hit-counter/hits.c
mapfile -t students < <(cd "$S" && ls)

# Our leftovers: live processes running a binary of our cache, and
# per-run cgroups of our batch's grading processes (their names start with
# the pid of the process that made them) still there once those are gone.
# Other tests on the machine (test_sandbox kills a grader on purpose) leave
# cgroups of their own for the next probe to sweep.
ours_alive() {
  local p exe n=0
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    [[ $exe == "$RACELAB_CACHE"/* ]] || continue
    [[ $(awk '{print $3}' "$p/stat" 2>/dev/null) == Z ]] && continue
    echo "${p#/proc/} $exe"
    n=$((n + 1))
  done
  return $((n > 0 ? 0 : 1))
}
cgroups() { ls -d /sys/fs/cgroup/*/racelab/[0-9]*-[0-9]* 2>/dev/null | sort; }
cgroups >"$W/cgroups.before"

# ------------------------------------------------------------------ grading
start=$(date +%s)
HOME=$W/home timeout -k 5 600 "$RACELAB" grade "$S" --runs 2 -j 2 --out "$W/r.json" --junit "$W/r.xml" \
  --sarif "$W/r.sarif" >"$out" 2>"$err" &
batch=$!
: >"$W/graders"
while kill -0 "$batch" 2>/dev/null; do   # racelab's children grade one student each
  for p in $(pgrep -P "$batch"); do pgrep -P "$p" >>"$W/graders"; done
  sleep 0.05
done
wait "$batch"
status=$?
elapsed=$(($(date +%s) - start))
echo "the batch of ${#students[@]} students took ${elapsed} s (exit $status)"
expect_status 0 "every submission graded, whatever it did"
expect_out "graded ${#students[@]}, kept 0" "the summary counts every student"

# --------------------------------------------------------- every result
for s in "${students[@]}"; do
  f=$W/r.json.d/$s.json
  if jq -e '.version == 3 and .student != null and (.tests | length) == 1
            and ([.tests[] | select(.status | IN("pass","fail","error") | not)] | length) == 0
            and ([.tests[] | select((.output // "" | length) > 500)] | length) == 0
            and ([.tests[] | select(.protections | test("^netns mountns .*; missing: none$"))] | length) == 1' \
    "$f" >/dev/null 2>&1; then ok; else bad "$s: $f is not a complete, bounded, protected v3 result"; fi
done

# expect STUDENT JQ-FILTER DESCRIPTION: the filter, applied to the student's
# one test, must print true.
expect() {
  local f=$W/r.json.d/$1.json
  if [[ $(jq -r ".tests[0] | $2" "$f" 2>&1) == true ]]; then ok
  else bad "$1: $3 (jq: $2)"; echo "  test: $(jq -c '.tests[0] | del(.limits, .test_code)' "$f" 2>&1 | head -c 1500)"; fi
}
# Kinds of findings, sorted and unique.
kinds='([.findings[].kind] | unique)'
summaries='([.findings[].summary] | join(" | "))'

expect spin ".status == \"fail\" and $kinds == [\"timeout\"] and (.findings[0].count == 4)" \
  "an endless loop is a timeout, in every run of both builds"
# 64 TSan processes may also fill the memory limit: either limit may end a
# run, and each says it hit the process limit.
for s in forkbomb setsid-bomb; do
  expect "$s" ".status == \"fail\" and ($kinds - [\"timeout\", \"crash\"]) == []
    and ([.findings[] | select(.summary | test(\"process limit\") | not)] | length) == 0" \
    "a fork bomb is stopped at the process limit and the deadline"
done
# Never a bare "killed by signal 9". A run starved of CPU by a loaded
# machine may not reach the limit before its deadline (then: hang).
expect memhog ".status == \"fail\" and ($kinds - [\"crash\", \"hang\", \"timeout\"]) == []
  and ([.findings[] | select(.summary | test(\"memory limit\")) | .count] | add) >= 2
  and ($summaries | test(\"signal\") | not)" \
  "a memory hog is stopped by the memory limit, and said so"
for s in flood-out flood-err; do
  expect "$s" ".status == \"fail\" and $kinds == [\"wrong-output\"] and ($summaries | test(\"flooded\"))" \
    "2 GB of output is a flood, stopped"
done
expect segv ".status == \"fail\" and ($kinds - [\"crash\", \"memory-error\"]) == [] and ($summaries | test(\"SEGV|signal 11\"))" \
  "a null pointer write is a crash"
expect abort ".status == \"fail\" and ($kinds - [\"crash\", \"memory-error\"]) == [] and ($summaries | test(\"ABRT|abort|signal 6\"))" \
  "abort() is a crash"
expect deadlock ".status == \"fail\" and ($kinds | index(\"deadlock\") != null or index(\"lock-order-inversion\") != null)" \
  "an ABBA deadlock is named"
for s in snoop victim netcat daemon; do
  expect "$s" '.status == "pass"' "nothing to read, nowhere to connect, no daemon to find: a clean pass"
done
expect snoop-cc '.status == "error" and .message == "does not compile"' "including a classmate's file does not compile"
expect tsan-options ".status == \"fail\" and $kinds == [\"check-bypass\"] and ($summaries | test(\"^__tsan_default_options: \"))
  and .message == \"check-bypass\"" "a submission that sets ThreadSanitizer's options is not run"
expect annotate ".status == \"fail\" and $kinds == [\"check-bypass\"] and ($summaries | test(\"^AnnotateIgnoreReadsBegin: \"))
  and .findings[0].locations[0].line == 12" "a submission that hides its accesses with annotations is not run"
for s in stderr-null exit0 forge; do
  expect "$s" ".status == \"fail\" and ($kinds | index(\"data-race\") != null)" \
    "the race is reported whatever the submission did to hide it"
done
# The report deleted from inside the program, whose exec leaves no exit
# status to tell: racelab watched the logs from outside.
expect hide-log ".status == \"fail\" and ($kinds | index(\"check-bypass\") != null)
  and ($summaries | test(\"deleted its sanitizer.s log\"))" "a report deleted from inside the program is seen"
# A link planted where ThreadSanitizer will write its log sends the report
# elsewhere (TSan runs in the program's process, with its rights): the
# details are lost, but the sanitizer's exit status still fails the run.
expect forge-log ".status == \"fail\" and ($summaries | test(\"no report to read\"))" \
  "a hidden report still fails, and says the report was hidden"

# ------------------------------------------------------------ the reports
if jq -e '.summary.students == '"${#students[@]}"' and (.students | length) == .summary.students' "$W/r.json" >/dev/null; then ok
else bad "the combined file holds every student"; fi
if jq -e '.version == "2.1.0"' "$W/r.sarif" >/dev/null; then ok; else bad "SARIF is not 2.1.0"; fi
if command -v xmllint >/dev/null; then
  if xmllint --noout "$W/r.xml"; then ok; else bad "JUnit XML is not well-formed"; fi
fi

# ------------------------------------------------------- nothing leaked
if grep -rlF -e "$canary" "$W"/r.* "$out" "$err"; then bad "a canary reached the results"; else ok; fi
if grep -rlE '^root:[^:]*:[0-9]' "$W"/r.* "$out" "$err"; then bad "a result quotes /etc/shadow"; else ok; fi
if [[ ! -s $W/accepts ]]; then ok; else bad "the host's listener accepted $(cat "$W/accepts") connection(s)"; fi
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null

# -------------------------------------------------- nothing left running
if ours_alive; then bad "processes of the batch outlived it"; else ok; fi
cgroups >"$W/cgroups.after"
leaked=0
while read -r cg; do
  owner=$(basename "$cg")
  owner=${owner%%-*}
  if grep -qx "$owner" "$W/graders"; then echo "left behind: $cg"; leaked=1; fi
done < <(comm -13 "$W/cgroups.before" "$W/cgroups.after")
if [[ -s $W/graders ]]; then ok; else bad "no grading process was seen: the cgroup check proves nothing"; fi
if ((leaked == 0)); then ok; else bad "per-run cgroups outlived the batch"; fi
sleep 3   # the daemon writes its marker 2 s after it starts
if [[ ! -e $marker && ! -e $tmp_marker ]]; then ok; else bad "the daemon outlived its run and wrote its marker"; fi
if ours_alive; then bad "processes of the batch are still running 3 s later"; else ok; fi
finish
