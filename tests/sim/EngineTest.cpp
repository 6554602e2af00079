// Accelerator engines, tiling and layer-to-engine mapping, tested against independent truth:
// tile capacities, lower bounds on DMA traffic computed from each layer's loop nest, the
// effect of double buffering, channel splits across engines, host fallback, determinism and
// the TLM-vs-analytical gap, multi-hop DMA routes, the cluster's bank and core counts, AIMC
// weight blocks, and the mappers' orderings and latency budget.
//
// Configs (tests/sim/data): accel-npu.textproto (host "cpu", NPUs "fast" 8K x 8C = 64 MAC/cycle
// and "slow" 4K x 4C = 16 MAC/cycle, each on a private 32 KiB L1 with 1 KiB reserved, weights
// and activations in a 1 MiB L2, one 4-channel DMA), accel-mixed.textproto (a PULP-style
// 8-core "cluster" and a 256 x 64 "aimc" crossbar with 2-bit weights), accel-l3.textproto
// (weights in a "hyperram" only the I/O DMA reaches, so engine tiles take two DMA hops) and
// accel-stack.textproto (tflm-cmsis-nn host kernels plus engine kernels).
//
// Exceptions after a TLM run: see SimulatorTest.cpp. Nothing here expects an exception.
#include "sim/Simulator.h"

#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"
#include "sim/mapping/Mapper.h"
#include "sim/mapping/Mapping.h"
#include "sim/model/OperatingPoint.h"
#include "sim/model/Program.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include "tests/sim/SimTestData.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using edgesim::test::builtinSchedule;
using edgesim::test::configPaths;
using edgesim::test::memoryIndex;
using edgesim::test::testData;

namespace ps = edgesim::platforms::spec;
namespace wl = edgesim::workloads;
using edgesim::ConfigPaths;
using edgesim::sim::bindProgram;
using edgesim::sim::EngineTask;
using edgesim::sim::Fidelity;
using edgesim::sim::Hop;
using edgesim::sim::KernelJob;
using edgesim::sim::LayerChoice;
using edgesim::sim::LayerCoster;
using edgesim::sim::LayerResult;
using edgesim::sim::makeMapper;
using edgesim::sim::MapperOptions;
using edgesim::sim::Mapping;
using edgesim::sim::Objective;
using edgesim::sim::Program;
using edgesim::sim::ResolvedOperatingPoint;
using edgesim::sim::RunOptions;
using edgesim::sim::SimResult;
using edgesim::sim::Simulator;
using edgesim::sim::StackIndex;
using edgesim::sim::Status;
using edgesim::sim::TileWork;
using wl::Kernel;
using wl::Schedule;

// ---------------------------------------------------------------------------------------
// Helpers

const std::vector<std::string> kMlperfTiny = {"mlperf_tiny/ad", "mlperf_tiny/ic", "mlperf_tiny/kws",
                                              "mlperf_tiny/vww"};

ps::PlatformSpec npuPlatform() {
    return edgesim::platforms::loadPlatform(testData("accel-npu.textproto"), configPaths());
}

ps::PlatformSpec mixedPlatform() {
    return edgesim::platforms::loadPlatform(testData("accel-mixed.textproto"), configPaths());
}

ps::PlatformSpec l3Platform() {
    return edgesim::platforms::loadPlatform(testData("accel-l3.textproto"), configPaths());
}

ps::StackSpec accelStack() {
    return edgesim::platforms::loadStack(testData("accel-stack.textproto"), configPaths());
}

Schedule scheduleOf(const std::string& networkText) {
    return wl::lowerInference(wl::parseNetworkText(networkText, "<test network>"));
}

/// Every kernel of `schedule` on `choice`.
Mapping allOn(const Schedule& schedule, const LayerChoice& choice) {
    Mapping m;
    m.name = "all-on-" + choice.engine;
    m.kernels.assign(schedule.kernels.size(), choice);
    return m;
}

Mapping allOn(const Schedule& schedule, const std::string& engine) {
    return allOn(schedule, LayerChoice{engine, "", 1.0});
}

ResolvedOperatingPoint defaultPoint(const ps::PlatformSpec& platform) {
    return edgesim::sim::resolveOperatingPoint(platform, {}, platform.name());
}

Program bind(const Schedule& schedule, const ps::PlatformSpec& platform, const ps::StackSpec& stack,
             const Mapping& mapping) {
    const StackIndex index(stack);
    return bindProgram(schedule, platform, stack, index, defaultPoint(platform), &mapping);
}

RunOptions with(const Mapping& mapping, Fidelity fidelity = Fidelity::Tlm) {
    RunOptions o;
    o.fidelity = fidelity;
    o.mapping = &mapping;
    return o;
}

const Kernel* kernelNamed(const Schedule& schedule, const std::string& name) {
    for (const auto& k : schedule.kernels) {
        if (k.name == name) {
            return &k;
        }
    }
    ADD_FAILURE() << "no kernel " << name << " in " << schedule.network;
    return nullptr;
}

const LayerResult* layerNamed(const SimResult& r, const std::string& name) {
    for (const auto& l : r.layers) {
        if (l.name == name) {
            return &l;
        }
    }
    ADD_FAILURE() << "no layer " << name << " in the result";
    return nullptr;
}

template <typename Named> int indexNamed(const std::vector<Named>& items, const std::string& name) {
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].name == name) {
            return static_cast<int>(i);
        }
    }
    ADD_FAILURE() << "no " << name;
    return 0;
}

const ps::EngineSpec& engineSpec(const ps::PlatformSpec& platform, const std::string& name) {
    for (const auto& e : platform.engines()) {
        if (e.name() == name) {
            return e;
        }
    }
    ADD_FAILURE() << "no engine " << name;
    return platform.engines(0);
}

/// Local memory an engine's tiles may use: its size minus the reserved bytes.
int64_t tileCapacity(const ps::PlatformSpec& platform, const ps::EngineSpec& engine) {
    for (const auto& m : platform.memories()) {
        if (m.name() == engine.local_memory()) {
            return m.size_bytes() - engine.reserved_local_bytes();
        }
    }
    ADD_FAILURE() << "no memory " << engine.local_memory();
    return 0;
}

/// Peak MACs per cycle of an NPU: the product of its unroll sizes.
int64_t peakMacsPerCycle(const ps::EngineSpec& engine) {
    int64_t macs = 1;
    for (const auto& u : engine.npu().unroll()) {
        macs *= u.size();
    }
    return macs;
}

/// Positions of a window of `f` taps, `stride` apart, that `out` outputs read from an input
/// of `in` (padding never adds real elements, so at most `in`).
int64_t touched(int64_t in, int64_t out, int64_t f, int64_t stride) {
    return f >= stride ? std::min(in, (out - 1) * stride + f) : out * f;
}

/// Input bytes layer `k` reads at least once. Windowed ops (convolutions, dense, pooling)
/// touch the rows and columns their windows cover, in every input channel; the others read
/// every input element.
int64_t uniqueInputBytes(const Kernel& k) {
    const auto& n = k.loops;
    switch (k.op) {
    case wl::OpKind::Conv2d:
    case wl::OpKind::TemporalConv:
    case wl::OpKind::DepthwiseConv2d:
    case wl::OpKind::Dense:
    case wl::OpKind::AvgPool:
    case wl::OpKind::MaxPool: {
        const int64_t elementBytes = k.inputBytes / std::max<int64_t>(1, k.inputElements);
        return touched(n.iy, n.oy, n.fy, n.strideY) * touched(n.ix, n.ox, n.fx, n.strideX) *
               n.inputChannels() * elementBytes;
    }
    default: return k.inputBytes;
    }
}

