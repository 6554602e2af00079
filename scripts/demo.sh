#!/usr/bin/env bash
# Installs the dependencies, builds edgesim (Release) and runs the main demo: the four MLPerf
# Tiny models simulated on every platform (Cortex-M MCUs and accelerator SoCs, each with its
# stack's default mapping), one per-layer report with its Perfetto trace and HDF5 record, a
# heterogeneous SoC (DIANA) running MobileNet with layers split across its digital and analog
# arrays, a what-if sweep over GAP9's memories and NE16 array with its Pareto front, and
# on-device training strategies on kws (latency, energy and peak RAM per training sample),
# evolutionary and differentiable NAS, validation against the published silicon measurements,
# a first Python session (python/examples/quickstart.py), and last an HTML report of the demo's
# own results (edgesim report), whose path it prints.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" "$root/build" Release -DEDGESIM_BUILD_TESTS=OFF
edgesim="$root/build/apps/edgesim"
out="$root/build/demo"
mkdir -p "$out"

echo "== edgesim list platforms / stacks"
"$edgesim" list platforms
"$edgesim" list stacks
echo

# The vendor stack where there is one (X-CUBE-AI on STM32, the accelerator SoCs' compilers),
# TFLite Micro + CMSIS-NN elsewhere.
stack_of() {
    case "$1" in
    gap8 | gap9-evk) echo gap-flow ;;
    corstone-300-ethos-u55*) echo vela ;;
    stm32n6570-dk) echo stedge-ai ;;
    diana) echo htvm ;;
    mpic) echo mpic-qnn ;;
    nucleo-* | disco-*) echo x-cube-ai-7.3 ;;
    *) echo tflm-cmsis-nn ;;
    esac
}
echo "== MLPerf Tiny on every platform (TLM fidelity, the stack's default mapping)"
printf '%-26s %-14s %-5s %-12s %12s %12s %10s %10s %9s\n' platform stack net status \
    latency_ms energy_uJ ram_KiB flash_KiB host_us
for platform in $("$edgesim" list platforms --format csv | tail -n +2 | cut -d, -f1); do
    stack="$(stack_of "$platform")"
    for net in kws vww ic ad; do
        "$edgesim" simulate -p "$platform" -s "$stack" -n "mlperf_tiny/$net" --repeat 20 \
            --format json |
            jq -r --arg p "$platform" --arg s "$stack" --arg n "$net" \
                '[$p, $s, $n, .status, (.latency_s * 1e3), (.energy_j * 1e6),
                  (.peak_ram_bytes / 1024), (.flash_bytes / 1024), .host_us_per_sim_median]
                 | @tsv' |
            awk -F'\t' '{ printf "%-26s %-14s %-5s %-12s %12.2f %12.1f %10.1f %10.1f %9.1f\n",
                          $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
    done
done
echo

echo "== edgesim simulate -p nucleo-l4r5zi -s tflm-2.3 -n mlperf_tiny/kws --fidelity both"
"$edgesim" simulate -p nucleo-l4r5zi -s tflm-2.3 -n mlperf_tiny/kws --fidelity both \
    --trace "$out/kws_l4r5.trace.json" --out "$out/kws_l4r5.h5"
echo "(Perfetto timeline: $out/kws_l4r5.trace.json -> ui.perfetto.dev; HDF5: $out/kws_l4r5.h5)"
echo

echo "== Heterogeneous SoC: MobileNet (vww) on DIANA, layers split across digital + analog arrays"
# A contention-free cost model (ODiMO's kind: the analytical fidelity) makes the exhaustive
# mapper split pointwise layers' output channels between the digital array and the AIMC
# crossbar. The mapping is written out and re-read, as a hand-edited mapping file would be,
# and simulated at TLM fidelity with its Perfetto trace.
split="$out/diana_vww.split.mapping.textproto"
"$edgesim" simulate -p diana -s htvm -n mlperf_tiny/vww --fidelity analytical \
    --mapping exhaustive --write-mapping "$split" --format json >/dev/null
"$edgesim" simulate -p diana -s htvm -n mlperf_tiny/vww --mapping "$split" \
    --trace "$out/diana_vww.trace.json" --out "$out/diana_vww.h5"
# The same network under every mapper (the mappers cost layers at TLM fidelity, so they see
# the two halves of a split contend for the shared DMA, L1 link and L1) and under the split
# mapping, at both fidelities.
printf '%-34s %12s %12s %10s %6s\n' mapping tlm_us analytical_us energy_uJ splits
for m in host-only greedy-latency greedy-energy exhaustive "$split"; do
    "$edgesim" simulate -p diana -s htvm -n mlperf_tiny/vww --mapping "$m" --fidelity both \
        --format json |
        jq -r --arg m "$(basename "$m")" \
            '[$m, (.latency_s * 1e6), (.analytical.latency_s * 1e6), (.energy_j * 1e6),
              ([.layers[] | select(.engine | contains("+"))] | length)] | @tsv' |
        awk -F'\t' '{ printf "%-34s %12.1f %12.1f %10.2f %6d\n", $1, $2, $3, $4, $5 }'
done
echo "(Perfetto timeline with every engine and DMA channel: $out/diana_vww.trace.json)"
echo

