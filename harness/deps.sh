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

# Configure and build one preset (gcc or clang) quietly; errors are shown.
racelab_build() {
  local preset=$1 top
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  (cd "$top" &&
    { [[ -f build/$preset/build.ninja ]] || cmake --preset "$preset" >/dev/null; } &&
    cmake --build --preset "$preset" -j "$(nproc)" | grep -v '^\[' || true) >&2
  [[ -x $top/build/$preset/harness/racelab ]]
}