struct Moved {
    int64_t weights = 0;
    int64_t inputs = 0;
    int64_t outputs = 0;
};

/// Bytes the DMA moves into and out of local memory for `job` (all tasks, all tiles).
Moved movedBy(const KernelJob& job) {
    Moved m;
    for (const EngineTask& task : job.tasks) {
        for (const TileWork& t : task.plan.tiles) {
            m.weights += task.weightRoute.empty() ? 0 : t.weightBytes;
            m.inputs += task.inputRoute.empty() ? 0 : t.inputBytes;
            m.outputs += task.outputRoute.empty() ? 0 : t.outputBytes;
        }
    }
    return m;
}

/// Checks every engine tile of `program` on `platform`: its footprint times the buffer
/// count fits the engine's local memory; for engines that keep their weights in local memory
/// (all but AIMC, whose weights go into the crossbar), the tile's inputs, outputs and the
/// weights it uses (loaded with it or still resident from an earlier tile) fit one buffer
/// set. Returns the number of tiles checked.
int checkTiles(const Program& program, const ps::PlatformSpec& platform,
               const std::string& context) {
    int checked = 0;
    for (const KernelJob& job : program.kernels) {
        for (const EngineTask& task : job.tasks) {
            const std::string& engineName =
                program.engines[static_cast<std::size_t>(task.engine)].name;
            const ps::EngineSpec& engine = engineSpec(platform, engineName);
            const int64_t capacity = tileCapacity(platform, engine);
            int64_t resident = 0;
            for (std::size_t i = 0; i < task.plan.tiles.size(); ++i) {
                const TileWork& t = task.plan.tiles[i];
                const std::string where = context + " layer " + job.name + " on " + engineName +
                                          " tile " + std::to_string(i);
                EXPECT_LE(t.footprintBytes * program.buffers, capacity) << where;
                if (engine.kind() != ps::AIMC) {
                    if (t.weightBytes > 0) {
                        resident = t.weightBytes;
                    }
                    EXPECT_LE(resident + t.inputBytes + t.outputBytes, t.footprintBytes) << where;
                }
                ++checked;
            }
        }
    }
    return checked;
}

// ---------------------------------------------------------------------------------------
// 1. Tiles never exceed the local memory.

TEST(EngineTilingTest, TilesFitLocalMemoryOnTestPlatforms) {
    const auto stack = accelStack();
    for (const auto& platform : {npuPlatform(), mixedPlatform()}) {
        for (const auto& engine : platform.engines()) {
            for (const auto& network : kMlperfTiny) {
                const Schedule schedule = builtinSchedule(network);
                const Program program =
                    bind(schedule, platform, stack, allOn(schedule, engine.name()));
                const std::string context = platform.name() + "/" + network;
                ASSERT_EQ(program.status, Status::Ok) << context << ": " << program.reason;
                EXPECT_EQ(program.buffers, 2) << "the stack double-buffers";
                EXPECT_GT(checkTiles(program, platform, context), 0)
                    << context << ": nothing ran on " << engine.name();
            }
        }
    }
}

TEST(EngineTilingTest, SingleBufferedTilesFitLocalMemory) {
    auto stack = accelStack();
    stack.set_engine_buffers(1);
    const auto platform = npuPlatform();
    for (const auto& network : kMlperfTiny) {
        const Schedule schedule = builtinSchedule(network);
        const Program program = bind(schedule, platform, stack, allOn(schedule, "slow"));
        ASSERT_EQ(program.status, Status::Ok) << network << ": " << program.reason;
        EXPECT_EQ(program.buffers, 1);
        EXPECT_GT(checkTiles(program, platform, network), 0);
    }
}

/// A configs/ platform with engines and the stack its vendor flow corresponds to.
using PlatformStack = std::pair<std::string, std::string>;

const std::vector<PlatformStack> kEnginePlatforms = {
    {"gap8", "gap-flow"},
    {"gap9-evk", "gap-flow"},
    {"corstone-300-ethos-u55", "vela"},
    {"corstone-300-ethos-u55-256", "vela"},
    {"stm32n6570-dk", "stedge-ai"},
    {"diana", "htvm"},
};

bool hasConfig(const std::string& kind, const std::string& name) {
    const auto names = configPaths().list(kind);
    return std::find(names.begin(), names.end(), name) != names.end();
}

class ConfigEngineTilingTest : public testing::TestWithParam<PlatformStack> {};

TEST_P(ConfigEngineTilingTest, TilesFitLocalMemory) {
    const auto& [platformName, stackName] = GetParam();
    if (!hasConfig("platforms", platformName) || !hasConfig("stacks", stackName)) {
        GTEST_SKIP() << "configs/platforms/" << platformName << " or configs/stacks/" << stackName
                     << " is missing";
    }
    const auto platform = edgesim::platforms::loadPlatform(platformName, configPaths());
    const auto stack = edgesim::platforms::loadStack(stackName, configPaths());
    ASSERT_GT(platform.engines_size(), 0);
    int checked = 0;
    for (const auto& engine : platform.engines()) {
        for (const auto& network : kMlperfTiny) {
            const Schedule schedule = builtinSchedule(network);
            const Program program = bind(schedule, platform, stack, allOn(schedule, engine.name()));
            // A network may not fit the platform's RAM; the tiles planned still must fit L1.
            checked +=
                checkTiles(program, platform, platformName + "/" + engine.name() + "/" + network);
        }
    }
    EXPECT_GT(checked, 0);
}

std::string platformStackName(const testing::TestParamInfo<PlatformStack>& param) {
    std::string s = param.param.first;
    std::replace(s.begin(), s.end(), '-', '_');
    return s;
}

INSTANTIATE_TEST_SUITE_P(Configs, ConfigEngineTilingTest, testing::ValuesIn(kEnginePlatforms),
                         platformStackName);

TEST(EngineConfigCoverageTest, EveryConfigPlatformWithEnginesIsCovered) {
    std::set<std::string> covered;
    for (const auto& [platform, stack] : kEnginePlatforms) {
        covered.insert(platform);
    }
    for (const auto& name : configPaths().list("platforms")) {
        const auto platform = edgesim::platforms::loadPlatform(name, configPaths());
        if (platform.engines_size() > 0) {
            EXPECT_EQ(covered.count(name), 1U)
                << name << " has engines: add it and its stack to kEnginePlatforms";
        }
    }
}

// ---------------------------------------------------------------------------------------
// 2. The DMA moves at least the data a layer touches.

