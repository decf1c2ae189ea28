#!/usr/bin/env bash
# costs.sh - measure what the basic concurrency operations cost on this
# machine and write the table to bench/COSTS.md (also printed on stdout).
#
# Each program in bench/costs/ times one operation 1000 times (after a
# warm-up) and prints its median and 90th percentile in microseconds. They
# are built with gcc -O2 (plain) and gcc -O1 -fsanitize=thread (the build
# racelab runs learners' programs in), and run one after another, so the
# benchmark uses at most two cores for well under a minute.
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

for p in "${progs[@]}"; do
    "$work/$p" >>"$work/plain.tsv"
    TSAN_OPTIONS=report_bugs=0 "$work/$p.tsan" >>"$work/tsan.tsv"
done

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
    echo "- method: 1000 samples per operation after a warm-up, one process per operation, run one after another;"
    echo "  plain = \`-O2\`, TSan = \`-O1 -g -fsanitize=thread\` with \`TSAN_OPTIONS=report_bugs=0\`."
    echo "  Operations shorter than a microsecond are timed per batch of 1000 and divided."
    echo "  The machine is a shared 2-vCPU VM: expect some noise in the p90 column."
    echo
    echo "| operation | plain median µs | plain p90 µs | TSan median µs | TSan p90 µs | what is timed |"
    echo "|---|---:|---:|---:|---:|---|"
    paste "$work/plain.tsv" "$work/tsan.tsv" |
        awk -F'\t' '{ printf "| %s | %.3f | %.3f | %.3f | %.3f | %s |\n", $1, $2, $3, $7, $8, $5 }'
} >"$out"
cat "$out"
