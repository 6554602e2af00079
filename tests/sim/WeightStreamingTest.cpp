// Weight streaming from L3 (sim/model/WeightStreaming.h) on the shipped PULP SoC configs,
// through the library's query API (explorer::Session, so L2 is resized with the same
// `--set` overrides a user writes), checked against truths independent of the model: the
// weights that cannot stay in L2 (from the network's sizes and the config's L2, arena, runtime
// RAM and code), the L3 path's bandwidth from the config (a latency floor), the latency with
// every weight resident (another floor), the L3 read energy from the config's pJ/byte, the
// result of a platform without any L3 when everything fits (bit-identical), the L3 size, and
// the policy itself on hand-made layer lists.
//
// Networks (tests/sim/data): streamed-net.textproto (2.9 MB: two convolutions and three dense
// layers, the largest 1.18 MB) and streamed-convs.textproto (24 equal 21 KB convolutions that
// compute longer than their weights take to stream).
//
// Exceptions after a TLM run upset AddressSanitizer (see SimulatorTest.cpp): the tests that
// expect one throw it before their first TLM run.
#include "sim/model/WeightStreaming.h"

#include "explorer/session/Query.h"
#include "explorer/session/Session.h"
#include "platforms/PlatformCatalog.h"
#include "sim/Simulator.h"
#include "sim/model/OperatingPoint.h"
#include "sim/model/Program.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"

#include "tests/sim/SimTestData.h"
#include "tests/util/SimResultExpect.h"
#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace ps = edgesim::platforms::spec;
namespace sim = edgesim::sim;
namespace ex = edgesim::explorer;
using edgesim::test::configPaths;
using edgesim::test::memoryIndex;
using edgesim::test::testData;
using sim::Fidelity;
using sim::SimResult;
using sim::Status;
using sim::StreamCandidate;
using sim::StreamMode;
using ::testing::HasSubstr;

const std::string kStack = "gap-flow";
const std::string kNet = testData("streamed-net.textproto");
const std::string kConvs = testData("streamed-convs.textproto");

ex::Query query(const std::string& platform, const std::string& network, Fidelity fidelity,
                const std::vector<std::string>& overrides = {}) {
    ex::Query q;
    q.platform = platform;
    q.stack = kStack;
    q.network = network;
    q.fidelity = fidelity;
    for (const auto& o : overrides) {
        q.overrides.push_back(ex::parseOverride(o));
    }
    return q;
}

edgesim::workloads::Schedule scheduleOf(const std::string& network) {
    return edgesim::workloads::lowerInference(
        edgesim::workloads::loadNetwork(network, configPaths()).network);
}

const ps::MemorySpec& memoryNamed(const ps::PlatformSpec& p, const std::string& name) {
    for (const auto& m : p.memories()) {
        if (m.name() == name) {
            return m;
        }
    }
    ADD_FAILURE() << p.name() << " has no memory " << name;
    return p.memories(0);
}

/// Bytes per cycle the L3 memory delivers and the bus it sits on carries (the config's widths
/// and wait states, latencies left out): the streaming bandwidth can be no higher.
double l3BytesPerCycle(const ps::PlatformSpec& p) {
    const auto& l3 = memoryNamed(p, p.placement().weights_stream_memory());
    double bytesPerCycle = static_cast<double>(l3.width_bits()) / 8.0 / (1 + l3.read_wait_states());
    for (const auto& bus : p.buses()) {
        if (std::find(bus.slaves().begin(), bus.slaves().end(), l3.name()) != bus.slaves().end()) {
            bytesPerCycle = std::min(bytesPerCycle, bus.width_bits() / 8.0);
        }
    }
    return bytesPerCycle;
}

// ---------------------------------------------------------------------------------------
// The policy on hand-made layer lists.

TEST(StreamingPolicy, NothingStreamsWhenEverythingFits) {
    EXPECT_TRUE(sim::streamingCandidates({{"a", 100, 10}, {"b", 50, 10}}, 150, 2).empty());
}

/// Each candidate plan's modes, in order (and no plan with a problem).
std::vector<std::vector<StreamMode>> modesOf(const std::vector<sim::StreamPlan>& plans) {
    std::vector<std::vector<StreamMode>> modes;
    for (const auto& p : plans) {
        EXPECT_TRUE(p.problem.empty()) << p.problem;
        modes.push_back(p.modes);
    }
    return modes;
}

