#!/usr/bin/env bash
# Installs the dependencies, builds edgesim (Release) and runs the main demo: what is built
# in, and the per-layer table of every MLPerf Tiny model.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" "$root/build" Release -DEDGESIM_BUILD_TESTS=OFF
edgesim="$root/build/apps/edgesim"

for what in networks platforms stacks strategies; do
    echo "== edgesim list $what"
    "$edgesim" list "$what"
    echo
done
for net in kws vww ic ad; do
    echo "== edgesim inspect --network mlperf_tiny/$net"
    "$edgesim" inspect --network "mlperf_tiny/$net"
    echo
done
echo "== edgesim inspect of an ONNX export (tests/data/onnx/torch_tinynet.onnx)"
"$edgesim" inspect --network "$root/tests/data/onnx/torch_tinynet.onnx"
