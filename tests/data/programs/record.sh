#!/bin/sh
# Re-records the sanitizer logs in ../tsan and ../asan from the programs in
# this folder, with gcc and clang, symbolize=0 and =1, using the same flags
# and options racelab uses. Run from anywhere:
#   sh tests/data/programs/record.sh [PROGRAM...]   (default: all of them)
# Re-recording changes pids, temp paths and possibly which thread a race
# report names first, so re-check the unit tests' expectations afterwards.
set -u
here=$(cd "$(dirname "$0")" && pwd)
data=$(dirname "$here")
work=$(mktemp -d /tmp/rl_record.XXXXXX)
trap 'rm -rf "$work"' EXIT

tsan_progs="counter_race heap_race_locked lock_order lock_cycle3 thread_leak unlock_unlocked uaf_threads fork_threads stack_race null_deref destroy_locked atomic_mixed thread_leaks"
asan_progs="uaf_threads heap_overflow double_free null_deref leak stack_scope global_overflow"
# wanted PROG: true if PROG was named on the command line, or none was.
wanted() {
  [ -z "$only" ] && return 0
  case " $only " in *" $1 "*) return 0 ;; esac
  return 1
}
only="$*"

# record SAN CC PROG [TAG EXTRA]: build PROG with CC and sanitizer SAN, run
# it with symbolize=0 and =1; TAG names a variant run with EXTRA options.
record() {
  san=$1 cc=$2 prog=$3 tag=${4:-} extra=${5:-}
  mkdir -p "$work/$cc"
  bin="$work/$cc/$prog"
  "$cc" -g -O1 -fno-omit-frame-pointer -fsanitize="$san" -pthread \
    -o "$bin" "$here/$prog.c" || exit 1
  for sym in 0 1; do
    rm -f "$work/log".*
    if [ "$san" = thread ]; then
      TSAN_OPTIONS="symbolize=$sym:log_path=$work/log:detect_deadlocks=1:second_deadlock_stack=1:halt_on_error=0:history_size=4$extra" \
        "$bin" >/dev/null 2>&1
      out="$data/tsan/$prog$tag.$cc.sym$sym.log"
    else
      ASAN_OPTIONS="symbolize=$sym:log_path=$work/log:detect_leaks=1$extra" \
        "$bin" >/dev/null 2>&1
      out="$data/asan/$prog$tag.$cc.sym$sym.log"
    fi
    # No log: this compiler's build did not show the bug; record nothing.
    cat "$work/log".* > "$out" 2>/dev/null || rm -f "$out"
  done
}

for cc in gcc clang; do
  for p in $tsan_progs; do wanted "$p" && record thread "$cc" "$p"; done
  # Without second_deadlock_stack TSan prints a "Hint:" line instead.
  wanted lock_order && record thread "$cc" lock_order .nosecond :second_deadlock_stack=0
  for p in $asan_progs; do wanted "$p" && record address "$cc" "$p"; done
  wanted abort_thread && record address "$cc" abort_thread "" :handle_abort=1
done
