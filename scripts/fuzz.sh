#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) in build-fuzz and runs each one for a fixed time.
# Seed corpora come from configs/, tests/data/ and the tests' own data folders (fuzz/seeds/ for
# mappings, of which neither holds any); each target's working corpus
# (build-fuzz/corpus/<target>/) is kept between runs and grows with what libFuzzer finds.
# Crashes, leaks, timeouts and out-of-memory inputs go to build-fuzz/artifacts/<target>/ and
# logs to build-fuzz/logs/<target>.log. Exits 1 if any target crashed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
all_targets=(fuzz_network fuzz_platform fuzz_stack fuzz_mapping fuzz_study fuzz_onnx
             fuzz_measurements)

usage() {
    cat >&2 <<EOF
usage: scripts/fuzz.sh [--seconds N] [--keep-going] [TARGET...]

Installs the dependencies (scripts/setup.sh --fuzz), builds the fuzz targets in build-fuzz
(clang-14, RelWithDebInfo, EDGESIM_FUZZ=ON) if needed,
then runs each TARGET (default: all) for N seconds (default 600), one after the other.
  --seconds N    fuzzing time per target
  --keep-going   do not stop a target at its first crash: fuzz in a child process
                 (libFuzzer -fork=1) and collect every crash, leak, timeout and OOM
TARGET: ${all_targets[*]}
EOF
    exit 2
}

seconds=600
keep_going=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds)
            [ $# -ge 2 ] || usage
            seconds="$2"
            shift 2
            ;;
        --seconds=*) seconds="${1#--seconds=}"; shift ;;
        --keep-going) keep_going=1; shift ;;
        -h|--help) usage ;;
        fuzz_*)
            [[ " ${all_targets[*]} " == *" $1 "* ]] || { echo "unknown target '$1'" >&2; usage; }
            targets+=("$1")
            shift
            ;;
        *) echo "unknown argument '$1'" >&2; usage ;;
    esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "--seconds needs a positive integer" >&2; usage; }
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# Dependencies (Debian packages, as for the main build, plus Clang and libFuzzer), then the
# build (ninja does nothing when the targets are up to date).
"$root/scripts/setup.sh" --fuzz
if [ ! -f "$build/build.ninja" ]; then
    CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGESIM_FUZZ=ON \
        -DEDGESIM_BUILD_TESTS=OFF -DEDGESIM_BUILD_BENCH=OFF >/dev/null
fi
nice -n 10 ninja -C "$build" -j2 "${targets[@]}"

# Longest input per target: a bit above its largest seed (ONNX: the fixtures up to the
# MLPerf Tiny KWS model; larger models are read truncated).
declare -A max_len=(
    [fuzz_network]=16384 [fuzz_platform]=32768 [fuzz_stack]=32768 [fuzz_mapping]=4096
    [fuzz_study]=8192 [fuzz_onnx]=131072 [fuzz_measurements]=16384)
# Protobuf text formats: a dictionary of the field and enum value names of their .proto.
declare -A protos=(
    [fuzz_network]="workloads/spec/network.proto"
    [fuzz_platform]="platforms/spec/platform.proto"
    [fuzz_stack]="platforms/spec/stack.proto platforms/spec/platform.proto"
    [fuzz_mapping]="platforms/spec/mapping.proto"
    [fuzz_study]="explorer/spec/study.proto")

# Prints the seed files of target $1, one per line.
seeds() {
    # Text-format test inputs, told apart by the fields they start their messages with.
    tests_matching() {
        grep -lE "$1" "$root"/tests/*/data/*.textproto "$root"/tests/data/*.textproto \
            2>/dev/null || true
    }
    case "$1" in
        fuzz_network)
            find "$root/configs/networks" -name '*.textproto'
            tests_matching '^(inputs|layers) *\{'
            ;;
        fuzz_platform)
            find "$root/configs/platforms" -name '*.textproto'
            tests_matching '^(cores|memories) *\{'
            ;;
        fuzz_stack)
            find "$root/configs/stacks" -name '*.textproto'
            tests_matching '^kernels *\{'
            ;;
        fuzz_study)
            find "$root/configs/studies" -name '*.textproto'
            tests_matching '^platforms *:'
            ;;
        fuzz_mapping) find "$root/fuzz/seeds/mapping" -name '*.textproto' ;;
        fuzz_onnx) find "$root/tests/data/onnx" -name '*.onnx' ;;
        fuzz_measurements) find "$root/tests/data" "$root/data" -name '*.csv' ;;
    esac
}

# Prints libFuzzer's count of executed inputs from log $1.
executions() {
    local n
    n="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$1" | tail -n 1)"
    if [ -z "$n" ]; then
        # Fork mode (and a run stopped by a crash) prints no final stats: the last status line.
        n="$(sed -n 's/^#\([0-9][0-9]*\)[:[:space:]].*/\1/p' "$1" | tail -n 1)"
    fi
    echo "${n:-0}"
}

# UndefinedBehaviorSanitizer reports say where they come from.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

summary=()
failed=0
for t in "${targets[@]}"; do
    corpus="$build/corpus/$t"
    artifacts="$build/artifacts/$t"
    log="$build/logs/$t.log"
    mkdir -p "$corpus" "$artifacts" "$build/logs" "$build/dicts"
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        rel="${f#"$root"/}"
        cp -f "$f" "$corpus/seed-${rel//\//_}"
    done < <(seeds "$t")

    args=(-max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=25 -rss_limit_mb=2048
          -print_final_stats=1 -artifact_prefix="$artifacts/")
    if [ -n "${protos[$t]:-}" ]; then
        dict="$build/dicts/$t.dict"
        # shellcheck disable=SC2086  # the list is word-split on purpose
        (cd "$root" && grep -ohP '\b[A-Za-z_]\w*(?=\s*=\s*-?\d+\s*[;\[])' ${protos[$t]}) |
            sort -u | sed 's/.*/"&"/' >"$dict"
        args+=(-dict="$dict")
    fi
    if [ "$keep_going" = 1 ]; then
        args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi

    before="$(ls "$artifacts")"
    echo "== $t: ${seconds}s, log $log" >&2
    start=$(date +%s)
    rc=0
    # Artifacts are written as artifact_prefix + crash-<sha1>; run from the build dir so that
    # anything else libFuzzer writes (fork-mode temporaries) stays there.
    (cd "$build" && nice -n 10 "$build/fuzz/$t" "${args[@]}" "$corpus") >"$log" 2>&1 || rc=$?
    elapsed=$(( $(date +%s) - start ))
    new="$(comm -13 <(echo "$before") <(ls "$artifacts") | grep -v '^slow-unit-' || true)"
    crash=no
    if [ "$rc" -ne 0 ] || [ -n "$new" ]; then
        crash=yes
        failed=1
    fi
    line="$(printf '%-18s seconds=%-5s executions=%-10s crash=%s' "$t" "$elapsed" \
        "$(executions "$log")" "$crash")"
    if [ -n "$new" ]; then
        line+=" artifacts: $(echo "$new" | sed "s|^|$artifacts/|" | tr '\n' ' ')"
    elif [ "$rc" -ne 0 ]; then
        line+=" (exit $rc, see $log)"
    fi
    summary+=("$line")
    echo "$line" >&2
done

echo
echo "fuzzing summary:"
printf '%s\n' "${summary[@]}"
exit "$failed"
