#!/usr/bin/env bash
# detect.sh -- racelab's detection benchmark (issue 3), one command:
#
#   bench/detect.sh [--quick] [options]
#
# For every rare-bug fixture (bench/fixtures/*.c without the clean_ prefix)
# and every exercise, over T trials, it compares
#   plain   the same sources built with plain -fsanitize=thread (address for
#           memory-error rows), NO racelab runtime, stock sanitizer options
#           (exitcode=66; detect_leaks=0 for ASan, as racelab does), each run
#           a fresh process; a run detects when it prints a sanitizer report,
#           hangs (timeout), crashes, exits non-zero, or prints BUG / the
#           wrong output (exercises: differs from expected.txt);
#   random  `racelab check TARGET --runs 1 --seed S` with S % 3 == 1;
#   pct     the same with S % 3 == 2;
#           a run detects when racelab reports any finding.
# A trial repeats runs until the first detection, capped at CAP runs (plain:
# at max(CAP, 12 x the better racelab median of the row), see plain_cap).
# It then measures: replay of found seeds with `racelab run --seed S`,
# default `racelab check N` invocations of each exercise, false positives
# (`racelab check --keep-going` over every solution and clean fixture), the
# per-run cost of a fresh TSan process against racelab's (elapsed_ms/runs),
# and the runtime's overhead (the same binary with RLRT_MODE=off vs a build
# without the runtime). It prints a markdown report and writes it to --out.
#
# Needs bash, jq, awk, coreutils timeout, the compiler racelab uses (cc), and
# a built racelab (built here with cmake if missing). No python.
# The exercises and solutions are taken from the committed tree (git archive
# HEAD) so that files other people are editing cannot break a run; the
# fixtures from the working tree.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=0
TRIALS=""; EX_TRIALS=""; CAP=""; FP_RUNS=""; CHECKS=""; REPLAYS=""; COST_RUNS=""; OVER_RUNS=""
# seconds per run (racelab's --timeout takes whole seconds). A hang costs the
# whole timeout, in every mode; fixtures and buggy exercises finish in well
# under 0.3 s when they do not hang. The false-positive checks use FP_TIMEOUT.
FIX_TIMEOUT=1
EX_TIMEOUT=1
FP_TIMEOUT=2
# the plain trials' cap is max(CAP, PLAIN_CAP_FACTOR x the better racelab
# median of the row): see plain_cap
PLAIN_CAP_FACTOR=12
ONLY=""
ALL_SECTIONS=detect,checks,fp,costs
SECTIONS=$ALL_SECTIONS
OUT="$ROOT/bench/RESULTS.md"
RL="${RACELAB:-}"
KEEP_WORK=0
INTO=""
REPORT_FROM=""
NOTES=()

usage() {
  cat <<'EOF'
Usage: bench/detect.sh [--quick] [options]
  --quick            ~5 trials, small counts: a few minutes
  --trials T         trials per fixture and mode (default 30, quick 5)
  --ex-trials T      trials per exercise and mode (default 5, quick 2): the
                     exercises' bugs are not rare, and four of them hang
  --cap C            runs per trial before giving up (default 50, quick 20)
  --fp-runs N        runs per build in each false-positive check (default 750,
                     quick 10): seeds 1..N rotate off/random/pct, so 750 gives
                     2 x 500 = 1000 jittered runs per target
  --checks K         default `racelab check N` invocations per exercise (default 5, quick 2)
  --replays R        replays per row and mode (default 5, quick 2)
  --only REGEX       only rows whose name matches (fixtures and exercises)
  --sections LIST    only these sections, comma-separated, of: detect (the
                     trials and replays), checks (default `racelab check N`),
                     fp (false positives), costs (per-run cost and runtime
                     overhead); default all
  --out FILE         write the report here (default bench/RESULTS.md)
  --racelab PATH     use this racelab (default: build HEAD in the scratch folder)
  --keep-work        keep the scratch folder (per-run records)
  --into DIR         measure into DIR, a folder kept by an earlier --keep-work
                     run: the --sections measured now replace theirs, the
                     other sections' records stay, and the report has both
  --report-from DIR  only write the report again from a kept scratch folder
  --note TEXT        a line for the report header (repeatable), e.g. what was checked after the run
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --trials) TRIALS=$2; shift ;;
    --ex-trials) EX_TRIALS=$2; shift ;;
    --cap) CAP=$2; shift ;;
    --fp-runs) FP_RUNS=$2; shift ;;
    --checks) CHECKS=$2; shift ;;
    --replays) REPLAYS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --sections) SECTIONS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --racelab) RL=$2; shift ;;
    --keep-work) KEEP_WORK=1 ;;
    --into) INTO=$2; shift ;;
    --report-from) REPORT_FROM=$2; shift ;;
    --note) NOTES+=("$2"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "detect.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then
  : "${TRIALS:=5}" "${EX_TRIALS:=2}" "${CAP:=20}" "${FP_RUNS:=10}" "${CHECKS:=2}" "${REPLAYS:=2}" "${COST_RUNS:=12}" "${OVER_RUNS:=10}"
else
  : "${TRIALS:=30}" "${EX_TRIALS:=5}" "${CAP:=50}" "${FP_RUNS:=750}" "${CHECKS:=5}" "${REPLAYS:=5}" "${COST_RUNS:=30}" "${OVER_RUNS:=30}"
fi

IFS=, read -ra picked <<<"$SECTIONS"
for sec in "${picked[@]}"; do
  [[ ,$ALL_SECTIONS, == *,$sec,* ]] || { echo "detect.sh: unknown section '$sec' (known: $ALL_SECTIONS)" >&2; exit 2; }
done
want() { [[ ,$SECTIONS, == *,$1,* ]]; }
# skip_section NAME: true when an interrupt stopped measuring or NAME was
# not asked for (--sections); every section's loop breaks on it.
skip_section() { [ "$STOP" = 1 ] || ! want "$1"; }

for tool in jq awk timeout git; do
  command -v "$tool" >/dev/null || { echo "detect.sh: needs $tool" >&2; exit 2; }
done


T0=$EPOCHREALTIME
log() { printf '[%5ss] %s\n' "$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%d", b-a}')" "$*" >&2; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", (b-a)*1000}'; }
median() { sort -g | awk '$1 ~ /^[0-9.]+$/ {a[++n]=$1} END{if(n==0){print "-";exit} if(n%2) v=a[(n+1)/2]; else v=(a[n/2]+a[n/2+1])/2; printf "%g\n", v}'; }