constexpr StreamMode kRes = StreamMode::Resident;
constexpr StreamMode kLayer = StreamMode::PerLayer;
constexpr StreamMode kTile = StreamMode::PerTile;

TEST(StreamingPolicy, TheLargestStreamPerTileUnlessTheirSlotsFit) {
    // 200 bytes of weights in 150: streaming "a" (100) per tile leaves 50, room for its 10 of
    // staging. Streaming it per layer needs 2 x 100 of slots, more than there is even with
    // every layer streamed, so that is the one plan.
    const auto plans = sim::streamingCandidates(
        {{"d", 20, 10}, {"a", 100, 10}, {"c", 30, 10}, {"b", 50, 10}}, 150, 2);
    EXPECT_EQ(modesOf(plans), (std::vector<std::vector<StreamMode>>{{kRes, kTile, kRes, kRes}}));
    ASSERT_EQ(plans.size(), 1U);
    EXPECT_EQ(plans[0].streamedBytes, 100);
    EXPECT_EQ(plans[0].stagingBytes, 10);
    EXPECT_EQ(plans[0].slotBytes, 0);
}

TEST(StreamingPolicy, FewerPerTileLayersStreamAsFewMoreLayersAsTheirSlotsNeed) {
    // Four 30-byte layers in 100. Multi-tile (10 of staging): one streamed per tile fits;
    // per layer, 2 x 30 of slots need three streamed (70 of room).
    EXPECT_EQ(modesOf(sim::streamingCandidates(
                  {{"a", 30, 10}, {"b", 30, 10}, {"c", 30, 10}, {"d", 30, 10}}, 100, 2)),
              (std::vector<std::vector<StreamMode>>{{kTile, kRes, kRes, kRes},
                                                    {kLayer, kLayer, kLayer, kRes}}));
    // Single-tile (30 of staging): two streamed per tile first (40 of room); one per tile
    // beside 2 x 30 of slots needs all four (100); none per tile, three.
    const auto plans = sim::streamingCandidates(
        {{"a", 30, 30}, {"b", 30, 30}, {"c", 30, 30}, {"d", 30, 30}}, 100, 2);
    EXPECT_EQ(modesOf(plans),
              (std::vector<std::vector<StreamMode>>{{kTile, kTile, kRes, kRes},
                                                    {kTile, kLayer, kLayer, kLayer},
                                                    {kLayer, kLayer, kLayer, kRes}}));
    ASSERT_EQ(plans.size(), 3U);
    EXPECT_EQ(plans[1].slotBytes, 30);
    EXPECT_EQ(plans[1].stagingBytes, 30);
    EXPECT_EQ(plans[2].streamedBytes, 90);
}

TEST(StreamingPolicy, HostLayersStreamWholeAndTheReasonNamesThem) {
    // "big" runs on the host core (staging -1): it needs 2 x 100 bytes of slots, 140 is all
    // there is.
    const auto plans = sim::streamingCandidates({{"big", 100, -1}, {"small", 50, 5}}, 140, 2);
    ASSERT_EQ(plans.size(), 1U);
    EXPECT_THAT(plans[0].problem, HasSubstr("layer 'big' runs on the host core"));
    EXPECT_THAT(plans[0].problem, HasSubstr("2 x 100 bytes"));
    // With one buffer its slot fits.
    const auto single = sim::streamingCandidates({{"big", 100, -1}, {"small", 50, 5}}, 140, 1);
    ASSERT_FALSE(single.empty());
    EXPECT_TRUE(single[0].problem.empty()) << single[0].problem;
    EXPECT_EQ(single[0].modes[0], StreamMode::PerLayer);
}

TEST(StreamingPolicy, NoRoomForTheSmallestTileIsAProblem) {
    const auto plans = sim::streamingCandidates({{"a", 100, 60}}, 50, 2);
    ASSERT_EQ(plans.size(), 1U);
    EXPECT_THAT(plans[0].problem, HasSubstr("60 bytes"));
}

// ---------------------------------------------------------------------------------------
// The shipped GAP SoCs.

class StreamedNetwork : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Gap, StreamedNetwork, ::testing::Values("gap9-evk", "gap8"));

