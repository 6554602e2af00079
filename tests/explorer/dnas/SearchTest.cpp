// The libtorch side of DNAS (explorer/dnas/torch/): PIT's straight-through mask and its
// gradient, the differentiable cost model against its plain evaluation and its slopes, the
// regulariser's λ schedule, MPS's expected cost, ODiMO's split costs and choices, PIT's tap
// masks over receptive field and dilation, SuperNet choice sampling and expected cost, and tiny
// searches on a 1,000-image subset that move the cost to its target.
#include "explorer/dnas/CostModel.h"
#include "explorer/dnas/DnasStudy.h"
#include "explorer/dnas/torch/CostTensor.h"
#include "explorer/dnas/torch/DnasMethod.h"
#include "explorer/dnas/torch/DnasTrainer.h"
#include "explorer/nas/SearchSpace.h"
#include "explorer/nas/TorchScorer.h"
#include "explorer/nas/torch/TorchModel.h"

#include "common/TextProto.h"
#include "workloads/NetworkSource.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace edgesim::explorer::dnas {
namespace {

struct Fixture {
    workloads::Network network;
    std::string sha256;
    Grouping grouping;
    CostModel model;
};

Fixture costed(const std::string& name, const std::string& platform, const std::string& stack,
               const std::vector<int>& weightBits = {}, bool splitEngines = false,
               bool receptiveField = false, const std::vector<int>& activationBits = {}) {
    Session session;
    const auto loaded = workloads::loadNetwork(name, session.paths());
    workloads::spec::NetworkSpec spec;
    parseTextProto(test::readFileBytes(loaded.file), loaded.file, spec);
    Fixture f{loaded.network, nas::SearchSpace::specSha256(spec), {}, {}};
    f.grouping = channelGroups(f.network);
    Query q;
    q.platform = platform;
    q.stack = stack;
    CostTableOptions options;
    options.weightBits = weightBits;
    options.splitEngines = splitEngines;
    options.receptiveField = receptiveField;
    options.activationBits = activationBits;
    f.model = buildCostModel(session, q, f.network, f.sha256, f.grouping, options);
    return f;
}

/// A search on 1,000 training images: 1 warm-up, `searchEpochs`, 1 fine-tune epoch, no
/// baseline.
DnasSettings tinySearch(int searchEpochs) {
    DnasSettings s;
    s.dataDir = nas::kFashionMnistDir;
    s.trainImages = 1000;
    s.testImages = 500;
    s.batchSize = 50;
    s.learningRate = 0.003;
    s.archLearningRate = 0.05;
    s.warmupEpochs = 1;
    s.searchEpochs = searchEpochs;
    s.finetuneEpochs = 1;
    s.baseline = false;
    return s;
}

std::vector<ChannelGroup> twoGroups() {
    return {{"in", 1, false, 1}, {"conv", 6, true, 1}};
}

TEST(Pit, MaskIsBinaryForwardAndIdentityBackward) {
    auto pit = makeDnasMethod("pit");
    ASSERT_NE(pit, nullptr);
    DnasSettings s;
    s.threshold = 0.5;
    pit->build(twoGroups(), {}, s);
    auto theta = pit->parameters();
    ASSERT_EQ(theta.size(), 1U);
    {
        torch::NoGradGuard noGrad;
        theta[0].copy_(torch::tensor({0.9F, -0.7F, 0.2F, -0.1F, 0.6F, 0.49F}));
    }
    const ChannelChoice c = pit->choice();
    EXPECT_FALSE(c.masks[0].defined()); // the fixed input group
    const auto m = c.masks[1].detach();
    const std::vector<float> want = {1, 1, 0, 0, 1, 0};
    for (int i = 0; i < 6; ++i) {
        EXPECT_FLOAT_EQ(m[i].item<float>(), want[static_cast<std::size_t>(i)]) << i;
    }
    EXPECT_DOUBLE_EQ(c.channels[1].item<double>(), 3.0);
    // d(sum w_i m_i)/d alpha_i = w_i * sign(alpha_i): the identity through |alpha|.
    const torch::Tensor w = torch::tensor({1.F, 2.F, 3.F, 4.F, 5.F, 6.F});
    (c.masks[1] * w).sum().backward();
    const std::vector<float> grad = {1, -2, 3, -4, 5, 6};
    for (int i = 0; i < 6; ++i) {
        EXPECT_FLOAT_EQ(theta[0].grad()[i].item<float>(), grad[static_cast<std::size_t>(i)]) << i;
    }
    EXPECT_EQ(pit->exported(), (std::vector<int64_t>{0, 3}));
}

TEST(Pit, KeepsOneChannelAliveAndFreezesTheStrongest) {
    auto pit = makeDnasMethod("pit");
    pit->build(twoGroups(), {}, DnasSettings{});
    auto theta = pit->parameters();
    {
        torch::NoGradGuard noGrad;
        theta[0].copy_(torch::tensor({0.1F, -0.3F, 0.2F, 0.0F, 0.05F, 0.01F}));
    }
    const ChannelChoice c = pit->choice();
    EXPECT_DOUBLE_EQ(c.channels[1].item<double>(), 1.0); // keep-alive: channel 1 (|-0.3|)
    EXPECT_FLOAT_EQ(c.masks[1][1].item<float>(), 1.0F);
    EXPECT_EQ(pit->exported()[1], 1);
    pit->freeze({0, 2}, {}, {}, {});
    const auto frozen = pit->choice().masks[1];
    EXPECT_FLOAT_EQ(frozen.sum().item<float>(), 2.0F);
    EXPECT_FLOAT_EQ(frozen[1].item<float>(), 1.0F); // |-0.3|
    EXPECT_FLOAT_EQ(frozen[2].item<float>(), 1.0F); // 0.2
}

TEST(Pit, StartsTheSearchRankedSoChannelsLeaveLeastImportantFirst) {
    auto pit = makeDnasMethod("pit");
    DnasSettings s;
    s.threshold = 0.5;
    pit->build(twoGroups(), {}, s);
    // Importance after warm-up; channels 2 and 5 tie (the lower index ranks higher).
    pit->startSearch({torch::Tensor(), torch::tensor({0.1F, 0.5F, 0.3F, 0.9F, 0.2F, 0.3F})});
    auto theta = pit->parameters();
    const double step = 2.0 / 6; // PitMasks::kRankSpread over 6 channels
    const std::vector<double> want = {0.5 + step,     0.5 + 5 * step, 0.5 + 4 * step,
                                      0.5 + 6 * step, 0.5 + 2 * step, 0.5 + 3 * step};
    for (int i = 0; i < 6; ++i) {
        EXPECT_NEAR(theta[0][i].item<float>(), want[static_cast<std::size_t>(i)], 1e-6) << i;
    }
    EXPECT_EQ(pit->exported()[1], 6); // every channel still kept
    // The same pressure on every α: the least important leave first, one step at a time.
    {
        torch::NoGradGuard noGrad;
        theta[0].sub_(2.5 * step);
    }
    const auto m = pit->choice().masks[1];
    const std::vector<float> kept = {0, 1, 1, 1, 0, 1};
    for (int i = 0; i < 6; ++i) {
        EXPECT_FLOAT_EQ(m[i].item<float>(), kept[static_cast<std::size_t>(i)]) << i;
    }
}

TEST(Regulariser, LambdaRampsFromOnePercentToFullOverHalfTheSearch) {
    EXPECT_DOUBLE_EQ(lambdaAt(2.0, 0, 10), 0.02);
    EXPECT_NEAR(lambdaAt(2.0, 1, 10), 0.02 + 0.99 * 2.0 / 5, 1e-12);
    EXPECT_DOUBLE_EQ(lambdaAt(2.0, 5, 10), 2.0);
    EXPECT_DOUBLE_EQ(lambdaAt(2.0, 9, 10), 2.0);
    for (int e = 1; e < 10; ++e) {
        EXPECT_GE(lambdaAt(2.0, e, 10), lambdaAt(2.0, e - 1, 10));
    }
}

TEST(CostTensor, EqualsThePlainModelAndItsSlopesAreTheTables) {
    const Fixture f = costed("fmnist/ds-cnn", "nucleo-l4r5zi", "tflm-cmsis-nn");
    const CostTensor cost(f.model);
    std::vector<int64_t> c = seedChannels(f.grouping);
    for (std::size_t g = 0; g < c.size(); ++g) {
        if (f.model.groups[g].searchable) {
            c[g] = std::max<int64_t>(f.model.groups[g].tile, c[g] / 2);
        }
    }
    const auto plain = predictCosts(f.model, c);
    const auto tensor = cost.costs(c);
    for (int k = 0; k < kCostMetricCount; ++k) {
        EXPECT_NEAR(tensor[static_cast<std::size_t>(k)], plain[static_cast<std::size_t>(k)],
                    1e-9 * std::abs(plain[static_cast<std::size_t>(k)]))
            << kCostMetrics[k];
    }
    // d latency / d channels of one group: the backward difference of the plain model (a
    // grid point takes the slope of the segment below it; the model is linear there).
    std::size_t g = 0;
    while (!f.model.groups[g].searchable) {
        ++g;
    }
    std::vector<torch::Tensor> channels;
    for (int64_t v : c) {
        channels.push_back(
            torch::full({}, static_cast<double>(v), torch::kFloat64).requires_grad_(true));
    }
    const int lat = costMetricIndex("latency_s");
    cost.costs(channels)[static_cast<std::size_t>(lat)].backward();
    const int64_t tile = f.model.groups[g].tile;
    std::vector<int64_t> down = c;
    down[g] -= tile;
    const double slope = (predictCosts(f.model, c)[static_cast<std::size_t>(lat)] -
                          predictCosts(f.model, down)[static_cast<std::size_t>(lat)]) /
                         static_cast<double>(tile);
    EXPECT_GT(slope, 0);
    EXPECT_NEAR(channels[g].grad().item<double>(), slope, 1e-6 * slope);
}

/// Sets every three-way logit vector of `theta` (a layer's precision θ) to `value`.
void setThreeWayLogits(std::vector<torch::Tensor>& theta, const torch::Tensor& value) {
    torch::NoGradGuard noGrad;
    for (auto& t : theta) {
        if (t.dim() == 1 && t.size(0) == 3) {
            t.copy_(value);
        }
    }
}

/// Whether a gradient reached some three-way logit vector of `theta`.
bool reachedThreeWayLogits(const std::vector<torch::Tensor>& theta) {
    bool reached = false;
    for (const auto& t : theta) {
        reached = reached ||
                  (t.size(0) == 3 && t.grad().defined() && t.grad().abs().sum().item<float>() > 0);
    }
    return reached;
}

TEST(Mps, TablesHoldThePrecisionsTheTargetRuns) {
    // GAP9's stack runs conv2d on NE16 with 8-, 4- and 2-bit weights; depthwise and dense
    // layers in int8 only.
    const Fixture f = costed("fmnist/ds-cnn", "gap9-evk", "gap-flow", {8, 4, 2});
    for (const auto& t : f.model.layers) {
        if (t.layer == "pw1" || t.layer == "pw2") {
            EXPECT_EQ(t.weightBits, (std::vector<int>{8, 4, 2})) << t.layer;
        } else if (t.layer == "dw1" || t.layer == "fc") {
            EXPECT_EQ(t.weightBits, (std::vector<int>{8})) << t.layer;
        }
        EXPECT_EQ(t.values[0].size(), t.weightBits.size() * t.inGrid.size() * t.outGrid.size());
    }
    // On an MCU whose stack has int8 kernels only, no layer gets another precision.
    const Fixture mcu = costed("fmnist/ds-cnn", "nucleo-l4r5zi", "tflm-cmsis-nn", {8, 4, 2});
    for (const auto& t : mcu.model.layers) {
        EXPECT_EQ(t.weightBits, (std::vector<int>{8})) << t.layer;
    }
}

TEST(Mps, ExpectedCostIsTheExpectationOverPrecisions) {
    const Fixture f = costed("fmnist/ds-cnn", "gap9-evk", "gap-flow", {8, 4, 2});
    const CostTensor cost(f.model);
    std::vector<int64_t> c = seedChannels(f.grouping);
    std::size_t step = 0;
    while (f.model.layers[step].layer != "pw2") {
        ++step;
    }
    const std::vector<double> p = {0.5, 0.3, 0.2};
    std::vector<torch::Tensor> precision(f.model.layers.size());
    precision[step] = torch::tensor({0.5F, 0.3F, 0.2F});
    std::vector<torch::Tensor> channels;
    for (int64_t v : c) {
        channels.push_back(torch::full({}, static_cast<double>(v), torch::kFloat64));
    }
    const auto expected = cost.costs(channels, precision);
    std::vector<int> bits(f.model.layers.size(), 8);
    for (const char* metric : {"latency_s", "energy_j", "weight_bytes", "flash_bytes"}) {
        const int k = costMetricIndex(metric);
        double hand = 0;
        for (std::size_t i = 0; i < 3; ++i) {
            bits[step] = f.model.layers[step].weightBits[i];
            hand += p[i] * predictCosts(f.model, c, bits)[static_cast<std::size_t>(k)];
        }
        EXPECT_NEAR(expected[static_cast<std::size_t>(k)].item<double>(), hand,
                    1e-6 * std::abs(hand))
            << metric;
    }
    // Fewer bits, fewer weight bytes and (bit-serial NE16) less time.
    bits[step] = 8;
    const auto int8 = predictCosts(f.model, c, bits);
    bits[step] = 2;
    const auto int2 = predictCosts(f.model, c, bits);
    EXPECT_LT(int2[2], int8[2]);
    EXPECT_LT(int2[0], int8[0]);
}

TEST(Mps, ChoosesExportsAndFreezesPrecisionsWithAFallingTemperature) {
    const Fixture f = costed("fmnist/ds-cnn", "gap9-evk", "gap-flow", {8, 4, 2});
    auto mps = makeDnasMethod("mps");
    ASSERT_NE(mps, nullptr);
    mps->build(f.model.groups, f.model.layers, DnasSettings{});
    std::size_t step = 0;
    while (f.model.layers[step].layer != "pw1") {
        ++step;
    }
    ChannelChoice c = mps->choice();
    ASSERT_TRUE(c.precision[step].defined());
    EXPECT_NEAR(c.precision[step][0].item<float>(), std::exp(3.0) / (std::exp(3.0) + 2), 1e-6);
    EXPECT_FALSE(c.precision[0].defined() && f.model.layers[0].weightBits.size() == 1);
    EXPECT_EQ(mps->exportedBits()[step], 8);
    // θ moved to 4 bits: exported 4; the cost's gradient reaches θ.
    auto theta = mps->parameters();
    setThreeWayLogits(theta, torch::tensor({0.F, 2.F, 0.F}));
    EXPECT_EQ(mps->exportedBits()[step], 4);
    c = mps->choice();
    const CostTensor cost(f.model);
    cost.costs(c.channels, c.precision)[static_cast<std::size_t>(costMetricIndex("weight_bytes"))]
        .backward();
    EXPECT_TRUE(reachedThreeWayLogits(theta));
    mps->startEpoch(0, 5);
    EXPECT_DOUBLE_EQ(mps->temperature(), 1.0);
    mps->startEpoch(4, 5);
    EXPECT_NEAR(mps->temperature(), 0.05, 1e-12);
    mps->freeze(mps->exported(), mps->exportedBits(), {}, {});
    const auto frozen = mps->choice().precision[step];
    EXPECT_FLOAT_EQ(frozen[1].item<float>(), 1.0F);
    EXPECT_FLOAT_EQ(frozen.sum().item<float>(), 1.0F);
}

TEST(Mps, FakeQuantisationHasTheWidthsLevelsAndAnIdentityGradient) {
    const torch::Tensor w =
        torch::tensor({{0.9F, -0.3F, 0.05F}, {-2.0F, 1.0F, 0.4F}}).requires_grad_(true);
    const torch::Tensor q2 = nas::fakeQuantize(w, 2);
    // 2 bits, symmetric: {-s, 0, s} with s the channel's largest magnitude.
    EXPECT_FLOAT_EQ(q2[0][0].item<float>(), 0.9F);
    EXPECT_FLOAT_EQ(q2[0][1].item<float>(), 0.0F);
    EXPECT_FLOAT_EQ(q2[1][0].item<float>(), -2.0F);
    EXPECT_FLOAT_EQ(q2[1][2].item<float>(), 0.0F);
    const torch::Tensor q4 = nas::fakeQuantize(w, 4); // 7 levels a side
    EXPECT_NEAR(q4[1][2].item<float>(), std::round(0.4 / (2.0 / 7)) * (2.0 / 7), 1e-6);
    q2.sum().backward();
    EXPECT_TRUE(torch::allclose(w.grad(), torch::ones_like(w)));
}

std::size_t stepOf(const CostModel& m, const std::string& layer) {
    std::size_t step = 0;
    while (step < m.layers.size() && m.layers[step].layer != layer) {
        ++step;
    }
    return step;
}

// MPS activation precision on MPIC, whose stack runs every (activation, weight) pair of 8, 4
// and 2 bits: each layer's table holds a plane per pair of its input's and its weights'
// precisions; the graph input, the classifier and what feeds the graph output stay int8.
TEST(MpsActivations, TablesHoldEveryPairTheReadersRunAndTheOutputsStayFixed) {
    const Fixture f =
        costed("fmnist/ds-cnn", "mpic", "mpic-qnn", {8, 4, 2}, false, false, {8, 4, 2});
    const auto& m = f.model;
    const std::vector<int> all = {8, 4, 2};
    const auto& conv1 = m.layers[stepOf(m, "conv1")];
    EXPECT_EQ(conv1.activationBits, std::vector<int>{8}); // reads the image
    EXPECT_EQ(conv1.actSource, -1);
    EXPECT_EQ(conv1.outActivationBits, all);
    const auto& pw1 = m.layers[stepOf(m, "pw1")];
    EXPECT_EQ(pw1.actSource, static_cast<int>(stepOf(m, "dw1")));
    EXPECT_EQ(pw1.activationBits, all);
    EXPECT_EQ(pw1.weightBits, all);
    EXPECT_EQ(pw1.values[0].size(), 9 * pw1.inGrid.size() * pw1.outGrid.size());
    // fc reads pw3's output through the pooling and the flatten, which keep its type; fc's own
    // output feeds the softmax, the graph output: fixed.
    const auto& fc = m.layers[stepOf(m, "fc")];
    EXPECT_EQ(fc.actSource, static_cast<int>(stepOf(m, "pw3")));
    EXPECT_TRUE(fc.outActivationBits.empty());
    EXPECT_EQ(m.layers[stepOf(m, "pool")].outSource, static_cast<int>(stepOf(m, "pw3")));
    EXPECT_EQ(m.layers[stepOf(m, "softmax")].actSource, -1);
    // The tensors an add joins keep the seed's type (the add would run at the widest).
    const Fixture res = costed("fmnist/resnet8", "mpic", "mpic-qnn", {8}, false, false, {8, 4, 2});
    for (const char* joined : {"conv1", "s1_conv_b", "s2_conv_b", "s2_shortcut", "s3_shortcut"}) {
        EXPECT_TRUE(res.model.layers[stepOf(res.model, joined)].outActivationBits.empty())
            << joined;
    }
    EXPECT_EQ(res.model.layers[stepOf(res.model, "s2_conv_a")].outActivationBits, all);
    // Stacks without sub-byte activation kernels search none.
    const Fixture gap9 =
        costed("fmnist/ds-cnn", "gap9-evk", "gap-flow", {8, 4, 2}, false, false, {8, 4, 2});
    for (const auto& t : gap9.model.layers) {
        EXPECT_TRUE(t.outActivationBits.empty()) << t.layer;
        EXPECT_EQ(t.activationBits, std::vector<int>{8}) << t.layer;
    }
}

TEST(MpsActivations, ExpectedCostIsOverActivationAndWeightPrecisionsAndMatchesSimulation) {
    const Fixture f =
        costed("fmnist/ds-cnn", "mpic", "mpic-qnn", {8, 4, 2}, false, false, {8, 4, 2});
    const CostTensor cost(f.model);
    const std::vector<int64_t> c = seedChannels(f.grouping);
    const std::size_t dw1 = stepOf(f.model, "dw1"), pw1 = stepOf(f.model, "pw1");
    // NAS.md §2: Σ_i Σ_j p_act(i) p_w(j) cost(i, j), pw1 reading dw1's output.
    const std::vector<double> pa = {0.5, 0.3, 0.2}, pw = {0.6, 0.1, 0.3};
    std::vector<torch::Tensor> precision(f.model.layers.size()), activation(f.model.layers.size());
    precision[pw1] = torch::tensor({0.6F, 0.1F, 0.3F});
    activation[dw1] = torch::tensor({0.5F, 0.3F, 0.2F});
    std::vector<torch::Tensor> channels;
    for (int64_t v : c) {
        channels.push_back(torch::full({}, static_cast<double>(v), torch::kFloat64));
    }
    const auto expected = cost.costs(channels, precision, {}, false, {}, {}, {}, activation);
    std::vector<int> bits(f.model.layers.size(), 8), act(f.model.layers.size(), 0);
    for (const char* metric : {"latency_s", "energy_j", "weight_bytes", "flash_bytes"}) {
        const int k = costMetricIndex(metric);
        double hand = 0;
        for (std::size_t i = 0; i < 3; ++i) {
            for (std::size_t j = 0; j < 3; ++j) {
                act[dw1] = f.model.layers[dw1].outActivationBits[i];
                bits[pw1] = f.model.layers[pw1].weightBits[j];
                hand +=
                    pa[i] * pw[j] *
                    predictCosts(f.model, c, bits, {}, {}, {}, act)[static_cast<std::size_t>(k)];
            }
        }
        EXPECT_NEAR(expected[static_cast<std::size_t>(k)].item<double>(), hand,
                    1e-6 * std::abs(hand))
            << metric;
    }
    // A discrete choice: the plain and the tensor model agree, and the exported network
    // simulates as predicted (MPIC's layers cost MACs / MAC-per-cycle of their pair; RAM is
    // the planner's arena, which the model approximates by the buffers live per step).
    act.assign(f.model.layers.size(), 0);
    bits.assign(f.model.layers.size(), 8);
    act[stepOf(f.model, "conv1")] = 4;
    act[dw1] = 2;
    act[stepOf(f.model, "pw2")] = 4;
    bits[pw1] = 4;
    const auto plain = predictCosts(f.model, c, bits, {}, {}, {}, act);
    const auto viaTensor = cost.costs(c, bits, {}, {}, {}, act);
    for (int k = 0; k < kCostMetricCount; ++k) {
        EXPECT_NEAR(plain[static_cast<std::size_t>(k)], viaTensor[static_cast<std::size_t>(k)],
                    1e-9 * std::abs(plain[static_cast<std::size_t>(k)]))
            << kCostMetrics[k];
    }
    Session session;
    const auto loaded = workloads::loadNetwork("fmnist/ds-cnn", session.paths());
    workloads::spec::NetworkSpec seedSpec;
    parseTextProto(test::readFileBytes(loaded.file), loaded.file, seedSpec);
    const auto spec =
        resizedSpec(seedSpec, f.network, f.grouping, c, &f.model, bits, {}, {}, {}, act);
    Query q;
    q.platform = "mpic";
    q.stack = "mpic-qnn";
    q.network = "dnas/mixed";
    session.defineNetwork(q.network, workloads::buildNetwork(spec, "<resized>"), "mixed");
    const sim::SimResult r = session.run(q).result;
    ASSERT_EQ(r.status, sim::Status::Ok) << r.reason;
    EXPECT_NEAR(plain[static_cast<std::size_t>(costMetricIndex("latency_s"))], r.latencyS,
                1e-3 * r.latencyS);
    EXPECT_NEAR(plain[static_cast<std::size_t>(costMetricIndex("peak_ram_bytes"))],
                static_cast<double>(r.peakRamBytes), 0.1 * static_cast<double>(r.peakRamBytes));
    // Sub-byte activations cost less time and RAM than the seed's int8.
    const auto seed = predictCosts(f.model, c);
    EXPECT_LT(plain[static_cast<std::size_t>(costMetricIndex("latency_s"))],
              seed[static_cast<std::size_t>(costMetricIndex("latency_s"))]);
    EXPECT_LT(static_cast<double>(r.peakRamBytes),
              seed[static_cast<std::size_t>(costMetricIndex("peak_ram_bytes"))]);
}

TEST(MpsActivations, ChoosesExportsAndFreezesActivationPrecisions) {
    const Fixture f = costed("fmnist/ds-cnn", "mpic", "mpic-qnn", {8}, false, false, {8, 4, 2});
    auto mps = makeDnasMethod("mps");
    DnasSettings s;
    s.activationBits = {8, 4, 2};
    mps->build(f.model.groups, f.model.layers, s);
    const std::size_t pw2 = stepOf(f.model, "pw2");
    ChannelChoice c = mps->choice();
    ASSERT_EQ(c.activation.size(), f.model.layers.size());
    ASSERT_TRUE(c.activation[pw2].defined());
    EXPECT_FALSE(c.activation[stepOf(f.model, "fc")].defined());
    EXPECT_NEAR(c.activation[pw2][0].item<float>(), std::exp(3.0) / (std::exp(3.0) + 2), 1e-6);
    EXPECT_EQ(mps->exportedActivationBits()[pw2], 8);
    EXPECT_EQ(mps->exportedActivationBits()[stepOf(f.model, "fc")], 0);
    // θ moved to 2 bits: exported 2; the RAM cost's gradient reaches θ.
    auto theta = mps->parameters();
    setThreeWayLogits(theta, torch::tensor({0.F, 0.F, 2.F}));
    EXPECT_EQ(mps->exportedActivationBits()[pw2], 2);
    c = mps->choice();
    const CostTensor cost(f.model);
    cost.costs(c.channels, c.precision, {}, false, {}, {}, {},
               c.activation)[static_cast<std::size_t>(costMetricIndex("latency_s"))]
        .backward();
    EXPECT_TRUE(reachedThreeWayLogits(theta));
    mps->freeze(mps->exported(), mps->exportedBits(), {}, {});
    const auto frozen = mps->choice().activation[pw2];
    EXPECT_FLOAT_EQ(frozen[2].item<float>(), 1.0F);
    EXPECT_FLOAT_EQ(frozen.sum().item<float>(), 1.0F);
}

TEST(MpsActivations, ActivationFakeQuantisationIsUnsignedAfterAReluWithAnIdentityGradient) {
    const torch::Tensor y = torch::tensor({0.0F, 0.5F, 1.4F, 3.0F}).requires_grad_(true);
    // 2 bits unsigned over [0, 3]: levels 0, 1, 2, 3.
    const torch::Tensor q = nas::fakeQuantizeActivation(y, 2);
    EXPECT_FLOAT_EQ(q[1].item<float>(), 0.0F);
    EXPECT_FLOAT_EQ(q[2].item<float>(), 1.0F);
    EXPECT_FLOAT_EQ(q[3].item<float>(), 3.0F);
    q.sum().backward();
    EXPECT_TRUE(torch::allclose(y.grad(), torch::ones_like(y)));
    // With negative values: symmetric, 4 bits = 7 levels a side.
    const torch::Tensor s = nas::fakeQuantizeActivation(torch::tensor({-2.0F, 0.3F, 1.0F}), 4);
    EXPECT_NEAR(s[1].item<float>(), std::round(0.3 / (2.0 / 7)) * (2.0 / 7), 1e-6);
    EXPECT_FLOAT_EQ(s[0].item<float>(), -2.0F);
}

TEST(Odimo, SplitTablesCostTheSlowerPartAndTheSumOfTheRest) {
    // DIANA: the greedy mapper runs ResNet-8's 3x3 convolutions on the analog array; the
    // digital array runs them too, so each gets a split table (analog first: the mapper's).
    const Fixture f = costed("fmnist/resnet8", "diana", "htvm", {}, true);
    const std::size_t s = stepOf(f.model, "s3_conv_b");
    ASSERT_LT(s, f.model.layers.size());
    const LayerCostTable& t = f.model.layers[s];
    ASSERT_TRUE(t.isSplit());
    EXPECT_EQ(t.engines, (std::vector<std::string>{"aimc", "digital"}));
    EXPECT_EQ(t.computeBits, (std::vector<int>{2, 8})); // ternary analog weights
    EXPECT_EQ(t.splitTiles[1], 16);                     // the digital array's 16 K unroll
    EXPECT_FALSE(f.model.layers[stepOf(f.model, "pool")].isSplit()); // host core only

    const std::vector<int64_t> c = seedChannels(f.grouping);
    const auto whole = predictCosts(f.model, c);
    std::vector<int64_t> split(f.model.layers.size(), -1);
    // All channels on the first engine: the layer as the mapper runs it.
    split[s] = 64;
    EXPECT_EQ(predictCosts(f.model, c, {}, split), whole);
    // Half each: the slower part's time, the parts' energies and weights.
    split[s] = 32;
    const auto half = predictCosts(f.model, c, {}, split);
    const int lat = costMetricIndex("latency_s"), energy = costMetricIndex("energy_j");
    const int weights = costMetricIndex("weight_bytes");
    const double rest = whole[static_cast<std::size_t>(lat)] - tableValue(t, lat, 64, 64, 0);
    const double a = tableValue(t, lat, 64, 32, 0), b = tableValue(t, lat, 64, 32, 1);
    EXPECT_NEAR(half[static_cast<std::size_t>(lat)], rest + std::max(a, b) + t.splitOverhead[lat],
                1e-12);
    EXPECT_NEAR(half[static_cast<std::size_t>(energy)],
                whole[static_cast<std::size_t>(energy)] - tableValue(t, energy, 64, 64, 0) +
                    tableValue(t, energy, 64, 32, 0) + tableValue(t, energy, 64, 32, 1) +
                    t.splitOverhead[energy],
                1e-15);
    EXPECT_EQ(half[static_cast<std::size_t>(weights)], whole[static_cast<std::size_t>(weights)]);
    // A digital part of 8 channels takes the time of the array's 16.
    EXPECT_DOUBLE_EQ(splitValue(t, lat, 64, 0, 8, 0), splitValue(t, lat, 64, 0, 16, 0));

    // The differentiable cost: equal to the plain one with the hard maximum; the smooth
    // maximum lies between the parts' mean and their maximum; both parts get a gradient.
    const CostTensor cost(f.model);
    EXPECT_EQ(cost.costs(c, {}, split)[static_cast<std::size_t>(lat)],
              half[static_cast<std::size_t>(lat)]);
    std::vector<torch::Tensor> channels, parts(f.model.layers.size());
    for (int64_t v : c) {
        channels.push_back(torch::full({}, static_cast<double>(v), torch::kFloat64));
    }
    const torch::Tensor first = torch::full({}, 40.0, torch::kFloat64).requires_grad_(true);
    parts[s] = torch::stack({first, 64.0 - first});
    const torch::Tensor smooth = cost.costs(channels, {}, parts)[static_cast<std::size_t>(lat)];
    split[s] = 40;
    const double hard = predictCosts(f.model, c, {}, split)[static_cast<std::size_t>(lat)];
    EXPECT_LE(smooth.item<double>(), hard + 1e-15);
    EXPECT_GT(smooth.item<double>(), hard - 0.5 * std::max(a, b));
    smooth.backward();
    ASSERT_TRUE(first.grad().defined());
    EXPECT_NE(first.grad().item<double>(), 0.0);

    // The mapping of a split: fractions of the first engine, or one engine alone.
    platforms::spec::MappingSpec base;
    split[s] = 40;
    split[stepOf(f.model, "s3_conv_a")] = 0;
    const auto m = splitMapping(base, f.model, c, split);
    ASSERT_EQ(m.layers_size(), 2);
    for (const auto& l : m.layers()) {
        if (l.layer() == "s3_conv_b") {
            EXPECT_EQ(l.engine(), "aimc");
            EXPECT_EQ(l.split_engine(), "digital");
            EXPECT_DOUBLE_EQ(l.fraction(), 40.0 / 64.0);
        } else {
            EXPECT_EQ(l.layer(), "s3_conv_a");
            EXPECT_EQ(l.engine(), "digital");
            EXPECT_EQ(l.split_engine(), "");
        }
    }
}

TEST(Odimo, ChoosesExportsAndFreezesSplitsPerChannel) {
    const Fixture f = costed("fmnist/resnet8", "diana", "htvm", {}, true);
    auto odimo = makeDnasMethod("odimo");
    ASSERT_NE(odimo, nullptr);
    torch::manual_seed(1);
    odimo->build(f.model.groups, f.model.layers, DnasSettings{});
    const std::size_t s = stepOf(f.model, "s3_conv_b");
    ChannelChoice c = odimo->choice();
    ASSERT_TRUE(c.precision[s].defined());
    EXPECT_EQ(c.precision[s].sizes(), (std::vector<int64_t>{64, 2}));
    EXPECT_TRUE(torch::allclose(c.precision[s].sum(1), torch::ones({64})));
    EXPECT_NEAR(c.split[s].sum().item<double>(), 64.0, 1e-4);
    EXPECT_GT(c.split[s][0].item<double>(), 0.8 * 64);      // starts on the mapper's engine
    EXPECT_EQ(odimo->exported(), seedChannels(f.grouping)); // no pruning
    EXPECT_EQ(odimo->exportedSplit()[s], 64);
    EXPECT_EQ(odimo->exportedSplit()[stepOf(f.model, "pool")], -1);
    // 20 channels lean to the digital array: 44 stay analog (the analog tile is 1).
    std::size_t index = 0; // θ of the split steps, in step order
    for (std::size_t k = 0; k < s; ++k) {
        index += f.model.layers[k].isSplit() ? 1 : 0;
    }
    torch::Tensor theta = odimo->parameters().at(index);
    ASSERT_EQ(theta.size(0), 64);
    {
        torch::NoGradGuard noGrad;
        theta.select(1, 1).slice(0, 10, 30).fill_(10.0F);
    }
    EXPECT_EQ(odimo->exportedSplit()[s], 44);
    // The cost's gradient reaches θ through the split.
    c = odimo->choice();
    const CostTensor cost(f.model);
    cost.costs(c.channels, c.precision,
               c.split)[static_cast<std::size_t>(costMetricIndex("latency_s"))]
        .backward();
    ASSERT_TRUE(theta.grad().defined());
    EXPECT_GT(theta.grad().abs().sum().item<float>(), 0.0F);
    // Frozen: one engine per channel, the 44 leaning most to the analog array on it.
    std::vector<int64_t> split = odimo->exportedSplit();
    split[s] = 48;
    odimo->freeze(odimo->exported(), odimo->exportedBits(), split, {});
    const torch::Tensor frozen = odimo->choice().precision[s];
    EXPECT_FLOAT_EQ(frozen.select(1, 0).sum().item<float>(), 48.0F);
    EXPECT_TRUE(torch::equal(frozen.sum(1), torch::ones({64})));
    EXPECT_FLOAT_EQ(frozen.select(1, 1).slice(0, 10, 30).sum().item<float>(), 16.0F);
    EXPECT_NEAR(odimo->choice().split[s][0].item<double>(), 48.0, 1e-9);
}

/// A table with the receptive-field variants of a `taps`-tap kernel at dilation 1.
LayerCostTable tapTable(int64_t taps) {
    LayerCostTable t;
    t.layer = "tc";
    for (const auto& [k, stride] : tapVariants(taps)) {
        t.kernels.push_back(k);
        t.dilations.push_back(k == 1 ? 1 : stride);
    }
    return t;
}

/// The mask of `taps` taps keeping `kept` (indices counted back from the newest).
std::vector<float> maskOf(int64_t taps, const std::vector<int64_t>& kept) {
    std::vector<float> m(static_cast<std::size_t>(taps), 0.0F);
    for (int64_t i : kept) {
        m[static_cast<std::size_t>(i)] = 1.0F;
    }
    return m;
}

std::vector<float> values(const torch::Tensor& t) {
    const torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

TEST(PitTaps, VariantsAreEveryStrideOfTheSeedKernel) {
    const auto v = tapVariants(9);
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.front(), (std::pair<int64_t, int64_t>{9, 1})); // the seed
    EXPECT_EQ(v.back(), (std::pair<int64_t, int64_t>{1, 1}));  // one tap
    // Strides 1, 2, 4, 8 with 2..9, 2..5, 2..3 and 2 taps, and the single tap.
    EXPECT_EQ(v.size(), 8U + 4U + 2U + 1U + 1U);
    for (const auto& [k, stride] : v) {
        EXPECT_LE((k - 1) * stride, 8) << k << "x" << stride;
    }
    EXPECT_EQ(tapVariants(2).size(), 2U); // 2 taps or 1
}

TEST(PitTaps, MasksKeepEveryStrideBelowTheFieldWithAnIdentityGradient) {
    auto pit = makeDnasMethod("pit");
    DnasSettings s;
    s.threshold = 0.5;
    s.receptiveField = true;
    const LayerCostTable table = tapTable(9);
    pit->build(twoGroups(), {LayerCostTable{}, table}, s);
    auto theta = pit->parameters();
    ASSERT_EQ(theta.size(), 3U); // α of the conv group, β (8) and γ (3) of the layer
    ASSERT_EQ(theta[1].size(0), 8);
    ASSERT_EQ(theta[2].size(0), 3);
    // Before any update: every tap, the seed's variant.
    ChannelChoice c = pit->choice();
    ASSERT_EQ(c.taps.size(), 2U);
    EXPECT_FALSE(c.taps[0].defined());
    EXPECT_EQ(values(c.taps[1]), std::vector<float>(9, 1.0F));
    EXPECT_EQ(pit->exportedVariants(), (std::vector<int>{-1, 0}));
    // β_6 dropped: taps 0..5; γ_1 dropped: the even ones.
    {
        torch::NoGradGuard noGrad;
        theta[1].copy_(torch::tensor({1.F, 1.F, 1.F, 1.F, 1.F, 0.2F, 1.F, 1.F}));
        theta[2].copy_(torch::tensor({0.1F, 1.F, 1.F}));
    }
    c = pit->choice();
    EXPECT_EQ(values(c.taps[1]), maskOf(9, {0, 2, 4}));
    const auto exported = pit->exportedVariants();
    const auto v = tapVariants(9);
    ASSERT_GE(exported[1], 0);
    EXPECT_EQ(v[static_cast<std::size_t>(exported[1])], (std::pair<int64_t, int64_t>{3, 2}));
    EXPECT_EQ(variantText(table, exported[1]), "3x2");
    // Gradients reach β and γ through the binarisation: d(sum m)/d β_1 counts the kept taps
    // that need β_1 (2 and 4; tap 1 is dropped by γ_1).
    c.taps[1].sum().backward();
    EXPECT_FLOAT_EQ(theta[1].grad()[0].item<float>(), 2.0F);
    EXPECT_FLOAT_EQ(theta[1].grad()[5].item<float>(), 2.0F); // β_6 would bring back 6 and 8
    EXPECT_FLOAT_EQ(theta[1].grad()[6].item<float>(), 0.0F); // β_7: 7 (odd) and 8 (past β_6)
    EXPECT_GT(theta[2].grad()[0].item<float>(), 0.0F);       // γ_1 would bring back 1, 3, 5
    // γ_3 dropped as well: only multiples of 8 below 6, one tap.
    {
        torch::NoGradGuard noGrad;
        theta[2].copy_(torch::tensor({0.1F, 1.F, 0.1F}));
    }
    EXPECT_EQ(values(pit->choice().taps[1]), maskOf(9, {0}));
    EXPECT_EQ(v[static_cast<std::size_t>(pit->exportedVariants()[1])],
              (std::pair<int64_t, int64_t>{1, 1}));
    // Frozen: the variant asked for, whatever θ does.
    pit->freeze({0, 6}, {}, {}, {-1, 1});
    EXPECT_EQ(values(pit->choice().taps[1]), maskOf(9, {0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(PitTaps, UnderUniformPressureTheFieldShrinksOneTapAtATime) {
    auto pit = makeDnasMethod("pit");
    DnasSettings s;
    s.receptiveField = true;
    pit->build(twoGroups(), {LayerCostTable{}, tapTable(17)}, s);
    auto theta = pit->parameters();
    const auto v = tapVariants(17);
    int64_t last = 17;
    std::set<int64_t> seen;
    for (int step = 0; step < 400; ++step) {
        {
            torch::NoGradGuard noGrad;
            for (auto& t : theta) {
                // Every parameter moved alike (Adam under the same pressure), down to 0.
                t.sub_(0.01F).clamp_min_(0.0F);
            }
        }
        const int e = pit->exportedVariants()[1];
        ASSERT_GE(e, 0) << "step " << step << ": kept taps are no variant";
        const int64_t k = v[static_cast<std::size_t>(e)].first;
        EXPECT_LE(k, last) << "step " << step;
        seen.insert(k);
        last = k;
    }
    EXPECT_EQ(last, 1);
    // Not all at once: the kernel passed through many sizes on its way down.
    EXPECT_GE(seen.size(), 8U);
}

TEST(PitTaps, CostTensorReadsTheVariantOfTheMaskAndItsSlope) {
    const Fixture f = costed("fmnist/tcn-pit", "gap8", "gap-flow", {}, false, true);
    const CostTensor cost(f.model);
    const auto c = seedChannels(f.grouping);
    std::vector<int> taps(f.model.layers.size(), -1);
    std::size_t tc4 = 0;
    for (std::size_t s = 0; s < f.model.layers.size(); ++s) {
        if (f.model.layers[s].layer == "tc4") {
            tc4 = s;
        }
    }
    const auto& t = f.model.layers[tc4];
    ASSERT_EQ(t.kernels.size(), tapVariants(17).size());
    const int lat = costMetricIndex("latency_s");
    for (int v : {0, 1, 5, 20, static_cast<int>(t.kernels.size()) - 1}) {
        taps[tc4] = v;
        const auto plain = predictCosts(f.model, c, {}, {}, taps);
        const auto tensor = cost.costs(c, {}, {}, taps);
        for (int k = 0; k < kCostMetricCount; ++k) {
            EXPECT_NEAR(tensor[static_cast<std::size_t>(k)], plain[static_cast<std::size_t>(k)],
                        1e-9 * std::abs(plain[static_cast<std::size_t>(k)]))
                << v << " " << kCostMetrics[k];
        }
    }
    // Fewer taps, less time; the gradient of the latency along the mask's sum is the table's
    // step from 7 to 8 taps at stride 2 (the variant 8x2 and 7x2).
    const auto at = [&](int64_t k, int64_t stride) {
        for (std::size_t v = 0; v < t.kernels.size(); ++v) {
            if (t.kernels[v] == k && (k == 1 || t.dilations[v] == stride)) {
                return static_cast<int>(v);
            }
        }
        return -1;
    };
    const int v8 = at(8, 2), v7 = at(7, 2);
    ASSERT_GE(v8, 0);
    ASSERT_GE(v7, 0);
    taps[tc4] = v8;
    const double l8 = predictCosts(f.model, c, {}, {}, taps)[static_cast<std::size_t>(lat)];
    taps[tc4] = v7;
    const double l7 = predictCosts(f.model, c, {}, {}, taps)[static_cast<std::size_t>(lat)];
    EXPECT_LT(l7, l8);
    std::vector<torch::Tensor> channels, masks(f.model.layers.size());
    for (int64_t n : c) {
        channels.push_back(torch::full({}, static_cast<double>(n), torch::kFloat64));
    }
    torch::Tensor mask = tapMask(t, static_cast<std::size_t>(v8)).requires_grad_(true);
    masks[tc4] = mask;
    const auto costs = cost.costs(channels, {}, {}, false, masks);
    EXPECT_NEAR(costs[static_cast<std::size_t>(lat)].item<double>(), l8, 1e-9 * l8);
    costs[static_cast<std::size_t>(lat)].backward();
    EXPECT_NEAR(mask.grad()[0].item<double>(), l8 - l7, 1e-5 * (l8 - l7));
}

TEST(SuperNet, SamplesOneChoiceWithAGradientAndExportsTheMostLikely) {
    auto net = makeDnasMethod("supernet");
    ASSERT_NE(net, nullptr);
    LayerCostTable block;
    block.layer = "dw";
    block.choices = {"seed", "depthwise_conv2d 5x5/6", "identity"};
    DnasSettings s;
    net->build(twoGroups(), {LayerCostTable{}, block}, s);
    auto theta = net->parameters();
    ASSERT_EQ(theta.size(), 2U); // the conv group's α and the block's θ
    torch::Tensor th = theta[1];
    ASSERT_EQ(th.size(0), 3);
    EXPECT_EQ(values(th), std::vector<float>(3, 0.0F)); // every choice equally likely
    net->startEpoch(0, 4);
    // Training: a one-hot sample whose gradient reaches θ; same seed, same samples.
    torch::manual_seed(3);
    std::vector<std::vector<float>> first;
    for (int k = 0; k < 20; ++k) {
        const ChannelChoice c = net->choice();
        ASSERT_EQ(c.choices.size(), 2U);
        EXPECT_FALSE(c.choices[0].defined());
        const auto p = values(c.choices[1]);
        EXPECT_FLOAT_EQ(p[0] + p[1] + p[2], 1.0F);
        EXPECT_EQ(std::count(p.begin(), p.end(), 1.0F), 1);
        first.push_back(p);
    }
    std::set<std::vector<float>> distinct(first.begin(), first.end());
    EXPECT_GE(distinct.size(), 2U); // sampled, not always the same
    torch::manual_seed(3);
    for (int k = 0; k < 20; ++k) {
        EXPECT_EQ(values(net->choice().choices[1]), first[static_cast<std::size_t>(k)]);
    }
    const ChannelChoice c = net->choice();
    (c.choices[1] * torch::tensor({1.F, 2.F, 3.F})).sum().backward();
    ASSERT_TRUE(th.grad().defined());
    EXPECT_GT(th.grad().abs().sum().item<float>(), 0.0F);
    // Without a gradient (evaluation) and at export: argmax θ.
    {
        torch::NoGradGuard noGrad;
        th.copy_(torch::tensor({0.1F, -0.2F, 0.4F}));
        EXPECT_EQ(values(net->choice().choices[1]), (std::vector<float>{0, 0, 1}));
    }
    EXPECT_EQ(net->exportedVariants(), (std::vector<int>{-1, 2}));
    net->freeze({0, 6}, {}, {}, {-1, 1});
    EXPECT_EQ(values(net->choice().choices[1]), (std::vector<float>{0, 1, 0}));
}

TEST(SuperNet, ExpectedCostIsTheExpectationOverChoices) {
    Session session;
    const DnasStudy study = loadDnasStudy("dnas-supernet-fmnist", session.paths());
    Fixture f{study.seed, study.seedSha256, channelGroups(study.seed), {}};
    for (auto& g : f.grouping.groups) {
        g.searchable = false;
    }
    Query q;
    q.platform = "nucleo-l4r5zi";
    q.stack = "tflm-cmsis-nn";
    CostTableOptions options;
    options.choices = study.choices;
    f.model = buildCostModel(session, q, f.network, f.sha256, f.grouping, options);
    const CostTensor cost(f.model);
    std::vector<torch::Tensor> channels;
    for (const auto& g : f.model.groups) {
        channels.push_back(torch::full({}, static_cast<double>(g.channels), torch::kFloat64));
    }
    std::vector<torch::Tensor> probs(f.model.layers.size());
    std::vector<std::size_t> blocks;
    for (std::size_t s = 0; s < f.model.layers.size(); ++s) {
        if (f.model.layers[s].choices.size() > 1) {
            blocks.push_back(s);
        }
    }
    ASSERT_GE(blocks.size(), 2U);
    const std::size_t a = blocks[0], b = blocks[1];
    probs[a] = torch::softmax(
        torch::arange(static_cast<int64_t>(f.model.layers[a].choices.size()), torch::kFloat32), 0);
    probs[b] = torch::softmax(
        -torch::arange(static_cast<int64_t>(f.model.layers[b].choices.size()), torch::kFloat32), 0);
    const auto expected = cost.costs(channels, {}, {}, false, {}, probs);
    // By hand: the blocks' costs are separable, so the expectation is the sum over both
    // blocks' choices of their joint probability times the network's cost.
    const auto c = seedChannels(f.grouping);
    for (int k = 0; k < kCostMetricCount; ++k) {
        if (k == costMetricIndex("peak_ram_bytes")) {
            continue; // a maximum over steps, not a sum
        }
        double hand = 0;
        for (std::size_t i = 0; i < f.model.layers[a].choices.size(); ++i) {
            for (std::size_t j = 0; j < f.model.layers[b].choices.size(); ++j) {
                std::vector<int> variants(f.model.layers.size(), -1);
                variants[a] = static_cast<int>(i);
                variants[b] = static_cast<int>(j);
                hand += probs[a][static_cast<int64_t>(i)].item<double>() *
                        probs[b][static_cast<int64_t>(j)].item<double>() *
                        predictCosts(f.model, c, {}, {}, variants)[static_cast<std::size_t>(k)];
            }
        }
        EXPECT_NEAR(expected[static_cast<std::size_t>(k)].item<double>(), hand, 1e-6 * hand)
            << kCostMetrics[k];
    }
}

TEST(SuperNet, GraphModuleRunsTheChosenAlternative) {
    Session session;
    const DnasStudy study = loadDnasStudy("dnas-supernet-fmnist", session.paths());
    std::map<workloads::Network::LayerId, nas::GraphModuleImpl::Alternatives> alts;
    for (const auto& block : study.choices) {
        alts[*study.seed.find(block.layer)] = {block.alternatives, block.identity};
    }
    torch::manual_seed(1);
    nas::GraphModule m(study.seed, true, alts);
    m->eval();
    const torch::Tensor x = torch::randn({2, 1, 28, 28});
    const torch::Tensor plain = m->forward(x).detach();
    // The seed's choice everywhere: the plain network.
    std::vector<torch::Tensor> p(m->layers().size());
    std::size_t dw1 = 0;
    for (std::size_t i = 0; i < m->layers().size(); ++i) {
        const auto& name = study.seed.layer(m->layers()[i]).name;
        for (const auto& block : study.choices) {
            if (block.layer == name) {
                p[i] = torch::zeros({static_cast<int64_t>(block.alternatives.size() + 1 +
                                                          (block.identity ? 1 : 0))});
                p[i][0] = 1.0F;
            }
        }
        dw1 = name == "dw1" ? i : dw1;
    }
    m->setChoiceProbabilities(p);
    EXPECT_TRUE(torch::allclose(m->forward(x), plain));
    // dw1 skipped: the output no longer depends on its weights, and it changes.
    p[dw1] = torch::tensor({0.F, 0.F, 1.F});
    m->setChoiceProbabilities(p);
    const torch::Tensor skipped = m->forward(x);
    EXPECT_FALSE(torch::allclose(skipped, plain));
    skipped.sum().backward();
    const torch::Tensor w = m->weight(dw1);
    EXPECT_TRUE(!w.grad().defined() || w.grad().abs().sum().item<float>() == 0.0F);
}

TEST(Mps, PerChannelCostIsTheSumOfItsPrecisionPartsAndPullsChannelsDown) {
    const Fixture f = costed("fmnist/ds-cnn", "gap9-evk", "gap-flow", {4, 2});
    auto mps = makeDnasMethod("mps");
    DnasSettings s;
    s.perChannel = true;
    mps->build(f.model.groups, f.model.layers, s);
    const CostTensor cost(f.model);
    const ChannelChoice c = mps->choice();
    std::size_t pw3 = 0;
    for (std::size_t st = 0; st < f.model.layers.size(); ++st) {
        pw3 = f.model.layers[st].layer == "pw3" ? st : pw3;
    }
    ASSERT_EQ(f.model.layers[pw3].weightBits, (std::vector<int>{8, 4, 2}));
    ASSERT_TRUE(c.precisionChannels[pw3].defined());
    EXPECT_NEAR(c.precisionChannels[pw3].sum().item<double>(), 64.0, 1e-4);
    const int w = costMetricIndex("weight_bytes");
    const auto costs =
        cost.costs(c.channels, c.precision, c.split, false, c.taps, c.choices, c.precisionChannels);
    costs[static_cast<std::size_t>(w)].backward();
    auto theta = mps->parameters();
    torch::Tensor th;
    for (const auto& t : theta) {
        if (t.dim() == 2 && t.size(0) == 64) {
            th = t;
        }
    }
    ASSERT_TRUE(th.defined());
    // Fewer bits, fewer bytes: the gradient pushes each channel's 8-bit logit down.
    EXPECT_GT(th.grad().select(1, 0).mean().item<float>(), 0.0F);
    // The plain model at integer counts: the parts' sum.
    std::vector<std::vector<int64_t>> bits(f.model.layers.size());
    bits[pw3] = {16, 32, 16};
    const auto split = predictCosts(f.model, seedChannels(f.grouping), {}, {}, {}, bits);
    const auto& t = f.model.layers[pw3];
    const double cin = static_cast<double>(t.inGrid.back());
    const double whole =
        predictCosts(f.model, seedChannels(f.grouping))[static_cast<std::size_t>(w)];
    const double hand = whole - tableValue(t, w, cin, 64, 0) + tableValue(t, w, cin, 16, 0) +
                        tableValue(t, w, cin, 32, 1) + tableValue(t, w, cin, 16, 2);
    EXPECT_NEAR(split[static_cast<std::size_t>(w)], hand, 1e-9 * hand);
    EXPECT_LT(split[static_cast<std::size_t>(w)], whole);
    EXPECT_EQ(cost.costs(seedChannels(f.grouping), {}, {}, {}, bits)[static_cast<std::size_t>(w)],
              split[static_cast<std::size_t>(w)]);
}

TEST(Search, ATinySearchMovesTheCostToItsTarget) {
    if (!std::filesystem::exists(std::string(nas::kFashionMnistDir) +
                                 "/train-images-idx3-ubyte.gz")) {
        GTEST_SKIP() << "Fashion-MNIST not installed (scripts/setup.sh: dataset-fashion-mnist)";
    }
    const Fixture f = costed("fmnist/ds-cnn", "nucleo-l4r5zi", "tflm-cmsis-nn");
    auto searcher = makeTorchDnasSearcher();
    const DnasSettings s = tinySearch(4);
    ASSERT_EQ(searcher->configure(s), "");
    DnasProblem p;
    p.network = &f.network;
    p.groupOfLayer = f.grouping.groupOfLayer;
    p.costs = f.model;
    const int lat = costMetricIndex("latency_s");
    const double seedLatency =
        predictCosts(f.model, seedChannels(f.grouping))[static_cast<std::size_t>(lat)];
    p.limits = {{"latency_s", 0.5 * seedLatency}};
    p.seed = 7;
    int calls = 0;
    const DnasOutcome o = searcher->search(p, [&](const EpochRecord&) {
        ++calls;
        return true;
    });
    ASSERT_EQ(o.error, "");
    EXPECT_EQ(calls, 6);
    ASSERT_EQ(o.epochs.size(), 6U);
    EXPECT_EQ(o.epochs[0].phase, "warmup");
    EXPECT_EQ(o.epochs[1].phase, "search");
    EXPECT_EQ(o.epochs[5].phase, "finetune");
    EXPECT_DOUBLE_EQ(o.epochs[0].costs[lat], seedLatency);
    EXPECT_LT(o.predicted[lat], 0.75 * seedLatency);
    EXPECT_GT(o.accuracy, 0.3); // chance is 0.1
    EXPECT_DOUBLE_EQ(o.predicted[lat],
                     predictCosts(f.model, o.channels)[static_cast<std::size_t>(lat)]);
    // Same seed, same outcome.
    auto second = makeTorchDnasSearcher();
    ASSERT_EQ(second->configure(s), "");
    const DnasOutcome again = second->search(p, {});
    EXPECT_EQ(again.error, "");
    EXPECT_EQ(again.channels, o.channels);
    EXPECT_EQ(again.accuracy, o.accuracy);
}

TEST(Search, ATinyReceptiveFieldSearchShortensKernelsToMeetItsTarget) {
    if (!std::filesystem::exists(std::string(nas::kFashionMnistDir) +
                                 "/train-images-idx3-ubyte.gz")) {
        GTEST_SKIP() << "Fashion-MNIST not installed (scripts/setup.sh: dataset-fashion-mnist)";
    }
    const Fixture f = costed("fmnist/tcn-pit", "gap8", "gap-flow", {}, false, true);
    auto searcher = makeTorchDnasSearcher();
    DnasSettings s = tinySearch(3);
    s.receptiveField = true;
    ASSERT_EQ(searcher->configure(s), "");
    DnasProblem p;
    p.network = &f.network;
    p.groupOfLayer = f.grouping.groupOfLayer;
    p.costs = f.model;
    const int lat = costMetricIndex("latency_s");
    const double seedLatency =
        predictCosts(f.model, seedChannels(f.grouping))[static_cast<std::size_t>(lat)];
    p.limits = {{"latency_s", 0.3 * seedLatency}};
    p.seed = 5;
    const DnasOutcome o = searcher->search(p, {});
    ASSERT_EQ(o.error, "");
    ASSERT_EQ(o.variants.size(), f.model.layers.size());
    int shortened = 0;
    for (std::size_t step = 0; step < o.variants.size(); ++step) {
        const auto& t = f.model.layers[step];
        EXPECT_EQ(o.variants[step] >= 0, !t.kernels.empty()) << t.layer;
        shortened += o.variants[step] > 0 &&
                     t.kernels[static_cast<std::size_t>(o.variants[step])] < t.kernels.front();
    }
    EXPECT_GE(shortened, 1);
    EXPECT_LT(o.predicted[lat], 0.5 * seedLatency);
    EXPECT_DOUBLE_EQ(o.predicted[lat], predictCosts(f.model, o.channels, {}, {},
                                                    o.variants)[static_cast<std::size_t>(lat)]);
    EXPECT_GT(o.accuracy, 0.3); // chance is 0.1
}

} // namespace
} // namespace edgesim::explorer::dnas
