#!/usr/bin/env bash
# Installs the dependencies, builds edgesim with its tests and runs the whole CTest suite.
# EDGESIM_SANITIZE=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
if [ "${EDGESIM_SANITIZE:-0}" = "1" ]; then
    dir="$root/build-asan"
    "$root/scripts/build.sh" "$dir" Debug -DEDGESIM_SANITIZE=ON -DEDGESIM_BUILD_BENCH=OFF
else
    dir="$root/build-test"
    "$root/scripts/build.sh" "$dir" RelWithDebInfo
fi
cd "$dir"
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