TEST(EngineTrafficTest, DmaMovesAtLeastTheUniqueDataOfEachLayer) {
    const auto stack = accelStack();
    for (const auto& platform : {npuPlatform(), mixedPlatform()}) {
        Simulator sim(platform, stack);
        for (const auto& engine : platform.engines()) {
            for (const auto& network : kMlperfTiny) {
                const Schedule schedule = builtinSchedule(network);
                const Mapping mapping = allOn(schedule, engine.name());
                const Program program = bind(schedule, platform, stack, mapping);
                ASSERT_EQ(program.status, Status::Ok) << program.reason;
                const SimResult r = sim.run(schedule, with(mapping, Fidelity::Analytical));
                ASSERT_EQ(r.status, Status::Ok) << r.reason;
                const int l2 = memoryIndex(r, "l2");
                int offloaded = 0;
                for (const KernelJob& job : program.kernels) {
                    if (job.tasks.empty()) {
                        continue;
                    }
                    ++offloaded;
                    const Kernel* k = kernelNamed(schedule, job.name);
                    ASSERT_NE(k, nullptr);
                    const std::string where =
                        platform.name() + "/" + engine.name() + "/" + network + " " + job.name;
                    int64_t weights = k->weightBytes;
                    if (engine.kind() == ps::AIMC) {
                        // The crossbar stores C x FY x FX rows by K columns of weight_bits
                        // cells (no biases).
                        const auto& n = k->loops;
                        const int64_t cells = n.c * n.fy * n.fx * n.k * n.g;
                        weights = (cells * engine.aimc().weight_bits() + 7) / 8;
                    }
                    const int64_t inputs = uniqueInputBytes(*k);
                    const Moved moved = movedBy(job);
                    EXPECT_GE(moved.weights, weights) << where;
                    EXPECT_GE(moved.inputs, inputs) << where;
                    EXPECT_GE(moved.outputs, k->outputBytes) << where;
                    // The same seen from the result: weights and activations both sit in l2.
                    const LayerResult* layer = layerNamed(r, job.name);
                    ASSERT_NE(layer, nullptr);
                    EXPECT_GE(layer->bytesRead[static_cast<std::size_t>(l2)], weights + inputs)
                        << where;
                    EXPECT_GE(layer->bytesWritten[static_cast<std::size_t>(l2)], k->outputBytes)
                        << where;
                }
                EXPECT_GT(offloaded, 0)
                    << platform.name() << "/" << engine.name() << "/" << network;
            }
        }
    }
}

TEST(EngineTrafficTest, UniqueInputBytesOfAStridedConvolutionByHand) {
    // The reference of the test above, by hand. kws conv1: input 49 x 10 x 1, 10 x 4 window,
    // stride 2, SAME padding -> 25 x 5 outputs. Rows: min(49, 24 * 2 + 10) = 49; columns:
    // min(10, 4 * 2 + 4) = 10; one channel: 490 bytes, the whole input.
    const Schedule kws = builtinSchedule("mlperf_tiny/kws");
    const Kernel* conv1 = kernelNamed(kws, "conv1");
    ASSERT_NE(conv1, nullptr);
    EXPECT_EQ(uniqueInputBytes(*conv1), 490);
    // ic s2_shortcut: 1 x 1 window, stride 2 over 32 x 32 x 16 -> 16 x 16: the window is
    // narrower than the stride, so 16 rows x 16 columns x 16 channels = 4096 bytes.
    const Schedule ic = builtinSchedule("mlperf_tiny/ic");
    const Kernel* shortcut = kernelNamed(ic, "s2_shortcut");
    ASSERT_NE(shortcut, nullptr);
    EXPECT_EQ(uniqueInputBytes(*shortcut), 4096);
}

TEST(EngineTrafficTest, GlobalPoolingLoadsItsWholeInput) {
    // input 8 x 8 x 32 -> global_avg_pool -> 1 x 1 x 32 on the cluster: every one of the
    // 8 x 8 x 32 = 2048 input bytes enters the mean, so the DMA must bring all of them in,
    // and the cluster reads each of them once: 1 cycle per input, spread over 8 cores, on top
    // of the kernel's 500 cycles per layer and, per tile, 100 cycles and a 20-cycle barrier.
    const Schedule schedule = scheduleOf("name: \"test/gap\"\n"
                                         "inputs { name: \"x\" shape: [8, 8, 32] }\n"
                                         "layers { name: \"gap\" global_avg_pool {} }\n");
    const Kernel* k = kernelNamed(schedule, "gap");
    ASSERT_NE(k, nullptr);
    ASSERT_EQ(k->inputBytes, 2048);
    const Program program =
        bind(schedule, mixedPlatform(), accelStack(), allOn(schedule, "cluster"));
    ASSERT_EQ(program.status, Status::Ok) << program.reason;
    ASSERT_EQ(program.kernels.size(), 2U);
    const KernelJob& job = program.kernels[1];
    ASSERT_EQ(job.tasks.size(), 1U);
    EXPECT_GE(movedBy(job).inputs, 2048);
    uint64_t compute = 0;
    for (const TileWork& t : job.tasks[0].plan.tiles) {
        compute += t.computeCycles;
    }
    const uint64_t tiles = job.tasks[0].plan.tiles.size();
    EXPECT_GE(compute, 500 + tiles * (100 + 20) + 2048 / 8);
}

// ---------------------------------------------------------------------------------------
// 3. Double buffering hides the DMA under compute.

// input 32 x 32 x 32 -> conv 3x3 (SAME) 32 channels: 9216 weight bytes + 128 of int32 bias,
// 32 KiB of inputs and 32 KiB of outputs, about 2.3 times the 31744 bytes "fast" may use.
constexpr const char* kBigConv = "name: \"test/big_conv\"\n"
                                 "inputs { name: \"x\" shape: [32, 32, 32] }\n"
                                 "layers { name: \"conv\" conv2d { out_channels: 32 "
                                 "window { kernel: [3, 3] } } }\n";

TEST(EngineBufferingTest, DoubleBufferingHidesDmaUnderCompute) {
    const Schedule schedule = scheduleOf(kBigConv);
    const Kernel* k = kernelNamed(schedule, "conv");
    ASSERT_NE(k, nullptr);
    const auto platform = npuPlatform();
    const int64_t capacity = tileCapacity(platform, engineSpec(platform, "fast"));
    ASSERT_GT(k->weightBytes + k->inputBytes + k->outputBytes, 2 * capacity);
    const Mapping mapping = allOn(schedule, "fast");
    // The conv layer with `buffers` buffers per operand, and the cycles "fast" computed.
    const auto run = [&](int buffers) {
        auto stack = accelStack();
        stack.set_engine_buffers(buffers);
        Simulator sim(platform, stack);
        const SimResult r = sim.run(schedule, with(mapping));
        EXPECT_EQ(r.status, Status::Ok) << r.reason;
        const LayerResult* l = layerNamed(r, "conv");
        const int fast = indexNamed(r.engines, "fast") - 1; // engines[0] is the host core
        return l == nullptr || fast < 0
                   ? std::make_pair(LayerResult{}, uint64_t{0})
                   : std::make_pair(*l, l->engineBusyCycles[static_cast<std::size_t>(fast)]);
    };

    const auto [pipelinedLayer, busy2] = run(2);
    const LayerResult* pipelined = &pipelinedLayer;
    EXPECT_GE(pipelined->tiles, 4);
    EXPECT_GT(busy2, 0U);
    EXPECT_GT(pipelined->dmaCycles, 0U);
    EXPECT_LT(pipelined->cycles(), busy2 + pipelined->dmaCycles);
    EXPECT_GT(pipelined->overlap(), 0.3);

    const auto [sequentialLayer, busy1] = run(1);
    const LayerResult* sequential = &sequentialLayer;
    EXPECT_GE(sequential->tiles, 2);
    EXPECT_GT(sequential->dmaCycles, 0U);
    // Sequential: every transfer and every tile's compute one after the other.
    EXPECT_GE(sequential->cycles() + sequential->cycles() / 1000, busy1 + sequential->dmaCycles);
    EXPECT_LT(sequential->overlap(), 0.01);
    EXPECT_LT(pipelined->cycles(), sequential->cycles()) << "double buffering should pay off here";
}

