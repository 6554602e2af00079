// Simulator: closed-form latency and energy of a single dense layer solved by hand, the
// statuses and operating-point errors of the library entry point, invariants on the real
// MLPerf Tiny configs, clock sweeps, determinism, reuse of one elaboration, reconfigure()
// and the Chrome trace. Every Simulator owns its SystemC context, so they coexist here.
//
// The closed-form cases use tests/sim/data/m4-flash.textproto (one core without data cache,
// a 64-bit flash without prefetch whose wait states step with the clock, a 32-bit zero-wait
// SRAM, one 32-bit bus matrix without latency) and tests/sim/data/dense-stack.textproto
// (dense: 2 cycles per MAC, 100 per call, 10 per output, one weight load per MAC; one tile
// per kernel; no runtime overhead). The reference network is input [256] -> dense 64 units
// with an int32 bias.
//
// Exceptions after a TLM run: SystemC runs its threads as coroutines on stacks of its own
// without telling AddressSanitizer, so in the sanitizer build an exception thrown in a
// process after a TLM run is reported as a stack-buffer-overflow (false positive). CTest
// runs every test in its own process; tests that expect an exception therefore throw it
// before their first TLM run.
#include "sim/Simulator.h"

#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"
#include "sim/trace/ChromeTrace.h"
#include "tests/sim/SimTestData.h"
#include "tests/util/SimResultExpect.h"
#include "tests/util/TestUtil.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

using edgesim::test::builtinSchedule;
using edgesim::test::configPaths;
using edgesim::test::memoryIndex;
using edgesim::test::testData;

namespace ps = edgesim::platforms::spec;
using edgesim::ConfigPaths;
using edgesim::InputError;
using edgesim::sim::Fidelity;
using edgesim::sim::RunOptions;
using edgesim::sim::SimResult;
using edgesim::sim::Simulator;
using edgesim::sim::Status;
using edgesim::test::expectInputError;
using edgesim::test::TempDir;
using edgesim::workloads::Schedule;

// ---------------------------------------------------------------------------------------
// Helpers

/// Fails the test if `p` (edited in C++) is not a valid platform.
void expectValid(const ps::PlatformSpec& p) {
    edgesim::Diagnostics diags("<test platform>");
    edgesim::platforms::validatePlatform(p, edgesim::FieldCursor(diags, nullptr));
    EXPECT_TRUE(diags.empty()) << (diags.empty() ? "" : diags.items().front().format());
}

void expectValid(const ps::StackSpec& s) {
    edgesim::Diagnostics diags("<test stack>");
    edgesim::platforms::validateStack(s, edgesim::FieldCursor(diags, nullptr));
    EXPECT_TRUE(diags.empty()) << (diags.empty() ? "" : diags.items().front().format());
}

ps::PlatformSpec testPlatform() {
    return edgesim::platforms::loadPlatform(testData("m4-flash.textproto"), configPaths());
}

ps::StackSpec testStack() {
    return edgesim::platforms::loadStack(testData("dense-stack.textproto"), configPaths());
}

/// The test platform with `change` applied to it (and checked valid).
template <typename Change> ps::PlatformSpec changedPlatform(Change change) {
    auto platform = testPlatform();
    change(platform);
    expectValid(platform);
    return platform;
}

Schedule scheduleOf(const std::string& networkText) {
    return edgesim::workloads::lowerInference(
        edgesim::workloads::parseNetworkText(networkText, "<test network>"));
}

/// input [inputs] int8 -> dense `units` int8 with an int32 bias.
Schedule denseSchedule(int inputs, int units) {
    return scheduleOf("name: \"test/dense\"\n"
                      "inputs { name: \"x\" shape: [" +
                      std::to_string(inputs) +
                      "] }\n"
                      "layers { name: \"fc\" dense { units: " +
                      std::to_string(units) + " } }\n");
}

RunOptions at(Fidelity fidelity, double clockHz = 0) {
    RunOptions o;
    o.fidelity = fidelity;
    if (clockHz > 0) {
        o.operatingPoint.clockHz = clockHz;
    }
    return o;
}

std::string fidelityName(const testing::TestParamInfo<Fidelity>& info) {
    return info.param == Fidelity::Tlm ? "Tlm" : "Analytical";
}

// ---------------------------------------------------------------------------------------
// 1. Closed form: one dense layer, weights in flash.
//
// input [256] -> dense 64 (int8 weights, int32 bias):
//   MACs            = 256 * 64                   = 16384
//   weight bytes W  = 16384 + 64 * 4 (bias)      = 16640   (read from flash, all of it)
//   SRAM reads      = one input byte per MAC     = 16384   (weight_loads_per_mac 1)
//   SRAM writes     = 64 outputs                 = 64
//   compute         = 100 + 2 * 16384 + 10 * 64  = 33508 cycles
// Flash at 80 MHz has 3 wait states: a 64-bit line takes 4 cycles. Reading W:
//   lines 16640 / 8 = 2080, array time 2080 * 4 = 8320 cycles; the 32-bit bus needs
//   16640 / 4 = 4160 beats, fewer than the array's 8320, so the transfer is 8320 cycles.
// SRAM: 16384 / 4 = 4096 read beats + 64 / 4 = 16 write beats = 4112 cycles, on its own
// matrix port, under the 33508 compute cycles.
// Without prefetch the core stalls on flash for the transfer minus the one cycle per line
// its load instructions already take: 8320 - 2080 = 6240.

constexpr uint64_t kDenseCompute = 33508;
constexpr uint64_t kFlashStall3Ws = 6240;

class ClosedFormTest : public testing::TestWithParam<Fidelity> {};

TEST_P(ClosedFormTest, BlockingFlashAddsItsStallToTheComputeCycles) {
    Simulator sim(testPlatform(), testStack());
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.latencyCycles, kDenseCompute + kFlashStall3Ws); // 39748
    EXPECT_DOUBLE_EQ(r.latencyS, 39748.0 / 80e6);
    EXPECT_EQ(r.macs, 16384);
    EXPECT_EQ(r.bytesRead[memoryIndex(r, "flash")], 16640);
    EXPECT_EQ(r.bytesWritten[memoryIndex(r, "flash")], 0);
    EXPECT_EQ(r.bytesRead[memoryIndex(r, "sram")], 16384);
    EXPECT_EQ(r.bytesWritten[memoryIndex(r, "sram")], 64);
    EXPECT_EQ(r.flashBytes, 16640); // no runtime code in the test stack
    ASSERT_EQ(r.layers.size(), 2U); // the runtime's own work, then fc
    EXPECT_EQ(r.layers[0].name, "(runtime)");
    EXPECT_EQ(r.layers[0].cycles(), 0U);
    EXPECT_EQ(r.layers[1].name, "fc");
    EXPECT_EQ(r.layers[1].op, "dense");
    EXPECT_EQ(r.layers[1].engine, "cpu");
    EXPECT_EQ(r.layers[1].computeCycles, kDenseCompute);
    EXPECT_EQ(r.layers[1].cycles(), 39748U);
    EXPECT_EQ(r.layers[1].tiles, 1);
}

