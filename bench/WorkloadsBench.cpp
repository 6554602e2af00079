// Host cost of the workload front end that a NAS loop pays per candidate: parse a network
// text spec, build the graph, infer shapes, plan memory.
#include "common/ConfigPaths.h"
#include "common/TextProto.h"
#include "workloads/graph/MemoryPlanner.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <benchmark/benchmark.h>

namespace {

void bmParseAndPlan(benchmark::State& state, const char* name) {
    const edgesim::ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
    const std::string file = paths.resolve("networks", name, "network");
    const std::string text = edgesim::readFile(file);
    for (auto _ : state) {
        auto net = edgesim::workloads::parseNetworkText(text, file);
        auto plan = edgesim::workloads::planMemory(net);
        benchmark::DoNotOptimize(plan.arenaBytes);
    }
}

BENCHMARK_CAPTURE(bmParseAndPlan, kws, "mlperf_tiny/kws")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(bmParseAndPlan, vww, "mlperf_tiny/vww")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(bmParseAndPlan, ic, "mlperf_tiny/ic")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(bmParseAndPlan, ad, "mlperf_tiny/ad")->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
