// Host cost of one simulated MLPerf Tiny inference on a Cortex-M platform, the figure a NAS
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

void bmSimulate(benchmark::State& state, const char* platform, const char* stack,
                const char* network, Fidelity fidelity) {
    const edgesim::ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
    const auto net = edgesim::workloads::loadNetwork(network, paths);
    const auto schedule = edgesim::workloads::lowerInference(net.network);
    auto& sim = simulator(platform, stack);
    edgesim::sim::RunOptions options;
    options.fidelity = fidelity;
    for (auto _ : state) {
        auto result = sim.run(schedule, options);
        benchmark::DoNotOptimize(result.latencyCycles);
    }
    state.counters["latency_ms"] = sim.run(schedule, options).latencyS * 1e3;
}

#define EDGESIM_SIM_BENCH(name, platform, stack, network)                                    \
    BENCHMARK_CAPTURE(bmSimulate, name##_tlm, platform, stack, network, Fidelity::Tlm)       \
        ->Unit(benchmark::kMicrosecond);                                                     \
    BENCHMARK_CAPTURE(bmSimulate, name##_analytical, platform, stack, network,               \
                      Fidelity::Analytical)                                                  \
        ->Unit(benchmark::kMicrosecond)

EDGESIM_SIM_BENCH(l4r5_tflm_kws, "nucleo-l4r5zi", "tflm-2.3", "mlperf_tiny/kws");
EDGESIM_SIM_BENCH(l4r5_tflm_vww, "nucleo-l4r5zi", "tflm-2.3", "mlperf_tiny/vww");
EDGESIM_SIM_BENCH(l4r5_tflm_ic, "nucleo-l4r5zi", "tflm-2.3", "mlperf_tiny/ic");
EDGESIM_SIM_BENCH(l4r5_tflm_ad, "nucleo-l4r5zi", "tflm-2.3", "mlperf_tiny/ad");
EDGESIM_SIM_BENCH(h7a3_xcube_vww, "nucleo-h7a3zi-q", "x-cube-ai-7.3", "mlperf_tiny/vww");
EDGESIM_SIM_BENCH(g0b1_cmsis_kws, "nucleo-g0b1re", "tflm-cmsis-nn", "mlperf_tiny/kws");

} // namespace

BENCHMARK_MAIN();