TEST_P(ClosedFormTest, BlockingFlashStallsAlsoWhenComputeIsShort) {
    // 0.25 cycles per MAC: compute = 100 + 16384 / 4 + 640 = 4836, shorter than the flash
    // transfer (8320), but a blocking read still adds its stall after the stream.
    auto stack = testStack();
    stack.mutable_kernels(0)->set_cycles_per_mac(0.25);
    expectValid(stack);
    Simulator sim(testPlatform(), stack);
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.layers[1].computeCycles, 4836U);
    EXPECT_EQ(r.latencyCycles, 4836U + 6240U); // 11076
}

TEST_P(ClosedFormTest, PrefetchOverlapsFlashWithComputeWhenComputeBound) {
    // With prefetch the 8320-cycle flash transfer streams under the 33508 compute cycles.
    auto platform = testPlatform();
    platform.mutable_memories(0)->set_prefetch(true);
    expectValid(platform);
    Simulator sim(platform, testStack());
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.latencyCycles, kDenseCompute);
    EXPECT_EQ(r.bytesRead[memoryIndex(r, "flash")], 16640);
}

TEST_P(ClosedFormTest, PrefetchOverlapsFlashWithComputeWhenMemoryBound) {
    // 0.25 cycles per MAC: compute 4836, SRAM port 4112, flash port 8320; with prefetch the
    // three overlap and the flash transfer is the longest: max(4836, 4112, 8320) = 8320.
    auto platform = testPlatform();
    platform.mutable_memories(0)->set_prefetch(true);
    auto stack = testStack();
    stack.mutable_kernels(0)->set_cycles_per_mac(0.25);
    expectValid(stack);
    Simulator sim(platform, stack);
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.latencyCycles, 8320U);
}

TEST_P(ClosedFormTest, CoreDataCacheMakesFlashReadsOverlap) {
    // A core data cache in front of the flash hides it like prefetch: max(33508, 8320).
    Simulator sim(changedPlatform([](auto& p) { p.mutable_cores(0)->set_dcache_bytes(4096); }),
                  testStack());
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.latencyCycles, kDenseCompute);
}

/// The test platform with a core data cache of `bytes` and `lineBytes` lines.
ps::PlatformSpec dataCachePlatform(int64_t bytes, int64_t lineBytes, bool prefetch = false) {
    return changedPlatform([&](auto& p) {
        p.mutable_cores(0)->set_dcache_bytes(bytes);
        p.mutable_cores(0)->set_dcache_line_bytes(lineBytes);
        p.mutable_memories(0)->set_prefetch(prefetch);
    });
}

struct DataCacheCase {
    const char* name;
    int64_t cacheBytes;
    int64_t lineBytes;
    bool prefetch;
    uint64_t latencyCycles;
    int64_t flashBytesRead;
};

// - 4 KiB, 32-byte lines: the 16640 weight bytes exceed the cache, so each of the
//   16640 / 32 = 520 lines misses once (one load per MAC, each weight used once). A line is
//   4 flash accesses of 4 cycles at 3 WS and the in-order core waits for each fill:
//   520 * 16 = 8320 minus its own 2080 load cycles = 6240, the uncached flash's stall.
// - 64 KiB, 48-byte lines (not a real core; a size that does not divide the weights): the
//   set fits, but its first pass misses: ceil(16640 / 48) = 347 lines = 16656 bytes, 2082
//   accesses of 4 cycles = 8328, stall 8328 - 2082 = 6246.
// - 4 KiB, 32-byte lines, prefetching flash: the fills stream under the compute, 33508.
const DataCacheCase kDataCacheCases[] = {
    {"LargerThanCache", 4096, 32, false, kDenseCompute + kFlashStall3Ws, 16640},
    {"FirstPassWholeLines", 65536, 48, false, kDenseCompute + 6246, 16656},
    {"PrefetchHidesFills", 4096, 32, true, kDenseCompute, 16640},
};

TEST_P(ClosedFormTest, DataCacheMissesStallAsLineFillsWhenTheLineSizeIsKnown) {
    for (const DataCacheCase& c : kDataCacheCases) {
        SCOPED_TRACE(c.name);
        Simulator sim(dataCachePlatform(c.cacheBytes, c.lineBytes, c.prefetch), testStack());
        const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
        ASSERT_EQ(r.status, Status::Ok) << r.reason;
        EXPECT_EQ(r.latencyCycles, c.latencyCycles);
        EXPECT_EQ(r.bytesRead[memoryIndex(r, "flash")], c.flashBytesRead);
    }
}

TEST_P(ClosedFormTest, RamReadWaitStatesStallACoreWithoutCache) {
    // One SRAM read wait state (the RA6M4's SRAMWTSC above 100 MHz) and no data cache: every
    // 32-bit read of the 16384 input bytes takes 2 cycles, one of them the load's own cycle
    // already in the compute. After the blocking flash (39748, as above) the posted stores
    // (16 beats, no write wait) come first, then the reads stall 4096 * 2 - 4096 = 4096:
    // 39748 + 16 + 4096 = 43860 (the core resumes 16 cycles after the flash, behind its
    // stores on the SRAM port).
    Simulator sim(changedPlatform([](auto& p) { p.mutable_memories(1)->set_read_wait_states(1); }),
                  testStack());
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.latencyCycles, 43860U);
    EXPECT_EQ(r.bytesRead[memoryIndex(r, "sram")], 16384);
}

TEST_P(ClosedFormTest, RamReadWaitStatesStreamBehindACoreDataCache) {
    // With a core data cache the same wait state only slows the SRAM port (16384 / 4 * 2 +
    // 16 = 8208 cycles), which streams under the 33508 compute cycles, as the flash does.
    Simulator sim(changedPlatform([](auto& p) {
                      p.mutable_memories(1)->set_read_wait_states(1);
                      p.mutable_cores(0)->set_dcache_bytes(4096);
                  }),
                  testStack());
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.latencyCycles, kDenseCompute);
}

