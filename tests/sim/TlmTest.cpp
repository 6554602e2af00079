// The TLM components below the Simulator: DMA channels copying through a bus whose
// arbitration is per slave (MATRIX) or for the whole bus (SHARED), and the core engine's
// traffic as the memories and the bus count it. Each test elaborates its own PlatformModel
// in a fresh SimContext and runs it to completion.
//
// DMA timing on tests/sim/data/dma-bus.textproto (32-bit zero-wait SRAMs, 32-bit bus with
// a 1-cycle latency, 16-byte bursts): a burst reads 16 B (1 latency + 4 beats = 5 cycles)
// then writes them (5 cycles), so one channel alone moves 16 B per 10 cycles.
#include "common/ConfigPaths.h"
#include "platforms/PlatformCatalog.h"
#include "sim/analytical/AnalyticalEvaluator.h"
#include "sim/kernel/SimContext.h"
#include "sim/model/Program.h"
#include "sim/tlm/PlatformModel.h"
#include "workloads/schedule/Schedule.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include "tests/sim/SimTestData.h"

#include <gtest/gtest.h>
#include <systemc>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace {

using edgesim::test::configPaths;
using edgesim::test::testData;

edgesim::sim::DmaTransfer copyOf(int source, int destination, int64_t bytes) {
    edgesim::sim::DmaTransfer t;
    t.source = source;
    t.destination = destination;
    t.bytes = bytes;
    return t;
}

namespace ps = edgesim::platforms::spec;
using edgesim::sim::DmaChannelStats;
using edgesim::sim::PlatformModel;
using edgesim::sim::Program;
using edgesim::sim::SimContext;

ps::PlatformSpec dmaPlatform(ps::Arbitration arbitration) {
    auto p = edgesim::platforms::loadPlatform(testData("dma-bus.textproto"), configPaths());
    p.mutable_buses(0)->set_arbitration(arbitration);
    return p;
}

/// Timing of every memory and bus of `platform` at its default operating point.
Program timingOf(const ps::PlatformSpec& platform,
                 const edgesim::workloads::Schedule& schedule = {},
                 const ps::StackSpec& stack = {}) {
    return edgesim::sim::bindProgram(schedule, platform, stack,
                                     edgesim::sim::resolveOperatingPoint(platform, {}, "test"));
}

constexpr int kA = 0; // memory indices in dma-bus.textproto
constexpr int kB = 1;
constexpr int kC = 2;
constexpr int kD = 3;

/// dma-bus.textproto with `arbitration` whose DMA synchronises every `burstsPerSync` bursts,
/// elaborated in its own SimContext and prepared to run.
struct DmaRig {
    explicit DmaRig(ps::Arbitration arbitration, int burstsPerSync = 1)
        : platform(withSync(dmaPlatform(arbitration), burstsPerSync)), model(platform) {
        model.prepare(timingOf(platform), nullptr);
    }
    static ps::PlatformSpec withSync(ps::PlatformSpec p, int burstsPerSync) {
        p.mutable_dmas(0)->set_bursts_per_sync(burstsPerSync);
        return p;
    }
    SimContext ctx; // first: the model is elaborated in it
    ps::PlatformSpec platform;
    PlatformModel model;
};

TEST(DmaTest, OneChannelMovesSixteenBytesPerTenCycles) {
    DmaRig rig(ps::MATRIX);
    PlatformModel& model = rig.model;
    model.dma(0).enqueue(0, copyOf(kA, kB, 1024));
    sc_core::sc_start();
    // 1024 / 16 = 64 bursts of a 5-cycle read and a 5-cycle write, pipelined (burst i+1 is
    // read from a while burst i is written to b): 5 + 64 * 5 cycles.
    const DmaChannelStats& s = model.dma(0).stats(0);
    EXPECT_EQ(s.firstCycle, 0U);
    EXPECT_EQ(s.lastCycle, 325U);
    EXPECT_EQ(s.bytes, 1024);
    EXPECT_EQ(s.transfers, 1);
    EXPECT_EQ(model.dma(0).stats(1).transfers, 0);
    EXPECT_EQ(model.memory(kA).bytesRead(), 1024);
    EXPECT_EQ(model.memory(kA).transactions(), 64U);
    EXPECT_EQ(model.memory(kB).bytesWritten(), 1024);
    EXPECT_EQ(model.memory(kB).bytesRead(), 0);
    EXPECT_EQ(model.bus(0).transactions(), 128U);
    EXPECT_EQ(model.bus(0).beats(), 512U); // 2 * 1024 / 4
    EXPECT_EQ(model.bus(0).waitCycles(), 0U);
}