// ---------------------------------------------------------------------------------------
// 4. Channel splits across two engines.

// input 16 x 16 x 64 -> conv 3x3 (SAME) 128 channels: 18.9 M MACs, compute-bound on both
// NPUs. Alone, "fast" takes 16 K blocks x 8 C blocks per window tap and pixel; the balanced
// split (64 / (64 + 16) = 0.8 -> 104 channels on "fast", 24 on "slow") takes 13 x 8 on "fast"
// and 6 x 16 on "slow" in parallel, about 19% less.
constexpr const char* kWideConv = "name: \"test/wide_conv\"\n"
                                  "inputs { name: \"x\" shape: [16, 16, 64] }\n"
                                  "layers { name: \"conv\" conv2d { out_channels: 128 "
                                  "window { kernel: [3, 3] } } }\n";

TEST(EngineSplitTest, BalancedSplitBeatsEachEngineAloneAndUnbalancedDoesNot) {
    const Schedule schedule = scheduleOf(kWideConv);
    const auto platform = npuPlatform();
    Simulator sim(platform, accelStack());
    const auto latency = [&](const LayerChoice& choice) {
        const Mapping mapping = allOn(schedule, choice);
        const SimResult r = sim.run(schedule, with(mapping));
        EXPECT_EQ(r.status, Status::Ok) << r.reason;
        const LayerResult* l = layerNamed(r, "conv");
        return l == nullptr ? uint64_t{0} : l->cycles();
    };
    const auto fastPeak = static_cast<double>(peakMacsPerCycle(engineSpec(platform, "fast")));
    const auto slowPeak = static_cast<double>(peakMacsPerCycle(engineSpec(platform, "slow")));
    ASSERT_EQ(fastPeak, 64.0);
    ASSERT_EQ(slowPeak, 16.0);
    const double balanced = fastPeak / (fastPeak + slowPeak);

    const uint64_t fastAlone = latency({"fast", "", 1.0});
    const uint64_t slowAlone = latency({"slow", "", 1.0});
    const uint64_t split = latency({"fast", "slow", balanced});
    const uint64_t unbalanced = latency({"fast", "slow", 0.25});
    EXPECT_LT(fastAlone, slowAlone);
    EXPECT_LT(split, fastAlone);
    EXPECT_LT(split, slowAlone);
    EXPECT_GE(unbalanced, fastAlone);

    // The split really ran on both engines.
    const Mapping mapping = allOn(schedule, LayerChoice{"fast", "slow", balanced});
    const SimResult r = sim.run(schedule, with(mapping));
    const LayerResult* l = layerNamed(r, "conv");
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->engine, "fast+slow");
    for (std::size_t e = 0; e < l->engineBusyCycles.size(); ++e) {
        EXPECT_GT(l->engineBusyCycles[e], 0U) << r.engines[e + 1].name;
    }
}

// ---------------------------------------------------------------------------------------
// 5. Ops an engine lacks fall back to the host.

TEST(EngineFallbackTest, OpsTheNpuLacksRunOnTheHost) {
    // ic on "fast", which has no avg_pool and no softmax.
    const Schedule schedule = builtinSchedule("mlperf_tiny/ic");
    const auto platform = npuPlatform();
    const Mapping mapping = allOn(schedule, "fast");
    Simulator sim(platform, accelStack());
    const SimResult r = sim.run(schedule, with(mapping));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    const int l2 = memoryIndex(r, "l2");
    const std::string host = platform.cores(0).name();
    // Host costs of accel-stack.textproto (tflm-cmsis-nn's): avg_pool 1500 per call + 1.5 per
    // input + 10 per output; softmax 1500 + 40 per input + 20 per output (cycle_scale 1).
    const std::map<std::string, std::pair<double, double>> perInputOutput = {
        {"avg_pool", {1.5, 10}}, {"softmax", {40, 20}}};
    int fallbacks = 0;
    for (const auto& layer : r.layers) {
        if (layer.name == "(runtime)") {
            continue;
        }
        const Kernel* k = kernelNamed(schedule, layer.name);
        ASSERT_NE(k, nullptr);
        const auto it = perInputOutput.find(layer.op);
        if (it == perInputOutput.end()) {
            EXPECT_FALSE(layer.fallback) << layer.name;
            EXPECT_EQ(layer.engine, "fast") << layer.name;
            continue;
        }
        ++fallbacks;
        EXPECT_TRUE(layer.fallback) << layer.name;
        EXPECT_EQ(layer.engine, host) << layer.name;
        const double compute = 1500 + it->second.first * static_cast<double>(k->inputElements) +
                               it->second.second * static_cast<double>(k->outputElements);
        EXPECT_GE(static_cast<double>(layer.cycles()), compute) << layer.name;
        EXPECT_GE(layer.bytesRead[static_cast<std::size_t>(l2)], k->inputBytes) << layer.name;
        for (uint64_t busy : layer.engineBusyCycles) {
            EXPECT_EQ(busy, 0U) << layer.name;
        }
    }
    EXPECT_EQ(fallbacks, 2); // avgpool and softmax
}

// ---------------------------------------------------------------------------------------
// 6. Determinism and the TLM-vs-analytical gap.

void expectSameRun(const SimResult& a, const SimResult& b) {
    EXPECT_EQ(a.latencyCycles, b.latencyCycles);
    EXPECT_EQ(a.energyJ, b.energyJ);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const auto& x = a.layers[i];
        const auto& y = b.layers[i];
        EXPECT_EQ(x.engine, y.engine) << x.name;
        EXPECT_EQ(x.startCycle, y.startCycle) << x.name;
        EXPECT_EQ(x.endCycle, y.endCycle) << x.name;
        EXPECT_EQ(x.engineBusyCycles, y.engineBusyCycles) << x.name;
        EXPECT_EQ(x.dmaCycles, y.dmaCycles) << x.name;
        EXPECT_EQ(x.hiddenCycles, y.hiddenCycles) << x.name;
        EXPECT_EQ(x.energyJ, y.energyJ) << x.name;
    }
}

TEST(EngineDeterminismTest, RepeatedTlmRunsAreIdentical) {
    const Schedule schedule = builtinSchedule("mlperf_tiny/ic");
    const auto platform = npuPlatform();
    const auto stack = accelStack();
    // Half the layers on each NPU and one split, so both engines and the DMA channels are
    // exercised.
    Mapping mapping = allOn(schedule, "fast");
    for (std::size_t i = 0; i < mapping.kernels.size(); i += 2) {
        mapping.kernels[i] = {"slow", "", 1.0};
    }
    mapping.kernels[1] = {"fast", "slow", 0.5};
    Simulator a(platform, stack);
    const SimResult first = a.run(schedule, with(mapping));
    ASSERT_EQ(first.status, Status::Ok) << first.reason;
    const SimResult again = a.run(schedule, with(mapping));
    Simulator b(platform, stack);
    const SimResult other = b.run(schedule, with(mapping));
    expectSameRun(first, again);
    expectSameRun(first, other);
}

