#!/usr/bin/env bash
# Sweep throughput (README "Speed"): a sweep's host cost per MCU point against `simulate
# --repeat` on the same point, points/s with 1 and 2 worker processes and under mpirun (one
# writer rank + two workers), and the wall time of a 100,000-point MCU sweep.
# Usage: bench/sweep_bench.sh [BUILD_DIR] (default build-rel, a Release build; configured and
# built when missing). Run on an idle machine: other load skews every figure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-rel}"
if [[ ! -x "$build/apps/edgesim" ]]; then
    "$root/scripts/build.sh" "$build" Release -DEDGESIM_BUILD_TESTS=OFF
fi
edgesim="$build/apps/edgesim"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
study() {  # study NAME POINTS -> path of the study with POINTS substituted
    sed "s/POINTS/$2/" "$root/bench/studies/$1.textproto" >"$tmp/$1-$2.textproto"
    echo "$tmp/$1-$2.textproto"
}
seconds() {  # seconds COMMAND... -> wall seconds of the command
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
calc() { awk "BEGIN { print $1 }"; }  # calc EXPRESSION
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", n / s }'; }

echo "== cost per point: simulate --repeat vs a sweep of the same point (one job)"
repeat_us=$("$edgesim" simulate -p nucleo-l4r5zi -s tflm-2.3 -n mlperf_tiny/kws --repeat 5000 \
    --format json | jq '.host_us_per_sim_median')
n=5000
s=$(seconds "$edgesim" sweep --study "$(study kws-point $n)" --out "$tmp/point.h5" --jobs 1)
sweep_us=$(calc "1e6 * $s / $n")
printf 'simulate --repeat: %.1f us per simulation (median)\n' "$repeat_us"
printf 'sweep --jobs 1:    %.1f us per point (%d points in %.2f s, start-up included) = %.2fx\n' \
    "$sweep_us" "$n" "$s" "$(calc "$sweep_us / $repeat_us")"

echo "== throughput: MCU Latin hypercube, 20,000 points"
n=20000
f="$(study mcu-lhs $n)"
s1=$(seconds "$edgesim" sweep --study "$f" --out "$tmp/j1.h5" --jobs 1)
s2=$(seconds "$edgesim" sweep --study "$f" --out "$tmp/j2.h5" --jobs 2)
printf -- '--jobs 1: %.2f s = %s points/s\n' "$s1" "$(rate $n "$s1")"
printf -- '--jobs 2: %.2f s = %s points/s (%.2fx --jobs 1)\n' "$s2" "$(rate $n "$s2")" \
    "$(calc "$s1 / $s2")"
if command -v mpirun >/dev/null; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    s3=$(seconds mpirun -n 3 --oversubscribe "$edgesim" sweep --study "$f" --out "$tmp/m3.h5")
    printf 'mpirun -n 3: %.2f s = %s points/s (%.2fx --jobs 1)\n' "$s3" "$(rate $n "$s3")" \
        "$(calc "$s1 / $s3")"
fi

echo "== a 100,000-point MCU sweep (--jobs 2)"
n=100000
s=$(seconds "$edgesim" sweep --study "$(study mcu-lhs $n)" --out "$tmp/big.h5" --jobs 2)
printf '%d points in %.1f s = %s points/s; file %s\n' "$n" "$s" "$(rate $n "$s")" \
    "$(du -h "$tmp/big.h5" | cut -f1)"