TEST(DmaTest, ShortLastBurstCostsOnlyItsBeats) {
    DmaRig rig(ps::MATRIX);
    PlatformModel& model = rig.model;
    model.dma(0).enqueue(0, copyOf(kA, kB, 1000));
    sc_core::sc_start();
    // 62 full bursts (992 B): reads end at 62 * 5 = 310, writes at 5 + 62 * 5 = 315; the
    // 8-byte burst reads in 1 + 2 beats (to 313) and writes after the last write: 318.
    EXPECT_EQ(model.dma(0).stats(0).lastCycle, 318U);
    EXPECT_EQ(model.memory(kB).bytesWritten(), 1000);
}

TEST(DmaTest, TransfersQueuedOnOneChannelRunBackToBack) {
    DmaRig rig(ps::MATRIX);
    PlatformModel& model = rig.model;
    model.dma(0).enqueue(0, copyOf(kA, kB, 1024));
    model.dma(0).enqueue(0, copyOf(kC, kA, 1024));
    sc_core::sc_start();
    const DmaChannelStats& s = model.dma(0).stats(0);
    EXPECT_EQ(s.firstCycle, 0U);
    EXPECT_EQ(s.lastCycle, 650U); // 2 * 325: the second starts when the first is done
    EXPECT_EQ(s.transfers, 2);
    EXPECT_EQ(s.bytes, 2048);
}

/// Runs two concurrent 1024-byte copies (channel 0: a -> b, channel 1: `src1` -> `dst1`)
/// and returns the channels' end cycles, earliest first.
std::pair<uint64_t, uint64_t> runPair(ps::Arbitration arbitration, int src1, int dst1,
                                      uint64_t* waitCycles) {
    DmaRig rig(arbitration);
    PlatformModel& model = rig.model;
    model.dma(0).enqueue(0, copyOf(kA, kB, 1024));
    model.dma(0).enqueue(1, copyOf(src1, dst1, 1024));
    sc_core::sc_start();
    const DmaChannelStats& s0 = model.dma(0).stats(0);
    const DmaChannelStats& s1 = model.dma(0).stats(1);
    EXPECT_EQ(s0.firstCycle, 0U);
    EXPECT_EQ(s1.firstCycle, 0U);
    EXPECT_EQ(s0.bytes, 1024);
    EXPECT_EQ(s1.bytes, 1024);
    EXPECT_EQ(model.bus(0).transactions(), 256U);
    EXPECT_EQ(model.bus(0).beats(), 1024U);
    *waitCycles = model.bus(0).waitCycles();
    return {std::min(s0.lastCycle, s1.lastCycle), std::max(s0.lastCycle, s1.lastCycle)};
}

TEST(DmaTest, SharedBusSerialisesTwoChannels) {
    // One transaction at a time: the two channels' 256 transactions of 5 cycles keep the bus
    // busy back to back, 1280 cycles, twice one channel alone (which pipelines its reads and
    // writes on separate ports of a matrix in 325). Transactions that find the bus taken wait.
    uint64_t wait = 0;
    const auto [first, last] = runPair(ps::SHARED, kC, kD, &wait);
    EXPECT_EQ(last, 1280U);
    EXPECT_GE(first, 1280U - 10U); // the other channel's last read-write pair at most
    EXPECT_GT(wait, 0U);
}

TEST(DmaTest, MatrixOverlapsChannelsOnDifferentSlaves) {
    // a -> b and c -> d touch four different slave ports: both take 325 cycles, as alone.
    uint64_t wait = 0;
    const auto [first, last] = runPair(ps::MATRIX, kC, kD, &wait);
    EXPECT_EQ(first, 325U);
    EXPECT_EQ(last, 325U);
    EXPECT_EQ(wait, 0U);
}

TEST(DmaTest, MatrixContendsOnlyForTheCommonSlave) {
    // a -> b and a -> c share the source port a: its 128 reads of 5 cycles run back to back
    // (640 cycles), every read but the first waiting 5 cycles for the other channel's
    // (127 * 5 = 635); the writes to b and c overlap them. The channels end after their last
    // writes: 640 and 645.
    uint64_t wait = 0;
    const auto [first, last] = runPair(ps::MATRIX, kA, kC, &wait);
    EXPECT_EQ(first, 640U);
    EXPECT_EQ(last, 645U);
    EXPECT_EQ(wait, 635U);
}

