#!/bin/sh
# Re-records the runtime logs in this folder from tests/fixtures/runtime,
# built with gcc TSan and the runtime as racelab links them. Hanging
# fixtures get the dump signal after 300 ms. Usage, from anywhere:
#   sh tests/data/rlrt/record.sh path/to/librlrt.a
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
lib=${1:?path to librlrt.a}
work=$(mktemp -d /tmp/rl_rlrt_record.XXXXXX)
trap 'rm -rf "$work"' EXIT

progs="lock_inversion lock_cycle3 lock_helper deadlock_abba self_relock
lost_wakeup join_cycle rwlock_upgrade sync_misuse clean_locks"
hangs=" deadlock_abba self_relock lost_wakeup join_cycle rwlock_upgrade "

for p in $progs; do
  bin="$work/$p"
  gcc -fsanitize=thread -g -O1 -fno-omit-frame-pointer \
    -o "$bin" "$root/tests/fixtures/runtime/$p.c" "$lib" \
    @"$root/harness/runtime/wrap.rsp" -lunwind -luv -lpthread || exit 1
  TSAN_OPTIONS="symbolize=0:report_bugs=0" RLRT_LOG="$work/log" \
    RLRT_MODE=off "$bin" >/dev/null 2>&1 &
  pid=$!
  case "$hangs" in
  *" $p "*)
    sleep 0.3
    kill -URG "$pid"
    sleep 0.1
    kill -KILL "$pid" ;;
  esac
  wait "$pid"
  cat "$work/log.$pid" > "$here/$p.log"
  rm -f "$work"/log.*
done