TEST_P(StreamedNetwork, RunsWithTheWeightsThatDoNotFitStreamedFromL3) {
    const std::string platformName = GetParam();
    const ps::PlatformSpec platform = edgesim::platforms::loadPlatform(platformName, configPaths());
    const ps::StackSpec stack = edgesim::platforms::loadStack(kStack, configPaths());
    const auto schedule = scheduleOf(kNet);
    const std::string l2 = platform.placement().weights_memory();
    ASSERT_EQ(l2, platform.placement().activations_memory());
    ASSERT_GT(schedule.weightBytes, memoryNamed(platform, l2).size_bytes());

    ex::Session session(configPaths());
    const SimResult tlm = session.run(query(platformName, kNet, Fidelity::Tlm)).result;
    const SimResult ana = session.run(query(platformName, kNet, Fidelity::Analytical)).result;
    // Every weight resident: L2 large enough (8 MiB), same network, both fidelities.
    const std::string bigL2 = "platform.memories[name=" + l2 + "].size_bytes=8388608";
    const SimResult resident =
        session.run(query(platformName, kNet, Fidelity::Tlm, {bigL2})).result;
    const SimResult residentAna =
        session.run(query(platformName, kNet, Fidelity::Analytical, {bigL2})).result;

    for (const SimResult* r : {&tlm, &ana}) {
        const char* fidelity = sim::toString(r->fidelity);
        ASSERT_EQ(r->status, Status::Ok) << fidelity << ": " << r->reason;
        // What cannot stay: the weights beyond L2 less the arena, runtime RAM and code.
        const int64_t room =
            memoryNamed(platform, l2).size_bytes() - r->peakRamBytes - stack.runtime_flash_bytes();
        EXPECT_GE(r->streamedWeightBytes, schedule.weightBytes - room) << fidelity;
        EXPECT_LE(r->streamedWeightBytes, schedule.weightBytes) << fidelity;
        const auto l3 =
            static_cast<std::size_t>(memoryIndex(*r, platform.placement().weights_stream_memory()));
        EXPECT_GE(r->bytesRead[l3], r->streamedWeightBytes) << fidelity;
        EXPECT_EQ(r->bytesWritten[l3], 0) << fidelity;
        int64_t l3Dma = 0;
        for (const auto& layer : r->layers) {
            l3Dma += layer.dmaBytes[l3];
        }
        EXPECT_EQ(l3Dma, r->bytesRead[l3]) << fidelity << ": L3 is read by DMA only";
        // Floors: the stream at the config's L3 bandwidth, and the same network resident.
        EXPECT_GE(static_cast<double>(r->latencyCycles),
                  static_cast<double>(r->streamedWeightBytes) / l3BytesPerCycle(platform))
            << fidelity;
        const SimResult& floor = r->fidelity == Fidelity::Tlm ? resident : residentAna;
        ASSERT_EQ(floor.status, Status::Ok) << floor.reason;
        EXPECT_GT(r->latencyCycles, floor.latencyCycles) << fidelity;
        // Energy: the L3 reads at the config's pJ/byte, within the total.
        const auto& l3Spec = memoryNamed(platform, platform.placement().weights_stream_memory());
        const double expectedJ =
            static_cast<double>(r->bytesRead[l3]) * l3Spec.read_energy_pj_per_byte() * 1e-12;
        EXPECT_GT(expectedJ, 0.0);
        bool found = false;
        for (const auto& item : r->energy) {
            if (item.component == l3Spec.name()) {
                found = true;
                EXPECT_NEAR(item.dynamicJ, expectedJ, 1e-9 * expectedJ) << fidelity;
            }
        }
        EXPECT_TRUE(found) << fidelity;
        EXPECT_GT(r->energyJ, floor.energyJ + expectedJ * 0.999) << fidelity;
        // Layers stay contiguous and add up to the latency.
        uint64_t at = 0;
        for (const auto& layer : r->layers) {
            EXPECT_EQ(layer.startCycle, at) << fidelity << " " << layer.name;
            at = layer.endCycle;
        }
        EXPECT_EQ(at, r->latencyCycles) << fidelity;
    }
    EXPECT_EQ(tlm.streamedWeightBytes, ana.streamedWeightBytes);
    EXPECT_EQ(tlm.bytesRead, ana.bytesRead);
    const double gap =
        std::abs(static_cast<double>(tlm.latencyCycles) - static_cast<double>(ana.latencyCycles)) /
        static_cast<double>(ana.latencyCycles);
    EXPECT_LE(gap, 0.15) << "tlm " << tlm.latencyCycles << " analytical " << ana.latencyCycles;
    RecordProperty("tlm_cycles", std::to_string(tlm.latencyCycles));
    RecordProperty("analytical_cycles", std::to_string(ana.latencyCycles));
}

