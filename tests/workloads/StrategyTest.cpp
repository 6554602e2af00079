// The strategy registry (workloads/strategy/Strategy.h): strategies are found by name, listed
// sorted with their descriptions, and `inference` lowers as lowerInference does.
#include "workloads/strategy/Strategy.h"

#include "common/ConfigPaths.h"
#include "workloads/NetworkSource.h"

#include <gtest/gtest.h>

namespace edgesim::workloads {
namespace {

TEST(StrategyRegistry, FindsRegisteredStrategiesByName) {
    EXPECT_TRUE(isKnownStrategy("inference"));
    EXPECT_FALSE(isKnownStrategy("backprop-typo"));
    EXPECT_EQ(makeStrategy("backprop-typo"), nullptr);
    const auto all = availableStrategies();
    ASSERT_FALSE(all.empty());
    for (std::size_t i = 1; i < all.size(); ++i) {
        EXPECT_LT(all[i - 1].name, all[i].name);
    }
    for (const auto& s : all) {
        EXPECT_FALSE(s.description.empty()) << s.name;
    }
    // A name is registered once: a second registration is refused, the first kept.
    EXPECT_FALSE(registerStrategy("inference", [] { return makeStrategy("inference"); }));
}

TEST(StrategyRegistry, InferenceLowersAsLowerInference) {
    const auto net = loadNetwork("mlperf_tiny/kws", ConfigPaths()).network;
    const auto inference = makeStrategy("inference");
    ASSERT_NE(inference, nullptr);
    for (const int batch : {1, 3}) {
        const Schedule a = inference->lower(net, batch);
        const Schedule b = lowerInference(net, batch);
        EXPECT_EQ(a.strategy, "inference");
        EXPECT_EQ(a.batch, batch);
        ASSERT_EQ(a.kernels.size(), b.kernels.size());
        EXPECT_EQ(a.macs, b.macs);
        EXPECT_EQ(a.arenaBytes, b.arenaBytes);
        for (std::size_t k = 0; k < a.kernels.size(); ++k) {
            EXPECT_EQ(a.kernels[k].name, b.kernels[k].name);
        }
    }
}

} // namespace
} // namespace edgesim::workloads
