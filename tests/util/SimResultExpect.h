// Comparing two simulation results in tests: determinism, caching and reconfiguration checks
// all ask that a result is exactly what another computation gave. Header-only.
#pragma once

#include "sim/SimResult.h"

#include <gtest/gtest.h>

#include <cstddef>

namespace edgesim::test {

/// Every simulated figure and the mapping and operating point of `a` equal `b`'s exactly
/// (the host wall time aside).
inline void expectSameSimResult(const sim::SimResult& a, const sim::SimResult& b) {
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.network, b.network);
    EXPECT_EQ(a.latencyCycles, b.latencyCycles);
    EXPECT_EQ(a.latencyS, b.latencyS);
    EXPECT_EQ(a.energyJ, b.energyJ);
    EXPECT_EQ(a.peakRamBytes, b.peakRamBytes);
    EXPECT_EQ(a.flashBytes, b.flashBytes);
    EXPECT_EQ(a.macs, b.macs);
    EXPECT_EQ(a.memories, b.memories);
    EXPECT_EQ(a.bytesRead, b.bytesRead);
    EXPECT_EQ(a.bytesWritten, b.bytesWritten);
    EXPECT_EQ(a.mapping, b.mapping);
    EXPECT_EQ(a.operatingPoint.clockHz, b.operatingPoint.clockHz);
    EXPECT_EQ(a.operatingPoint.voltageV, b.operatingPoint.voltageV);
    ASSERT_EQ(a.energy.size(), b.energy.size());
    for (std::size_t i = 0; i < a.energy.size(); ++i) {
        EXPECT_EQ(a.energy[i].component, b.energy[i].component);
        EXPECT_EQ(a.energy[i].dynamicJ, b.energy[i].dynamicJ) << a.energy[i].component;
        EXPECT_EQ(a.energy[i].staticJ, b.energy[i].staticJ) << a.energy[i].component;
    }
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const auto& x = a.layers[i];
        const auto& y = b.layers[i];
        EXPECT_EQ(x.name, y.name) << i;
        EXPECT_EQ(x.engine, y.engine) << x.name;
        EXPECT_EQ(x.startCycle, y.startCycle) << x.name;
        EXPECT_EQ(x.endCycle, y.endCycle) << x.name;
        EXPECT_EQ(x.computeCycles, y.computeCycles) << x.name;
        EXPECT_EQ(x.tiles, y.tiles) << x.name;
        EXPECT_EQ(x.bytesRead, y.bytesRead) << x.name;
        EXPECT_EQ(x.bytesWritten, y.bytesWritten) << x.name;
        EXPECT_EQ(x.energyJ, y.energyJ) << x.name;
    }
}

} // namespace edgesim::test