TEST_P(ClosedFormTest, WaitStatesFollowTheClockTable) {
    Simulator sim(testPlatform(), testStack());
    // 40 MHz, 1 WS: array 2080 * 2 = 4160 = the bus's 4160 beats; stall 4160 - 2080 = 2080.
    const SimResult slow = sim.run(denseSchedule(256, 64), at(GetParam(), 40e6));
    ASSERT_EQ(slow.status, Status::Ok) << slow.reason;
    EXPECT_EQ(slow.latencyCycles, kDenseCompute + 2080); // 35588
    EXPECT_DOUBLE_EQ(slow.latencyS, 35588.0 / 40e6);
    EXPECT_EQ(slow.operatingPoint.name, "custom");
    EXPECT_EQ(slow.operatingPoint.clockHz, 40e6);
    // 85 MHz, 4 WS: array 2080 * 5 = 10400; stall 10400 - 2080 = 8320.
    const SimResult fast = sim.run(denseSchedule(256, 64), at(GetParam(), 85e6));
    ASSERT_EQ(fast.status, Status::Ok) << fast.reason;
    EXPECT_EQ(fast.latencyCycles, kDenseCompute + 8320); // 41828
}

TEST_P(ClosedFormTest, EnergyIsTheHandSumOfItsParts) {
    // 39748 cycles at 80 MHz and 3.3 V (blocking case above), t = 39748 / 80e6 s.
    //   core:   100 uA/MHz = 100 pC/cycle, * 3.3 V = 330 pJ/cycle * 39748
    //   flash:  16640 B * 10 pJ/B read
    //   sram:   16384 B * 1 pJ/B read + 64 B * 2 pJ/B written
    //   bus:    (16640 / 4 + (16384 + 64) / 4) = 4160 + 4112 beats * 0.5 pJ
    //   static: (0.01 W board + 0.001 W flash leakage) * t
    const double t = 39748.0 / 80e6;
    const double coreJ = 39748.0 * 330e-12;
    const double flashJ = 16640.0 * 10e-12;
    const double sramJ = (16384.0 * 1 + 64.0 * 2) * 1e-12;
    const double busJ = (4160.0 + 4112.0) * 0.5e-12;
    const double staticJ = 0.01 * t;
    const double leakJ = 0.001 * t;
    Simulator sim(testPlatform(), testStack());
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    const double total = coreJ + flashJ + sramJ + busJ + staticJ + leakJ;
    EXPECT_NEAR(r.energyJ, total, 1e-12 * total);
    std::map<std::string, edgesim::sim::EnergyItem> items;
    for (const auto& e : r.energy) {
        items[e.component] = e;
    }
    ASSERT_EQ(items.size(), 5U); // cpu, flash, sram, bus, static
    EXPECT_NEAR(items["cpu"].dynamicJ, coreJ, 1e-12 * coreJ);
    EXPECT_NEAR(items["flash"].dynamicJ, flashJ, 1e-12 * flashJ);
    EXPECT_NEAR(items["flash"].staticJ, leakJ, 1e-12 * leakJ);
    EXPECT_NEAR(items["sram"].dynamicJ, sramJ, 1e-12 * sramJ);
    EXPECT_EQ(items["sram"].staticJ, 0.0);
    EXPECT_NEAR(items["bus"].dynamicJ, busJ, 1e-12 * busJ);
    EXPECT_NEAR(items["static"].staticJ, staticJ, 1e-12 * staticJ);
    EXPECT_NEAR(r.layers[1].energyJ, total, 1e-12 * total);
}

TEST_P(ClosedFormTest, EnergyFollowsTheSupplyAsItsKindSays) {
    // The hand sum above, quoted at 3.3 V, run at 1.8 V (r = 1.8 / 3.3), with a background of
    // 2 pJ per cycle. Unspecified: figures as quoted (the core's current times 1.8 V).
    // REGULATED: every current is fixed, so every energy and power scales by r. CORE_RAIL:
    // switched energy (events, background, core current) by r^2, leakage and static by r.
    // SWITCHING_REGULATOR: the power drawn is fixed, so nothing changes.
    const double cycles = 39748.0;
    const double t = cycles / 80e6;
    const double coreJ = cycles * 330e-12;
    const double eventsJ = 16640.0 * 10e-12 + (16384.0 * 1 + 64.0 * 2) * 1e-12 +
                           (4160.0 + 4112.0) * 0.5e-12 + cycles * 2e-12;
    const double leakJ = (0.01 + 0.001) * t;
    const double r = 1.8 / 3.3;
    struct Case {
        ps::SupplyKind kind;
        double expected;
    };
    for (const Case& c : {Case{ps::SUPPLY_UNSPECIFIED, coreJ * r + eventsJ + leakJ},
                          Case{ps::REGULATED, (coreJ + eventsJ + leakJ) * r},
                          Case{ps::CORE_RAIL, (coreJ + eventsJ) * r * r + leakJ * r},
                          Case{ps::SWITCHING_REGULATOR, coreJ + eventsJ + leakJ}}) {
        auto platform = testPlatform();
        platform.set_supply(c.kind);
        platform.set_background_energy_pj_per_cycle(2);
        Simulator sim(platform, testStack());
        RunOptions o = at(GetParam());
        o.operatingPoint.voltageV = 1.8;
        const SimResult low = sim.run(denseSchedule(256, 64), o);
        ASSERT_EQ(low.status, Status::Ok) << low.reason;
        EXPECT_EQ(low.latencyCycles, 39748U) << "the supply does not change timing";
        EXPECT_NEAR(low.energyJ, c.expected, 1e-12 * c.expected) << ps::SupplyKind_Name(c.kind);
        // A reference voltage other than the default point's: quoted at 1.8 V, run at 1.8 V.
        platform.set_energy_reference_voltage_v(1.8);
        Simulator quoted(platform, testStack());
        const SimResult same = quoted.run(denseSchedule(256, 64), o);
        const double asQuoted = coreJ * r + eventsJ + leakJ; // every kind: nothing to scale
        EXPECT_NEAR(same.energyJ, asQuoted, 1e-12 * asQuoted) << ps::SupplyKind_Name(c.kind);
    }
}

INSTANTIATE_TEST_SUITE_P(Fidelities, ClosedFormTest,
                         testing::Values(Fidelity::Tlm, Fidelity::Analytical), fidelityName);

// ---------------------------------------------------------------------------------------
// 1b. The same layer cut into tiles, on a bus matrix and on a shared bus. With one
// initiator the TLM model must give the closed form exactly (AnalyticalEvaluator.h).
//
// tile_bytes 4096: ceil(16640 / 4096) = 5 tiles. Per tile:
//   flash 16640 / 5 = 3328 B: 416 lines, array 416 * 4 = 1664 cycles (> 832 beats),
//         blocking stall 1664 - 416 = 1248
//   sram  reads 16384 / 5 -> 3277 B (tiles 0-3), 3276 B (tile 4): 820 / 819 beats;
//         writes 64 / 5 -> 13 B / 12 B: 4 / 3 beats; the port: 824 (tiles 0-3), 822
//   compute at 2 cycles/MAC: 33508 / 5 -> 6702 (tiles 0-2), 6701 (tiles 3-4)
//           at 0.25:         4836 / 5 -> 968 (tile 0), 967 (tiles 1-4)
// Blocking flash (per tile max(compute, sram port) + 1248):
//   2 cycles/MAC:    33508 + 5 * 1248 = 39748 on either bus;
//   0.25, matrix:    4836 + 5 * 1248 = 11076;
//   0.25, shared:    the core resumes 416 cycles (its own load cycles) before its blocking
//                    read frees the bus, so the next tile's SRAM stream waits for it:
//                    tile 0 968 + 1248 = 2216; tiles 1-3 416 + 824 + 1248 = 2488;
//                    tile 4 416 + 822 + 1248 = 2486: 2216 + 3 * 2488 + 2486 = 12166.
// Prefetch, matrix (per tile max(compute, flash port 1664, sram port 824)):
//   2 cycles/MAC:    33508;  0.25: 5 * 1664 = 8320
// Prefetch, shared bus (flash and sram transfers share one port: 1664 + 824 = 2488, or
//   1664 + 822 = 2486 in tile 4):
//   2 cycles/MAC:    33508;  0.25: 4 * 2488 + 2486 = 12438

