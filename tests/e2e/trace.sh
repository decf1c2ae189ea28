#!/usr/bin/env bash
# trace.sh -- the verbose trace of a run: --trace on the terminal, the
# Chrome trace-event file of --trace-out checked with jq, and the --html
# page rendered in headless Chromium (skipped, and said so, without it).
source "$(dirname "$0")/lib/common.bash"
export RACELAB_CACHE=$RL_SCRATCH/cache
json=$RL_SCRATCH/t.json
html=$RL_SCRATCH/f.html
rm -f "$json" "$html"

# One run of exercise 1 (a race between four counting threads) gives all three.
rl run 1 --build tsan --seed 1 --trace --trace-out "$json" --html "$html"
expect_status 1 "run 1 fails"
expect_out '^Trace of run 1: [0-9]+ events, [0-9]+ threads' "a trace follows the report"
threads=$(grep -oE '^ +[0-9]+\.[0-9]{3} +T[0-9]+ ' "$out" | awk '{print $2}' | sort -u | wc -l)
if ((threads >= 3)); then ok; else bad "events of several threads ($threads)"; fi
expect_out ' T0 +create T1 +hits\.c:[0-9]+ +pthread_create\(' "the main thread's creates, with the source line"
expect_out ' T[1-9] +start +hits\.c:[0-9]+ +static void \*count_slice' "a worker starts in count_slice()"
expect_out ' T0 +joined( T[1-9])? +hits\.c:[0-9]+ +pthread_join\(' "joins, with the source line"
expect_out '>> \[[0-9]+\] data-race: ' "the race is marked in the trace"
# The mark follows an event of a thread the race names.
if awk '/^ +[0-9]+\.[0-9]+ +T[0-9]/ {last = $2}
        />> \[[0-9]+\] data-race: / {for (i = 1; i <= NF; i++) if ($i == last) found = 1}
        END {exit !found}' "$out"; then ok
else bad "the race is marked after an event of one of its threads"; fi

rl run 1 --build tsan --seed 1 --trace --format json
expect_json '.verdict == "fail"' "with --format json, stdout stays JSON"
expect_err '^Trace of run 1' "and the trace goes to stderr"

# --trace-out: trace-event JSON, one named track per thread.
saved=$out
out=$json
expect_json '(.traceEvents | type) == "array" and (.traceEvents | length) > 10' "traceEvents is a non-empty array"
expect_json 'all(.traceEvents[]; (.ph | IN("M", "X", "B", "E", "b", "e", "i")) and (.ph == "M" or (.ts | type) == "number"))' \
  "every event has a known phase and a time"
expect_json '[.traceEvents[] | select(.ph == "M" and .name == "thread_name") | [.pid, .tid]] as $named
  | ($named | length) == ($named | unique | length) and ($named | length) >= 3
  and ([.traceEvents[] | select(.ph != "M" and .s != "g") | [.pid, .tid]] | unique) - $named == []' \
  "one thread_name per thread, and every track named"
expect_json '[.traceEvents[] | select(.ph == "B" or .ph == "E")] | group_by([.pid, .tid])
  | all(([.[] | select(.ph == "B")] | length) == ([.[] | select(.ph == "E")] | length))' "B/E balanced per track"
expect_json 'all(.traceEvents[] | select(.ph == "X"); .dur >= 0)' "every complete slice has a duration"
expect_json '[.traceEvents[] | select(.cat == "wait" and (.name | test("^join( T[0-9]+)?$")))] | length >= 3' \
  "the joins are wait slices"
expect_json '[.traceEvents[] | select(.ph == "i" and .cat == "finding" and (.name | test("data-race"))
  and .s == "t" and (.args.explanation | length) > 20)] | length >= 1' "the race is an instant on its thread, explained"
findings=$(jq '[.traceEvents[] | select(.cat == "finding")] | length' "$json")
out=$saved

