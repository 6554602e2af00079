#!/usr/bin/env bash
# Calibrates the parameters of configs/calibration/mlperf-tiny.textproto (each with its bounds,
# a-priori value and source) against the published MLPerf Tiny measurements
# (../shared/data/silicon/calibration.csv) and, with --write, writes the fitted values back
# into configs/ with a `calibrated from` comment (a parameter the rows cannot identify keeps
# its a-priori value, with an `a priori` comment). Every fit starts from the a-priori values,
# so the result does not depend on the configs' current values: deterministic, and the
# committed configs are a fixed point. `edgesim validate --cross-validate board` refits the
# same set per held-out board.
# Usage: scripts/calibrate.sh [build-dir] [--write] [other calibrate flags]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
shift || true
"$build/apps/edgesim" calibrate -m ../shared/data/silicon/calibration.csv \
    --parameters mlperf-tiny "$@"
# The SoC stacks' host kernels are copies of tflm-cmsis-nn's: keep them equal after a write.
case " $* " in
*" --write "*) python3 scripts/sync_host_kernels.py configs ;;
esac