struct TiledCase {
    const char* name;
    ps::Arbitration arbitration;
    bool prefetch;
    double cyclesPerMac;
    uint64_t expected;
};

void PrintTo(const TiledCase& c, std::ostream* os) {
    *os << c.name;
}

class TiledClosedFormTest : public testing::TestWithParam<TiledCase> {};

TEST_P(TiledClosedFormTest, SingleInitiatorTlmEqualsTheClosedForm) {
    const TiledCase& c = GetParam();
    auto platform = testPlatform();
    platform.mutable_buses(0)->set_arbitration(c.arbitration);
    platform.mutable_memories(0)->set_prefetch(c.prefetch);
    expectValid(platform);
    auto stack = testStack();
    stack.set_tile_bytes(4096);
    stack.set_max_tiles_per_kernel(8);
    stack.mutable_kernels(0)->set_cycles_per_mac(c.cyclesPerMac);
    expectValid(stack);
    Simulator sim(platform, stack);
    const Schedule s = denseSchedule(256, 64);
    const SimResult analytical = sim.run(s, at(Fidelity::Analytical));
    const SimResult tlm = sim.run(s, at(Fidelity::Tlm));
    ASSERT_EQ(analytical.status, Status::Ok) << analytical.reason;
    ASSERT_EQ(tlm.status, Status::Ok) << tlm.reason;
    EXPECT_EQ(analytical.layers[1].tiles, 5);
    EXPECT_EQ(analytical.latencyCycles, c.expected);
    EXPECT_EQ(tlm.latencyCycles, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Buses, TiledClosedFormTest,
    testing::Values(TiledCase{"MatrixBlocking2", ps::MATRIX, false, 2, 39748},
                    TiledCase{"MatrixBlocking025", ps::MATRIX, false, 0.25, 11076},
                    TiledCase{"MatrixPrefetch2", ps::MATRIX, true, 2, 33508},
                    TiledCase{"MatrixPrefetch025", ps::MATRIX, true, 0.25, 8320},
                    TiledCase{"SharedBlocking2", ps::SHARED, false, 2, 39748},
                    TiledCase{"SharedBlocking025", ps::SHARED, false, 0.25, 12166},
                    TiledCase{"SharedPrefetch2", ps::SHARED, true, 2, 33508},
                    TiledCase{"SharedPrefetch025", ps::SHARED, true, 0.25, 12438}),
    [](const testing::TestParamInfo<TiledCase>& p) { return std::string(p.param.name); });

// ---------------------------------------------------------------------------------------
// 3. Invariants on the real configs, every MLPerf Tiny network.

using RealCase = std::tuple<std::string, std::string, std::string>; // platform, stack, net

class RealConfigTest : public testing::TestWithParam<RealCase> {};

TEST_P(RealConfigTest, InvariantsHoldAndFidelitiesAgree) {
    const auto& [platformName, stackName, network] = GetParam();
    const auto platform = edgesim::platforms::loadPlatform(platformName, configPaths());
    const auto stack = edgesim::platforms::loadStack(stackName, configPaths());
    const Schedule schedule = builtinSchedule(network);
    Simulator sim(platform, stack);
    const SimResult tlm = sim.run(schedule, at(Fidelity::Tlm));
    const SimResult analytical = sim.run(schedule, at(Fidelity::Analytical));

    for (const SimResult* r : {&tlm, &analytical}) {
        SCOPED_TRACE(toString(r->fidelity));
        ASSERT_EQ(r->status, Status::Ok) << r->reason;
        EXPECT_GT(r->latencyCycles, 0U);
        EXPECT_DOUBLE_EQ(r->latencyS,
                         static_cast<double>(r->latencyCycles) / r->operatingPoint.clockHz);
        EXPECT_EQ(r->macs, schedule.macs);

        // Weights are read at least once, from where the platform stores them.
        const int flash = memoryIndex(*r, platform.placement().weights_memory());
        EXPECT_GE(r->bytesRead[static_cast<std::size_t>(flash)], schedule.weightBytes);
        EXPECT_GT(schedule.weightBytes, 0);

        // The timeline is contiguous from 0 and its layers sum to the latency.
        ASSERT_FALSE(r->layers.empty());
        EXPECT_EQ(r->layers.front().name, "(runtime)");
        EXPECT_EQ(r->layers.front().startCycle, 0U);
        uint64_t cycles = 0;
        double layerJ = 0;
        for (std::size_t i = 0; i < r->layers.size(); ++i) {
            const auto& l = r->layers[i];
            EXPECT_LE(l.startCycle, l.endCycle) << l.name;
            EXPECT_GE(l.cycles(), l.computeCycles) << l.name;
            if (i > 0) {
                EXPECT_EQ(l.startCycle, r->layers[i - 1].endCycle) << l.name;
            }
            cycles += l.cycles();
            layerJ += l.energyJ;
        }
        EXPECT_EQ(cycles, r->latencyCycles);
        EXPECT_EQ(r->layers.back().endCycle, r->latencyCycles);

        // Energy: positive, the layers and the components each add up to it, and it is at
        // least the static power (board plus memory leakage) times the latency.
        EXPECT_GT(r->energyJ, 0.0);
        EXPECT_NEAR(layerJ, r->energyJ, 1e-12 * r->energyJ);
        double itemsJ = 0;
        double staticJ = 0;
        for (const auto& e : r->energy) {
            EXPECT_GE(e.dynamicJ, 0.0) << e.component;
            EXPECT_GE(e.staticJ, 0.0) << e.component;
            itemsJ += e.dynamicJ + e.staticJ;
            staticJ += e.staticJ;
        }
        EXPECT_NEAR(itemsJ, r->energyJ, 1e-12 * r->energyJ);
        double staticW = platform.static_power_w();
        for (const auto& m : platform.memories()) {
            staticW += m.leakage_power_w();
        }
        EXPECT_GE(r->energyJ, staticW * r->latencyS * (1 - 1e-12));
        EXPECT_NEAR(staticJ, staticW * r->latencyS, 1e-12 + 1e-12 * staticJ);
    }

    // One initiator: the TLM model and the closed form give the same timeline.
    EXPECT_EQ(tlm.latencyCycles, analytical.latencyCycles);
    ASSERT_EQ(tlm.layers.size(), analytical.layers.size());
    for (std::size_t i = 0; i < tlm.layers.size(); ++i) {
        EXPECT_EQ(tlm.layers[i].startCycle, analytical.layers[i].startCycle) << tlm.layers[i].name;
        EXPECT_EQ(tlm.layers[i].endCycle, analytical.layers[i].endCycle) << tlm.layers[i].name;
    }
    EXPECT_EQ(tlm.bytesRead, analytical.bytesRead);
    EXPECT_EQ(tlm.bytesWritten, analytical.bytesWritten);
    EXPECT_NEAR(tlm.energyJ, analytical.energyJ, 1e-12 * analytical.energyJ);
}

std::string realCaseName(const testing::TestParamInfo<RealCase>& info) {
    std::string s =
        std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_" + std::get<2>(info.param);
    for (char& c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
            c = '_';
        }
    }
    return s;
}

