// Graph structure, execution order and the fold/fuse rewrites.
#include "tests/workloads/TestNetworks.h"
#include "workloads/graph/MemoryPlanner.h"
#include "workloads/graph/Passes.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <gtest/gtest.h>

#include <chrono>

namespace edgesim::workloads {
namespace {

using namespace test;

TEST(Network, EdgesCarrySlotsAndConsumers) {
    Network net("g");
    auto x = net.addLayer(input("x", {4, 4, 2}));
    auto a = net.addLayer(conv("a", 2, {1, 1}), {x});
    auto s = net.addLayer(op("s", OpKind::Add), {a, x}); // slot 0 = a, slot 1 = x
    EXPECT_EQ(net.inputsOf(s), (std::vector<Network::LayerId>{a, x}));
    EXPECT_EQ(net.consumersOf(x), (std::vector<Network::LayerId>{a, s}));
    EXPECT_EQ(boost::num_edges(net.graph()), 3U);
    EXPECT_EQ(net.graphInputs(), (std::vector<Network::LayerId>{x}));
    EXPECT_EQ(net.graphOutputs(), (std::vector<Network::LayerId>{s}));
    EXPECT_THROW(net.addLayer(conv("a", 2, {1, 1}), {x}), std::invalid_argument);
    EXPECT_THROW(net.addLayer(conv("z", 2, {1, 1}), {99}), std::invalid_argument);
}

TEST(Network, FindsLayersByNameAfterManyAdds) {
    Network net("g");
    auto prev = net.addLayer(input("x", {8}));
    for (int i = 0; i < 1000; ++i) {
        prev = net.addLayer(dense("d" + std::to_string(i), 8), {prev});
    }
    EXPECT_EQ(net.find("x"), Network::LayerId{0});
    EXPECT_EQ(net.find("d0"), Network::LayerId{1});
    EXPECT_EQ(net.find("d999"), Network::LayerId{1000});
    EXPECT_FALSE(net.find("d1000").has_value());
    EXPECT_FALSE(net.find("").has_value());
    EXPECT_THROW(net.addLayer(dense("d500", 8), {prev}), std::invalid_argument);
    EXPECT_EQ(net.size(), 1001U); // the rejected layer was not added
}

// A NAS loop builds many networks: parsing, building and planning must stay linear in the
// layer count. 100k layers took 15 s (Release) when name lookup and buffer placement scanned
// every earlier layer; linear code does it in well under a second in Release, so 10 s leaves
// room for Debug (2.7 s) and sanitizer builds while still failing for quadratic code.
TEST(Network, HundredThousandLayersBuildAndPlanInLinearTime) {
    constexpr int kLayers = 100000;
    std::string text = "name: \"chain\" activation_dtype: INT8 weight_dtype: INT8 "
                       "bias_dtype: INT32 inputs { name: \"x\" shape: [16] }\n";
    for (int i = 0; i < kLayers; ++i) {
        text += "layers { name: \"fc" + std::to_string(i) +
                "\" dense { units: 16 } activation: RELU }\n";
    }
    const auto start = std::chrono::steady_clock::now();
    const Network net = parseNetworkText(text, "chain.textproto");
    const MemoryPlan plan = planMemory(net);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(net.totals().layers, kLayers);
    EXPECT_EQ(net.totals().macs, int64_t{kLayers} * 16 * 16);
    EXPECT_EQ(plan.arenaBytes, 32); // two 16-byte activations ping-pong
#if defined(__SANITIZE_ADDRESS__)
    constexpr double kLimit = 40.0; // ASan+UBSan run about 3x slower than Debug
#else
    constexpr double kLimit = 10.0;
#endif
    EXPECT_LT(seconds, kLimit);
}

TEST(Network, ExecutionOrderIsTopologicalAndStable) {
    Network net("g");
    auto x = net.addLayer(input("x", {8}));
    auto a = net.addLayer(dense("a", 8), {x});
    auto b = net.addLayer(dense("b", 8), {x});
    auto c = net.addLayer(op("c", OpKind::Add), {b, a});
    EXPECT_EQ(net.executionOrder(), (std::vector<Network::LayerId>{x, a, b, c}));
}

TEST(Network, ExplicitOutputsOverrideSinks) {
    Network net("g");
    auto x = net.addLayer(input("x", {8}));
    auto a = net.addLayer(dense("a", 8), {x});
    net.addLayer(dense("b", 8), {a});
    net.markOutput(a);
    EXPECT_EQ(net.graphOutputs(), (std::vector<Network::LayerId>{a}));
}

TEST(Passes, FoldBatchNormAndFuseActivation) {
    Network net("g");
    auto x = net.addLayer(input("x", {8, 8, 3}));
    Layer c = conv("c", 8, {3, 3});
    c.hasBias = false;
    auto cv = net.addLayer(c, {x});
    auto bn = net.addLayer(op("bn", OpKind::BatchNorm), {cv});
    Layer relu = op("relu", OpKind::Activation);
    relu.activation.kind = ActivationKind::Relu6;
    net.addLayer(relu, {bn});
    const Network out = canonicalize(net, "g");
    ASSERT_EQ(out.size(), 2U);
    const Layer& folded = out.layer(1);
    EXPECT_EQ(folded.name, "c");
    EXPECT_TRUE(folded.hasBias); // BN folded in: one bias per output channel
    EXPECT_EQ(folded.activation.kind, ActivationKind::Relu6);
    EXPECT_EQ(folded.stats.params, 8 * 27 + 8);
    EXPECT_EQ(out.graphOutputs(), (std::vector<Network::LayerId>{1}));
}

TEST(Passes, NoFoldWhenProducerHasOtherReaders) {
    Network net("g");
    auto x = net.addLayer(input("x", {8, 8, 3}));
    auto cv = net.addLayer(conv("c", 8, {3, 3}), {x});
    Layer relu = op("relu", OpKind::Activation);
    relu.activation.kind = ActivationKind::Relu;
    auto r = net.addLayer(relu, {cv});
    net.addLayer(op("sum", OpKind::Add), {r, cv}); // c is read twice
    const Network out = canonicalize(net, "g");
    EXPECT_EQ(out.size(), 4U);
    EXPECT_EQ(out.layer(1).activation.kind, ActivationKind::None);
    // A batch norm after a pooling layer stays a layer of its own.
    Network pooled("p");
    auto y = pooled.addLayer(input("y", {8, 8, 3}));
    auto g = pooled.addLayer(op("gap", OpKind::GlobalAvgPool), {y});
    pooled.addLayer(op("bn", OpKind::BatchNorm), {g});
    EXPECT_EQ(canonicalize(pooled, "p").size(), 3U);
}

} // namespace
} // namespace edgesim::workloads
