#!/usr/bin/env bash
# reference_blocks.sh - every ```c block in reference/*.md is compiled, and
# every whole program among them is run and must show what the page says.
#
# The fence line of each C block carries one mark after "c":
#   ```c run=clean    a whole program; it must exit 0 with no finding
#   ```c run=KIND     a whole program that must be reported with finding KIND
#   ```c run=K1/K2    ... reported with one of these kinds
#                     (data-race, lock-order-inversion, deadlock, hang,
#                     forgotten-await, unjoined-thread, unwaited-child,
#                     memory-error, ...)
#   ```c fragment     declarations and functions at file scope, compiled with
#                     -c after the PRELUDE below (the includes every page may
#                     assume); -Wno-unused-function so a helper may stay unused
# A C block without a mark fails the test. Other fences (```sh, ```text) are
# not touched.
#
# Every block is compiled with gcc and with clang:
#   cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE ... -lpthread -luv
# Programs are then checked in one of two modes:
#   racelab  when $RACELAB is executable and `racelab check` answers a probe
#            with JSON: `$RACELAB check BLOCK.c --format json --runs N`,
#            exit 0 for run=clean, exit 1 with a finding of KIND otherwise.
#   tsan     otherwise (the CLI is not ready): the -fsanitize=thread builds
#            (gcc's and clang's) are run directly. clean: exit 0 and no sanitizer report.
#            data-race, lock-order-inversion: TSan's report of that kind.
#            sync-misuse: TSan's "unlock of an unlocked mutex (or by a wrong
#            thread)". unjoined-thread: TSan's "thread leak". memory-error: an ASan
#            build reports an error. deadlock, hang: the plain build is still
#            running after 3 s. forgotten-await, wrong-output and other kinds
#            only racelab detects: compiled, not run.
# RL_REF_MODE=tsan|racelab forces a mode; RL_REF_RUNS sets N (default 3).
#
# Environment (from tests/CMakeLists.txt): RL_LAB (repo root), RL_SCRATCH,
# RACELAB. Also runnable by hand: RL_LAB=. bash tests/e2e/reference_blocks.sh
set -uo pipefail

lab=${RL_LAB:-$(cd "$(dirname "$0")/../.." && pwd)}
scratch=${RL_SCRATCH:-$(mktemp -d)}
runs=${RL_REF_RUNS:-3}
mkdir -p "$scratch"
rm -rf "$scratch/blocks"
mkdir -p "$scratch/blocks"

CFLAGS=(-std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE)
LIBS=(-lpthread -luv)
export TSAN_OPTIONS="symbolize=0 exitcode=66 report_signal_unsafe=0"
export ASAN_OPTIONS="symbolize=0 detect_leaks=0"

PRELUDE='#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>'

compilers=()
for c in gcc clang; do command -v "$c" >/dev/null && compilers+=("$c"); done
if [ ${#compilers[@]} -eq 0 ]; then echo "reference_blocks: no C compiler" >&2; exit 1; fi

failures=0
fail() { # fail WHERE MESSAGE [LOGFILE]
    failures=$((failures + 1))
    echo "FAIL $1: $2"
    if [ -n "${3:-}" ] && [ -s "$3" ]; then sed -n '1,25p' "$3" | sed 's/^/    /'; fi
}

# --- mode: racelab if its check command answers, else direct TSan ---------
mode=${RL_REF_MODE:-}
if [ -z "$mode" ]; then
    mode=tsan
    if [ -n "${RACELAB:-}" ] && [ -x "$RACELAB" ]; then
        probe=$scratch/blocks/probe.c
        printf '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n' >"$probe"
        timeout 60 "$RACELAB" check "$probe" --format json --runs 1 \
            >"$scratch/blocks/probe.json" 2>"$scratch/blocks/probe.err"
        rc=$?
        if [ $rc -eq 0 ] && grep -q '"verdict"' "$scratch/blocks/probe.json"; then
            mode=racelab
        else
            echo "reference_blocks: '$RACELAB check' failed a probe (exit $rc): checking with TSan directly"
            sed -n '1,5p' "$scratch/blocks/probe.err" | sed 's/^/    /'
        fi
    fi
fi
echo "reference_blocks: mode $mode, compilers ${compilers[*]}"

# --- extract: one file per block, and a manifest "page:line<TAB>mark<TAB>file"
manifest=$scratch/blocks/manifest
: >"$manifest"
for page in "$lab"/reference/*.md; do
    base=$(basename "$page" .md)
    awk -v page="reference/$base.md" -v dir="$scratch/blocks" -v base="$base" '
        inblock && /^```[[:space:]]*$/ { inblock = 0; close(file); next }
        inblock { print > file; next }
        /^```c([[:space:]].*)?$/ {
            mark = $0; sub(/^```c[[:space:]]*/, "", mark); sub(/[[:space:]]+$/, "", mark)
            if (mark == "") mark = "(none)"   # an empty field would vanish in `read`
            file = dir "/" base "-" NR ".c"
            printf "%s:%d\t%s\t%s\n", page, NR, mark, file
            inblock = 1; printf "" > file; next
        }
        END { if (inblock) printf "%s:EOF\tunterminated\t-\n", page }
    ' "$page" >>"$manifest"
