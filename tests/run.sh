#!/usr/bin/env bash
# run.sh -- every test: installs what is missing, builds racelab with gcc
# and with clang, and runs the whole ctest suite for each. Exit 0 only if
# both pass. RACELAB_COMPILERS="gcc" limits the compilers.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../harness/deps.sh"
# Test-only: tests/e2e/trace.sh renders the --html page in headless Chromium.
racelab_packages+=(chromium)
racelab_install_deps
status=0
for preset in ${RACELAB_COMPILERS:-gcc clang}; do
  echo "=== $preset ==="
  if ! racelab_build "$preset"; then
    echo "racelab: the $preset build failed" >&2
    status=1
    continue
  fi
  # The programs under test are built with the same compiler as racelab.
  (cd "$here/.." && RACELAB_CC=$preset ctest --preset "$preset" -j 2) || status=1
done
exit $status