TEST_P(StreamedNetwork, WithEnoughL2NothingStreamsAndTheResultIsTheResidentOne) {
    const std::string platformName = GetParam();
    ps::PlatformSpec platform = edgesim::platforms::loadPlatform(platformName, configPaths());
    const std::string l2 = platform.placement().weights_memory();
    const std::string bigL2 = "platform.memories[name=" + l2 + "].size_bytes=8388608";
    ex::Session session(configPaths());
    for (const Fidelity f : {Fidelity::Tlm, Fidelity::Analytical}) {
        const SimResult r = session.run(query(platformName, kNet, f, {bigL2})).result;
        ASSERT_EQ(r.status, Status::Ok) << r.reason;
        EXPECT_EQ(r.streamedWeightBytes, 0);
        const auto l3 =
            static_cast<std::size_t>(memoryIndex(r, platform.placement().weights_stream_memory()));
        EXPECT_EQ(r.bytesRead[l3], 0);
        // The same platform without any L3 to stream from.
        ps::PlatformSpec noL3 = platform;
        for (auto& m : *noL3.mutable_memories()) {
            if (m.name() == l2) {
                m.set_size_bytes(8388608);
            }
        }
        noL3.mutable_placement()->clear_weights_stream_memory();
        sim::Simulator direct(noL3, edgesim::platforms::loadStack(kStack, configPaths()));
        sim::RunOptions options;
        options.fidelity = f;
        SimResult expected = direct.run(scheduleOf(kNet), options);
        expected.network = r.network; // the session names it by the query's path
        edgesim::test::expectSameSimResult(r, expected);
    }
}

TEST(WeightStreaming, WeightsBeyondL3DoNotFitAndTheReasonSaysWhere) {
    struct Case {
        std::string platform;
        Fidelity fidelity;
        std::string override;
        std::string l3;
    };
    // GAP9's 2 MB MRAM as the L3 for 2.9 MB of weights; GAP8's HyperRAM shrunk to 2 MiB.
    const std::vector<Case> cases = {
        {"gap9-evk", Fidelity::Analytical, "platform.placement.weights_stream_memory=mram", "mram"},
        {"gap8", Fidelity::Tlm, "platform.memories[name=hyperram].size_bytes=2097152", "hyperram"}};
    ex::Session session(configPaths());
    for (const auto& c : cases) {
        const SimResult r = session.run(query(c.platform, kNet, c.fidelity, {c.override})).result;
        EXPECT_EQ(r.status, Status::DoesNotFit) << c.platform;
        EXPECT_THAT(r.reason, HasSubstr("'" + c.l3 + "'"));
        EXPECT_THAT(r.reason, HasSubstr("which holds 2097152"));
        EXPECT_THAT(r.reason, HasSubstr(std::to_string(scheduleOf(kNet).weightBytes)));
        EXPECT_EQ(r.latencyCycles, 0U) << c.platform;
    }
}

TEST(WeightStreaming, DianaHasNoL3AndSaysSo) {
    ex::Session session(configPaths());
    ex::Query q = query("diana", kNet, Fidelity::Analytical);
    q.stack = "htvm";
    const SimResult r = session.run(q).result;
    EXPECT_EQ(r.status, Status::DoesNotFit);
    EXPECT_THAT(r.reason, HasSubstr("no weights_stream_memory"));
}

TEST(WeightStreaming, AnUnknownL3InAnOverrideIsBadInput) {
    ex::Session session(configPaths());
    const auto e = edgesim::test::expectInputError([&] {
        session.run(query("gap9-evk", kNet, Fidelity::Tlm,
                          {"platform.placement.weights_stream_memory=octoflash"}));
    });
    EXPECT_THAT(e.formatAll(), HasSubstr("placement.weights_stream_memory"));
    EXPECT_THAT(e.formatAll(), HasSubstr("unknown memory 'octoflash'"));
}

