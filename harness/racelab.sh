#!/usr/bin/env bash
# racelab.sh -- the lab's one entry point on a fresh machine: installs what
# is missing, builds racelab (incrementally), then runs it. With no
# arguments it lists the course and diagnoses the first exercise.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/deps.sh"
racelab_install_deps
racelab_build "${RACELAB_PRESET:-gcc}" || { echo "racelab: the build failed" >&2; exit 3; }
racelab=$here/../build/${RACELAB_PRESET:-gcc}/harness/racelab
if (($# == 0)); then
  "$racelab" list
  echo
  echo "--- racelab run 1: what is wrong with the first exercise ---"
  "$racelab" run 1 || true
  exit 0
fi
exec "$racelab" "$@"
