// Shape inference and per-layer figures against hand-computed values.
#include "common/Diagnostics.h"
#include "tests/workloads/TestNetworks.h"

#include <gtest/gtest.h>

namespace edgesim::workloads {
namespace {

using namespace test;

/// Infers a network of one input and one layer; returns the layer.
Layer single(Shape in, Layer l, DType dt = DType::Int8) {
    Network net("t");
    auto x = net.addLayer(input("x", std::move(in), dt));
    auto id = net.addLayer(std::move(l), {x});
    inferShapes(net, "t");
    return net.layer(id);
}

TEST(WindowOutputLength, TensorFlowConventions) {
    // SAME: ceil(in / stride).
    EXPECT_EQ(windowOutputLength(49, 10, 2, 1, Padding::Same, 0, 0), 25);
    EXPECT_EQ(windowOutputLength(10, 4, 2, 1, Padding::Same, 0, 0), 5);
    // SAME pads (out-1)*s + k - in = 9 rows for 49 -> 25 with k=10, s=2: 4 before, 5 after.
    int64_t pb = -1;
    int64_t pe = -1;
    windowOutputLength(49, 10, 2, 1, Padding::Same, 0, 0, &pb, &pe);
    EXPECT_EQ(pb, 4);
    EXPECT_EQ(pe, 5);
    // VALID: floor((in - span) / s) + 1, span = (k-1)*d + 1.
    EXPECT_EQ(windowOutputLength(25, 24, 24, 1, Padding::Valid, 0, 0), 1);
    EXPECT_EQ(windowOutputLength(32, 3, 1, 2, Padding::Valid, 0, 0), 28);
    EXPECT_EQ(windowOutputLength(2, 3, 1, 1, Padding::Valid, 0, 0), -1);
    // EXPLICIT and CAUSAL.
    EXPECT_EQ(windowOutputLength(32, 3, 2, 1, Padding::Explicit, 1, 0), 16);
    EXPECT_EQ(windowOutputLength(64, 3, 1, 4, Padding::Causal, 0, 0, &pb), 64);
    EXPECT_EQ(pb, 8);
}

TEST(WindowPads, OnlyWhereTheWindowReachesPastTheInput) {
    const auto window = [](Padding padding, int64_t k, int64_t stride) {
        Window w;
        w.kernel = {k, k};
        w.stride = {stride, stride};
        w.dilation = {1, 1};
        w.padding = padding;
        if (padding == Padding::Explicit) {
            w.padBegin = {0, 0};
            w.padEnd = {0, 1};
        }
        return w;
    };
    // SAME 2x2 at stride 2: 8 -> 4 needs no padding, 7 -> 4 one column at the end only.
    EXPECT_FALSE(windowPads(window(Padding::Same, 2, 2), {8, 8, 3}));
    EXPECT_TRUE(windowPads(window(Padding::Same, 2, 2), {7, 7, 3}));
    EXPECT_FALSE(windowPads(window(Padding::Same, 1, 1), {7, 7, 3}));
    EXPECT_TRUE(windowPads(window(Padding::Same, 3, 1), {7, 7, 3}));
    EXPECT_FALSE(windowPads(window(Padding::Valid, 3, 1), {7, 7, 3}));
    EXPECT_TRUE(windowPads(window(Padding::Explicit, 1, 1), {7, 7, 3})); // pad_end only
}

TEST(ShapeInference, Conv2dSameStride2) {
    Layer l = single({49, 10, 1}, conv("c", 64, {10, 4}, {2}));
    EXPECT_EQ(l.output.shape, (Shape{25, 5, 64}));
    EXPECT_EQ(l.stats.macs, 25 * 5 * 64 * 10 * 4 * 1);
    EXPECT_EQ(l.stats.params, 64 * 40 + 64);
    EXPECT_EQ(l.stats.weightBytes, 64 * 40 + 4 * 64); // int8 weights, int32 bias
    EXPECT_EQ(l.stats.inputBytes, 490);
    EXPECT_EQ(l.stats.outputBytes, 8000);
}

// Sizes that overflow 64-bit arithmetic are bad input naming the layer, not wrapped values
// (out_channels of 2^62 gave negative MACs) or undefined behaviour.
TEST(ShapeInference, SizesThatOverflowNameTheLayer) {
    for (int64_t channels : {int64_t{1} << 62, INT64_MAX}) {
        Network net("n");
        auto x = net.addLayer(input("x", {5, 25, 64}));
        net.addLayer(conv("huge", channels, {1, 1}), {x});
        try {
            inferShapes(net, "n.textproto");
            ADD_FAILURE() << "no error for out_channels " << channels;
        } catch (const InputError& e) {
            EXPECT_NE(e.formatAll().find("layer 'huge'"), std::string::npos) << e.formatAll();
            EXPECT_NE(e.formatAll().find("sizes out of range"), std::string::npos) << e.formatAll();
        }
    }
    // Dilation times kernel, and a dense layer's weights.
    Network dil("d");
    Layer c = conv("dilated", 8, {3, 3});
    c.window.dilation = {int64_t{1} << 62, 1};
    dil.addLayer(c, {dil.addLayer(input("x", {8, 8, 3}))});
    EXPECT_THROW(inferShapes(dil, "d"), InputError);
    Network fc("f");
    fc.addLayer(dense("fc", int64_t{1} << 40), {fc.addLayer(input("x", {int64_t{1} << 30}))});
    EXPECT_THROW(inferShapes(fc, "f"), InputError);
}

TEST(ShapeInference, GroupedAndDilatedConv) {
    Layer g = conv("g", 16, {3, 3});
    g.groups = 4;
    g.window.dilation = {2};
    g.window.padding = Padding::Valid;
    Layer l = single({16, 16, 8}, g);
    // span 5 -> 12x12; each output sees 3*3*(8/4) inputs.
    EXPECT_EQ(l.output.shape, (Shape{12, 12, 16}));
    EXPECT_EQ(l.stats.macs, 12 * 12 * 16 * 9 * 2);
    EXPECT_EQ(l.stats.params, 16 * 9 * 2 + 16);
}

TEST(ShapeInference, DepthwiseWithMultiplierAndNoBias) {
    Layer d = op("dw", OpKind::DepthwiseConv2d);
    d.window.kernel = {3, 3};
    d.window.stride = {2};
    d.depthMultiplier = 2;
    d.hasBias = false;
    Layer l = single({24, 24, 32}, d);
    EXPECT_EQ(l.output.shape, (Shape{12, 12, 64}));
    EXPECT_EQ(l.stats.macs, 12 * 12 * 64 * 9);
    EXPECT_EQ(l.stats.params, 64 * 9);
}

TEST(ShapeInference, DilatedCausalTemporalConv) {
    Layer t = op("tc", OpKind::TemporalConv);
    t.outChannels = 32;
    t.window.kernel = {3};
    t.window.dilation = {4};
    t.window.padding = Padding::Causal;
    Layer l = single({64, 16}, t, DType::Fp32);
    EXPECT_EQ(l.output.shape, (Shape{64, 32}));
    EXPECT_EQ(l.stats.macs, 64 * 32 * 3 * 16);
    EXPECT_EQ(l.stats.params, 32 * 3 * 16 + 32);
}

TEST(ShapeInference, DenseOnLastDimension) {
    Layer l = single({640}, dense("d", 128));
    EXPECT_EQ(l.output.shape, (Shape{128}));
    EXPECT_EQ(l.stats.macs, 81'920);
    EXPECT_EQ(l.stats.params, 82'048);
    Layer rows = single({10, 64}, dense("d", 8)); // 10 independent rows
    EXPECT_EQ(rows.output.shape, (Shape{10, 8}));
    EXPECT_EQ(rows.stats.macs, 10 * 64 * 8);
}

TEST(ShapeInference, PoolingDefaultsAndGlobalPool) {
    Layer p = op("p", OpKind::MaxPool);
    p.window.kernel = {2, 2};
    p.window.padding = Padding::Valid;
    EXPECT_EQ(single({16, 16, 8}, p).output.shape, (Shape{8, 8, 8})); // stride = kernel
    EXPECT_EQ(single({8, 8, 64}, op("g", OpKind::GlobalAvgPool)).output.shape, (Shape{1, 1, 64}));
    EXPECT_EQ(single({8, 8, 64}, op("g", OpKind::GlobalAvgPool)).stats.macs, 0);
}

TEST(ShapeInference, ConcatAddReshapeFlatten) {
    Network net("t");
    auto x = net.addLayer(input("x", {4, 4, 3}));
    auto y = net.addLayer(input("y", {4, 4, 5}));
    auto cat = net.addLayer(op("cat", OpKind::Concat), {x, y});
    auto flat = net.addLayer(op("flat", OpKind::Flatten), {cat});
    Layer r = op("r", OpKind::Reshape);
    r.targetShape = {-1, 8};
    auto rs = net.addLayer(r, {cat});
    auto sum = net.addLayer(op("sum", OpKind::Add), {rs, rs});
    inferShapes(net, "t");
    EXPECT_EQ(net.layer(cat).output.shape, (Shape{4, 4, 8}));
    EXPECT_EQ(net.layer(flat).output.shape, (Shape{128}));
    EXPECT_EQ(net.layer(rs).output.shape, (Shape{16, 8}));
    EXPECT_EQ(net.layer(sum).output.shape, (Shape{16, 8}));
}

TEST(ShapeInference, StandaloneBatchNormCountsScaleAndShift) {
    Layer l = single({8, 8, 16}, op("bn", OpKind::BatchNorm), DType::Fp32);
    EXPECT_EQ(l.stats.params, 32);
}

TEST(ShapeInference, ReportsEveryBrokenLayerWithItsOrigin) {
    Network net("bad");
    auto x = net.addLayer(input("x", {8, 8, 6}));
    Layer g = conv("grouped", 8, {3, 3});
    g.groups = 4; // 6 channels are not divisible by 4
    g.origin = "layers[0] 'grouped'";
    net.addLayer(g, {x});
    Layer big = conv("big", 8, {9, 9}, {1}, Padding::Valid); // 9x9 window on 8x8
    big.origin = "layers[1] 'big'";
    auto b = net.addLayer(big, {x});
    net.addLayer(dense("after_big", 4), {b}); // not re-reported
    auto y = net.addLayer(input("y", {8, 8, 5}));
    Layer add = op("add", OpKind::Add);
    add.origin = "layers[2] 'add'";
    net.addLayer(add, {x, y});
    try {
        inferShapes(net, "bad.textproto");
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
        EXPECT_EQ(e.diagnostics()[0].file, "bad.textproto");
        EXPECT_EQ(e.diagnostics()[0].field, "layers[0] 'grouped'");
        EXPECT_NE(e.diagnostics()[0].reason.find("groups 4"), std::string::npos);
        EXPECT_EQ(e.diagnostics()[1].field, "layers[1] 'big'");
        EXPECT_NE(e.diagnostics()[1].reason.find("does not fit"), std::string::npos);
        EXPECT_NE(e.diagnostics()[2].reason.find("do not broadcast"), std::string::npos);
    }
}

TEST(ShapeInference, RejectsWrongRankAndBadReshape) {
    EXPECT_THROW(single({64}, conv("c", 8, {3, 3})), InputError);
    Layer r = op("r", OpKind::Reshape);
    r.targetShape = {7, -1};
    EXPECT_THROW(single({10, 10}, r), InputError);
    Layer t = op("tc", OpKind::TemporalConv);
    t.outChannels = 4;
    t.window.kernel = {3};
    EXPECT_THROW(single({8, 8, 3}, t), InputError); // temporal conv needs [T, C]
}

} // namespace
} // namespace edgesim::workloads
