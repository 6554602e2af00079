// Memory timing that depends on the clock: an off-chip flash in its own clock domain reads at
// a fixed bandwidth, so a swept core clock gives a continuous, monotone latency curve (the
// U55's flash once jumped between Vela's two system configs at 200 MHz); a named point that
// pairs the clock with another flash keeps its own figures, and results report the point run.
#include "explorer/session/Session.h"

#include <gtest/gtest.h>

namespace edgesim::explorer {
namespace {

Query u55(std::optional<double> clockMhz, const std::string& point = "") {
    Query q;
    q.network = "mlperf_tiny/vww";
    q.platform = "corstone-300-ethos-u55";
    q.stack = "vela";
    q.fidelity = sim::Fidelity::Analytical;
    q.operatingPoint.name = point;
    if (clockMhz) {
        q.operatingPoint.clockHz = *clockMhz * 1e6;
    }
    return q;
}

TEST(OperatingPoint, SweptClockGivesAMonotoneContinuousLatency) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    double previous = 0;
    for (double mhz = 100; mhz <= 500; mhz += 10) {
        const auto r = session.run(u55(mhz)).result;
        ASSERT_EQ(r.status, sim::Status::Ok) << r.reason;
        EXPECT_EQ(r.operatingPoint.name, "custom");
        EXPECT_DOUBLE_EQ(r.operatingPoint.clockHz, mhz * 1e6);
        if (previous > 0) {
            EXPECT_LT(r.latencyS, previous) << mhz << " MHz";
            // No step: 10 MHz more clock never saves more than 10% of the time.
            EXPECT_GT(r.latencyS, 0.85 * previous) << mhz << " MHz";
        }
        previous = r.latencyS;
    }
    // Around the old table boundary the curve is smooth.
    const double at199 = session.run(u55(199)).result.latencyS;
    const double at201 = session.run(u55(201)).result.latencyS;
    EXPECT_NEAR(at201 / at199, 199.0 / 201.0, 0.02);
}

// The N6 streams vww's weights from its octo-SPI flash, in its own clock domain (as GAP8/GAP9's
// HyperRAM: ShippedConfigs.OffChipMemoriesReadAtTheirOwnRate), so a faster core waits more
// cycles for it (the cycle count rises with the clock) while the time still falls; with wait
// states in core cycles the cycle count stayed put and the time fell as 1/f.
TEST(OperatingPoint, OffChipWeightsReadAtTheirOwnRateWhateverTheClock) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    const auto run = [&session](const char* platform, const char* stack, double mhz) {
        Query q;
        q.network = "mlperf_tiny/vww";
        q.platform = platform;
        q.stack = stack;
        q.fidelity = sim::Fidelity::Analytical;
        q.operatingPoint.clockHz = mhz * 1e6;
        const auto r = session.run(q).result;
        EXPECT_EQ(r.status, sim::Status::Ok) << r.reason;
        return r;
    };
    const auto slow = run("stm32n6570-dk", "stedge-ai", 200);
    const auto mid = run("stm32n6570-dk", "stedge-ai", 400);
    const auto fast = run("stm32n6570-dk", "stedge-ai", 800);
    EXPECT_LT(slow.latencyCycles, mid.latencyCycles);
    EXPECT_LT(mid.latencyCycles, fast.latencyCycles);
    EXPECT_GT(slow.latencyS, mid.latencyS);
    EXPECT_GT(mid.latencyS, fast.latencyS);
    // Not 1/f: the flash does not speed up with the core.
    EXPECT_GT(fast.latencyS, 1.1 * slow.latencyS / 4);
}

TEST(OperatingPoint, ANamedPointKeepsItsOwnFlashAndIsReported) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    const auto named = session.run(u55(std::nullopt, "200mhz")).result;
    const auto custom = session.run(u55(200)).result; // the 500mhz system at 200 MHz
    ASSERT_EQ(named.status, sim::Status::Ok);
    EXPECT_EQ(named.operatingPoint.name, "200mhz");
    EXPECT_DOUBLE_EQ(named.operatingPoint.clockHz, 200e6);
    // Deep_Embedded's flash delivers 0.1 GB/s, High_End's 0.5 GB/s: weights stream slower.
    EXPECT_GT(named.latencyCycles, custom.latencyCycles);
    // A clock derived from the named point keeps its flash.
    const auto derived = session.run(u55(190, "200mhz")).result;
    EXPECT_GT(derived.latencyS, named.latencyS);
    EXPECT_GT(derived.latencyCycles, custom.latencyCycles);
}

} // namespace
} // namespace edgesim::explorer
