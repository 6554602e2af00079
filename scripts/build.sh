#!/usr/bin/env bash
# Configures and builds edgesim. Usage: scripts/build.sh [BUILD_DIR] [CMAKE_BUILD_TYPE] [extra cmake args]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/build}"
type="${2:-Release}"
shift $(( $# > 2 ? 2 : $# ))
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
cmake --build "$dir" --parallel "$(nproc)"
