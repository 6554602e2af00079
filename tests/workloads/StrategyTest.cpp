// The strategy registry (workloads/strategy/Strategy.h): strategies are found by name, listed
// sorted with their descriptions and parameters, `inference` lowers as lowerInference does,
// and strategy parameters resolve to declared defaults or checked values.
#include "workloads/strategy/Strategy.h"

#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "workloads/NetworkSource.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgesim::workloads {
namespace {

/// A strategy of this test binary only, with one parameter of each kind: it lowers for
/// inference and records the options it got in the schedule's strategy name.
class ParamsStrategy : public Strategy {
public:
    std::string description() const override { return "test: parameters"; }
    std::vector<StrategyParameter> parameters() const override {
        return {{"optimizer", "sgd", "update rule", {"sgd", "momentum", "adam"}},
                {"ratio", "0.5", "channel fraction", {}, 0.0, 1.0, false},
                {"layers", "2", "trained layers", {}, 1, 64, true}};
    }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        Schedule s = lowerInference(net, batch);
        s.strategy = "test-params{" + options.canonical() + "}";
        return s;
    }
};

const bool kParamsRegistered =
    registerStrategy("test-params", [] { return std::make_unique<ParamsStrategy>(); });

/// The reason of the InputError resolving `given` throws ("" if none).
std::string resolveError(const std::string& strategy, const std::vector<std::string>& given) {
    try {
        resolveStrategyOptions(strategy, given, "study.textproto", "strategy_params");
    } catch (const InputError& e) {
        EXPECT_EQ(e.diagnostics().front().file, "study.textproto");
        EXPECT_EQ(e.diagnostics().front().field, "strategy_params");
        return e.diagnostics().front().reason;
    }
    return "";
}

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
        const Schedule a = inference->lower(net, batch, {});
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

TEST(StrategyParameters, DefaultsFillWhatIsNotGiven) {
    ASSERT_TRUE(kParamsRegistered);
    const StrategyOptions none = resolveStrategyOptions("test-params", {});
    EXPECT_EQ(none.canonical(), "layers=2;optimizer=sgd;ratio=0.5");
    const StrategyOptions some =
        resolveStrategyOptions("test-params", {"ratio=1", "optimizer=adam"});
    EXPECT_EQ(some.text("optimizer"), "adam");
    EXPECT_DOUBLE_EQ(some.number("ratio"), 1.0);
    EXPECT_DOUBLE_EQ(some.number("layers"), 2.0);
    EXPECT_EQ(some.canonical(), "layers=2;optimizer=adam;ratio=1");
    // Inference takes none: its canonical text is empty (query hashes stay as they were).
    EXPECT_EQ(resolveStrategyOptions("inference", {}).canonical(), "");
    for (const auto& s : availableStrategies()) {
        if (s.name == "test-params") {
            ASSERT_EQ(s.parameters.size(), 3U);
            EXPECT_EQ(s.parameters[0].key, "optimizer");
        }
    }
}

TEST(StrategyParameters, BadValuesAreInputErrorsNamingWhatIsWrong) {
    EXPECT_EQ(resolveError("test-params", {"ratio=0.25", "layers=64"}), "");
    EXPECT_NE(resolveError("inference", {"ratio=1"}).find("takes no parameters"),
              std::string::npos);
    EXPECT_NE(resolveError("test-params", {"ratio"}).find("not key=value"), std::string::npos);
    EXPECT_NE(resolveError("test-params", {"=1"}).find("not key=value"), std::string::npos);
    const std::string unknown = resolveError("test-params", {"rate=1"});
    EXPECT_NE(unknown.find("no parameter 'rate'"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("optimizer, ratio, layers"), std::string::npos) << unknown;
    EXPECT_NE(resolveError("test-params", {"ratio=1", "ratio=0"}).find("given twice"),
              std::string::npos);
    const std::string choice = resolveError("test-params", {"optimizer=rmsprop"});
    EXPECT_NE(choice.find("expected sgd, momentum, adam"), std::string::npos) << choice;
    EXPECT_NE(resolveError("test-params", {"ratio=half"}).find("not a number"), std::string::npos);
    EXPECT_NE(resolveError("test-params", {"ratio=nan"}).find("not a number"), std::string::npos);
    EXPECT_NE(resolveError("test-params", {"ratio=1.5"}).find("out of range [0, 1]"),
              std::string::npos);
    EXPECT_NE(resolveError("test-params", {"layers=0"}).find("out of range"), std::string::npos);
    EXPECT_NE(resolveError("test-params", {"layers=2.5"}).find("not a whole number"),
              std::string::npos);
    EXPECT_NE(resolveError("no-such-strategy", {}).find("unknown strategy"), std::string::npos);
}

} // namespace
} // namespace edgesim::workloads