# Each section's own settings, saved in meta-SECTION.sh when it is measured
# and read back over meta.sh, so that a section re-measured alone (--into)
# and one kept from an earlier run are each described by their own.
declare -A SECTION_VARS=(
  [detect]="TRIALS EX_TRIALS CAP PLAIN_CAP_FACTOR REPLAYS FIX_TIMEOUT EX_TIMEOUT ROWS ROW_BUILD"
  [checks]="CHECKS" [fp]="FP_RUNS FP_TIMEOUT FP_TIMEOUT_DESC" [costs]="COST_RUNS OVER_RUNS")
declare -A SECTION_WHEN=()   # section -> "date, commit, load" of its measurement
# meta_files DIR: the settings files to source (at top level: their declares
# must stay global), meta.sh first
meta_files() {
  local sec
  echo "$1/meta.sh"
  for sec in detect checks fp costs; do [ -f "$1/meta-$sec.sh" ] && echo "$1/meta-$sec.sh"; done
  return 0
}
# save_section_meta SECTION WHEN > FILE: SECTION's settings as they are now
save_section_meta() {
  # shellcheck disable=SC2086
  declare -p ${SECTION_VARS[$1]}
  printf 'SECTION_WHEN[%s]=%q\n' "$1" "$2"
}

if [ -n "$REPORT_FROM" ]; then
  WORK=$(cd "$REPORT_FROM" && pwd) || exit 2
  [ -f "$WORK/meta.sh" ] || { echo "detect.sh: no meta.sh in $WORK" >&2; exit 2; }
  for f in $(meta_files "$WORK"); do . "$f"; done
  RUNS="$WORK/runs.tsv" TRI="$WORK/trials.tsv" REP="$WORK/replays.tsv" CHK="$WORK/checks.tsv" CAPS="$WORK/caps.tsv"
  [ -f "$CAPS" ] || : >"$CAPS"   # records from before per-mode caps: every cap was CAP
  FPF="$WORK/fp.tsv" COSTF="$WORK/cost.tsv" OVF="$WORK/over.tsv"
else

if [ -n "$INTO" ]; then
  WORK=$(cd "$INTO" 2>/dev/null && pwd) && [ -f "$WORK/meta.sh" ] ||
    { echo "detect.sh: --into $INTO: not a folder kept by --keep-work (no meta.sh)" >&2; exit 2; }
  KEEP_WORK=1
  rm -rf "$WORK/lab"   # a fresh snapshot below
  # a folder from before per-section settings: they are all in its meta.sh
  if [ "$(meta_files "$WORK" | wc -l)" = 1 ]; then
    for sec in detect checks fp costs; do
      ( . "$WORK/meta.sh"; save_section_meta "$sec" "$DATE_UTC, commit $SNAP, load $LOAD_START -> $LOAD_END" ) >"$WORK/meta-$sec.sh"
    done
  fi
else
  WORK=$(mktemp -d /tmp/racelab-detect.XXXXXX)