// Per-layer streaming: with L2 cut to 300 kB, some of the 24 convolutions stream; each one's
// weights load during the layers before it, so the run is barely slower than the resident one
// although every copy alone takes a fair share of a layer.
TEST(WeightStreaming, PerLayerCopiesHideUnderTheLayersBeforeThem) {
    ps::PlatformSpec platform = edgesim::platforms::loadPlatform("gap9-evk", configPaths());
    const ps::StackSpec stack = edgesim::platforms::loadStack(kStack, configPaths());
    const auto schedule = scheduleOf(kConvs);
    sim::Simulator resident(platform, stack);
    for (auto& m : *platform.mutable_memories()) {
        if (m.name() == "l2") {
            m.set_size_bytes(300000);
        }
    }
    sim::Simulator streamed(platform, stack);
    sim::RunOptions options;
    options.fidelity = Fidelity::Analytical;
    const sim::Mapping mapping = streamed.mappingFor(schedule, options);
    const sim::Program program =
        sim::bindProgram(schedule, platform, stack, sim::StackIndex(stack),
                         sim::resolveOperatingPoint(platform, {}, "test"), &mapping);
    ASSERT_EQ(program.status, Status::Ok) << program.reason;
    uint64_t copyCycles = 0;
    int copies = 0;
    for (const auto& job : program.kernels) {
        if (job.fetch.bytes > 0) {
            ++copies;
            for (const auto& hop : job.fetch.route) {
                copyCycles += sim::hopCycles(program, hop, job.fetch.bytes);
            }
        }
    }
    ASSERT_GE(copies, 2);

    for (const Fidelity f : {Fidelity::Analytical, Fidelity::Tlm}) {
        options.fidelity = f;
        const SimResult r = streamed.run(schedule, options);
        const SimResult base = resident.run(schedule, options);
        ASSERT_EQ(r.status, Status::Ok) << r.reason;
        EXPECT_GT(r.streamedWeightBytes, 0);
        EXPECT_GE(r.latencyCycles, base.latencyCycles);
        // Most of the copies' time is hidden: far less than their sum is added.
        EXPECT_LT(r.latencyCycles - base.latencyCycles, copyCycles / 4)
            << sim::toString(f) << ": " << copies << " copies of " << copyCycles << " cycles";
        uint64_t hidden = 0;
        uint64_t stall = 0;
        for (const auto& layer : r.layers) {
            hidden += layer.hiddenCycles;
            stall += layer.stallCycles;
        }
        EXPECT_GT(hidden, copyCycles / 2) << sim::toString(f);
        EXPECT_LT(stall, copyCycles / 4) << sim::toString(f);
    }
    options.fidelity = Fidelity::Tlm;
    const SimResult tlm = streamed.run(schedule, options);
    options.fidelity = Fidelity::Analytical;
    const SimResult ana = streamed.run(schedule, options);
    EXPECT_NEAR(static_cast<double>(tlm.latencyCycles), static_cast<double>(ana.latencyCycles),
                0.05 * static_cast<double>(ana.latencyCycles));
}

// A batch runs its samples one after the other: each streams the weights again.
TEST(WeightStreaming, EverySampleOfABatchStreamsAgain) {
    const ps::PlatformSpec platform = edgesim::platforms::loadPlatform("gap8", configPaths());
    sim::Simulator simulator(platform, edgesim::platforms::loadStack(kStack, configPaths()));
    const auto net = edgesim::workloads::loadNetwork(kNet, configPaths()).network;
    sim::RunOptions options;
    options.fidelity = Fidelity::Analytical;
    const SimResult one = simulator.run(edgesim::workloads::lowerInference(net, 1), options);
    const SimResult two = simulator.run(edgesim::workloads::lowerInference(net, 2), options);
    ASSERT_EQ(one.status, Status::Ok) << one.reason;
    ASSERT_EQ(two.status, Status::Ok) << two.reason;
    const auto l3 = static_cast<std::size_t>(memoryIndex(one, "hyperram"));
    EXPECT_EQ(two.streamedWeightBytes, one.streamedWeightBytes);
    EXPECT_EQ(two.bytesRead[l3], 2 * one.bytesRead[l3]);
}

} // namespace