class EngineTimelineTest : public testing::TestWithParam<Fidelity> {};

TEST_P(EngineTimelineTest, OffloadedLayersLastAtLeastLaunchPlusEngineBusyCycles) {
    // An engine computes its tiles one after the other, after the host has launched the
    // job: a layer on one engine lasts at least the launch plus its tiles' compute cycles.
    const auto platform = npuPlatform();
    const auto launch = static_cast<uint64_t>(engineSpec(platform, "fast").launch_cycles());
    Simulator sim(platform, accelStack());
    for (const std::string network : {"mlperf_tiny/kws", "mlperf_tiny/ic"}) {
        const Schedule schedule = builtinSchedule(network);
        const Mapping mapping = allOn(schedule, "fast");
        const SimResult r = sim.run(schedule, with(mapping, GetParam()));
        ASSERT_EQ(r.status, Status::Ok) << r.reason;
        const int fast = indexNamed(r.engines, "fast") - 1;
        for (const auto& l : r.layers) {
            if (l.engine != "fast") {
                continue;
            }
            EXPECT_GE(l.cycles(), launch + l.engineBusyCycles[static_cast<std::size_t>(fast)])
                << network << " " << l.name << " (" << l.tiles << " tiles)";
        }
    }
}

std::string fidelityName(const testing::TestParamInfo<Fidelity>& param) {
    return param.param == Fidelity::Tlm ? "Tlm" : "Analytical";
}

INSTANTIATE_TEST_SUITE_P(Fidelities, EngineTimelineTest,
                         testing::Values(Fidelity::Tlm, Fidelity::Analytical), fidelityName);

TEST(EngineDeterminismTest, TlmAndAnalyticalAgreeOnASingleEngine) {
    const auto platform = npuPlatform();
    Simulator sim(platform, accelStack());
    for (const std::string network : {"mlperf_tiny/kws", "mlperf_tiny/ic"}) {
        const Schedule schedule = builtinSchedule(network);
        const Mapping mapping = allOn(schedule, "fast");
        const SimResult tlm = sim.run(schedule, with(mapping, Fidelity::Tlm));
        const SimResult ana = sim.run(schedule, with(mapping, Fidelity::Analytical));
        ASSERT_EQ(tlm.status, Status::Ok) << tlm.reason;
        ASSERT_EQ(ana.status, Status::Ok) << ana.reason;
        const auto t = static_cast<double>(tlm.latencyCycles);
        const auto a = static_cast<double>(ana.latencyCycles);
        EXPECT_LE(std::abs(t - a), 0.15 * a) << network << ": tlm " << t << " analytical " << a;
    }
}

// ---------------------------------------------------------------------------------------
// 7. Data behind another DMA takes two hops.

TEST(EngineRoutingTest, WeightsBehindTheIoDmaTakeTwoHops) {
    const auto platform = l3Platform();
    const auto stack = accelStack();
    const Schedule schedule = builtinSchedule("mlperf_tiny/ad");
    const Mapping mapping = allOn(schedule, "cluster");
    const Program program = bind(schedule, platform, stack, mapping);
    ASSERT_EQ(program.status, Status::Ok) << program.reason;
    const int hyperram = indexNamed(program.memories, "hyperram");
    const int sram = indexNamed(program.memories, "sram");
    const int l2 = indexNamed(program.memories, "l2");
    const int l1 = indexNamed(program.memories, "l1");
    const int udma = indexNamed(program.dmas, "udma");
    const int clusterDma = indexNamed(program.dmas, "cluster_dma");
    const auto expectRoute = [&](const std::vector<Hop>& route, int from, int to,
                                 const std::string& what) {
        ASSERT_EQ(route.size(), 2U) << what;
        EXPECT_EQ(route[0].from, from) << what;
        EXPECT_EQ(route[0].to, l2) << what;
        EXPECT_EQ(route[1].from, l2) << what;
        EXPECT_EQ(route[1].to, to) << what;
        // The I/O DMA touches the SoC side, the cluster DMA the L1 side.
        EXPECT_EQ(route[0].dma, from == l1 ? clusterDma : udma) << what;
        EXPECT_EQ(route[1].dma, to == l1 ? clusterDma : udma) << what;
    };
    int offloaded = 0;
    for (const KernelJob& job : program.kernels) {
        for (const EngineTask& task : job.tasks) {
            ++offloaded;
            expectRoute(task.weightRoute, hyperram, l1, job.name + " weights");
            expectRoute(task.inputRoute, sram, l1, job.name + " inputs");
            expectRoute(task.outputRoute, l1, sram, job.name + " outputs");
        }
    }
    EXPECT_GT(offloaded, 0);

    Simulator sim(platform, stack);
    const SimResult r = sim.run(schedule, with(mapping));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    const int hr = memoryIndex(r, "hyperram");
    EXPECT_GE(r.bytesRead[static_cast<std::size_t>(hr)], schedule.weightBytes);
    for (const KernelJob& job : program.kernels) {
        if (job.tasks.empty()) {
            continue;
        }
        const Kernel* k = kernelNamed(schedule, job.name);
        const LayerResult* layer = layerNamed(r, job.name);
        ASSERT_NE(k, nullptr);
        ASSERT_NE(layer, nullptr);
        EXPECT_GE(layer->bytesRead[static_cast<std::size_t>(hr)], k->weightBytes) << job.name;
        // Staged: everything the weights hop brings into l2 the next hop takes out again.
        EXPECT_GE(layer->dmaBytes[static_cast<std::size_t>(memoryIndex(r, "l2"))],
                  2 * k->weightBytes)
            << job.name;
    }
}

// ---------------------------------------------------------------------------------------
// 8. Cluster: banks and cores.

// input 32 x 32 x 16 -> conv 3x3 (SAME) 32 channels: 4.7 M MACs, compute-bound on the cluster.
constexpr const char* kClusterConv = "name: \"test/cluster_conv\"\n"
                                     "inputs { name: \"x\" shape: [32, 32, 16] }\n"
                                     "layers { name: \"conv\" conv2d { out_channels: 32 "
                                     "window { kernel: [3, 3] } } }\n";

/// Cycles of the cluster conv with the cluster's cores and L1 banks set as given (TLM).
std::pair<uint64_t, uint64_t> clusterConv(int cores, int banks) {
    auto platform = mixedPlatform();
    for (auto& e : *platform.mutable_engines()) {
        if (e.name() == "cluster") {
            e.mutable_cluster()->set_cores(cores);
            e.mutable_cluster()->set_l1_banks(banks);
        }
    }
    const Schedule schedule = scheduleOf(kClusterConv);
    const Mapping mapping = allOn(schedule, "cluster");
    Simulator sim(platform, accelStack());
    const SimResult r = sim.run(schedule, with(mapping));
    EXPECT_EQ(r.status, Status::Ok) << r.reason;
    const LayerResult* l = layerNamed(r, "conv");
    if (l == nullptr) {
        return {0, 0};
    }
    const int cluster = indexNamed(r.engines, "cluster") - 1;
    return {l->cycles(), l->engineBusyCycles[static_cast<std::size_t>(cluster)]};
}

