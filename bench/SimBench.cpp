// Host cost of one simulated MLPerf Tiny inference on a Cortex-M platform or an accelerator
// SoC through the library's query API (explorer::Session::run: the figure a NAS loop or a
// sweep pays per query once configs and the network are loaded): resolve the query (cached
// specs, content hash), bind the schedule to the platform and stack, run it (TLM: through the
// elaborated SystemC model; analytical: closed form) and account energy. The mapping is
// searched once (the session caches it), as in a sweep over many points; the mapper's own
// cost is measured separately.
#include "explorer/session/Session.h"

#include <benchmark/benchmark.h>

namespace {

using edgesim::sim::Fidelity;

edgesim::explorer::Session& session() {
    static edgesim::explorer::Session s{edgesim::ConfigPaths(EDGESIM_SOURCE_DIR "/configs")};
    return s;
}

edgesim::explorer::Query query(const char* platform, const char* stack, const char* network,
                               Fidelity fidelity) {
    edgesim::explorer::Query q;
    q.platform = platform;
    q.stack = stack;
    q.network = network;
    q.fidelity = fidelity;
    return q;
}

/// One whole inference (the stack's default mapping at the same fidelity, searched once).
void bmSimulate(benchmark::State& state, const char* platform, const char* stack,
                const char* network, Fidelity fidelity) {
    const auto q = query(platform, stack, network, fidelity);
    auto last = session().run(q).result; // loads, elaborates and maps outside the loop
    for (auto _ : state) {
        auto result = session().run(q);
        benchmark::DoNotOptimize(result.result.latencyCycles);
    }
    state.counters["latency_ms"] = last.latencyS * 1e3;
    state.counters["tiles"] = [&] {
        double n = 0;
        for (const auto& l : last.layers) {
            n += l.tiles;
        }
        return n;
    }();
}

/// The stack's default mapper (greedy-latency on the accelerator SoCs) for one network, its
/// layers costed at TLM fidelity.
void bmMapper(benchmark::State& state, const char* platform, const char* stack,
              const char* network) {
    const auto q = query(platform, stack, network, Fidelity::Tlm);
    const auto& schedule = session().network(network, "inference", 1).schedule;
    auto& simulator = session().simulator(q);
    for (auto _ : state) {
        auto mapping = simulator.mappingFor(schedule, {});
        benchmark::DoNotOptimize(mapping.kernels.size());
    }
}

#define EDGESIM_SIM_BENCH(name, platform, stack, network)                                          \
    BENCHMARK_CAPTURE(bmSimulate, name##_tlm, platform, stack, network, Fidelity::Tlm)             \
        ->Unit(benchmark::kMicrosecond);                                                           \
    BENCHMARK_CAPTURE(bmSimulate, name##_analytical, platform, stack, network,                     \
                      Fidelity::Analytical)                                                        \
        ->Unit(benchmark::kMicrosecond)

#define EDGESIM_SOC_BENCH(name, platform, stack, network)                                          \
    EDGESIM_SIM_BENCH(name, platform, stack, network);                                             \
    BENCHMARK_CAPTURE(bmMapper, name##_mapper, platform, stack, network)                           \
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