done

nblocks=$(wc -l <"$manifest")
if [ "$nblocks" -eq 0 ]; then fail reference "no C blocks found under $lab/reference"; fi

# The stable kind names come from the finding-kind table, the single source.
known_kinds=$(sed -n 's/^ *XX([A-Z_]*, *"\([a-z-]*\)".*/\1/p' "$lab/harness/finding.h" 2>/dev/null)
[ -n "$known_kinds" ] || known_kinds=$(printf '%s\n' data-race lock-order-inversion deadlock hang \
    forgotten-await unjoined-thread unwaited-child sync-misuse memory-error wrong-output crash timeout build-error)

# --- compile and check each block -----------------------------------------
checked=0 ran=0 compiled_only=0
while IFS=$'\t' read -r where mark file; do
    checked=$((checked + 1))
    log=$file.log
    case $mark in
    fragment)
        # #line makes compiler errors point at the page's own lines.
        { echo "$PRELUDE"; echo "#line $((${where##*:} + 1)) \"${where%:*}\""; cat "$file"; } >"$file.frag.c"
        for c in "${compilers[@]}"; do
            if ! "$c" "${CFLAGS[@]}" -Wno-unused-function -c -o "$file.$c.o" "$file.frag.c" >"$log" 2>&1; then
                fail "$where" "fragment does not compile with $c" "$log"
            fi
        done
        continue ;;
    run=*)
        # run=A/B: racelab may report the program as either kind (a lost
        # wakeup hangs, or racelab's spurious wakeup exposes the missing loop).
        kinds=${mark#run=}
        kind=${kinds%%/*}
        bad_kind=
        for k in ${kinds//\// }; do
            [ "$k" = clean ] || grep -qx "$k" <<<"$known_kinds" || bad_kind=$k
        done
        if [ -n "$bad_kind" ]; then
            fail "$where" "unknown finding kind '$bad_kind' (known: $(echo $known_kinds))"; continue
        fi ;;
    unterminated) fail "$where" "code block never closed"; continue ;;
    *) fail "$where" "C block without a mark: write \`\`\`c run=clean, run=KIND or fragment (got '$mark')"; continue ;;
    esac

    # Whole program: must compile cleanly with every compiler.
    ok=1
    for c in "${compilers[@]}"; do
        if ! "$c" "${CFLAGS[@]}" -O1 -g -o "$file.$c" "$file" "${LIBS[@]}" >"$log" 2>&1; then
            fail "$where" "program does not compile with $c" "$log"; ok=0
        fi
    done
    [ $ok = 1 ] || continue
    cc=${compilers[0]}

    if [ "$mode" = racelab ]; then
        ran=$((ran + 1))
        json=$file.json
        timeout 120 "$RACELAB" check "$file" --format json --runs "$runs" >"$json" 2>"$log"
        rc=$?
        if [ "$kind" = clean ]; then
            [ $rc -eq 0 ] || { cat "$json" >>"$log"; fail "$where" "racelab check exit $rc, expected 0 (clean)" "$log"; }
        else
            if [ $rc -ne 1 ]; then
                cat "$json" >>"$log"; fail "$where" "racelab check exit $rc, expected 1 (finding $kind)" "$log"
            elif ! grep -Eq "\"kind\"[[:space:]]*:[[:space:]]*\"(${kinds//\//|})\"" "$json"; then
                cat "$json" >>"$log"; fail "$where" "racelab did not report $kinds" "$log"
            fi
        fi
        continue
    fi

    # tsan mode
    case $kind in
    clean|data-race|lock-order-inversion|unjoined-thread|sync-misuse)
        case $kind in
        clean)                want='' ;;
        data-race)            want='WARNING: ThreadSanitizer: data race' ;;
        lock-order-inversion) want='WARNING: ThreadSanitizer: lock-order-inversion' ;;
        unjoined-thread)      want='WARNING: ThreadSanitizer: thread leak' ;;
        sync-misuse)          want='WARNING: ThreadSanitizer: unlock of an unlocked mutex' ;;
        esac
        ran=$((ran + 1))
        for c in "${compilers[@]}"; do      # both TSan runtimes: they differ
            if ! "$c" "${CFLAGS[@]}" -O1 -g -fsanitize=thread -o "$file.$c.tsan" "$file" "${LIBS[@]}" >"$log" 2>&1; then
                fail "$where" "$c TSan build failed" "$log"; continue
            fi
            timeout 20 "$file.$c.tsan" >"$log.out" 2>"$log"
            rc=$?
            if [ -z "$want" ]; then
                if [ $rc -ne 0 ] || grep -q 'Sanitizer' "$log"; then
                    { echo "--- stdout:"; cat "$log.out"; } >>"$log"
                    fail "$where" "run=clean but exit $rc under $c TSan (124 = timed out)" "$log"
                fi
            elif ! grep -q "$want" "$log"; then
                fail "$where" "run=$kind but $c TSan did not report '$want' (exit $rc)" "$log"
            fi
        done ;;
    memory-error)
        if ! "$cc" "${CFLAGS[@]}" -O1 -g -fsanitize=address -o "$file.asan" "$file" "${LIBS[@]}" >"$log" 2>&1; then
            fail "$where" "ASan build failed" "$log"; continue
        fi
        ran=$((ran + 1))
        timeout 20 "$file.asan" >"$log.out" 2>"$log"
        grep -q 'ERROR: AddressSanitizer' "$log" || fail "$where" "run=memory-error but ASan reported nothing" "$log" ;;
    deadlock|hang)
        ran=$((ran + 1))
        timeout 3 "$file.$cc" >"$log.out" 2>"$log"
        rc=$?
        [ $rc -eq 124 ] || fail "$where" "run=$kind but the program ended (exit $rc) instead of blocking" "$log" ;;
    *)
        compiled_only=$((compiled_only + 1)) ;;
    esac
done <"$manifest"

# --- the index lists every page, the cost essay quotes the current bench --
if [ -f "$lab/reference/README.md" ]; then
    for page in "$lab"/reference/*.md; do
        name=$(basename "$page")
        [ "$name" = README.md ] && continue
        grep -q "($name)" "$lab/reference/README.md" || fail "reference/README.md" "does not link $name"
    done
else
    fail reference "reference/README.md (the index) is missing"
fi
# Exercises named in the pages (`NN-slug` in backticks) exist.
for page in "$lab"/reference/*.md; do
    for ex in $(grep -o '`[0-9][0-9]-[a-z0-9-]*`' "$page" | tr -d '`' | sort -u); do
        [ -d "$lab/exercises/$ex" ] || fail "reference/$(basename "$page")" "names exercise $ex, which is not in exercises/"
    done
done
essay=$lab/reference/concepts-choosing-a-model.md
costs=$lab/bench/COSTS.md
if [ -f "$essay" ] && [ -f "$costs" ]; then
    date_line=$(sed -n 's/^- date: //p' "$costs")
    grep -qF "$date_line" "$essay" ||
        fail reference/concepts-choosing-a-model.md "does not quote the figures of bench/COSTS.md (date $date_line): update the essay's table"
    # Every plain median of bench/COSTS.md appears in the essay.
    for median in $(awk -F'|' '/^\| [a-z]/ && $3 ~ /[0-9]/ { gsub(/ /, "", $3); print $3 }' "$costs"); do
        grep -qF "| $median |" "$essay" ||
            fail reference/concepts-choosing-a-model.md "median $median µs of bench/COSTS.md is not in the essay's table"
    done
fi

echo "reference_blocks: $checked blocks, $ran programs run ($mode mode), $compiled_only compiled only, $failures failures"
[ $failures -eq 0 ]
