#!/usr/bin/env bash
# grade.sh - how many submissions `racelab grade` grades per minute on this
# machine at -j1 and -j2, written to bench/GRADE.md (also printed).
#
# The batch is tests/fixtures/submissions copied COPIES times (default 2),
# each copy's sources made distinct by a comment so that every submission
# is compiled, as real ones are (the build cache keys on content). Each
# -j setting gets its own copies and an empty build cache. Runs per build:
# RUNS (default 10, the grade default).
#
# Usage: bench/grade.sh [OUT.md]     (RACELAB=path/to/racelab, default build/gcc)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${1:-$here/GRADE.md}
racelab=${RACELAB:-$top/build/gcc/harness/racelab}
copies=${COPIES:-2}
runs=${RUNS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# batch DIR SALT: the fixture students, COPIES times, every .c file salted.
batch() {
    local dir=$1 salt=$2 c s
    for ((c = 1; c <= copies; c++)); do
        for s in "$top"/tests/fixtures/submissions/*/; do
            cp -a "$s" "$dir/$(basename "$s")-$c"
        done
    done
    find "$dir" -name '*.c' -type f -exec sh -c 'printf "/* %s */\n" "$1" >>"$2"' sh "$salt" {} \;
}

rows=()
for jobs in 1 2; do
    mkdir -p "$work/j$jobs"
    batch "$work/j$jobs" "bench j$jobs $$"
    students=$(find "$work/j$jobs" -mindepth 1 -maxdepth 1 -type d | wc -l)
    start=$(date +%s.%N)
    RACELAB_CACHE=$work/cache$jobs "$racelab" grade "$work/j$jobs" -j "$jobs" --runs "$runs" \
        --out "$work/r$jobs.json" >/dev/null 2>&1 || { echo "racelab grade failed (-j $jobs)" >&2; exit 1; }
    end=$(date +%s.%N)
    checks=$(jq '[.students[].tests[] | select(.runs > 0)] | length' "$work/r$jobs.json")
    rows+=("$(awk -v j="$jobs" -v n="$students" -v c="$checks" -v a="$start" -v b="$end" 'BEGIN {
        t = b - a; printf "| -j%d | %d | %d | %.1f | %.1f | %.1f |", j, n, c, t, 60 * n / t, 60 * c / t }')")
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "# Submissions graded per minute"
    echo
    echo "Written by \`bench/grade.sh\`; do not edit by hand: run the script again."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) CPUs ($cpu), Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "- compiler: $("${CC:-cc}" --version | head -1)"
    echo "- batch: tests/fixtures/submissions x $copies (pass, data race, compile error, empty, bad links,"
    echo "  /etc/shadow include), every source salted so each is compiled; $runs runs per build, both builds;"
    echo "  a cold build cache per row. Other sessions share this VM: expect noise."
    echo
    echo "| jobs | submissions | exercises run | wall s | submissions/min | exercises run/min |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
} | tee "$out"