INSTANTIATE_TEST_SUITE_P(MlperfTiny, RealConfigTest,
                         testing::Combine(testing::Values("nucleo-l4r5zi"),
                                          testing::Values("tflm-2.3"),
                                          testing::Values("mlperf_tiny/ad", "mlperf_tiny/ic",
                                                          "mlperf_tiny/kws", "mlperf_tiny/vww")),
                         realCaseName);
INSTANTIATE_TEST_SUITE_P(MlperfTinyH7, RealConfigTest,
                         testing::Combine(testing::Values("nucleo-h7a3zi-q"),
                                          testing::Values("x-cube-ai-7.3"),
                                          testing::Values("mlperf_tiny/ad", "mlperf_tiny/ic",
                                                          "mlperf_tiny/kws", "mlperf_tiny/vww")),
                         realCaseName);

// ---------------------------------------------------------------------------------------
// 4. Latency against clock.

TEST(ClockSweepTest, ComputeBoundNetworkGetsFasterAtEveryClockStep) {
    // kws on the L4R5 (flash with prefetch, so wait states hide under compute): over the
    // whole wait-state table (0 WS at 10-20 MHz up to 5 WS at 110-120 MHz) cycles may only
    // grow with the wait states, and seconds must fall at every step.
    const Schedule kws = builtinSchedule("mlperf_tiny/kws");
    Simulator sim(edgesim::platforms::loadPlatform("nucleo-l4r5zi", configPaths()),
                  edgesim::platforms::loadStack("tflm-2.3", configPaths()));
    for (Fidelity f : {Fidelity::Analytical, Fidelity::Tlm}) {
        SCOPED_TRACE(toString(f));
        SimResult previous;
        for (int mhz = 10; mhz <= 120; mhz += 10) {
            SCOPED_TRACE(mhz);
            const SimResult r = sim.run(kws, at(f, mhz * 1e6));
            ASSERT_EQ(r.status, Status::Ok) << r.reason;
            if (mhz > 10) {
                EXPECT_LT(r.latencyS, previous.latencyS);
                EXPECT_GE(r.latencyCycles, previous.latencyCycles);
            }
            previous = r;
        }
    }
}

TEST(ClockSweepTest, MemoryBoundLayerDoesNotScaleWithClock) {
    // input [1024] -> dense 256, 0.25 cycles/MAC, blocking flash:
    //   MACs 262144; W = 262144 + 256 * 4 = 263168 B; lines 263168 / 8 = 32896;
    //   bus beats 263168 / 4 = 65792; compute = 100 + 262144 / 4 + 2560 = 68196;
    //   SRAM port 262144 / 4 + 256 / 4 = 65600 < compute.
    //   40 MHz (1 WS): array 32896 * 2 = 65792 = beats, stall 65792 - 32896 = 32896
    //                  -> 68196 + 32896 = 101092 cycles = 2.5273 ms
    //   80 MHz (3 WS): array 32896 * 4 = 131584, stall 131584 - 32896 = 98688
    //                  -> 68196 + 98688 = 166884 cycles = 2.08605 ms (not 1.26 ms)
    auto stack = testStack();
    stack.mutable_kernels(0)->set_cycles_per_mac(0.25);
    expectValid(stack);
    Simulator sim(testPlatform(), stack);
    const Schedule big = denseSchedule(1024, 256);
    for (Fidelity f : {Fidelity::Tlm, Fidelity::Analytical}) {
        SCOPED_TRACE(toString(f));
        const SimResult slow = sim.run(big, at(f, 40e6));
        const SimResult fast = sim.run(big, at(f, 80e6));
        ASSERT_EQ(slow.status, Status::Ok) << slow.reason;
        ASSERT_EQ(fast.status, Status::Ok) << fast.reason;
        EXPECT_EQ(slow.latencyCycles, 101092U);
        EXPECT_EQ(fast.latencyCycles, 166884U);
        EXPECT_LT(fast.latencyS, slow.latencyS);
        EXPECT_GT(fast.latencyS, 0.8 * slow.latencyS); // doubling the clock gains < 20 %
    }
}

// ---------------------------------------------------------------------------------------
// 5. Determinism, 8. reuse of one elaboration.

TEST(DeterminismTest, SameInputsGiveBitIdenticalResults) {
    const Schedule kws = builtinSchedule("mlperf_tiny/kws");
    const auto platform = edgesim::platforms::loadPlatform("nucleo-l4r5zi", configPaths());
    const auto stack = edgesim::platforms::loadStack("tflm-2.3", configPaths());
    for (Fidelity f : {Fidelity::Tlm, Fidelity::Analytical}) {
        SCOPED_TRACE(toString(f));
        Simulator one(platform, stack);
        const SimResult a = one.run(kws, at(f));
        const SimResult b = one.run(kws, at(f));
        Simulator two(platform, stack);
        const SimResult c = two.run(kws, at(f));
        ASSERT_EQ(a.status, Status::Ok) << a.reason;
        {
            SCOPED_TRACE("same simulator");
            edgesim::test::expectSameSimResult(a, b);
        }
        {
            SCOPED_TRACE("two simulators");
            edgesim::test::expectSameSimResult(a, c);
        }
    }
}

