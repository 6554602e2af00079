// Host cost of the workload front end that a NAS loop pays per candidate: parse a network
// text spec, build the graph, infer shapes, plan memory.
#include "common/ConfigPaths.h"
#include "common/TextProto.h"
#include "workloads/graph/MemoryPlanner.h"
#include "workloads/graph/ShapeInference.h"
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

// A chain of n dense layers: parse + build + plan must stay linear in n (issue 12 asks for a
// 100k-layer network in under a second).
void bmChain(benchmark::State& state) {
    const auto layers = state.range(0);
    std::string text = "name: \"chain\" activation_dtype: INT8 weight_dtype: INT8 "
                       "bias_dtype: INT32 inputs { name: \"x\" shape: [16] }\n";
    for (int64_t i = 0; i < layers; ++i) {
        text += "layers { name: \"fc" + std::to_string(i) +
                "\" dense { units: 16 } activation: RELU }\n";
    }
    for (auto _ : state) {
        auto net = edgesim::workloads::parseNetworkText(text, "chain.textproto");
        auto plan = edgesim::workloads::planMemory(net);
        benchmark::DoNotOptimize(plan.arenaBytes);
    }
    state.SetComplexityN(layers);
}

// The same chain built through the C++ API, as a NAS loop generating candidates does.
void bmChainApi(benchmark::State& state) {
    using namespace edgesim::workloads;
    const auto layers = state.range(0);
    for (auto _ : state) {
        Network net("chain");
        Layer in;
        in.name = "x";
        in.op = OpKind::Input;
        in.targetShape = {16};
        auto prev = net.addLayer(in);
        for (int64_t i = 0; i < layers; ++i) {
            Layer l;
            l.name = "fc" + std::to_string(i);
            l.op = OpKind::Dense;
            l.outChannels = 16;
            prev = net.addLayer(std::move(l), {prev});
        }
        inferShapes(net, "chain");
        benchmark::DoNotOptimize(net.totals().macs);
    }
    state.SetComplexityN(layers);
}

BENCHMARK(bmChainApi)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(bmChain)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