echo "== On-device training: every strategy on kws, per training sample (fp32 and int8)"
# Which learning method fits an MCU, an NPU SoC and a PULP SoC, at what latency, energy and
# peak RAM per sample; and how much of it the accelerator runs (forward passes only).
printf '%-14s %-16s %-5s %-13s %11s %11s %9s %6s\n' platform strategy dtype status \
    latency_ms energy_uJ ram_KiB accel%
for platform in nucleo-l4r5zi stm32n6570-dk gap9-evk; do
    stack="$(stack_of "$platform")"
    [[ "$platform" == nucleo-l4r5zi ]] && stack=tflm-cmsis-nn
    for strategy in backprop sparse-backprop bias-only last-layer forward-forward pepita \
        mempepita zeroth-order; do
        for dtype in fp32 int8; do
            "$edgesim" simulate -p "$platform" -s "$stack" -n mlperf_tiny/kws \
                --strategy "$strategy" --strategy-param "dtype=$dtype" --format json |
                jq -r --arg p "$platform" --arg s "$strategy" --arg d "$dtype" \
                    '[$p, $s, $d, .status, ((.training.latency_s_per_sample // 0) * 1e3),
                      ((.training.energy_j_per_sample // 0) * 1e6), (.peak_ram_bytes / 1024),
                      ((.training.accelerator_mac_share // 0) * 100)] | @tsv' |
                awk -F'\t' '{ printf "%-14s %-16s %-5s %-13s %11.1f %11.1f %9.1f %6.1f\n",
                              $1, $2, $3, $4, $5, $6, $7, $8 }'
        done
    done
done
echo "(does_not_fit rows name what overflows: edgesim simulate ... --strategy backprop)"
echo "== Pau & Aymone per-sample training MACs (counting=pau-aymone) of the MLPerf Tiny models"
printf '%-5s %12s %12s %12s %12s\n' net BP FF PEPITA MEMPEPITA
for net in kws vww ic ad; do
    row="$net"
    for strategy in backprop forward-forward pepita mempepita; do
        row="$row $("$edgesim" inspect -n "mlperf_tiny/$net" --strategy "$strategy" \
            --counting pau-aymone --format json | jq .totals.macs)"
    done
    echo "$row" | awk '{ printf "%-5s %12d %12d %12d %12d\n", $1, $2, $3, $4, $5 }'
done
echo

echo "== What-if sweep: GAP9 L1 x L2 x NE16 geometry x operating point (Latin hypercube)"
# configs/studies/gap9-whatif.textproto: 600 points on worker processes (one per core) into an
# HDF5 file; then the designs no other beats on both latency and energy (written to /pareto).
"$edgesim" sweep --study gap9-whatif --out "$out/gap9-whatif.h5" --overwrite
"$edgesim" pareto "$out/gap9-whatif.h5" --x latency_s --y energy_j --where status=ok
echo "(HDF5: $out/gap9-whatif.h5; read it with h5py + pandas as the README shows)"
echo

echo "== Evolutionary NAS: Fashion-MNIST CNNs trained with libtorch, costed on GAP9 and STM32L4R5"
# configs/studies/nas-fmnist-demo.textproto: NSGA-II, 12 x 7 candidates, each trained on 3,000
# images for 3 epochs and simulated on both boards (about a minute on 2 cores); the front of
# accuracy vs GAP9 latency within 48 KiB of RAM on the L4R5, next to the seed network.
"$edgesim" nas --study nas-fmnist-demo --out "$out/nas-fmnist-demo.h5" --overwrite
echo

echo "== Differentiable NAS: one PIT training per target halves a DS-CNN's latency and weights"
# configs/studies/dnas-fmnist-demo.textproto: cost tables measured on the simulator (cached),
# 2 + 6 + 2 epochs on 5,000 images per target (about a minute on 2 cores); every limit is
# checked by simulating the exported network.
"$edgesim" dnas --study dnas-fmnist-demo --out "$out/dnas-fmnist-demo.h5" --overwrite
echo

echo "== edgesim validate --measurements ../shared/data/silicon/calibration.csv"
csv="$root/../shared/data/silicon/calibration.csv"
if [[ -f "$csv" ]]; then
    "$edgesim" validate --measurements "$csv" --out "$out/validation.h5"
else
    echo "(skipped: $csv not found; it ships beside the repository in shared/)"
fi
echo

echo "== Python: the same library in process (build/python on PYTHONPATH)"
# python/examples/quickstart.py: a query, its layers as a DataFrame, a batch, a network from
# the builder and one from a torch.nn.Module; about 10 us of binding overhead per query.
PYTHONPATH="$root/build/python" /usr/bin/python3 "$root/python/examples/quickstart.py"
echo

echo "== Report of the demo's results (figures: matplotlib; open index.html in a browser)"
results=()
for f in kws_l4r5 diana_vww gap9-whatif nas-fmnist-demo dnas-fmnist-demo validation; do
    [[ -f "$out/$f.h5" ]] && results+=("$out/$f.h5")
done
"$edgesim" report "${results[@]}" --trace "$out/kws_l4r5.trace.json" --out "$out/report" \
    --title "edgesim demo"
echo "report: $out/report/index.html"
