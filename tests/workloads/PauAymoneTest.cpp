// Pau & Aymone training MAC conventions (workloads/strategy/PauAymone.h) on the MLPerf Tiny
// models: the worked figures of ../shared/TRAINING.md §1.1 and §2 as asserted values, the
// totals' algebra, and a hand-computed MLP.
#include "workloads/strategy/PauAymone.h"

#include "common/ConfigPaths.h"
#include "workloads/NetworkSource.h"
#include "workloads/graph/ShapeInference.h"

#include <gtest/gtest.h>

namespace edgesim::workloads {
namespace {

Network model(const std::string& name) {
    return loadNetwork("mlperf_tiny/" + name, ConfigPaths()).network;
}

TEST(PauAymone, WorkedFiguresOfTrainingMd) {
    // Softmax head 2C + 15C + 2C: C = 12 -> 24 + 180 + 24, C = 10 -> 20 + 150 + 20,
    // C = 2 -> 4 + 30 + 4; the AE has no softmax. PROJ = C x d_in: DS-CNN 12 x 490,
    // VWW 2 x 27648, ResNet 10 x 3072, AE 640 x 640. ERR = C (AE: 640 outputs).
    const auto kws = pauAymoneCounts(model("kws"));
    EXPECT_EQ(kws.softmaxHead, 228);
    EXPECT_EQ(kws.projection, 5880);
    EXPECT_EQ(kws.error, 12);
    const auto vww = pauAymoneCounts(model("vww"));
    EXPECT_EQ(vww.softmaxHead, 38);
    EXPECT_EQ(vww.projection, 55296);
    const auto ic = pauAymoneCounts(model("ic"));
    EXPECT_EQ(ic.softmaxHead, 190);
    EXPECT_EQ(ic.projection, 30720);
    const auto ad = pauAymoneCounts(model("ad"));
    EXPECT_EQ(ad.softmaxHead, 0);
    EXPECT_EQ(ad.error, 640);
    EXPECT_EQ(ad.projection, 409600);
}

TEST(PauAymone, PoolAndResidualConventions) {
    // DS-CNN: the pool is 25 x 5 x 64 = 8000 MACs forward and again backward, no weight
    // update; ResNet-8: the residual adds 16384 + 8192 + 4096 forward, and its pool 8x8x64.
    const Network kwsNet = model("kws");
    const auto kws = pauAymoneCounts(kwsNet);
    const int64_t kwsMacs = kwsNet.totals().macs;
    EXPECT_EQ(kws.forward, kwsMacs + 8000);
    EXPECT_EQ(kws.weightUpdate, kwsMacs);
    const Network icNet = model("ic");
    const auto ic = pauAymoneCounts(icNet);
    EXPECT_EQ(ic.forward, icNet.totals().macs + 16384 + 8192 + 4096 + 4096);
    // BW: every compute layer but the first, plus the pool's backward.
    for (const auto* net : {&kwsNet, &icNet}) {
        int64_t first = 0;
        for (auto id : net->executionOrder()) {
            if (isCompute(net->layer(id).op)) {
                first = net->layer(id).stats.macs;
                break;
            }
        }
        const auto c = pauAymoneCounts(*net);
        EXPECT_EQ(c.backward, net->totals().macs - first + (net == &kwsNet ? 8000 : 4096));
    }
}

TEST(PauAymone, StrategyTotalsFollowTheirFormulas) {
    for (const char* name : {"kws", "vww", "ic", "ad"}) {
        const auto c = pauAymoneCounts(model(name));
        const int64_t fw = c.forward + c.softmaxHead;
        EXPECT_EQ(c.backprop(), fw + c.backward + c.weightUpdate + c.error) << name;
        EXPECT_EQ(c.forwardForward(), 2 * (c.forward + c.weightUpdate + c.goodness + c.normalize))
            << name;
        EXPECT_EQ(c.pepita(), 2 * fw + c.weightUpdate + c.error + c.projection) << name;
        EXPECT_EQ(c.mempepita() - c.pepita(), fw) << name;
        EXPECT_EQ(c.goodness, c.normalize) << name;
        // BP is about 3 FW less the first layer's input gradient.
        EXPECT_LT(c.backprop(), 3 * fw + c.error + c.backward) << name;
    }
}

TEST(PauAymone, HandComputedMlp) {
    // 16 inputs -> dense 8 -> dense 4 -> softmax. FW = 128 + 32 = 160, head 19 x 4 = 76,
    // BW = 32 (the first layer's input gradient skipped), WU = 160, GOOD = NORM = 8 + 4,
    // ERR = 4, PROJ = 4 x 16 = 64.
    Network net("mlp");
    Layer in;
    in.name = "x";
    in.op = OpKind::Input;
    in.targetShape = {16};
    auto prev = net.addLayer(in);
    for (const auto& [name, units] : {std::pair<const char*, int64_t>{"fc1", 8}, {"fc2", 4}}) {
        Layer d;
        d.name = name;
        d.op = OpKind::Dense;
        d.outChannels = units;
        d.hasBias = false;
        prev = net.addLayer(d, {prev});
    }
    Layer sm;
    sm.name = "softmax";
    sm.op = OpKind::Softmax;
    net.addLayer(sm, {prev});
    inferShapes(net, "mlp");
    const auto c = pauAymoneCounts(net);
    EXPECT_EQ(c.forward, 160);
    EXPECT_EQ(c.softmaxHead, 76);
    EXPECT_EQ(c.backward, 32);
    EXPECT_EQ(c.weightUpdate, 160);
    EXPECT_EQ(c.goodness, 12);
    EXPECT_EQ(c.error, 4);
    EXPECT_EQ(c.projection, 64);
    EXPECT_EQ(c.backprop(), 236 + 32 + 160 + 4);
    EXPECT_EQ(c.forwardForward(), 2 * (160 + 160 + 12 + 12));
    EXPECT_EQ(c.pepita(), 2 * 236 + 160 + 4 + 64);
    EXPECT_EQ(c.mempepita(), 3 * 236 + 160 + 4 + 64);
}

} // namespace
} // namespace edgesim::workloads
