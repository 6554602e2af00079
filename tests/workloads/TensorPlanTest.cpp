// Tensor planning over kernel schedules (workloads/schedule/TensorPlan.h): lifetimes from the
// kernels' reads and writes, persistent tensors over the whole schedule, greedy placement and
// the peak broken down by role, on a case computed by hand.
#include "workloads/schedule/TensorPlan.h"

#include "common/ConfigPaths.h"
#include "workloads/NetworkSource.h"
#include "workloads/graph/MemoryPlanner.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace edgesim::workloads {
namespace {

std::size_t idx(TensorRole r) {
    return static_cast<std::size_t>(r);
}

TEST(TensorPlan, LifetimesPeakAndBreakdownByHand) {
    // A is written by step 0 and read by step 1; B written by 1, read by 2; C persistent;
    // D written by 2 only; E touched by no step.
    const std::vector<ScheduleTensor> tensors = {
        {"A", TensorRole::Activation, 100, false},
        {"B", TensorRole::ActivationGradient, 50, false},
        {"C", TensorRole::TrainableWeights, 30, true},
        {"D", TensorRole::WeightGradient, 70, false},
        {"E", TensorRole::Scratch, 999, false},
    };
    const std::vector<TensorAccess> steps = {{{}, {0}}, {{0}, {1}}, {{1}, {3}}};
    const TensorPlan plan = planTensors(tensors, steps);
    EXPECT_EQ(plan.firstStep, (std::vector<int>{0, 1, 0, 2, -1}));
    EXPECT_EQ(plan.lastStep, (std::vector<int>{1, 2, 2, 2, -1}));
    // Live: step 0 A+C = 130, step 1 A+B+C = 180, step 2 B+C+D = 150.
    EXPECT_EQ(plan.liveBytes, (std::vector<int64_t>{130, 180, 150}));
    EXPECT_EQ(plan.peakLiveBytes, 180);
    EXPECT_EQ(plan.peakStep, 1);
    EXPECT_EQ(plan.peakByRole[idx(TensorRole::Activation)], 100);
    EXPECT_EQ(plan.peakByRole[idx(TensorRole::ActivationGradient)], 50);
    EXPECT_EQ(plan.peakByRole[idx(TensorRole::TrainableWeights)], 30);
    EXPECT_EQ(plan.peakByRole[idx(TensorRole::WeightGradient)], 0);
    EXPECT_EQ(plan.peakByRole[idx(TensorRole::Scratch)], 0);
    // Greedy by size: A at 0; D (step 2 only) at 0 too; B meets A and D: at 100; C meets all
    // three: at 150. The arena is 180, the peak: no fragmentation here.
    EXPECT_EQ(plan.offsets[0], 0);
    EXPECT_EQ(plan.offsets[3], 0);
    EXPECT_EQ(plan.offsets[1], 100);
    EXPECT_EQ(plan.offsets[2], 150);
    EXPECT_EQ(plan.arenaBytes, 180);
}

TEST(TensorPlan, PlacementNeverOverlapsLiveTensors) {
    // A chain where each step reads the last two tensors and writes one, with sizes that
    // leave gaps: every pair of tensors alive at a common step occupies disjoint ranges.
    std::vector<ScheduleTensor> tensors;
    std::vector<TensorAccess> steps;
    for (int i = 0; i < 12; ++i) {
        tensors.push_back({"t" + std::to_string(i), TensorRole::Activation, 16 + (i * 37) % 50});
        TensorAccess a;
        a.writes = {i};
        for (int back = 1; back <= 2 && i - back >= 0; ++back) {
            a.reads.push_back(i - back);
        }
        steps.push_back(a);
    }
    const TensorPlan plan = planTensors(tensors, steps);
    EXPECT_GE(plan.arenaBytes, plan.peakLiveBytes);
    for (std::size_t a = 0; a < tensors.size(); ++a) {
        for (std::size_t b = a + 1; b < tensors.size(); ++b) {
            const bool together =
                plan.firstStep[a] <= plan.lastStep[b] && plan.firstStep[b] <= plan.lastStep[a];
            const bool disjoint = plan.offsets[a] + tensors[a].bytes <= plan.offsets[b] ||
                                  plan.offsets[b] + tensors[b].bytes <= plan.offsets[a];
            EXPECT_TRUE(!together || disjoint) << a << " and " << b;
        }
    }
}

TEST(TensorPlan, ATensorIndexOutOfRangeIsALoweringBug) {
    const std::vector<ScheduleTensor> tensors = {{"A", TensorRole::Activation, 8}};
    EXPECT_THROW(planTensors(tensors, {{{1}, {}}}), std::invalid_argument);
    EXPECT_THROW(planTensors(tensors, {{{}, {-1}}}), std::invalid_argument);
    const TensorPlan empty = planTensors({}, {});
    EXPECT_EQ(empty.arenaBytes, 0);
    EXPECT_EQ(empty.peakStep, -1);
}

TEST(TensorPlan, InferenceBuffersPlanAsTheActivationPlanner) {
    // The activation buffers of an inference, given as tensors with the planner's lifetimes,
    // place to the same arena: both planners share one placement policy.
    const auto net = loadNetwork("mlperf_tiny/ic", ConfigPaths()).network;
    const MemoryPlan mp = planMemory(net);
    std::vector<ScheduleTensor> tensors;
    std::vector<TensorAccess> steps(mp.order.size());
    for (std::size_t b = 0; b < mp.buffers.size(); ++b) {
        const auto& buf = mp.buffers[b];
        tensors.push_back({"b" + std::to_string(b), TensorRole::Activation, buf.bytes});
        steps[static_cast<std::size_t>(buf.firstStep)].writes.push_back(static_cast<int>(b));
        steps[static_cast<std::size_t>(buf.lastStep)].reads.push_back(static_cast<int>(b));
    }
    const TensorPlan plan = planTensors(tensors, steps);
    EXPECT_EQ(plan.arenaBytes, mp.arenaBytes);
    EXPECT_EQ(plan.peakLiveBytes, mp.peakLiveBytes);
    EXPECT_EQ(plan.peakByRole[idx(TensorRole::Activation)], mp.peakLiveBytes);
}

} // namespace
} // namespace edgesim::workloads
