// Host cost of one simulated MLPerf Tiny inference on a Cortex-M platform or an accelerator
// SoC (with the layer-to-engine mapping fixed, as a NAS loop that searches networks does; the
// mapper's own cost is measured separately), the figure a NAS
// loop pays per query once the network is lowered: bind the schedule to the platform and
// stack, run it (TLM: through the elaborated SystemC model; analytical: closed form), and
// account energy. The platform is elaborated once, outside the timed loop.
#include "common/ConfigPaths.h"
#include "platforms/PlatformCatalog.h"
#include "sim/Simulator.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"

#include <benchmark/benchmark.h>

#include <map>
#include <memory>

namespace {

using edgesim::sim::Fidelity;

edgesim::sim::Simulator& simulator(const std::string& platform, const std::string& stack) {
    static std::map<std::string, std::unique_ptr<edgesim::sim::Simulator>> cache;
    auto& slot = cache[platform + "|" + stack];
    if (!slot) {
        const edgesim::ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
        slot = std::make_unique<edgesim::sim::Simulator>(
            edgesim::platforms::loadPlatform(platform, paths),
            edgesim::platforms::loadStack(stack, paths));
    }
    return *slot;
}

edgesim::workloads::Schedule scheduleOf(const char* network) {
    const edgesim::ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
    return edgesim::workloads::lowerInference(
        edgesim::workloads::loadNetwork(network, paths).network);
}

/// One whole inference with the mapping fixed beforehand (the stack's default mapper at the
/// same fidelity; host-only on the MCUs).
void bmSimulate(benchmark::State& state, const char* platform, const char* stack,
                const char* network, Fidelity fidelity) {
    const auto schedule = scheduleOf(network);
    auto& sim = simulator(platform, stack);
    edgesim::sim::RunOptions options;
    options.fidelity = fidelity;
    const edgesim::sim::Mapping mapping = sim.mappingFor(schedule, options);
    options.mapping = &mapping;
    for (auto _ : state) {
        auto result = sim.run(schedule, options);
        benchmark::DoNotOptimize(result.latencyCycles);
    }
    const auto last = sim.run(schedule, options);
    state.counters["latency_ms"] = last.latencyS * 1e3;
    state.counters["tiles"] = [&] {
        double n = 0;
        for (const auto& l : last.layers) {
            n += l.tiles;
        }
        return n;
    }();
}

/// The stack's default mapper (greedy-latency on the accelerator SoCs) for one network.
void bmMapper(benchmark::State& state, const char* platform, const char* stack,
              const char* network) {
    const auto schedule = scheduleOf(network);
    auto& sim = simulator(platform, stack);
    for (auto _ : state) {
        auto mapping = sim.mappingFor(schedule, {});
        benchmark::DoNotOptimize(mapping.kernels.size());
    }
}

#define EDGESIM_SIM_BENCH(name, platform, stack, network)                                    \
    BENCHMARK_CAPTURE(bmSimulate, name##_tlm, platform, stack, network, Fidelity::Tlm)       \
        ->Unit(benchmark::kMicrosecond);                                                     \
    BENCHMARK_CAPTURE(bmSimulate, name##_analytical, platform, stack, network,               \
                      Fidelity::Analytical)                                                  \
        ->Unit(benchmark::kMicrosecond)

#define EDGESIM_SOC_BENCH(name, platform, stack, network)                                    \
    EDGESIM_SIM_BENCH(name, platform, stack, network);                                       \
    BENCHMARK_CAPTURE(bmMapper, name##_mapper, platform, stack, network)                     \
        ->Unit(benchmark::kMicrosecond)

EDGESIM_SIM_BENCH(l4r5_tflm_kws, "nucleo-l4r5zi", "tflm-2.3", "mlperf_tiny/kws");
EDGESIM_SIM_BENCH(l4r5_tflm_vww, "nucleo-l4r5zi", "tflm-2.3", "mlperf_tiny/vww");
EDGESIM_SIM_BENCH(l4r5_tflm_ic, "nucleo-l4r5zi", "tflm-2.3", "mlperf_tiny/ic");
EDGESIM_SIM_BENCH(l4r5_tflm_ad, "nucleo-l4r5zi", "tflm-2.3", "mlperf_tiny/ad");
EDGESIM_SIM_BENCH(h7a3_xcube_vww, "nucleo-h7a3zi-q", "x-cube-ai-7.3", "mlperf_tiny/vww");
EDGESIM_SIM_BENCH(g0b1_cmsis_kws, "nucleo-g0b1re", "tflm-cmsis-nn", "mlperf_tiny/kws");
EDGESIM_SOC_BENCH(u55_vela_kws, "corstone-300-ethos-u55", "vela", "mlperf_tiny/kws");
EDGESIM_SOC_BENCH(u55_vela_vww, "corstone-300-ethos-u55", "vela", "mlperf_tiny/vww");
EDGESIM_SOC_BENCH(u55_vela_ic, "corstone-300-ethos-u55", "vela", "mlperf_tiny/ic");
EDGESIM_SOC_BENCH(n6_stedge_vww, "stm32n6570-dk", "stedge-ai", "mlperf_tiny/vww");
EDGESIM_SOC_BENCH(gap9_flow_ic, "gap9-evk", "gap-flow", "mlperf_tiny/ic");
EDGESIM_SOC_BENCH(gap8_flow_vww, "gap8", "gap-flow", "mlperf_tiny/vww");
EDGESIM_SOC_BENCH(diana_htvm_ic, "diana", "htvm", "mlperf_tiny/ic");

} // namespace

BENCHMARK_MAIN();