TEST(DeterminismTest, ManyNetworksInOneSimulatorDoNotInfluenceEachOther) {
    // kws, ic, kws on one elaboration: statistics and port reservations reset between runs.
    const auto platform = edgesim::platforms::loadPlatform("nucleo-l4r5zi", configPaths());
    const auto stack = edgesim::platforms::loadStack("tflm-2.3", configPaths());
    const Schedule kws = builtinSchedule("mlperf_tiny/kws");
    const Schedule ic = builtinSchedule("mlperf_tiny/ic");
    Simulator sim(platform, stack);
    const SimResult first = sim.run(kws);
    const SimResult second = sim.run(ic);
    const SimResult third = sim.run(kws);
    ASSERT_EQ(first.status, Status::Ok) << first.reason;
    ASSERT_EQ(second.status, Status::Ok) << second.reason;
    EXPECT_NE(first.latencyCycles, second.latencyCycles);
    edgesim::test::expectSameSimResult(first, third);
    Simulator fresh(platform, stack);
    SCOPED_TRACE("ic after kws vs ic alone");
    edgesim::test::expectSameSimResult(second, fresh.run(ic));
}

TEST(DeterminismTest, SimulatorsMayBeDestroyedInAnyOrder) {
    // Two simulators with overlapping lifetimes (a NAS loop, Python's garbage collector)
    // need not be destroyed in reverse order of creation. Afterwards SystemC's current
    // context must not point at a context that one of them deleted.
    sc_core::sc_simcontext* const before = sc_core::sc_curr_simcontext;
    sc_core::sc_simcontext* const beforeDefault = sc_core::sc_default_global_context;
    const Schedule ad = builtinSchedule("mlperf_tiny/ad");
    const auto platform = edgesim::platforms::loadPlatform("nucleo-l4r5zi", configPaths());
    const auto stack = edgesim::platforms::loadStack("tflm-2.3", configPaths());
    // A simulator enters its own context only while it runs, so the process's current
    // context stays what it was through every step.
    auto a = std::make_unique<Simulator>(platform, stack);
    const SimResult ra = a->run(ad);
    EXPECT_EQ(sc_core::sc_curr_simcontext, before);
    auto b = std::make_unique<Simulator>(platform, stack);
    const SimResult rb = b->run(ad);
    EXPECT_EQ(sc_core::sc_curr_simcontext, before);
    edgesim::test::expectSameSimResult(ra, rb);
    a.reset(); // first created, first destroyed
    EXPECT_EQ(sc_core::sc_curr_simcontext, before);
    EXPECT_EQ(b->run(ad).latencyCycles, ra.latencyCycles);
    b.reset();
    EXPECT_EQ(sc_core::sc_curr_simcontext, before);
    // Leave the process as we found it, whatever the library did, so later tests run.
    sc_core::sc_curr_simcontext = before;
    sc_core::sc_default_global_context = beforeDefault;
}

// ---------------------------------------------------------------------------------------
// 6. Statuses: results, not exceptions.

class StatusTest : public testing::TestWithParam<Fidelity> {};

TEST_P(StatusTest, ArenaLargerThanTheActivationsMemoryDoesNotFit) {
    // input [40000] -> relu: input and output are live together, 80000 B > the 64 KiB SRAM.
    const Schedule s = scheduleOf("name: \"test/big_arena\"\n"
                                  "inputs { name: \"x\" shape: [40000] }\n"
                                  "layers { name: \"act\" relu {} }\n");
    ASSERT_GT(s.arenaBytes, 65536);
    Simulator sim(testPlatform(), testStack());
    SimResult r;
    EXPECT_NO_THROW(r = sim.run(s, at(GetParam())));
    EXPECT_EQ(r.status, Status::DoesNotFit);
    EXPECT_NE(r.reason.find("'sram'"), std::string::npos) << r.reason;
    EXPECT_EQ(r.peakRamBytes, s.arenaBytes);
    EXPECT_EQ(r.latencyCycles, 0U);
    EXPECT_TRUE(r.layers.empty());
}

TEST_P(StatusTest, WeightsLargerThanTheFlashDoNotFit) {
    // input [1024] -> dense 1100: 1126400 + 4400 = 1130800 B of weights > 1 MiB of flash.
    const Schedule s = denseSchedule(1024, 1100);
    ASSERT_EQ(s.weightBytes, 1130800);
    Simulator sim(testPlatform(), testStack());
    SimResult r;
    EXPECT_NO_THROW(r = sim.run(s, at(GetParam())));
    EXPECT_EQ(r.status, Status::DoesNotFit);
    EXPECT_NE(r.reason.find("'flash'"), std::string::npos) << r.reason;
    EXPECT_EQ(r.flashBytes, 1130800);
    EXPECT_TRUE(r.layers.empty());
}

TEST_P(StatusTest, OpWithoutKernelIsUnsupportedAndNamesTheLayer) {
    // The test stack has no softmax kernel.
    const Schedule s = scheduleOf("name: \"test/classifier\"\n"
                                  "inputs { name: \"x\" shape: [64] }\n"
                                  "layers { name: \"fc\" dense { units: 10 } }\n"
                                  "layers { name: \"probs\" softmax {} }\n");
    Simulator sim(testPlatform(), testStack());
    SimResult r;
    EXPECT_NO_THROW(r = sim.run(s, at(GetParam())));
    EXPECT_EQ(r.status, Status::Unsupported);
    EXPECT_NE(r.reason.find("'probs'"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("softmax"), std::string::npos) << r.reason;
    EXPECT_TRUE(r.layers.empty());
    EXPECT_EQ(r.energyJ, 0.0);
}

TEST_P(StatusTest, DtypeWithoutKernelIsUnsupported) {
    // Only int8 kernels in the test stack: an fp32 dense layer has none.
    const Schedule s = scheduleOf("name: \"test/fp32\"\n"
                                  "activation_dtype: FP32 weight_dtype: FP32\n"
                                  "inputs { name: \"x\" shape: [64] }\n"
                                  "layers { name: \"fc32\" dense { units: 10 } }\n");
    Simulator sim(testPlatform(), testStack());
    const SimResult r = sim.run(s, at(GetParam()));
    EXPECT_EQ(r.status, Status::Unsupported);
    EXPECT_NE(r.reason.find("'fc32'"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("fp32"), std::string::npos) << r.reason;
}

TEST_P(StatusTest, AFailedRunDoesNotDisturbTheNextOne) {
    Simulator sim(testPlatform(), testStack());
    EXPECT_EQ(sim.run(denseSchedule(1024, 1100), at(GetParam())).status, Status::DoesNotFit);
    const SimResult r = sim.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.latencyCycles, kDenseCompute + kFlashStall3Ws);
}

INSTANTIATE_TEST_SUITE_P(Fidelities, StatusTest,
                         testing::Values(Fidelity::Tlm, Fidelity::Analytical), fidelityName);

// ---------------------------------------------------------------------------------------
// 7. Impossible operating points are input errors naming the option.

edgesim::sim::OperatingPointOverride point(std::optional<double> clockHz,
                                           std::optional<double> voltageV) {
    edgesim::sim::OperatingPointOverride o;
    o.clockHz = clockHz;
    o.voltageV = voltageV;
    return o;
}

class OperatingPointTest : public testing::TestWithParam<Fidelity> {
protected:
    /// The InputError of running the reference network with `override`. The point is
    /// checked before anything is simulated, so no SystemC thread runs here.
    InputError errorOf(const edgesim::sim::OperatingPointOverride& override) {
        RunOptions o = at(GetParam());
        o.operatingPoint = override;
        o.source = "test-cli";
        return expectInputError([&] { sim_.run(denseSchedule(256, 64), o); });
    }

    Simulator sim_{testPlatform(), testStack()};
};

TEST_P(OperatingPointTest, SimulatorStaysUsableAfterRefusingAPoint) {
    errorOf(point(120e6, std::nullopt));
    const SimResult r = sim_.run(denseSchedule(256, 64), at(GetParam()));
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.latencyCycles, 39748U);
    EXPECT_EQ(r.operatingPoint.name, "80mhz");
}