fi
cleanup() { if [ "$KEEP_WORK" = 1 ]; then echo "detect.sh: scratch kept in $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
# fresh SECTION FILE...: empty the FILEs when SECTION is measured now (or
# they do not exist yet); --into keeps the other sections' records.
fresh() {
  local sec=$1 f; shift
  for f in "$@"; do if want "$sec" || [ ! -e "$f" ]; then : >"$f"; fi; done
}
# INT or TERM: finish the current run, skip the rest, write the report of
# what was measured (marked as stopped early).
STOP=0
trap 'STOP=1' INT TERM
LAB="$WORK/lab"
mkdir -p "$LAB/bench" "$WORK/bin" "$WORK/cache"
# One consistent state: racelab, its runtime, the wrap list, the exercises and
# the solutions all from the committed tree (HEAD), built here. The working
# tree is shared and in flux: a runtime or wrap list half-way through a change
# makes every program fail to link. Only the fixtures come from the working
# tree.
SNAP=$(git -C "$ROOT" rev-parse --short HEAD)
git -C "$ROOT" archive "$SNAP" | tar -x -C "$LAB" || { echo "detect.sh: git archive failed" >&2; exit 3; }
rm -rf "$LAB/bench/fixtures"; cp -r "$ROOT/bench/fixtures" "$LAB/bench/fixtures"
if [ -z "$RL" ]; then
  echo "detect.sh: building racelab $SNAP in $WORK/build" >&2
  if ! { cmake -S "$LAB" -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
         cmake --build "$WORK/build" -j2 --target racelab rlrt; } >"$WORK/build.log" 2>&1; then
    echo "detect.sh: building racelab failed:" >&2; tail -20 "$WORK/build.log" >&2; exit 3
  fi
  RL="$WORK/build/harness/racelab"
fi
[ -x "$RL" ] || { echo "detect.sh: no racelab at $RL" >&2; exit 2; }
CC_BIN="${RACELAB_CC:-${CC:-cc}}"
export RACELAB_LAB="$LAB" RACELAB_STATE="$WORK/state" RACELAB_CACHE="$WORK/cache"
unset TSAN_OPTIONS ASAN_OPTIONS

FP_TIMEOUT_DESC="racelab's default: the exercise's timeout, else 10 s"
RUNS="$WORK/runs.tsv"        # row mode trial n seed det wall_ms kinds
TRI="$WORK/trials.tsv"       # row mode trial len found
REP="$WORK/replays.tsv"      # row mode seed ok kinds_orig kinds_replay
CAPS="$WORK/caps.tsv"        # row mode cap
fresh detect "$RUNS" "$TRI" "$REP" "$CAPS" "$WORK/errors.tsv"

# ---------------------------------------------------------------- rows
# name|target (for racelab)|build|run dir|oracle (okbug|stdout|test)|expected|timeout|args
ROWS=()
for f in lost_update lazy_init inversion cycle3 lost_wakeup late_free; do
  src="$LAB/bench/fixtures/$f.c"
  [ -f "$src" ] || continue
  b=tsan; [ "$f" = late_free ] && b=asan
  ROWS+=("fx:$f|$src|$b|$LAB/bench/fixtures|okbug||$FIX_TIMEOUT|")
done
ini() { sed -n "s/^$2[[:space:]]*=[[:space:]]*//p" "$1" | head -1; }
for d in "$LAB"/exercises/[0-9][0-9]-*/; do
  d=${d%/}; slug=${d##*/}; id=${slug%%-*}
  [ -f "$d/exercise.ini" ] || continue
  kind=$(ini "$d/exercise.ini" kind); oracle=$(ini "$d/exercise.ini" oracle)
  b=tsan; [ "$kind" = memory-error ] && b=asan
  exp=""; [ "$oracle" = stdout ] && exp="$d/$(ini "$d/exercise.ini" expected)"
  ROWS+=("ex:$slug|$id|$b|$d|$oracle|$exp|$EX_TIMEOUT|$(ini "$d/exercise.ini" args)")
done
if [ -n "$ONLY" ]; then
  kept=(); for r in "${ROWS[@]}"; do [[ "${r%%|*}" =~ $ONLY ]] && kept+=("$r"); done; ROWS=("${kept[@]}")
fi

# ---------------------------------------------------------------- plain builds and runs
plain_build() { # name src-or-dir build -> prints binary path
  local name=$1 what=$2 b=$3 out="$WORK/bin/${1//[:\/]/_}-$3" srcs=() extra=()
  if [ -d "$what" ]; then
    srcs=("$what"/*.c)
    grep -qs '^oracle *= *test' "$what/exercise.ini" && extra+=(-lcmocka)
  else
    srcs=("$what")
  fi
  if "$CC_BIN" -g -O1 -fno-omit-frame-pointer -pthread -fsanitize=$([ "$b" = asan ] && echo address || echo thread) \
      -I "$(dirname "${srcs[0]}")" "${srcs[@]}" -o "$out" "${extra[@]}" -luv -lpthread >"$WORK/cc.log" 2>&1; then
    echo "$out"
  else
    echo "detect.sh: plain build of $name failed:" >&2; head -5 "$WORK/cc.log" >&2
  fi
}

# plain_run bin dir oracle expected timeout args... ; sets DET WALL
plain_run() {
  local bin=$1 dir=$2 oracle=$3 exp=$4 to=$5 rc s; shift 5
  s=$EPOCHREALTIME
  ( cd "$dir" && TSAN_OPTIONS=exitcode=66 ASAN_OPTIONS=exitcode=66:detect_leaks=0 \
      exec timeout -k 1 "$to" "$bin" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null )
  rc=$?
  WALL=$(ms_since "$s")
  DET=0; KINDS=ok
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then DET=1; KINDS=hang
  elif grep -qE 'Sanitizer|WARNING: ThreadSanitizer' "$WORK/err"; then DET=1; KINDS=report
  elif [ "$rc" -ge 128 ]; then DET=1; KINDS=crash
  elif [ "$rc" != 0 ]; then DET=1; KINDS=exit$rc
  elif [ "$oracle" = okbug ]; then [ "$(cat "$WORK/out")" = OK ] || { DET=1; KINDS=wrong; }
  elif [ "$oracle" = stdout ]; then cmp -s "$WORK/out" "$exp" || { DET=1; KINDS=wrong; }
  fi
}

# rl_json args... -> racelab's JSON on stdout (retries if racelab cannot start)
rl_json() {
  local try j
  for try in 1 2 3; do
    j=$(cd "$LAB" && "$RL" "$@" --format json 2>"$WORK/rl.err")
    if [[ $j == "{"*'"verdict"'* ]]; then printf '%s\n' "$j"; return 0; fi
    sleep 2
  done
  echo "detect.sh: racelab $* failed: $(head -c 300 "$WORK/rl.err")" >&2
  echo '{"verdict":"error","runs":0,"elapsed_ms":0,"findings":[]}'
}

# racelab picks a run's mode from its seed: off, random, pct for seed % 3 ==
# 0, 1, 2 (harness/run.c). mode_seed MODE K -> the K-th seed (K >= 0) of MODE.
mode_seed() {
  local r=1; [ "$1" = pct ] && r=2
  echo $(( 1002 + 3 * $2 + r ))
}

# rl_run target build seed timeout ; sets DET (1, 0, or E: racelab could not
# build or run it) WALL KINDS MODES (the modes racelab's findings name)
rl_run() {
  local j
  j=$(rl_json check "$1" --runs 1 --seed "$3" --build "$2" --timeout "$4")
  read -r DET KINDS WALL MODES < <(jq -r '([.findings[]|select(.kind!="build-error")|.kind]|unique) as $k
      | ([.findings[].mode // empty]|unique|join(",")) as $m
      | if .verdict=="error" or any(.findings[]; .kind=="build-error") then "E build-error \(.elapsed_ms) -"
        else "\(if ($k|length)>0 then 1 else 0 end) \(if ($k|length)>0 then ($k|join(",")) else "ok" end) \(.elapsed_ms) \(if $m=="" then "-" else $m end)" end' <<<"$j")
}

# ---------------------------------------------------------------- trials
run_trials() { # row-name mode cap target build dir oracle exp timeout args...
  local name=$1 mode=$2 cap=$3 target=$4 b=$5 dir=$6 oracle=$7 exp=$8 to=$9; shift 9
  local t n found capped=0 seed k=0 trials=$TRIALS
  printf '%s\t%s\t%d\n' "$name" "$mode" "$cap" >>"$CAPS"
  [[ $name == ex:* ]] && trials=$EX_TRIALS
  local half=$(( trials / 2 ))
  for (( t = 1; t <= trials; t++ )); do
    found=0
    for (( n = 1; n <= cap; n++ )); do
      [ "$STOP" = 1 ] && return
      case $mode in
        plain) seed=0; plain_run "$PLAIN_BIN" "$dir" "$oracle" "$exp" "$to" "$@" ;;
        random|pct) seed=$(mode_seed "$mode" "$k"); rl_run "$target" "$b" "$seed" "$to" ;;
      esac
      k=$(( k + 1 ))
      if [ "$DET" = E ]; then   # not a measurement: say so in the table
        printf '%s\t%s\n' "$name" "$mode" >>"$WORK/errors.tsv"
        log "$name $mode: racelab could not build or run it (seed $seed); mode skipped"
        return
      fi
      if [ "$mode" != plain ] && [ "$DET" = 1 ] && [ "$MODES" != "$mode" ]; then
        echo "detect.sh: seed $seed ran in mode $MODES, not $mode: racelab's seed-to-mode rule changed; fix mode_seed" >&2
        exit 3
      fi
      printf '%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n' "$name" "$mode" "$t" "$n" "$seed" "$DET" "$WALL" "$KINDS" >>"$RUNS"
      if [ "$DET" = 1 ]; then found=1; break; fi
    done
    if [ $found = 1 ]; then printf '%s\t%s\t%d\t%d\t1\n' "$name" "$mode" "$t" "$n" >>"$TRI"
    else printf '%s\t%s\t%d\t%d\t0\n' "$name" "$mode" "$t" $(( cap + 1 )) >>"$TRI"; capped=$(( capped + 1 )); fi
    # more than half the trials capped: the median is "> cap" whatever follows
    if [ $capped -gt $half ]; then break; fi
  done
}

# plain_cap ROW: the plain trials' cap, max(CAP, PLAIN_CAP_FACTOR x the better
# racelab median of ROW), so that a plain median past it still proves the
# issue's 10x speed-up and one below it measures the ratio: either way the
# 10x target is decided, not left at ">CAP / med". At most FACTOR x CAP.
plain_cap() {
  local m best=""
  for m in random pct; do
    local v; v=$(awk -F'\t' -v r="$1" -v m="$m" '$1==r && $2==m {print $4}' "$TRI" | median)
    [ "$v" = - ] && continue
    awk -v v="$v" -v c="$CAP" 'BEGIN{exit !(v <= c)}' || continue
    if [ -z "$best" ] || awk -v v="$v" -v b="$best" 'BEGIN{exit !(v < b)}'; then best=$v; fi
  done
  awk -v b="${best:-0}" -v c="$CAP" -v f="$PLAIN_CAP_FACTOR" 'BEGIN{x=b*f; x=(x==int(x))?x:int(x)+1; print (x>c)?x:c}'
}

declare -A ROW_BUILD ROW_TARGET ROW_TO
log "racelab $RL; snapshot $SNAP; ${#ROWS[@]} rows; T=$TRIALS cap=$CAP"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for r in "${ROWS[@]}"; do
  skip_section detect && break
  IFS='|' read -r name target b dir oracle exp to args <<<"$r"
  ROW_BUILD[$name]=$b; ROW_TARGET[$name]=$target; ROW_TO[$name]=$to
  read -ra argv <<<"$args"
  if [[ $name == fx:* ]]; then PLAIN_BIN=$(plain_build "$name" "$target" "$b")
  else PLAIN_BIN=$(plain_build "$name" "$dir" "$b"); fi
  # warm racelab's build cache so no trial pays for a compile
  rl_json check "$target" --runs 1 --seed 3 --build "$b" --timeout "$to" >/dev/null
  log "$name ($b): random, pct, then plain"
  # interleave the modes trial by trial would be fairer against drift, but a
  # trial's length depends on its own results; the modes run back to back.
  run_trials "$name" random "$CAP" "$target" "$b" "$dir" "$oracle" "$exp" "$to" "${argv[@]}"
  run_trials "$name" pct "$CAP" "$target" "$b" "$dir" "$oracle" "$exp" "$to" "${argv[@]}"
  if [ -n "$PLAIN_BIN" ]; then
    run_trials "$name" plain "$(plain_cap "$name")" "$target" "$b" "$dir" "$oracle" "$exp" "$to" "${argv[@]}"
  fi
  # replay: `racelab run TARGET --seed S --build B` for seeds that found something
  for mode in random pct; do
    awk -F'\t' -v r="$name" -v m="$mode" '$1==r && $2==m && $6==1 {print $5"\t"$8}' "$RUNS" | head -n "$REPLAYS" |
      while IFS=$'\t' read -r seed kinds; do
        [ "$STOP" = 1 ] && break
        j=$(rl_json run "$target" --runs 1 --seed "$seed" --build "$b" --timeout "$to")
        got=$(jq -r '[.findings[]|select(.kind!="build-error")|.kind]|unique|join(",")' <<<"$j")
        ok=$(awk -v a="$kinds" -v b="$got" 'BEGIN{n=split(a,x,",");m=split(b,y,",");for(i=1;i<=n;i++)for(k=1;k<=m;k++)if(x[i]==y[k]){print 1;exit} print 0}')
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mode" "$seed" "$ok" "$kinds" "${got:-none}" >>"$REP"
      done
  done
done

# ---------------------------------------------------------------- per-run cost and runtime overhead
COSTF="$WORK/cost.tsv"; fresh costs "$COSTF"   # label fresh_stock fresh_sym0 racelab_per_run racelab_no_fork_server_per_run
OVF="$WORK/over.tsv"; fresh costs "$OVF"       # label plain rt_off rt_off_log
TSAN_RL_OPTS="symbolize=0:exitcode=66:halt_on_error=0:detect_deadlocks=1:second_deadlock_stack=1:history_size=4:report_thread_leaks=1:report_signal_unsafe=1:io_sync=1"
ASAN_RL_OPTS="symbolize=0:exitcode=66:detect_leaks=0:handle_abort=1:allow_user_segv_handler=0"
timed() { # env... -- cmd... ; prints wall ms
  local s=$EPOCHREALTIME
  env "$@" >/dev/null 2>&1 </dev/null
  ms_since "$s"
}
cost_row() { # label dir binary target build args...
  # three rounds, each: fresh stock runs, fresh symbolize=0 runs, one racelab
  # check of the same number of runs (forked from its fork server), and one
  # with --no-fork-server; back to back so that load drift hits all
  local label=$1 dir=$2 bin=$3 target=$4 b=$5 i round per=$(( (COST_RUNS + 2) / 3 )) a=() s0=() j e r
  local el=0 nr=0 elf=0 nrf=0; shift 5
  for (( round = 0; round < 3; round++ )); do
    for (( i = 0; i < per; i++ )); do
      a+=("$(cd "$dir" && timed TSAN_OPTIONS=exitcode=66 ASAN_OPTIONS=exitcode=66:detect_leaks=0 timeout 10 "$bin" "$@")")
      s0+=("$(cd "$dir" && timed TSAN_OPTIONS=exitcode=66:symbolize=0 ASAN_OPTIONS=exitcode=66:detect_leaks=0:symbolize=0 timeout 10 "$bin" "$@")")
    done
    j=$(rl_json check "$target" --runs "$per" --keep-going --seed $(( 1 + round * per )) --build "$b" --timeout "$FP_TIMEOUT")
    read -r e r < <(jq -r '"\(.elapsed_ms) \(.runs)"' <<<"$j")
    el=$(( el + e )); nr=$(( nr + r ))
    j=$(rl_json check "$target" --runs "$per" --keep-going --seed $(( 1 + round * per )) --build "$b" --timeout "$FP_TIMEOUT" --no-fork-server)
    read -r e r < <(jq -r '"\(.elapsed_ms) \(.runs)"' <<<"$j")
    elf=$(( elf + e )); nrf=$(( nrf + r ))
  done
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$(printf '%s\n' "${a[@]}" | median)" "$(printf '%s\n' "${s0[@]}" | median)" \
    "$(awk -v e="$el" -v n="$nr" 'BEGIN{ if (n>0) printf "%.1f", e/n; else print "-" }')" \
    "$(awk -v e="$elf" -v n="$nrf" 'BEGIN{ if (n>0) printf "%.1f", e/n; else print "-" }')" >>"$COSTF"
}
want costs && log "per-run cost and runtime overhead"
for c in "$LAB"/bench/fixtures/clean_*.c; do
  skip_section costs && break
  [ -f "$c" ] || continue
  n=$(basename "$c" .c); b=tsan; [ "$n" = clean_late_free ] && b=asan
  [ -n "$ONLY" ] && ! [[ "fx:${n#clean_}" =~ $ONLY ]] && continue
  pb=$(plain_build "fx:$n" "$c" "$b"); [ -n "$pb" ] || continue
  rl_json check "$c" --runs 1 --build "$b" --timeout "$FIX_TIMEOUT" >/dev/null   # puts the runtime build in the cache
  rb=$(ls -t "$RACELAB_CACHE"/*-"$b"/"$n" 2>/dev/null | head -1)
  [ -n "$rb" ] || continue
  [ "$n" = clean_lost_update ] && cost_row "fixtures/$n.c (clean, no report)" "$LAB/bench/fixtures" "$pb" "$c" "$b"
  opts="TSAN_OPTIONS=$TSAN_RL_OPTS"; [ "$b" = asan ] && opts="ASAN_OPTIONS=$ASAN_RL_OPTS"
  p=(); o=(); l=()
  for (( i = 0; i < OVER_RUNS; i++ )); do
    p+=("$(timed "$opts" timeout 10 "$pb")")
    o+=("$(timed "$opts" RLRT_MODE=off timeout 10 "$rb")")
    l+=("$(timed "$opts" RLRT_MODE=off RLRT_LOG="$WORK/ovlog" timeout 10 "$rb")")
    rm -f "$WORK"/ovlog.*
  done
  printf '%s\t%s\t%s\t%s\n' "fixtures/$n.c ($b)" "$(printf '%s\n' "${p[@]}" | median)" \
    "$(printf '%s\n' "${o[@]}" | median)" "$(printf '%s\n' "${l[@]}" | median)" >>"$OVF"
done
# a program that reports on every run: exercise 01 under TSan
for r in "${ROWS[@]}"; do
  skip_section costs && break
  IFS='|' read -r name target b dir oracle exp to args <<<"$r"
  [ "$name" = ex:01-hit-counter ] || continue
  pb=$(plain_build "$name" "$dir" tsan); read -ra argv <<<"$args"
  [ -n "$pb" ] && cost_row "exercises/01-hit-counter (a race report every run)" "$dir" "$pb" "$target" tsan "${argv[@]}"
done
# ---------------------------------------------------------------- default checks of exercises
CHK="$WORK/checks.tsv"; fresh checks "$CHK"   # slug i found elapsed kinds
for r in "${ROWS[@]}"; do
  skip_section checks && break
  IFS='|' read -r name target b dir oracle exp to args <<<"$r"
  [[ $name == ex:* ]] || continue
  log "$name: $CHECKS default checks"
  for (( i = 1; i <= CHECKS; i++ )); do
    [ "$STOP" = 1 ] && break
    j=$(rl_json check "$target")
    printf '%s\t%d\t%s\n' "$name" "$i" "$(jq -r '([.findings[]|select(.kind!="build-error")|.kind]|unique) as $k
      | "\(if any(.findings[]; .kind=="build-error") or .verdict=="error" then "E" elif ($k|length)>0 then 1 else 0 end)\t\(.elapsed_ms)\t\(.runs)\t\(if ($k|length)>0 then ($k|join(",")) else "-" end)"' <<<"$j")" >>"$CHK"
  done
done

# ---------------------------------------------------------------- false positives
FPF="$WORK/fp.tsv"; fresh fp "$FPF"   # what runs findings elapsed kinds verdict jittered
fp_check() { # label racelab-args...
  local label=$1 j; shift
  j=$(rl_json check "$@" --runs "$FP_RUNS" --keep-going --seed 1)
  # jittered: seeds 1..R per build, seed % 3 == 0 runs with the jitter off
  printf '%s\t%s\n' "$label" "$(jq -r '(.runs_per_build // 0) as $r
    | "\(.runs)\t\([.findings[].count]|add // 0)\t\(.elapsed_ms)\t\([.findings[].kind]|unique|join(",")|if .=="" then "-" else . end)\t\(.verdict)\t\(if $r > 0 then (.runs / $r | floor) * ($r - ($r / 3 | floor)) else 0 end)"' <<<"$j")" >>"$FPF"
}
if [ "$FP_RUNS" -gt 0 ]; then
  for s in "$LAB"/solutions/[0-9][0-9]-*/; do
    skip_section fp && break
    s=${s%/}; slug=${s##*/}
    [ -d "$LAB/exercises/$slug" ] || continue
    [ -n "$ONLY" ] && ! [[ "ex:$slug" =~ $ONLY ]] && continue
    log "false positives: solutions/$slug ($FP_RUNS runs per build)"
    fp_check "solutions/$slug" "${slug%%-*}" --against "$LAB/solutions/$slug"
  done
  for c in "$LAB"/bench/fixtures/clean_*.c; do
    skip_section fp && break
    [ -f "$c" ] || continue
    n=$(basename "$c" .c)
    [ -n "$ONLY" ] && ! [[ "fx:${n#clean_}" =~ $ONLY ]] && continue
    log "false positives: fixtures/$n.c ($FP_RUNS runs per build)"
    fp_check "fixtures/$n.c" "$c"
  done
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
TOTAL_S=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%d", b-a}')
DATE_UTC=$(date -u '+%Y-%m-%d %H:%M UTC')
# what --report-from needs to write the report again: each section measured
# now gets its own settings file; meta.sh holds this invocation's
for sec in detect checks fp costs; do
  want "$sec" && save_section_meta "$sec" "$DATE_UTC, commit $SNAP, load $LOAD_START -> $LOAD_END$([ "$STOP" = 1 ] && echo ", stopped early")" >"$WORK/meta-$sec.sh"
done
declare -p SECTIONS QUICK TRIALS EX_TRIALS CAP PLAIN_CAP_FACTOR FP_RUNS CHECKS REPLAYS COST_RUNS OVER_RUNS FIX_TIMEOUT EX_TIMEOUT FP_TIMEOUT \
  SNAP LOAD_START LOAD_END TOTAL_S ROWS ROW_BUILD STOP CC_BIN DATE_UTC FP_TIMEOUT_DESC >"$WORK/meta.sh"
for f in $(meta_files "$WORK"); do . "$f"; done   # with --into: the kept sections' settings
fi

# ---------------------------------------------------------------- report
report() {
  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1)
  echo "# racelab detection benchmark (issue 3)"
  echo
  echo "Produced by \`bench/detect.sh$([ "$QUICK" = 1 ] && echo " --quick")\`; what the figures mean: bench/README.md."
  echo
  [ "$STOP" = 1 ] && echo "**Stopped early (INT/TERM): the sections below hold only what was measured before the stop.**" && echo
  echo "- date: $DATE_UTC; took ${TOTAL_S} s"
  local sec
  for sec in detect checks fp costs; do
    [ -n "${SECTION_WHEN[$sec]:-}" ] && echo "- section $sec measured: ${SECTION_WHEN[$sec]}"
  done
  for note in "${NOTES[@]}"; do echo "- note: $note"; done
  [ -n "$REPORT_FROM" ] && echo "- this report was written again on $(date -u '+%Y-%m-%d %H:%M UTC') with \`--report-from\` from the per-run records of that run (nothing re-measured)"
  echo "- machine: $(nproc) CPUs ($cpu), $(uname -sr); load average at start $LOAD_START, at end $LOAD_END (the machine is shared)"
  echo "- compilers: cc = $(readlink -f "$(command -v "$CC_BIN")") ($("$CC_BIN" --version | head -1)); clang: $(clang --version 2>/dev/null | head -1 || echo none)"
  echo "- racelab: commit $SNAP, built from a snapshot of that commit together with its runtime, exercises and solutions (the fixtures from the working tree)"
  echo "- trials: T=$TRIALS per fixture and mode, $EX_TRIALS per exercise and mode; a trial stops at the first detection or after its cap: CAP=$CAP runs for random and pct, max(CAP, $PLAIN_CAP_FACTOR x the better racelab median of the row) for plain (the plain cap column); per-run timeout ${FIX_TIMEOUT} s (fixtures), ${EX_TIMEOUT} s (exercises), ${FP_TIMEOUT_DESC:-${FP_TIMEOUT} s} (false-positive checks); at most $REPLAYS replays per row and mode"
  echo
  echo "## Detection"
  echo
  echo "p = runs that detected / runs; med = median runs to the first detection over the trials (\">C\": more than half the trials hit the cap of C runs); plain cap = the plain trials' cap, max(CAP, $PLAIN_CAP_FACTOR x the better racelab med), so that the 10x target is decided either way; ms = median wall ms per run (a hung run counts at its timeout); x = racelab ms / plain ms; p ratio = the better racelab p / plain p (when plain found nothing: a lower bound, as if it had found once); replay = found seeds re-run with \`racelab run TARGET --seed S --runs 1 --build B\`: how many showed the same kind of finding / any finding / how many were tried."
  echo
  echo "| row | build | plain p | plain med | plain cap | random p | random med | pct p | pct med | plain ms | random ms (x) | pct ms (x) | speed-up (plain med / best racelab med) | p ratio (best racelab p / plain p) | replay (same kind / any finding / tried) | racelab finds |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do
    local name=${r%%|*}
    [ -n "${ROW_BUILD[$name]:-}" ] || continue
    awk -F'\t' -v r="$name" -v CAP="$CAP" -v b="${ROW_BUILD[$name]}" '
      FILENAME ~ /caps\.tsv$/ && $1==r { capof[$2]=$3 }
      FILENAME ~ /runs\.tsv$/ && $1==r { n[$2]++; d[$2]+=$6; w[$2, n[$2]]=$7; if ($6==1 && $2!="plain") { split($8,kk,","); for (i in kk) kinds[kk[i]]=1 } }
      FILENAME ~ /trials\.tsv$/ && $1==r { t[$2]++; len[$2, t[$2]]=$4 }
      FILENAME ~ /replays\.tsv$/ && $1==r { rn++; rok+=$4; rany+=($6!="none") }
      FILENAME ~ /errors\.tsv$/ && $1==r { err[$2]=1 }
      function med(arr, m, cnt,   i, j, x, v) {
        for (i=1;i<=cnt;i++) v[i]=arr[m,i]
        for (i=2;i<=cnt;i++) { x=v[i]; for (j=i-1;j>=1 && v[j]>x;j--) v[j+1]=v[j]; v[j+1]=x }
        if (cnt==0) return ""
        return (cnt%2) ? v[(cnt+1)/2] : (v[cnt/2]+v[cnt/2+1])/2
      }
      function pp(m) { if (m in err) return "racelab build error"; return n[m] ? sprintf("%.0f%% (%d/%d)", 100*d[m]/n[m], d[m], n[m]) : "-" }
      function cap(m) { return (m in capof) ? capof[m] : CAP }
      function mm(m,   v) { if (!t[m]) return "-"; v=med(len, m, t[m]); return v>cap(m) ? ">" cap(m) : sprintf("%g", v) }
      function ww(m) { return n[m] ? med(w, m, n[m]) : "" }
      END {
        pm=ww("plain"); rm=ww("random"); qm=ww("pct")
        mp=t["plain"] ? med(len,"plain",t["plain"]) : ""; mr=t["random"] ? med(len,"random",t["random"]) : ""; mq=t["pct"] ? med(len,"pct",t["pct"]) : ""
        best=mr; if (mq!="" && (best=="" || mq<best)) best=mq
        if (mp=="" || best=="") su="-"
        else if (best>CAP && mp>cap("plain")) su="neither found"
        else if (best>CAP) su="racelab worse"
        else if (mp>cap("plain")) su=sprintf(">%.1fx", cap("plain")/best)
        else su=sprintf("%.1fx", mp/best)
        bp=-1; if (n["random"]) bp=d["random"]/n["random"]; if (n["pct"] && d["pct"]/n["pct"]>bp) bp=d["pct"]/n["pct"]
        if (bp<0 || !n["plain"]) pr="-"; else if (bp==0) pr="0"; else if (d["plain"]==0) pr=sprintf(">%.0fx", bp*n["plain"]); else pr=sprintf("%.1fx", bp/(d["plain"]/n["plain"]))
        ks=""; for (kn in kinds) ks = ks (ks==""?"":", ") kn
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r, b,
          pp("plain"), mm("plain"), t["plain"] ? cap("plain") : "-", pp("random"), mm("random"), pp("pct"), mm("pct"),
          pm=="" ? "-" : sprintf("%.0f", pm),
          rm=="" ? "-" : sprintf("%.0f (%s)", rm, pm>0 ? sprintf("%.2f", rm/pm) : "-"),
          qm=="" ? "-" : sprintf("%.0f (%s)", qm, pm>0 ? sprintf("%.2f", qm/pm) : "-"),
          su, pr, rn ? sprintf("%d / %d / %d", rok, rany, rn) : "-", ks=="" ? "-" : ks
      }' "$CAPS" "$RUNS" "$TRI" "$REP" "$WORK/errors.tsv"
  done
  echo
  if [ -s "$CHK" ]; then
    echo "## Default \`racelab check N\` of each buggy exercise"
    echo
    echo "Each invocation is a plain \`racelab check N --format json\` (its default run budget and seed, both builds); found = verdict fail with a finding."
    echo
    echo "| exercise | found | median elapsed ms | median runs used | kinds |"
    echo "|---|---|---|---|---|"
    awk -F'\t' '{n[$1]++; if ($3=="E") { be[$1]++; next } f[$1]+=$3; e[$1]=e[$1] " " $4; u[$1]=u[$1] " " $5; if ($6!="-") k[$1]=$6}
      END { for (r in n) print r "\t" f[r]+0 "\t" n[r] "\t" (r in e ? e[r] : "-") "\t" (r in u ? u[r] : "-") "\t" (r in k ? k[r] : "-") (r in be ? " (racelab build error in " be[r] ")" : "") }' \
      <(awk -F'\t' '{print $1"\t"$2"\t"$3"\t"$4"\t"$5"\t"$6}' "$CHK") | sort |
      while IFS=$'\t' read -r r f n e u k; do
        printf '| %s | %d/%d (%.0f%%) | %s | %s | %s |\n' "${r#ex:}" "$f" "$n" "$(awk -v a="$f" -v b="$n" 'BEGIN{print 100*a/b}')" \
          "$(tr ' ' '\n' <<<"$e" | grep . | median)" "$(tr ' ' '\n' <<<"$u" | grep . | median)" "$k"
      done
    echo
  fi
  if [ -s "$FPF" ]; then
    local total_runs total_fp
    total_runs=$(awk -F'\t' '{s+=$2} END{print s+0}' "$FPF"); total_fp=$(awk -F'\t' '{s+=$3} END{print s+0}' "$FPF")
    echo "## False positives"
    echo
    echo "\`racelab check TARGET --runs $FP_RUNS --keep-going --seed 1\` over every solution (with \`--against\`) and every clean fixture: both builds, so $((2 * FP_RUNS)) runs each, seeds 1..$FP_RUNS, modes rotating off/random/pct by seed % 3 (jittered = the random and pct runs). Total: **$total_fp findings in $total_runs runs**."
    echo
    echo "| target | runs | jittered runs | findings | ms per run | kinds | verdict |"
    echo "|---|---|---|---|---|---|---|"
    awk -F'\t' '{printf "| %s | %d | %s | %d | %.1f | %s | %s |\n", $1, $2, ($7=="" ? "-" : $7), $3, ($2>0 ? $4/$2 : 0), $5, $6}' "$FPF"
    echo
  fi
  if [ -s "$COSTF" ]; then
    echo "## Per-run cost: a fresh TSan process vs racelab's run"
    echo
    echo "Fresh = the plain TSan binary (no runtime) started $COST_RUNS times, median wall ms, stock options and with symbolize=0; racelab = total elapsed_ms / runs of three \`racelab check --runs N --keep-going --build tsan\` (N = COST_RUNS/3, each after a third of the fresh runs; build cached; includes racelab's supervision, log parsing and symbolisation), with its fork server (the default: the program starts once per check, each run is a forked child) and with \`--no-fork-server\` (each run a fresh process). Target: fresh stock / racelab >= 4."
    echo
    echo "| program | fresh TSan, stock | fresh TSan, symbolize=0 | racelab per run | racelab, fork server off | fresh stock / racelab | fresh stock / racelab, server off |"
    echo "|---|---|---|---|---|---|---|"
    awk -F'\t' '{printf "| %s | %.1f | %.1f | %s | %s | %.2fx | %s |\n", $1, $2, $3, $4, ($5=="" ? "-" : $5), ($4>0 ? $2/$4 : 0), ($5>0 ? sprintf("%.2fx", $2/$5) : "-")}' "$COSTF"
    echo
  fi
  if [ -s "$OVF" ]; then
    echo "## Runtime overhead"
    echo
    echo "The same clean program, $OVER_RUNS runs each, interleaved, median wall ms, racelab's sanitizer options (symbolize=0): built without the runtime vs racelab's cached build (runtime linked, -Wl,--wrap) run with RLRT_MODE=off, without and with the event log (RLRT_LOG, as racelab runs it)."
    echo
    echo "| program | no runtime | runtime, off | ratio | runtime, off + log | ratio |"
    echo "|---|---|---|---|---|---|"
    awk -F'\t' '{printf "| %s | %.1f | %.1f | %.2fx | %.1f | %.2fx |\n", $1, $2, $3, $3/$2, $4, $4/$2}' "$OVF"
    echo
  fi
  summary
}

# The issue's targets, computed from the same records (no judgement added).
summary() {
  echo "## Issue 3 targets, from the figures above"
  echo
  if [ -s "$CHK" ]; then
    awk -F'\t' '{n++; if ($3==1) f++; else miss[$1]++} END{
      printf "- default `racelab check N` finds the bug in >= 99%% of invocations: %d/%d invocations found it (%.1f%%)", f, n, n ? 100*f/n : 0
      m=""; for (r in miss) m = m (m==""?"":", ") substr(r,4) " " miss[r]
      print (m=="" ? "" : "; missed: " m) }' "$CHK"
  fi
  # rare = plain found the bug in at most 10% of its runs
  awk -F'\t' -v CAP="$CAP" '
    FILENAME ~ /caps\.tsv$/ { capof[$1,$2]=$3 }
    FILENAME ~ /runs\.tsv$/ { n[$1,$2]++; d[$1,$2]+=$6; rows[$1]=1 }
    FILENAME ~ /trials\.tsv$/ { t[$1,$2]++; len[$1,$2,t[$1,$2]]=$4 }
    function med(r, m,   c, i, j, x, v) { c=t[r,m]; if (!c) return -1
      for (i=1;i<=c;i++) v[i]=len[r,m,i]
      for (i=2;i<=c;i++) { x=v[i]; for (j=i-1;j>=1 && v[j]>x;j--) v[j+1]=v[j]; v[j+1]=x }
      return (c%2) ? v[(c+1)/2] : (v[c/2]+v[c/2+1])/2 }
    function cap(r, m) { return ((r,m) in capof) ? capof[r,m] : CAP }
    END { met=0; tot=0; s=""
      for (r in rows) { if (!n[r,"plain"] || d[r,"plain"]/n[r,"plain"] > 0.10) continue
        tot++; mp=med(r,"plain"); b=med(r,"random"); q=med(r,"pct"); if (b<0 || (q>=0 && q<b)) b=q
        pc=cap(r,"plain")
        # plain past its cap proves the target only if the cap is >= 10x b
        ok = (b>=0 && b<=CAP && ((mp<=pc && mp>=10*b) || (mp>pc && pc>=10*b)))
        und = (b>=0 && b<=CAP && mp>pc && pc<10*b)
        met+=ok
        s = s sprintf("%s%s: plain med %s, best racelab med %s (%s)", s==""?"":"; ", substr(r,4), mp>pc?">" pc:mp, b>CAP||b<0?">" CAP:b, ok?"met":(und?"undecided: plain cap too low":"not met")) }
      printf "- rare bugs (plain p <= 10%%), median runs to detection at least 10x fewer: met in %d of %d rows: %s\n", met, tot, s }' "$CAPS" "$RUNS" "$TRI"
  if [ -s "$OVF" ]; then
    awk -F'\t' '{r=$4/$2; if (r>mx) {mx=r; w=$1}} END{printf "- runtime overhead <= 1.3x (off + event log, as racelab runs it): worst %.2fx (%s)\n", mx, w}' "$OVF"
  fi
  if [ -s "$COSTF" ]; then
    awk -F'\t' '{s = s sprintf("%s%s %.2fx", s==""?"":"; ", $1, ($4>0 ? $2/$4 : 0))} END{printf "- repeated runs >= 4x cheaper than fresh TSan processes (fresh stock / racelab per run): %s\n", s}' "$COSTF"
  fi
  if [ -s "$FPF" ]; then
    awk -F'\t' '{r+=$2; f+=$3; n++; if ($7=="") unknown=1; else if (min=="" || $7+0<min) min=$7+0}
      END{printf "- zero false positives: %s, %d findings in %d runs over %d targets (%s); at least 1000 jittered runs per target: %s\n", f ? "not met" : "met", f, r, n,
        unknown ? "jittered runs not recorded" : sprintf("fewest jittered runs of a target: %d", min),
        unknown ? "unknown" : (min>=1000 ? "met" : "not met")}' "$FPF"
  fi
  echo
}
report | tee "$WORK/report.md"
if [ -n "$OUT" ]; then cp "$WORK/report.md" "$OUT" && log "written $OUT"; fi
