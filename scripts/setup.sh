#!/usr/bin/env bash
# Installs every build and test dependency of edgesim from Debian 12 packages.
# Idempotent: runs `apt-get update` only when a package is missing; works as root or via sudo.
set -euo pipefail

packages=(
    build-essential cmake pkg-config ninja-build git
    libsystemc-dev             # SystemC 2.3.4 with TLM-2.0 (pkg-config: systemc)
    libhdf5-dev                # HDF5 C/C++ (results of record)
    libprotobuf-dev protobuf-compiler  # spec schemas and textproto configs
    libboost-graph-dev         # network DAG
    libgtest-dev libgmock-dev  # tests
    libbenchmark-dev           # bench/
    libcli11-dev               # command line
    nlohmann-json3-dev         # JSON output
    libfmt-dev                 # formatting
    libssl-dev                 # SHA-256 for provenance hashes (libcrypto)
    libonnx-dev                # ships onnx.proto (we compile it with our protoc)
    libcsv-dev                 # measurement CSV parsing
    libnlopt-cxx-dev           # derivative-free fitting (calibrate)
    libpagmo-dev               # NAS: genetic operators, non-dominated sorting, hypervolume
    libtorch-dev               # NAS: training (train) and training-free scores (proxy)
    zlib1g-dev                 # NAS: Fashion-MNIST's gzip-compressed IDX files
    dataset-fashion-mnist      # NAS: the train evaluator's dataset
    openmpi-bin libopenmpi-dev # sweeps across machines: the same binary under mpirun
    python3-h5py python3-pandas  # tests: results files read as users read them
    pybind11-dev python3-dev   # the Python package edgesim (build/python)
    python3-matplotlib         # edgesim report: the figures
    chromium                   # tests: reports rendered in a real browser (headless)
    python3-torch              # the Python package: networks from torch.nn.Module, examples
    jq                         # demo: tabulates simulate --format json
)

# scripts/fuzz.sh: the libFuzzer targets need Clang and its fuzzer runtime.
if [ "${1:-}" = "--fuzz" ]; then
    packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1
    fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
