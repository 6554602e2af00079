// Memory planner against hand-computed lifetimes, live bytes and greedy placements.
#include "common/ConfigPaths.h"
#include "tests/workloads/TestNetworks.h"
#include "workloads/NetworkSource.h"
#include "workloads/graph/MemoryPlanner.h"

#include <gtest/gtest.h>

namespace edgesim::workloads {
namespace {

using namespace test;

// input(100 B) -> d1(200 B) -> d2(50 B) -> d3(100 B), all int8.
Network chain() {
    Network net("chain");
    auto x = net.addLayer(input("x", {100}));
    auto a = net.addLayer(dense("d1", 200), {x});
    auto b = net.addLayer(dense("d2", 50), {a});
    net.addLayer(dense("d3", 100), {b});
    inferShapes(net, "chain");
    return net;
}

TEST(MemoryPlanner, ChainLifetimesLiveBytesAndGreedyPlacement) {
    const Network net = chain();
    const MemoryPlan plan = planMemory(net);
    ASSERT_EQ(plan.buffers.size(), 4U);
    // Lifetimes [producer step, last reader step]; the graph output lives to the end.
    EXPECT_EQ(plan.buffers[0].firstStep, 0);
    EXPECT_EQ(plan.buffers[0].lastStep, 1);
    EXPECT_EQ(plan.buffers[1].lastStep, 2);
    EXPECT_EQ(plan.buffers[2].lastStep, 3);
    EXPECT_EQ(plan.buffers[3].lastStep, 3);
    // Live bytes: {x}, {x,d1}, {d1,d2}, {d2,d3}.
    EXPECT_EQ(plan.liveBytes, (std::vector<int64_t>{100, 300, 250, 150}));
    EXPECT_EQ(plan.peakLiveBytes, 300);
    EXPECT_EQ(plan.totalBytes, 450);
    // Greedy by size: d1@0; x overlaps d1 -> @200; d3 (step 3) overlaps only d2, unplaced
    // -> @0; d2 overlaps d1 [0,200) and d3 [0,100) -> @200.
    EXPECT_EQ(plan.buffers[1].offset, 0);
    EXPECT_EQ(plan.buffers[0].offset, 200);
    EXPECT_EQ(plan.buffers[3].offset, 0);
    EXPECT_EQ(plan.buffers[2].offset, 200);
    EXPECT_EQ(plan.arenaBytes, 300);
}

// x(8x8x4) -> a -> b, then add(x, b): x must survive until the add.
Network residual(bool withSkip) {
    Network net("residual");
    auto x = net.addLayer(input("x", {8, 8, 4}));
    auto a = net.addLayer(conv("a", 4, {3, 3}), {x});
    auto b = net.addLayer(conv("b", 4, {3, 3}), {a});
    if (withSkip) {
        net.addLayer(op("add", OpKind::Add), {x, b});
    } else {
        net.addLayer(conv("c", 4, {3, 3}), {b});
    }
    inferShapes(net, "residual");
    return net;
}

TEST(MemoryPlanner, ResidualBlockConstrainsReuse) {
    // Every tensor is 8*8*4 = 256 bytes.
    const MemoryPlan plain = planMemory(residual(false));
    EXPECT_EQ(plain.liveBytes, (std::vector<int64_t>{256, 512, 512, 512}));
    EXPECT_EQ(plain.arenaBytes, 512);  // ping-pong between two buffers

    const MemoryPlan skip = planMemory(residual(true));
    // x lives over all four steps: {x}, {x,a}, {x,a,b}, {x,b,add}.
    EXPECT_EQ(skip.buffers[0].lastStep, 3);
    EXPECT_EQ(skip.liveBytes, (std::vector<int64_t>{256, 512, 768, 768}));
    EXPECT_EQ(skip.arenaBytes, 768);
    // add reuses a's slot: a died at step 2.
    EXPECT_EQ(skip.buffers[3].offset, skip.buffers[1].offset);
    // No two buffers alive at the same step overlap in the arena.
    for (const auto& p : skip.buffers) {
        for (const auto& q : skip.buffers) {
            if (&p == &q || p.lastStep < q.firstStep || q.lastStep < p.firstStep) {
                continue;
            }
            EXPECT_TRUE(p.offset + p.bytes <= q.offset || q.offset + q.bytes <= p.offset);
        }
    }
}

TEST(MemoryPlanner, FlattenReusesItsInputBuffer) {
    Network net("flat");
    auto x = net.addLayer(input("x", {4, 4, 2}));
    auto c = net.addLayer(conv("c", 4, {3, 3}), {x});
    auto f = net.addLayer(op("f", OpKind::Flatten), {c});
    auto d = net.addLayer(dense("d", 10), {f});
    inferShapes(net, "flat");

    const MemoryPlan inPlace = planMemory(net);
    EXPECT_EQ(inPlace.buffers.size(), 3U);
    EXPECT_EQ(inPlace.bufferOfLayer[f], inPlace.bufferOfLayer[c]);
    // c's buffer (64 B) lives until d reads the flattened view at step 3.
    EXPECT_EQ(inPlace.buffers[static_cast<std::size_t>(inPlace.bufferOfLayer[c])].lastStep, 3);
    EXPECT_EQ(inPlace.liveBytes, (std::vector<int64_t>{32, 96, 64, 74}));

    MemoryPlannerOptions copy;
    copy.inPlaceReshape = false;
    const MemoryPlan copied = planMemory(net, copy);
    EXPECT_EQ(copied.buffers.size(), 4U);
    EXPECT_EQ(copied.liveBytes, (std::vector<int64_t>{32, 96, 128, 74}));
    (void)d;
}

TEST(MemoryPlanner, MlperfTinyPeaksByHand) {
    const ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
    // KWS: every body tensor is 25*5*64 = 8000 B; a layer holds its input and output.
    EXPECT_EQ(planMemory(loadNetwork("mlperf_tiny/kws", paths).network).arenaBytes, 16'000);
    // IC: conv1 output kept for the residual add while s1_conv_a and s1_conv_b run:
    // 3 x 32*32*16.
    EXPECT_EQ(planMemory(loadNetwork("mlperf_tiny/ic", paths).network).arenaBytes, 49'152);
    // AD: 640 in + 128 out (fc1), 128 in + 640 out (fc10).
    EXPECT_EQ(planMemory(loadNetwork("mlperf_tiny/ad", paths).network).arenaBytes, 768);
    // VWW: the largest pair is pw1: 48*48*8 in + 48*48*16 out.
    const MemoryPlan vww = planMemory(loadNetwork("mlperf_tiny/vww", paths).network);
    EXPECT_EQ(vww.peakLiveBytes, 18'432 + 36'864);
    EXPECT_GE(vww.arenaBytes, vww.peakLiveBytes);
}

} // namespace
} // namespace edgesim::workloads