# A lock-order inversion: lock holds and waits as slices on each thread.
rl run "$RL_FIXTURES/programs/lock_order.c" --build tsan --seed 1 --trace-out "$json"
expect_status 1 "lock_order.c fails"
out=$json
expect_json '[.traceEvents[] | select(.ph == "X" and .cat == "lock" and (.name | test("^holds M[0-9]+$")))] | length >= 2' \
  "lock holds are slices"
expect_json '[.traceEvents[] | select(.ph == "X" and .cat == "lock") | .tid] | unique | length >= 2' \
  "on more than one thread"
expect_json '[.traceEvents[] | select(.ph == "i" and .cat == "finding" and (.name | test("lock-order-inversion")))] | length == 1' \
  "the inversion is an instant"
# TSan reports the cycle too, numbering the mutexes its own way: the
# finding keeps the runtime's ids, the ones the lock slices show.
expect_json '([.traceEvents[] | select(.cat == "lock") | .name | ltrimstr("holds ")] | unique) as $traced
  | ([.traceEvents[] | select(.cat == "finding") | .name | scan("M[0-9]+")] | unique) as $named
  | ($named | length) == 2 and ($named - $traced) == []' "the inversion names its mutexes as the trace does"
# Perfetto wants the slices of a track nested: each one ends before the
# next begins, or contains it (0.001 us: the rounding of ns to us).
nested='[.traceEvents[] | select(.ph == "X")] | group_by([.pid, .tid]) | all(sort_by(.ts) as $s
  | all(range(0; $s | length) as $i | range($i + 1; $s | length) as $j | ($s[$i].ts + $s[$i].dur) as $stop
        | $s[$j].ts >= $stop - 0.001 or $s[$j].ts + $s[$j].dur <= $stop + 0.001; .))'
expect_json "$nested" "slices nest on each track"
out=$saved

# Hand-over-hand locking: a hold released before the next one taken after
# it would not nest, so it becomes an async slice; the rest still nest.
cat >"$RL_SCRATCH/hand.c" <<'EOF'
#include <pthread.h>
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER,
                       c = PTHREAD_MUTEX_INITIALIZER;
static void *walk(void *arg) {
  pthread_mutex_lock(&a);
  pthread_mutex_lock(&b);
  pthread_mutex_unlock(&a);
  pthread_mutex_lock(&c);
  pthread_mutex_unlock(&b);
  pthread_mutex_unlock(&c);
  return arg;
}
int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, walk, NULL);
  pthread_join(t, NULL);
  return 0;
}
EOF
rl run "$RL_SCRATCH/hand.c" --build asan --seed 3 --runs 1 --trace-out "$json"
expect_status 0 "hand.c is clean"
out=$json
expect_json "$nested" "hand over hand: the complete slices still nest"
expect_json '[.traceEvents[] | select(.ph == "X" and .cat == "lock") | .name] | sort == ["holds M1", "holds M3"]' \
  "the holds that nest are complete slices"
expect_json '[.traceEvents[] | select(.cat == "lock" and (.ph == "b" or .ph == "e")) | [.ph, .name, .tid]] | sort
  == [["b", "holds M2", 1], ["e", "holds M2", 1]]' "the one that crosses them is an async pair"
out=$saved

# A deadlocked program is killed: its ring file outlives it, up to the two
# lock requests that never returned.
rl run "$RL_FIXTURES/runtime/deadlock_abba.c" --build tsan --seed 1 --timeout 2 --trace
expect_status 1 "deadlock_abba.c fails"
expect_out ' T1 +lock M[12] +deadlock_abba\.c:14 ' "T1's last request is in the trace of the killed program"
expect_out ' T2 +lock M[12] +deadlock_abba\.c:23 ' "and T2's"
line_of() { grep -nE -- "$1" "$out" | tail -n 1 | cut -d: -f1; }
mark=$(line_of '>> \[1\] deadlock: ')
if [[ -n $mark ]] && ((mark > $(line_of ' T1 +lock M[12] +deadlock_abba\.c:14 ') && mark > $(line_of ' T2 +lock M[12] +deadlock_abba\.c:23 '))); then ok
else bad "the deadlock is marked after the last request"; fi