TEST(DmaTest, BurstsPerSyncKeepsEachBurstsTiming) {
    // Synchronising with SystemC every 8 bursts instead of every burst is a simulation
    // granularity: one channel alone takes the same 318 cycles, burst by burst.
    DmaRig d(ps::MATRIX, 8);
    d.model.dma(0).enqueue(0, copyOf(kA, kB, 1000));
    sc_core::sc_start();
    EXPECT_EQ(d.model.dma(0).stats(0).lastCycle, 318U); // as ShortLastBurstCostsOnlyItsBeats
    EXPECT_EQ(d.model.memory(kA).transactions(), 63U);
    EXPECT_EQ(d.model.bus(0).waitCycles(), 0U);
}

TEST(DmaTest, BurstsPerSyncStillSharesTheBus) {
    // With 8 bursts between synchronisations two channels on a shared bus interleave in
    // coarser steps, but the bus stays work-conserving: the last one ends at 1280 as with
    // burst-by-burst synchronisation, the first no earlier than 8 read-write pairs before.
    DmaRig d(ps::SHARED, 8);
    d.model.dma(0).enqueue(0, copyOf(kA, kB, 1024));
    d.model.dma(0).enqueue(1, copyOf(kC, kD, 1024));
    sc_core::sc_start();
    const uint64_t end0 = d.model.dma(0).stats(0).lastCycle;
    const uint64_t end1 = d.model.dma(0).stats(1).lastCycle;
    EXPECT_EQ(std::max(end0, end1), 1280U);
    EXPECT_GE(std::min(end0, end1), 1280U - 8U * 10U);
    EXPECT_GT(d.model.bus(0).waitCycles(), 0U);
}

// The core engine's traffic as the memories and the bus see it: the closed-form dense layer
// of SimulatorTest (input [256] -> dense 64 on m4-flash with the dense test stack).
TEST(CoreEngineTest, MemoriesAndBusSeeTheTrafficTheResultReports) {
    const auto platform =
        edgesim::platforms::loadPlatform(testData("m4-flash.textproto"), configPaths());
    const auto stack =
        edgesim::platforms::loadStack(testData("dense-stack.textproto"), configPaths());
    const auto schedule = edgesim::workloads::lowerInference(
        edgesim::workloads::parseNetworkText("name: \"test/dense\"\n"
                                             "inputs { name: \"x\" shape: [256] }\n"
                                             "layers { name: \"fc\" dense { units: 64 } }\n",
                                             "<test network>"));
    const Program program = timingOf(platform, schedule, stack);
    ASSERT_EQ(program.status, edgesim::sim::Status::Ok) << program.reason;

    SimContext ctx;
    PlatformModel model(platform);
    uint64_t previousEnd = 0;
    for (int run = 0; run < 2; ++run) { // statistics reset between runs
        SCOPED_TRACE(run);
        auto result = edgesim::sim::makeResult(program, edgesim::sim::Fidelity::Tlm);
        model.run(program, result, nullptr);
        // 33508 compute + 6240 flash stall (see SimulatorTest).
        EXPECT_EQ(result.latencyCycles, 39748U);
        EXPECT_EQ(model.core(0).startCycle(), previousEnd);
        EXPECT_EQ(model.core(0).endCycle(), previousEnd + 39748U);
        previousEnd = model.core(0).endCycle();
        // flash: one 16640-byte read; sram: one 16384-byte read, one 64-byte write.
        EXPECT_EQ(model.memory(0).bytesRead(), 16640);
        EXPECT_EQ(model.memory(0).bytesRead(), result.bytesRead[0]);
        EXPECT_EQ(model.memory(0).transactions(), 1U);
        EXPECT_EQ(model.memory(1).bytesRead(), 16384);
        EXPECT_EQ(model.memory(1).bytesWritten(), 64);
        EXPECT_EQ(model.memory(1).bytesRead(), result.bytesRead[1]);
        EXPECT_EQ(model.memory(1).bytesWritten(), result.bytesWritten[1]);
        EXPECT_EQ(model.memory(1).transactions(), 2U);
        // Beats: 16640 / 4 + 16384 / 4 + 64 / 4 = 4160 + 4096 + 16. The kernel's posted
        // stores are issued first: the read queues behind the write on the SRAM port for 16
        // cycles.
        EXPECT_EQ(model.bus(0).transactions(), 3U);
        EXPECT_EQ(model.bus(0).beats(), 8272U);
        EXPECT_EQ(model.bus(0).waitCycles(), 16U);
    }
}

} // namespace
