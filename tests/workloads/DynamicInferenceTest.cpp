// Early-exit networks (strategy `early-exit`): the exit branches, the segment of every kernel
// and the share of samples reaching it, and bad exit specifications.
#include "workloads/strategy/Strategy.h"

#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "workloads/NetworkSource.h"

#include <gtest/gtest.h>

namespace edgesim::workloads {
namespace {

Network kws() {
    return loadNetwork("mlperf_tiny/kws", ConfigPaths()).network;
}

TEST(EarlyExit, BranchesAndSegmentsByHand) {
    const Network net = kws();
    const Schedule inference = lowerInference(net);
    const Schedule s =
        lowerWithStrategy(net, "early-exit", 1, {"exits=2,4", "exit_shares=0.5,0.25"});
    ASSERT_TRUE(s.dynamic);
    const DynamicInference& d = *s.dynamic;
    // Each branch: global pool, flatten, dense 64 -> 12, softmax.
    ASSERT_EQ(s.kernels.size(), inference.kernels.size() + 2 * 4);
    EXPECT_EQ(s.macs, inference.macs + 2 * 64 * 12);
    ASSERT_EQ(d.segmentOfKernel.size(), s.kernels.size());
    EXPECT_EQ(d.reach, (std::vector<double>{1.0, 0.5, 0.25}));
    EXPECT_EQ(d.exitShare, (std::vector<double>{0.5, 0.25}));
    ASSERT_EQ(d.exits.size(), 2U);
    // Segments never go back, and each exit's branch closes its segment.
    for (std::size_t i = 1; i < s.kernels.size(); ++i) {
        EXPECT_GE(d.segmentOfKernel[i], d.segmentOfKernel[i - 1]) << s.kernels[i].name;
    }
    int branchKernels = 0;
    for (std::size_t i = 0; i < s.kernels.size(); ++i) {
        if (s.kernels[i].name.find(".exit_") != std::string::npos) {
            ++branchKernels;
            EXPECT_LT(d.segmentOfKernel[i], 2) << s.kernels[i].name;
            EXPECT_EQ(
                s.kernels[i].name.rfind(d.exits[static_cast<std::size_t>(d.segmentOfKernel[i])], 0),
                0U)
                << s.kernels[i].name;
        }
    }
    EXPECT_EQ(branchKernels, 8);
    // The branch classifier's weights join the network's.
    EXPECT_GT(s.weightBytes, inference.weightBytes);
}

TEST(EarlyExit, BadExitsAreNamed) {
    const Network net = kws();
    const auto error = [&](const std::vector<std::string>& params) {
        try {
            lowerWithStrategy(net, "early-exit", 1, params);
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error({"exits=2,4", "exit_shares=0.5"}).find("2 exits"), std::string::npos);
    EXPECT_NE(error({"exits=2,4", "exit_shares=0.7,0.6"}).find("more than 1"), std::string::npos);
    EXPECT_NE(error({"exits=99", "exit_shares=0.5"}).find("not before the last"),
              std::string::npos);
    EXPECT_NE(error({"exits=2,2", "exit_shares=0.1,0.1"}).find("twice"), std::string::npos);
    EXPECT_NE(error({"exits=2,", "exit_shares=0.1"}).find("comma-separated"), std::string::npos);
    EXPECT_NE(error({"exits=a", "exit_shares=0.1"}).find("not a number"), std::string::npos);
}

} // namespace
} // namespace edgesim::workloads
