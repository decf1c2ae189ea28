#!/usr/bin/env bash
# costs.sh - measure what the basic concurrency operations cost on this
# machine and write the table to bench/COSTS.md (also printed on stdout).
#
# Each program in bench/costs/ times one operation 1000 times (after a
# warm-up) and prints its median and 90th percentile in microseconds. They
# are built with gcc -O2 (plain) and gcc -O1 -fsanitize=thread (the build
# racelab runs learners' programs in), and run one after another, so the
# benchmark uses at most two cores for about ten seconds.
#
# Usage: bench/costs.sh [OUT.md]     (default: bench/COSTS.md next to this script)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/COSTS.md}
cc=${CC:-gcc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

progs=(thread_create_join mutex_uncontended mutex_handoff fork_waitpid pipe_pingpong uv_callback uv_queue_work)

for p in "${progs[@]}"; do
    "$cc" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$work/$p" "$here/costs/$p.c" -lpthread -luv
    "$cc" -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=thread -Wall -Wextra -Werror \
        -o "$work/$p.tsan" "$here/costs/$p.c" -lpthread -luv
done

# Three rounds, interleaved, so that a burst of load from other processes on
# this shared machine does not land on one operation only.
for round in 1 2 3; do
    for p in "${progs[@]}"; do
        "$work/$p" >>"$work/plain.$round.tsv"
        TSAN_OPTIONS=report_bugs=0 "$work/$p.tsan" >>"$work/tsan.$round.tsv"
    done
done

# One line per operation: name, median and p90 of the middle round (by
# median), min and max of the three medians, description.
summarize() { # summarize plain|tsan
    paste "$work/$1.1.tsv" "$work/$1.2.tsv" "$work/$1.3.tsv" | awk -F'\t' '{
        m[1] = $2; m[2] = $7; m[3] = $12; q[1] = $3; q[2] = $8; q[3] = $13
        lo = 1; hi = 1
        for (i = 2; i <= 3; i++) { if (m[i] < m[lo]) lo = i; if (m[i] > m[hi]) hi = i }
        mid = 6 - lo - hi; if (lo == hi) mid = 1
        printf "%s\t%s\t%s\t%s\t%s\t%s\n", $1, m[mid], q[mid], m[lo], m[hi], $5 }'
}
summarize plain >"$work/plain.tsv"
summarize tsan >"$work/tsan.tsv"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "# Cost of concurrency operations on this machine"
    echo
    echo "Written by \`bench/costs.sh\`; quoted by reference/concepts-choosing-a-model.md."
    echo "Do not edit by hand: run the script again."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) CPUs ($cpu), $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "- compiler: $("$cc" --version | head -1); libuv $(pkg-config --modversion libuv 2>/dev/null || echo '?'); $(ldd --version | head -1 | sed 's/^ldd //')"
    echo "- method: each operation timed 1000 times after a warm-up, in its own process; three rounds,"
    echo "  interleaved. Median and p90 are those of the middle round; \"range\" is the lowest and highest"
    echo "  of the three rounds' medians. plain = \`-O2\`, TSan = \`-O1 -g -fsanitize=thread\` with"
    echo "  \`TSAN_OPTIONS=report_bugs=0\`. Operations shorter than a microsecond are timed per batch of"
    echo "  1000 and divided. The machine is a shared 2-vCPU VM: wake-ups depend on whether the two"
    echo "  threads land on one core or two, so handoff figures vary most between rounds."
    echo
    echo "| operation | plain median µs | plain p90 µs | plain range µs | TSan median µs | TSan p90 µs | what is timed |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    paste "$work/plain.tsv" "$work/tsan.tsv" | awk -F'\t' '{
        printf "| %s | %.3f | %.3f | %.3f–%.3f | %.3f | %.3f | %s |\n", $1, $2, $3, $4, $5, $8, $9, $6 }'
} >"$out"
cat "$out"