TEST(EngineClusterTest, FewerBanksCostMoreCyclesAndMoreCoresFewer) {
    const auto [base, baseBusy] = clusterConv(8, 16);
    const auto [fewBanks, fewBanksBusy] = clusterConv(8, 4);
    const auto [fewCores, fewCoresBusy] = clusterConv(4, 16);
    EXPECT_GT(baseBusy, 0U);
    EXPECT_GT(fewBanksBusy, baseBusy);
    EXPECT_GT(fewBanks, base);
    EXPECT_GT(fewCoresBusy, baseBusy);
    EXPECT_GT(fewCores, base);
}

// ---------------------------------------------------------------------------------------
// 9. AIMC: weight blocks and depthwise.

// conv 3x3 over 32 channels -> 96: 32 x 3 x 3 = 288 crossbar rows / 256 = 2 row blocks, 96
// columns / 64 = 2 column blocks: 4 weight blocks. dense 640 -> 128: 640 rows -> 3 row
// blocks, 128 columns -> 2 column blocks: 6. dense 128 -> 64 fits the 256 x 64 array: 1.
constexpr const char* kAimcConv = "name: \"test/aimc_conv\"\n"
                                  "inputs { name: \"x\" shape: [8, 8, 32] }\n"
                                  "layers { name: \"conv\" conv2d { out_channels: 96 "
                                  "window { kernel: [3, 3] } } }\n";
constexpr const char* kAimcDense = "name: \"test/aimc_dense\"\n"
                                   "inputs { name: \"x\" shape: [640] }\n"
                                   "layers { name: \"fc_wide\" dense { units: 128 } }\n"
                                   "layers { name: \"fc_small\" dense { units: 64 } }\n";

TEST(EngineAimcTest, LayersLargerThanTheCrossbarAreCutIntoWeightBlocks) {
    const auto platform = mixedPlatform();
    const auto stack = accelStack();
    const std::map<std::string, int> expectedBlocks = {
        {"conv", 4}, {"fc_wide", 6}, {"fc_small", 1}};
    int layers = 0;
    for (const char* network : {kAimcConv, kAimcDense}) {
        const Schedule schedule = scheduleOf(network);
        const Program program = bind(schedule, platform, stack, allOn(schedule, "aimc"));
        ASSERT_EQ(program.status, Status::Ok) << program.reason;
        for (const KernelJob& job : program.kernels) {
            const auto it = expectedBlocks.find(job.name);
            if (it == expectedBlocks.end()) {
                continue;
            }
            ++layers;
            ASSERT_EQ(job.tasks.size(), 1U) << job.name;
            EXPECT_FALSE(job.fallback) << job.name;
            int weightBlocks = 0;
            for (const TileWork& t : job.tasks[0].plan.tiles) {
                weightBlocks += t.weightBytes > 0 ? 1 : 0;
            }
            EXPECT_EQ(weightBlocks, it->second) << job.name;
        }
    }
    EXPECT_EQ(layers, 3);
}

TEST(EngineNpuTest, FilterSizesOutsideTheNpuLimitsFallBackToTheHost) {
    // An NPU listing 1x1 and 3x3 convolutions only (as NE16) runs the 3x3 layer and hands the
    // 5x5 one to the host, which pays its reads.
    auto platform = npuPlatform();
    auto* limit = platform.mutable_engines(0)->mutable_npu()->add_filter_limits();
    limit->set_op("conv2d");
    limit->add_sizes("1x1");
    limit->add_sizes("3x3");
    const Schedule schedule =
        scheduleOf("name: \"test/filters\"\n"
                   "inputs { name: \"x\" shape: [16, 16, 16] }\n"
                   "layers { name: \"c3\" conv2d { out_channels: 16 window { kernel: [3, 3] "
                   "} } }\n"
                   "layers { name: \"c5\" conv2d { out_channels: 16 window { kernel: [5, 5] "
                   "} } }\n");
    const Mapping mapping = allOn(schedule, platform.engines(0).name());
    const Program program = bind(schedule, platform, accelStack(), mapping);
    ASSERT_EQ(program.status, Status::Ok) << program.reason;
    ASSERT_EQ(program.kernels.size(), 3U);
    EXPECT_FALSE(program.kernels[1].fallback);
    EXPECT_EQ(program.kernels[1].tasks.size(), 1U);
    EXPECT_TRUE(program.kernels[2].fallback);
    EXPECT_TRUE(program.kernels[2].tasks.empty());
    // Without the limit both layers run on the NPU.
    const Program unlimited = bind(schedule, npuPlatform(), accelStack(), mapping);
    ASSERT_EQ(unlimited.status, Status::Ok) << unlimited.reason;
    EXPECT_FALSE(unlimited.kernels[2].fallback);
}

/// input 8 x 8 x 16 (weights `weights`) -> conv 3x3 (SAME) 16 channels -> conv 1x1 16.
Schedule modeSchedule(const std::string& weights = "INT8") {
    return scheduleOf("name: \"test/modes\"\nweight_dtype: " + weights +
                      "\ninputs { name: \"x\" shape: [8, 8, 16] }\n"
                      "layers { name: \"c3\" conv2d { out_channels: 16 window { kernel: [3, 3] "
                      "} } }\n"
                      "layers { name: \"c1\" conv2d { out_channels: 16 window { kernel: [1, 1] "
                      "} } }\n");
}

/// Adds to "fast" (8 K x 8 C) a 3x3 convolution mode with the 9 taps on the array.
ps::FilterMode* addThreeByThreeMode(ps::PlatformSpec& platform, double cyclesPerStep) {
    auto* mode = platform.mutable_engines(0)->mutable_npu()->add_filter_modes();
    mode->set_op("conv2d");
    mode->add_sizes("3x3");
    for (const auto& [dim, size] : {std::pair{ps::K, 8}, {ps::C, 8}, {ps::FX, 3}, {ps::FY, 3}}) {
        auto* u = mode->add_unroll();
        u->set_dim(dim);
        u->set_size(size);
    }
    mode->set_cycles_per_step(cyclesPerStep);
    return mode;
}

/// Array cycles of kernel `kernel` with everything on "fast": its tiles' compute cycles less
/// fill (10) and job (20) per tile and the layer's overhead (100).
int64_t arrayCycles(const Schedule& schedule, const ps::PlatformSpec& platform,
                    const ps::StackSpec& stack, int kernel) {
    const Program program = bind(schedule, platform, stack, allOn(schedule, "fast"));
    EXPECT_EQ(program.status, Status::Ok) << program.reason;
    const auto& job = program.kernels.at(static_cast<std::size_t>(kernel));
    EXPECT_FALSE(job.fallback) << job.name;
    const auto& tiles = job.tasks.at(0).plan.tiles;
    uint64_t cycles = 0;
    for (const TileWork& t : tiles) {
        cycles += t.computeCycles;
    }
    return static_cast<int64_t>(cycles) - static_cast<int64_t>(tiles.size()) * 30 - 100;
}