TEST_P(OperatingPointTest, ClockAboveTheCoreMaximumIsRejected) {
    const InputError e = errorOf(point(120e6, std::nullopt)); // core max 100 MHz
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].file, "test-cli");
    EXPECT_EQ(e.diagnostics()[0].field, "--clock-mhz");
    EXPECT_NE(e.diagnostics()[0].reason.find("'cpu'"), std::string::npos) << e.what();
}

TEST_P(OperatingPointTest, ClockAboveTheFlashWaitStateTableIsRejected) {
    const InputError e = errorOf(point(95e6, std::nullopt)); // table ends at 90 MHz, core at 100
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].field, "--clock-mhz");
    EXPECT_NE(e.diagnostics()[0].reason.find("'flash'"), std::string::npos) << e.what();
}

TEST_P(OperatingPointTest, NonPositiveClockIsRejected) {
    EXPECT_EQ(errorOf(point(0.0, std::nullopt)).diagnostics().at(0).field, "--clock-mhz");
    EXPECT_EQ(errorOf(point(-1e6, std::nullopt)).diagnostics().at(0).field, "--clock-mhz");
}

TEST_P(OperatingPointTest, VoltageOutsideTheSupplyRangeIsRejected) {
    for (double v : {4.0, 1.0}) { // range [1.7, 3.6] V
        SCOPED_TRACE(v);
        const InputError e = errorOf(point(std::nullopt, v));
        ASSERT_EQ(e.diagnostics().size(), 1U);
        EXPECT_EQ(e.diagnostics()[0].field, "--voltage-v");
        EXPECT_EQ(e.diagnostics()[0].file, "test-cli");
    }
}

TEST_P(OperatingPointTest, PointsInsideTheLimitsAreAccepted) {
    RunOptions o = at(GetParam());
    o.operatingPoint = point(90e6, 1.7); // the table's last row and the supply minimum
    const SimResult r = sim_.run(denseSchedule(256, 64), o);
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.operatingPoint.voltageV, 1.7);
    EXPECT_EQ(r.latencyCycles, kDenseCompute + 8320); // 4 WS as at 85 MHz
}

TEST_P(OperatingPointTest, NamedPointsAreSelectedAndUnknownNamesRejected) {
    // The refusal first: nothing is simulated before it (an exception after SystemC ran
    // upsets AddressSanitizer, google/sanitizers#189).
    edgesim::sim::OperatingPointOverride unknown;
    unknown.name = "turbo";
    const InputError e = errorOf(unknown);
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].field, "--operating-point");
    EXPECT_NE(e.diagnostics()[0].reason.find("it has: 80mhz"), std::string::npos) << e.what();
    RunOptions o = at(GetParam());
    o.operatingPoint.name = "80mhz"; // the test platform's only point, named explicitly
    const SimResult r = sim_.run(denseSchedule(256, 64), o);
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.operatingPoint.name, "80mhz");
    EXPECT_EQ(r.operatingPoint.clockHz, 80e6);
}

INSTANTIATE_TEST_SUITE_P(Fidelities, OperatingPointTest,
                         testing::Values(Fidelity::Tlm, Fidelity::Analytical), fidelityName);

// ---------------------------------------------------------------------------------------
// 9. reconfigure().

TEST(ReconfigureTest, NumericChangesTakeEffectWithoutANewSimulator) {
    Simulator sim(testPlatform(), testStack());
    const Schedule s = denseSchedule(256, 64);
    ASSERT_EQ(sim.run(s).latencyCycles, 39748U); // elaborates the TLM model

    // 3 cycles per MAC: compute = 100 + 3 * 16384 + 640 = 49892, stall still 6240.
    auto stack = testStack();
    stack.mutable_kernels(0)->set_cycles_per_mac(3);
    expectValid(stack);
    sim.reconfigure(testPlatform(), stack);
    EXPECT_EQ(sim.stack().kernels(0).cycles_per_mac(), 3.0);
    EXPECT_EQ(sim.run(s).latencyCycles, 56132U);
    EXPECT_EQ(sim.run(s, at(Fidelity::Analytical)).latencyCycles, 56132U);

    // 5 wait states up to 80 MHz: array 2080 * 6 = 12480, stall 12480 - 2080 = 10400.
    auto platform = testPlatform();
    platform.mutable_memories(0)->mutable_read_wait_states_by_clock(1)->set_wait_states(5);
    expectValid(platform);
    sim.reconfigure(platform, stack);
    EXPECT_EQ(sim.run(s).latencyCycles, 49892U + 10400U); // 60292
    EXPECT_EQ(sim.run(s, at(Fidelity::Analytical)).latencyCycles, 60292U);

    // Switching the bus to SHARED is a timing change, not a structural one: nothing else
    // uses the bus here, so the latency is the same.
    platform.mutable_buses(0)->set_arbitration(ps::SHARED);
    EXPECT_NO_THROW(sim.reconfigure(platform, stack));
    EXPECT_EQ(sim.run(s).latencyCycles, 60292U);
}

TEST(ReconfigureTest, StructuralChangesAreRejected) {
    // Analytical first: see "Exceptions after a TLM run" at the top of this file.
    Simulator sim(testPlatform(), testStack());
    const Schedule s = denseSchedule(256, 64);
    ASSERT_EQ(sim.run(s, at(Fidelity::Analytical)).latencyCycles, 39748U);

    auto added = testPlatform();
    auto* m = added.add_memories();
    *m = added.memories(1);
    m->set_name("sram_extra");
    added.mutable_buses(0)->add_slaves("sram_extra");
    expectValid(added);
    EXPECT_THROW(sim.reconfigure(added, testStack()), std::invalid_argument);

    auto renamed = testPlatform();
    renamed.mutable_memories(1)->set_name("ram");
    renamed.mutable_buses(0)->set_slaves(1, "ram");
    renamed.mutable_placement()->set_activations_memory("ram");
    expectValid(renamed);
    EXPECT_THROW(sim.reconfigure(renamed, testStack()), std::invalid_argument);

    auto dma = testPlatform();
    auto* d = dma.add_dmas();
    d->set_name("dma");
    d->set_channels(1);
    d->set_burst_bytes(16);
    dma.mutable_buses(0)->add_masters("dma");
    expectValid(dma);
    EXPECT_THROW(sim.reconfigure(dma, testStack()), std::invalid_argument);

    // A rejected reconfiguration leaves the simulator as it was.
    EXPECT_EQ(sim.platform().memories_size(), 2);
    EXPECT_EQ(sim.run(s).latencyCycles, 39748U);
}