# A long run keeps the latest 65536 events and says how many it lost: T0's
# start, then 4 per iteration (lock, its end, acquired, unlock). Seed 3
# runs without jitter (its mode is off), so nothing else is recorded.
cat >"$RL_SCRATCH/long.c" <<'EOF'
#include <pthread.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
int main(void) {
  for (int i = 0; i < 30000; i++) {
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
  }
  return 0;
}
EOF
rl run "$RL_SCRATCH/long.c" --build asan --seed 3 --runs 1 --trace
expect_status 0 "long.c is clean"
expect_out '^Trace of run 1: 65536 events' "the ring keeps the latest 65536 events"
expect_out '^\(the 54465 oldest events were overwritten' "and says how many it lost"
if [[ $(tail -n 1 "$out") =~ unlock\ M1\ +long\.c:6 ]]; then ok; else bad "the trace ends with the last unlock"; fi

# libuv: requests are async slices from start to callback; exercise 3
# closes its loop before theirs ran.
rl run 3 --build tsan --seed 1 --trace-out "$json"
expect_status 1 "exercise 3 fails"
out=$json
expect_json '[.traceEvents[] | select(.cat == "libuv")] | group_by(.id)
  | length >= 2 and all(map(.ph) | sort == ["b", "e"])' "each request is one b/e pair"
expect_json '[.traceEvents[] | select(.cat == "libuv" and .ph == "e" and .args.completed == false)] | length >= 1' \
  "a request whose callback never ran says so"
expect_json '[.traceEvents[] | select(.ph == "i" and .cat == "finding" and (.name | test("forgotten-await")) and .s == "t")] | length == 1' \
  "the forgotten await is an instant on the thread that started the request"
out=$saved

# --html: one self-contained page, rendered by headless Chromium.
if [[ -s $html ]]; then ok; else bad "--html wrote $html"; fi
if grep -qE '<script|https?://[^"]*\.(js|css|woff)|@import|<link ' "$html"; then bad "the page loads nothing from elsewhere"; else ok; fi
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
  echo "SKIP: chromium is not installed (tests/run.sh installs it): the --html page was not rendered"
else
  profile=$(mktemp -d)
  dom=$RL_SCRATCH/dom.html
  flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
         --disable-component-update --disable-sync --user-data-dir="$profile" --window-size=1100,1400)
  timeout -k 5 60 "$chromium" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$html" \
    >"$dom" 2>"$RL_SCRATCH/chromium.err"
  if [[ $? == 0 ]] && grep -q '</html>' "$dom"; then ok; else bad "chromium rendered the page"; fi
  if grep -qiE 'CONSOLE|Uncaught|Failed to load resource' "$RL_SCRATCH/chromium.err"; then
    bad "the page loads without errors: $(grep -iE 'CONSOLE|Uncaught|Failed to load' "$RL_SCRATCH/chromium.err" | head -3)"
  else ok; fi
  if [[ $(grep -c '<svg class="timeline"' "$dom") -ge 1 ]]; then ok; else bad "the DOM holds the timeline SVG"; fi
  if [[ $(grep -o '<circle class="event"' "$dom" | wc -l) -ge 10 ]]; then ok; else bad "the timeline draws the events"; fi
  if [[ $(grep -o 'id="finding-[0-9]*"' "$dom" | sort -u | wc -l) == "$findings" ]]; then ok
  else bad "every finding ($findings) has its section"; fi
  if grep -q 'class="finding-mark"' "$dom" && grep -qF 'report.by_class[status / 100]++;' "$dom"; then ok
  else bad "the race is marked on the timeline and its source line quoted"; fi
  rm -f "$RL_SCRATCH/shot.png"
  timeout -k 5 60 "$chromium" "${flags[@]}" --screenshot="$RL_SCRATCH/shot.png" "file://$html" >/dev/null 2>&1
  if [[ $(stat -c %s "$RL_SCRATCH/shot.png" 2>/dev/null || echo 0) -gt 20000 ]]; then ok
  else bad "a screenshot of the page was drawn"; fi
  rm -rf "$profile"
fi
finish