TEST(EngineNpuTest, AFilterModeRunsItsFiltersWithItsOwnUnroll) {
    // conv 3x3 16 -> 16 on 8 x 8 pixels on "fast" (8 K x 8 C, one cycle per step):
    // 2 x 2 x 64 pixels x 9 taps = 2304 steps. A 3x3 mode that puts the 9 taps on the array
    // (8 K x 8 C x 3 FX x 3 FY) at 4 cycles per step takes 2 x 2 x 64 x 4 = 1024 cycles; the
    // 1x1 layer keeps the base array either way.
    const Schedule schedule = modeSchedule();
    auto platform = npuPlatform();
    EXPECT_EQ(arrayCycles(schedule, platform, accelStack(), 1), 2304);
    EXPECT_EQ(arrayCycles(schedule, platform, accelStack(), 2), 2 * 2 * 64);
    ps::FilterMode* mode = addThreeByThreeMode(platform, 4);
    EXPECT_EQ(arrayCycles(schedule, platform, accelStack(), 1), 1024);
    EXPECT_EQ(arrayCycles(schedule, platform, accelStack(), 2), 2 * 2 * 64);
    // A mode for an op the engine lacks, or a size that is not HxW, is bad input.
    mode->set_op("softmax");
    mode->add_sizes("3by3");
    edgesim::Diagnostics diags("<test platform>");
    edgesim::platforms::validatePlatform(platform, edgesim::FieldCursor(diags, nullptr));
    ASSERT_EQ(diags.items().size(), 2U);
    EXPECT_NE(diags.items()[0].format().find("filter_modes[0].op"), std::string::npos);
    EXPECT_NE(diags.items()[1].format().find("'3by3' is not a filter size"), std::string::npos);
}

TEST(EngineNpuTest, ABitSerialModeTakesOneCyclePerWeightBit) {
    // The 3x3 mode above with bit-serial weights at 8 cycles per step for int8: int4 weights
    // take 4 (2 x 2 x 64 x 4 = 1024) and int2 2 (512); the base array (the 1x1 layer) does
    // not depend on the weight bits.
    auto platform = npuPlatform();
    addThreeByThreeMode(platform, 8)->set_bit_serial_weights(true);
    auto* npu = platform.mutable_engines(0)->mutable_npu();
    for (const char* dtype : {"int4", "int2"}) {
        auto* t = npu->add_throughput();
        t->set_dtype(dtype);
        t->set_factor(1);
    }
    auto stack = accelStack();
    for (int i = 0, n = stack.kernels_size(); i < n; ++i) {
        if (stack.kernels(i).engine() == "fast" && stack.kernels(i).op() == "conv2d") {
            for (const char* dtype : {"int4", "int2"}) {
                auto* k = stack.add_kernels();
                *k = stack.kernels(i);
                k->set_dtype(dtype);
            }
            break;
        }
    }
    EXPECT_EQ(arrayCycles(modeSchedule("INT8"), platform, stack, 1), 2048);
    EXPECT_EQ(arrayCycles(modeSchedule("INT4"), platform, stack, 1), 1024);
    EXPECT_EQ(arrayCycles(modeSchedule("INT2"), platform, stack, 1), 512);
    EXPECT_EQ(arrayCycles(modeSchedule("INT8"), platform, stack, 2), 256);
    EXPECT_EQ(arrayCycles(modeSchedule("INT2"), platform, stack, 2), 256);
}

TEST(EngineAimcTest, DepthwiseFallsBackToTheHost) {
    const Schedule schedule = scheduleOf("name: \"test/dw\"\n"
                                         "inputs { name: \"x\" shape: [16, 16, 32] }\n"
                                         "layers { name: \"dw\" depthwise_conv2d { "
                                         "window { kernel: [3, 3] } } }\n");
    const auto platform = mixedPlatform();
    const Mapping mapping = allOn(schedule, "aimc");
    const Program program = bind(schedule, platform, accelStack(), mapping);
    ASSERT_EQ(program.status, Status::Ok) << program.reason;
    ASSERT_EQ(program.kernels.size(), 2U);
    EXPECT_TRUE(program.kernels[1].fallback);
    EXPECT_TRUE(program.kernels[1].tasks.empty());
    Simulator sim(platform, accelStack());
    const SimResult r = sim.run(schedule, with(mapping));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    const LayerResult* l = layerNamed(r, "dw");
    ASSERT_NE(l, nullptr);
    EXPECT_TRUE(l->fallback);
    EXPECT_EQ(l->engine, platform.cores(0).name());
}

// ---------------------------------------------------------------------------------------
// 10. Mappers.

struct MapperFixture {
    explicit MapperFixture(ps::StackSpec s = accelStack()) : stack(std::move(s)) {}

    ps::PlatformSpec platform = npuPlatform();
    ps::StackSpec stack;
    StackIndex index{stack};
    ResolvedOperatingPoint op = defaultPoint(platform);
    LayerCoster coster{platform, stack, index, op};
    Simulator sim{platform, stack};

    Mapping map(const std::string& name, const Schedule& schedule, MapperOptions options = {}) {
        const auto mapper = makeMapper(name);
        EXPECT_NE(mapper, nullptr) << name;
        if (!mapper) {
            return {};
        }
        Mapping m = mapper->map(schedule, coster, options);
        EXPECT_EQ(m.kernels.size(), schedule.kernels.size()) << name;
        return m;
    }

    SimResult evaluate(const Schedule& schedule, const Mapping& mapping) {
        SimResult r = sim.run(schedule, with(mapping, Fidelity::Analytical));
        EXPECT_EQ(r.status, Status::Ok) << r.reason;
        return r;
    }
};

class EngineMapperTest : public testing::TestWithParam<std::string> {};

TEST_P(EngineMapperTest, MappersOrderAsTheirObjectivesSay) {
    MapperFixture f;
    const Schedule schedule = builtinSchedule(GetParam());
    const SimResult host = f.evaluate(schedule, f.map("host-only", schedule));
    const SimResult greedyLatency = f.evaluate(schedule, f.map("greedy-latency", schedule));
    const SimResult greedyEnergy = f.evaluate(schedule, f.map("greedy-energy", schedule));
    MapperOptions latencyOpt;
    latencyOpt.objective = Objective::Latency;
    const SimResult exhaustive = f.evaluate(schedule, f.map("exhaustive", schedule, latencyOpt));

    EXPECT_LT(greedyLatency.latencyCycles, host.latencyCycles);
    EXPECT_LE(exhaustive.latencyCycles, greedyLatency.latencyCycles);
    EXPECT_LE(greedyEnergy.energyJ, greedyLatency.energyJ);
    // The platform offers a trade-off: the energy-optimal mapping is slower.
    EXPECT_GT(greedyEnergy.latencyCycles, exhaustive.latencyCycles);
}

TEST_P(EngineMapperTest, EnergyDelayObjectiveMinimisesTheNetworksProduct) {
    // The network's energy-delay product is (sum E) x (sum T): no other mapper's mapping,
    // nor the fastest or the least-energy one, has a smaller product.
    MapperFixture f;
    const Schedule schedule = builtinSchedule(GetParam());
    const auto edp = [](const SimResult& r) { return r.energyJ * r.latencyS; };
    MapperOptions edpOpt;
    edpOpt.objective = Objective::EnergyDelay;
    const SimResult best = f.evaluate(schedule, f.map("exhaustive", schedule, edpOpt));
    MapperOptions latencyOpt;
    latencyOpt.objective = Objective::Latency;
    MapperOptions energyOpt;
    energyOpt.objective = Objective::Energy;
    for (const auto& [name, options] :
         std::vector<std::pair<std::string, MapperOptions>>{{"host-only", {}},
                                                            {"greedy-latency", {}},
                                                            {"greedy-energy", {}},
                                                            {"exhaustive", latencyOpt},
                                                            {"exhaustive", energyOpt}}) {
        const SimResult other = f.evaluate(schedule, f.map(name, schedule, options));
        // (up to the search's latency discretisation: one step in 4096 per layer)
        const double slack = static_cast<double>(schedule.kernels.size()) / 4096;
        EXPECT_LE(edp(best), edp(other) * (1 + slack)) << name;
    }
}

