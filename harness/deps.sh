# deps.sh -- sourced by harness/racelab.sh and tests/run.sh: install the
# Debian packages racelab needs, once, only those that are missing.
racelab_packages=(cmake ninja-build pkg-config gcc clang llvm git jq
                  libuv1-dev libcmocka-dev libunwind-dev libjansson-dev libinih-dev
                  libxml2-utils)

racelab_install_deps() {
  local missing=() p
  for p in "${racelab_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "racelab: installing ${missing[*]}" >&2
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Configure and build one preset (gcc or clang) quietly: the compiler's
# words are shown only when the build fails.
racelab_build() {
  local preset=$1 top log
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  log=$top/build/$preset.log
  mkdir -p "$top/build"
  if ! (cd "$top" &&
    { [[ -f build/$preset/build.ninja ]] || cmake --preset "$preset"; } &&
    cmake --build --preset "$preset" -j "$(nproc)") >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    return 1
  fi
  [[ -x $top/build/$preset/harness/racelab ]]
}