// ---------------------------------------------------------------------------------------
// 10. Chrome trace.

nlohmann::json readJson(const std::filesystem::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

struct ParsedTrace {
    std::map<int, std::string> threads; // tid -> name
    std::vector<nlohmann::json> spans;  // "X" events
    const nlohmann::json* span(const std::string& thread, const std::string& name) const {
        for (const auto& e : spans) {
            if (threads.at(e["tid"].get<int>()) == thread && e["name"] == name) {
                return &e;
            }
        }
        return nullptr;
    }
};

ParsedTrace parseTrace(const nlohmann::json& doc) {
    ParsedTrace t;
    for (const auto& e : doc.at("traceEvents")) {
        if (e["ph"] == "M" && e["name"] == "thread_name") {
            t.threads[e["tid"].get<int>()] = e["args"]["name"].get<std::string>();
        } else if (e["ph"] == "X") {
            t.spans.push_back(e);
        }
    }
    return t;
}

TEST(TraceTest, TlmTraceHasTracksForTheCoreAndBusPortsAndTimedSpans) {
    // Spans of the blocking closed-form case at 80 MHz (1 cycle = 0.0125 us):
    //   cpu:       (runtime) [0, 0], fc [0, 39748] -> ts 0, dur 496.85 us
    //   bus/sram:  cpu write [0, 16] (64 B), cpu read [16, 4112] (16384 B): a kernel's
    //              posted stores are issued before its reads
    //   bus/flash: cpu read [33508, 41828] (16640 B) -> ts 418.85 us, dur 104 us
    TempDir dir("edgesim-trace");
    Simulator sim(testPlatform(), testStack());
    for (int run = 0; run < 2; ++run) { // the second run's spans start at 0 again
        SCOPED_TRACE(run);
        edgesim::sim::ChromeTrace trace;
        RunOptions o;
        o.observer = &trace;
        const SimResult r = sim.run(denseSchedule(256, 64), o);
        ASSERT_EQ(r.status, Status::Ok) << r.reason;
        const auto path = dir.path() / ("trace" + std::to_string(run) + ".json");
        trace.write(path.string(), r.operatingPoint.clockHz, "test");
        EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
        const ParsedTrace t = parseTrace(readJson(path));

        std::vector<std::string> names;
        for (const auto& [tid, name] : t.threads) {
            names.push_back(name);
        }
        EXPECT_THAT(names, testing::UnorderedElementsAre("cpu", "bus/sram", "bus/flash"));
        EXPECT_EQ(t.spans.size(), 5U);

        const auto* runtime = t.span("cpu", "(runtime)");
        ASSERT_NE(runtime, nullptr);
        EXPECT_EQ((*runtime)["dur"].get<double>(), 0.0);
        const auto* fc = t.span("cpu", "fc");
        ASSERT_NE(fc, nullptr);
        EXPECT_EQ((*fc)["args"]["start_cycle"].get<uint64_t>(), 0U);
        EXPECT_EQ((*fc)["args"]["end_cycle"].get<uint64_t>(), 39748U);
        EXPECT_NEAR((*fc)["ts"].get<double>(), 0.0, 1e-9);
        EXPECT_NEAR((*fc)["dur"].get<double>(), 496.85, 1e-9);

        const auto* flash = t.span("bus/flash", "cpu read");
        ASSERT_NE(flash, nullptr);
        EXPECT_EQ((*flash)["args"]["bytes"].get<int64_t>(), 16640);
        EXPECT_EQ((*flash)["args"]["start_cycle"].get<uint64_t>(), 33508U);
        EXPECT_NEAR((*flash)["ts"].get<double>(), 418.85, 1e-9);
        EXPECT_NEAR((*flash)["dur"].get<double>(), 104.0, 1e-9);

        const auto* read = t.span("bus/sram", "cpu read");
        const auto* write = t.span("bus/sram", "cpu write");
        ASSERT_NE(read, nullptr);
        ASSERT_NE(write, nullptr);
        EXPECT_EQ((*read)["args"]["bytes"].get<int64_t>(), 16384);
        EXPECT_NEAR((*read)["dur"].get<double>(), 51.2, 1e-9);
        EXPECT_EQ((*read)["args"]["start_cycle"].get<uint64_t>(), 16U);
        EXPECT_EQ((*write)["args"]["start_cycle"].get<uint64_t>(), 0U);
        EXPECT_EQ((*write)["args"]["end_cycle"].get<uint64_t>(), 16U);
    }
}

TEST(TraceTest, AnalyticalTraceHasTheCoreOnly) {
    TempDir dir("edgesim-trace");
    Simulator sim(testPlatform(), testStack());
    edgesim::sim::ChromeTrace trace;
    RunOptions o = at(Fidelity::Analytical);
    o.observer = &trace;
    const SimResult r = sim.run(denseSchedule(256, 64), o);
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    const auto path = dir.path() / "analytical.json";
    trace.write(path.string(), r.operatingPoint.clockHz, "test");
    const ParsedTrace t = parseTrace(readJson(path));
    ASSERT_EQ(t.threads.size(), 1U);
    EXPECT_EQ(t.threads.begin()->second, "cpu");
    const auto* fc = t.span("cpu", "fc");
    ASSERT_NE(fc, nullptr);
    EXPECT_NEAR((*fc)["dur"].get<double>(), 496.85, 1e-9);
}

TEST(TraceTest, WritingIntoAMissingDirectoryThrowsAndLeavesNoFile) {
    TempDir dir("edgesim-trace");
    Simulator sim(testPlatform(), testStack());
    edgesim::sim::ChromeTrace trace;
    RunOptions o = at(Fidelity::Analytical); // see "Exceptions after a TLM run" above
    o.observer = &trace;
    ASSERT_EQ(sim.run(denseSchedule(256, 64), o).status, Status::Ok);
    ASSERT_GT(trace.spans(), 0U);
    const std::string path = (dir.path() / "missing" / "trace.json").string();
    const InputError e = expectInputError([&] { trace.write(path, 80e6, "test"); });
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_EQ(e.diagnostics()[0].file, path);
    EXPECT_EQ(e.diagnostics()[0].field, "--trace");
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "missing"));
}

} // namespace
