// The four MLPerf Tiny reference models, built in and imported from ONNX, against the layer
// tables in shared/data/mlperf_tiny_models.md (computed there from the Keras definitions).
#include "common/ConfigPaths.h"
#include "workloads/NetworkSource.h"
#include "workloads/graph/MemoryPlanner.h"

#include <gtest/gtest.h>

#include <map>

namespace edgesim::workloads {
namespace {

struct Expected {
    const char* name;
    int64_t macs;
    int64_t params;
    int64_t computeLayers;  // conv + depthwise + dense rows of the table
};

// Totals of shared/data/mlperf_tiny_models.md.
const Expected kModels[] = {
    {"kws", 2'656'768, 22'604, 10},
    {"vww", 7'489'664, 210'850, 28},
    {"ic", 12'501'632, 77'706, 10},
    {"ad", 264'192, 265'864, 10},
};

class MlperfTiny : public ::testing::TestWithParam<Expected> {
protected:
    ConfigPaths paths_{EDGESIM_SOURCE_DIR "/configs"};
};

int64_t computeLayers(const Network& net) {
    int64_t n = 0;
    for (Network::LayerId v = 0; v < net.size(); ++v) {
        n += isCompute(net.layer(v).op) ? 1 : 0;
    }
    return n;
}

TEST_P(MlperfTiny, BuiltInMatchesReferenceTable) {
    const auto& e = GetParam();
    auto ln = loadNetwork(std::string("mlperf_tiny/") + e.name, paths_);
    const auto t = ln.network.totals();
    EXPECT_EQ(t.macs, e.macs);
    EXPECT_EQ(t.params, e.params);
    EXPECT_EQ(computeLayers(ln.network), e.computeLayers);
    EXPECT_EQ(ln.format, "textproto");
    EXPECT_EQ(ln.sha256.size(), 64U);
}

TEST_P(MlperfTiny, OnnxExportImportsWithSameMacsAndParams) {
    const auto& e = GetParam();
    auto builtin = loadNetwork(std::string("mlperf_tiny/") + e.name, paths_);
    auto onnx = loadNetwork(std::string(EDGESIM_TEST_DIR "/data/onnx/mlperf_tiny/") + e.name +
                                ".onnx",
                            paths_);
    EXPECT_EQ(onnx.format, "onnx");
    EXPECT_EQ(onnx.network.totals().macs, e.macs);
    EXPECT_EQ(onnx.network.totals().params, e.params);
    EXPECT_EQ(computeLayers(onnx.network), e.computeLayers);
    // Float export: same element counts as the int8 built-in, four bytes each.
    EXPECT_EQ(onnx.network.totals().weightBytes, 4 * e.params);
    // Batch norms folded: none left after import.
    for (Network::LayerId v = 0; v < onnx.network.size(); ++v) {
        EXPECT_NE(onnx.network.layer(v).op, OpKind::BatchNorm) << onnx.network.layer(v).name;
    }
    // Same output tensor.
    const auto outB = builtin.network.graphOutputs();
    const auto outO = onnx.network.graphOutputs();
    ASSERT_EQ(outB.size(), 1U);
    ASSERT_EQ(outO.size(), 1U);
    EXPECT_EQ(builtin.network.layer(outB[0]).output.shape,
              onnx.network.layer(outO[0]).output.shape);
}

INSTANTIATE_TEST_SUITE_P(Models, MlperfTiny, ::testing::ValuesIn(kModels),
                         [](const auto& param) { return std::string(param.param.name); });

// Per-layer MACs and params of KWS (table rows 1-11).
TEST(MlperfTinyLayers, KwsPerLayer) {
    ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
    auto ln = loadNetwork("mlperf_tiny/kws", paths);
    const std::map<std::string, std::pair<int64_t, int64_t>> rows{
        {"conv1", {2'624, 320'000}}, {"dw1", {640, 72'000}}, {"pw1", {4'160, 512'000}},
        {"dw4", {640, 72'000}},      {"pw4", {4'160, 512'000}}, {"fc", {780, 768}},
    };
    for (const auto& [name, pm] : rows) {
        auto id = ln.network.find(name);
        ASSERT_TRUE(id) << name;
        EXPECT_EQ(ln.network.layer(*id).stats.params, pm.first) << name;
        EXPECT_EQ(ln.network.layer(*id).stats.macs, pm.second) << name;
    }
    EXPECT_EQ(ln.network.layer(*ln.network.find("conv1")).output.shape, (Shape{25, 5, 64}));
    EXPECT_EQ(ln.network.layer(*ln.network.find("avgpool")).output.shape, (Shape{1, 1, 64}));
}

// Per-layer figures of ResNet-8, including the strided shortcuts.
TEST(MlperfTinyLayers, IcPerLayer) {
    ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
    auto ln = loadNetwork("mlperf_tiny/ic", paths);
    const std::map<std::string, std::pair<int64_t, int64_t>> rows{
        {"conv1", {448, 442'368}},          {"s1_conv_a", {2'320, 2'359'296}},
        {"s2_conv_a", {4'640, 1'179'648}},  {"s2_shortcut", {544, 131'072}},
        {"s3_conv_b", {36'928, 2'359'296}}, {"s3_shortcut", {2'112, 131'072}},
        {"fc", {650, 640}},
    };
    for (const auto& [name, pm] : rows) {
        auto id = ln.network.find(name);
        ASSERT_TRUE(id) << name;
        EXPECT_EQ(ln.network.layer(*id).stats.params, pm.first) << name;
        EXPECT_EQ(ln.network.layer(*id).stats.macs, pm.second) << name;
    }
    // int8 weights, int32 biases: weight bytes = weights + 4 x biases.
    const Layer& conv1 = ln.network.layer(*ln.network.find("conv1"));
    EXPECT_EQ(conv1.stats.weightBytesByDtype[static_cast<std::size_t>(DType::Int8)], 432);
    EXPECT_EQ(conv1.stats.weightBytesByDtype[static_cast<std::size_t>(DType::Int32)], 64);
}

// The int8 ONNX forms (QDQ and QLinear) import as int8 layers with int8 weights.
TEST(MlperfTinyQuantized, QdqAndQlinearImportAsInt8) {
    ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
    for (const char* file : {"ic_qdq.onnx", "ad_qlinear.onnx"}) {
        auto ln = loadNetwork(std::string(EDGESIM_TEST_DIR "/data/onnx/mlperf_tiny/") + file,
                              paths);
        const bool ic = std::string(file) == "ic_qdq.onnx";
        EXPECT_EQ(ln.network.totals().macs, ic ? 12'501'632 : 264'192) << file;
        EXPECT_EQ(ln.network.totals().params, ic ? 77'706 : 265'864) << file;
        for (Network::LayerId v = 0; v < ln.network.size(); ++v) {
            const Layer& l = ln.network.layer(v);
            if (isCompute(l.op)) {
                EXPECT_EQ(l.weightDtype, DType::Int8) << file << " " << l.name;
                EXPECT_EQ(l.outputDtype, DType::Int8) << file << " " << l.name;
            }
        }
    }
}

} // namespace
} // namespace edgesim::workloads
