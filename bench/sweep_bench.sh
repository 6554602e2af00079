#!/usr/bin/env bash
# Sweep throughput (README "Speed"): a sweep's host cost per MCU point against `simulate
# --repeat` on the same point, points/s with 1 and 2 worker processes and under mpirun (one
# writer rank + two workers), and the wall time of a 100,000-point MCU sweep. Each figure is
# the median of three runs (this machine's neighbours make single runs vary by about 10%).
# Usage: bench/sweep_bench.sh [BUILD_DIR] (default build-rel, a Release build; configured and
# built when missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-rel}"
if [[ ! -x "$build/apps/edgesim" ]]; then
    "$root/scripts/build.sh" "$build" Release -DEDGESIM_BUILD_TESTS=OFF
fi
edgesim="$build/apps/edgesim"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

study() {  # study NAME POINTS -> path of bench/studies/NAME with POINTS substituted
    sed "s/POINTS/$2/" "$root/bench/studies/$1.textproto" >"$tmp/$1-$2.textproto"
    echo "$tmp/$1-$2.textproto"
}
median3() { sort -g | sed -n 2p; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
cpu() {  # cpu COMMAND... -> user + system CPU seconds of the command and its children
    local TIMEFORMAT='%U %S'
    { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ print $1 + $2 }'
}
rate() {  # rate COMMAND... -> the points/s of the sweep's summary line
    "$@" 2>&1 >/dev/null | grep -o '[0-9.]* points/s' | cut -d' ' -f1
}

echo "== host CPU per point: simulate --repeat vs a sweep (one job), 20,000 each"
n=20000
sim_cpu=$(for _ in 1 2 3; do cpu "$edgesim" simulate -p nucleo-l4r5zi -s tflm-2.3 \
    -n mlperf_tiny/kws --repeat $n --format json; done | median3)
sim_median=$("$edgesim" simulate -p nucleo-l4r5zi -s tflm-2.3 -n mlperf_tiny/kws --repeat $n \
    --format json | jq '.host_us_per_sim_median')
printf 'simulate --repeat: %.1f us CPU per repetition (Simulator::run alone: median %.1f us)\n' \
    "$(calc "1e6 * $sim_cpu / $n")" "$sim_median"
for s in kws-clocks kws-point; do
    f="$(study $s $n)"
    c=$(for _ in 1 2 3; do cpu "$edgesim" sweep --study "$f" --out "$tmp/p.h5" --overwrite \
        --jobs 1; done | median3)
    printf 'sweep %-10s: %.1f us CPU per point = %sx simulate --repeat\n' "$s" \
        "$(calc "1e6 * $c / $n")" "$(calc "$c / $sim_cpu")"
done

echo "== points/s on an MCU Latin hypercube of 20,000 points"
f="$(study mcu-lhs 20000)"
r1=$(for _ in 1 2 3; do rate "$edgesim" sweep --study "$f" --out "$tmp/j.h5" --overwrite \
    --jobs 1; done | median3)
r2=$(for _ in 1 2 3; do rate "$edgesim" sweep --study "$f" --out "$tmp/j.h5" --overwrite \
    --jobs 2; done | median3)
printf -- '--jobs 1: %s points/s\n--jobs 2: %s points/s (%sx)\n' "$r1" "$r2" "$(calc "$r2 / $r1")"
if command -v mpirun >/dev/null; then
    r3=$(for _ in 1 2 3; do rate mpirun -n 3 --oversubscribe "$edgesim" sweep --study "$f" \
        --out "$tmp/j.h5" --overwrite; done | median3)
    printf 'mpirun -n 3: %s points/s (%sx --jobs 1; rank 0 writes, 2 ranks compute)\n' "$r3" \
        "$(calc "$r3 / $r1")"
fi

echo "== a 100,000-point MCU sweep (--jobs 2)"
f="$(study mcu-lhs 100000)"
t0=$(date +%s.%N)
"$edgesim" sweep --study "$f" --out "$tmp/big.h5" --jobs 2 2>&1 | tail -1
t1=$(date +%s.%N)
printf '100,000 points in %s s wall (process start to exit); file %s\n' \
    "$(calc "$t1 - $t0")" "$(du -h "$tmp/big.h5" | cut -f1)"