/// Checks exhaustive's least energy under a latency budget halfway between the fastest and
/// the least-energy mapping of `schedule` (so the budget binds): the mapping meets the budget
/// up to the search's discretisation, and spends between the least energy and the fastest
/// mapping's (which meets the budget too).
void expectBudgetMet(MapperFixture& f, const Schedule& schedule) {
    const SimResult host = f.evaluate(schedule, f.map("host-only", schedule));
    MapperOptions latencyOpt;
    latencyOpt.objective = Objective::Latency;
    const SimResult fastest = f.evaluate(schedule, f.map("exhaustive", schedule, latencyOpt));
    MapperOptions energyOpt;
    energyOpt.objective = Objective::Energy;
    const SimResult leastEnergy = f.evaluate(schedule, f.map("exhaustive", schedule, energyOpt));
    ASSERT_LT(fastest.latencyS, leastEnergy.latencyS);
    ASSERT_LT(leastEnergy.latencyS, host.latencyS);

    const double budgetS = (fastest.latencyS + leastEnergy.latencyS) / 2;
    energyOpt.latencyBudgetS = budgetS;
    const Mapping budgeted = f.map("exhaustive", schedule, energyOpt);
    const SimResult r = f.evaluate(schedule, budgeted);
    EXPECT_EQ(budgeted.name, "exhaustive-energy-within-budget");
    EXPECT_LE(r.latencyS, budgetS * (1.0 + 1.0 / 4096)) << "budget " << budgetS;
    EXPECT_LE(r.energyJ, fastest.energyJ);
    EXPECT_GE(r.energyJ, leastEnergy.energyJ);
}

TEST(EngineMapperBudgetTest, EnergyUnderALatencyBudgetMeetsTheBudget) {
    // ad: dense layers only (no free ops); the stack's runtime adds 20000 cycles per
    // inference, which count towards the latency like any layer's.
    MapperFixture f;
    ASSERT_GT(f.stack.per_inference_overhead_cycles(), 0);
    expectBudgetMet(f, builtinSchedule("mlperf_tiny/ad"));
}

TEST(EngineMapperBudgetTest, BudgetedSearchCopesWithFreeOps) {
    // kws has a flatten, which the stack runs for free (no kernel, no cycles, on no engine).
    // No runtime overhead here, so only the free op can get in the way.
    auto stack = accelStack();
    stack.set_per_inference_overhead_cycles(0);
    MapperFixture f(stack);
    const Schedule kws = builtinSchedule("mlperf_tiny/kws");
    ASSERT_TRUE(std::any_of(kws.kernels.begin(), kws.kernels.end(),
                            [](const Kernel& k) { return k.op == wl::OpKind::Flatten; }));
    expectBudgetMet(f, kws);
}

/// The mapping `mapper` picks when its layer costs come from `fidelity`.
Mapping mappingAt(Simulator& sim, const Schedule& schedule, const std::string& mapper,
                  Fidelity fidelity) {
    RunOptions o;
    o.fidelity = fidelity;
    o.request.mapping = mapper;
    return sim.mappingFor(schedule, o);
}

int splitLayers(const Mapping& mapping) {
    return static_cast<int>(std::count_if(mapping.kernels.begin(), mapping.kernels.end(),
                                          [](const LayerChoice& c) { return c.isSplit(); }));
}

TEST(EngineMapperFidelityTest, TlmCostedSearchIsOptimalUnderTlm) {
    // Layers are separated by barriers, so a layer's TLM cost in isolation is its cost in
    // the network and the TLM-costed exhaustive search is optimal for the TLM model: no
    // other mapping (greedy, or the analytically costed search, which ignores contention
    // between the two halves of a split on the shared DMA, bus and L1) is faster under TLM.
    std::vector<std::pair<std::string, ps::PlatformSpec>> platforms = {
        {"accel-mixed", mixedPlatform()}};
    if (hasConfig("platforms", "diana") && hasConfig("stacks", "htvm")) {
        platforms.emplace_back("diana", edgesim::platforms::loadPlatform("diana", configPaths()));
    }
    int analyticalSplits = 0;
    for (const auto& [name, platform] : platforms) {
        const auto stack =
            name == "diana" ? edgesim::platforms::loadStack("htvm", configPaths()) : accelStack();
        Simulator sim(platform, stack);
        for (const std::string network : {"mlperf_tiny/kws", "mlperf_tiny/vww"}) {
            SCOPED_TRACE(name + " " + network);
            const Schedule schedule = builtinSchedule(network);
            const Mapping tlmBest = mappingAt(sim, schedule, "exhaustive", Fidelity::Tlm);
            const Mapping analyticalBest =
                mappingAt(sim, schedule, "exhaustive", Fidelity::Analytical);
            const Mapping greedy = mappingAt(sim, schedule, "greedy-latency", Fidelity::Tlm);
            analyticalSplits += splitLayers(analyticalBest);
            const SimResult best = sim.run(schedule, with(tlmBest));
            const SimResult other = sim.run(schedule, with(analyticalBest));
            const SimResult greedyRun = sim.run(schedule, with(greedy));
            ASSERT_EQ(best.status, Status::Ok) << best.reason;
            EXPECT_LE(best.latencyCycles, other.latencyCycles);
            EXPECT_LE(best.latencyCycles, greedyRun.latencyCycles);
            // Each layer costs in the network what it costs alone (what the search saw).
            for (std::size_t k = 0; k < schedule.kernels.size(); ++k) {
                Schedule one;
                one.network = schedule.network;
                one.kernels.push_back(schedule.kernels[k]);
                Mapping m;
                m.kernels.push_back(tlmBest.kernels[k]);
                const SimResult alone = sim.run(one, with(m));
                ASSERT_EQ(alone.status, Status::Ok) << alone.reason;
                const auto inNetwork =
                    std::find_if(best.layers.begin(), best.layers.end(), [&](const LayerResult& l) {
                        return l.name == schedule.kernels[k].name;
                    });
                if (inNetwork == best.layers.end()) {
                    // a free op (flatten): no layer in either result
                    EXPECT_NE(alone.layers.back().name, schedule.kernels[k].name);
                    continue;
                }
                EXPECT_EQ(alone.layers.back().cycles(), inNetwork->cycles())
                    << schedule.kernels[k].name;
            }
        }
    }
    // The comparison means something only if the analytical search did split layers.
    EXPECT_GT(analyticalSplits, 0);
}

std::string networkName(const testing::TestParamInfo<std::string>& param) {
    return param.param.substr(param.param.find('/') + 1);
}

INSTANTIATE_TEST_SUITE_P(Networks, EngineMapperTest,
                         testing::Values("mlperf_tiny/ad", "mlperf_tiny/kws"), networkName);

} // namespace
