// ONNX import against the fixtures of tests/data/onnx (made by scripts/make_onnx_fixtures.py;
// expected.json holds totals computed independently from the model definitions).
#include "workloads/onnx/OnnxImporter.h"
#include "common/Diagnostics.h"
#include "common/TextProto.h"

#include "tests/workloads/OnnxExpect.h"

#include "onnx/onnx.pb.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>

namespace edgesim::workloads {
namespace {

const std::string kDir = EDGESIM_TEST_DIR "/data/onnx/";

Network import(const std::string& name) {
    return importOnnx(readFile(kDir + name), kDir + name);
}

TEST(OnnxImporter, EveryFixtureMatchesIndependentTotals) {
    expectEveryModelMatches(kDir, 13, [](const Network& net, const nlohmann::json& e) {
        EXPECT_EQ(static_cast<int64_t>(layersOf(net, OpKind::DepthwiseConv2d).size()),
                  e.at("depthwise_layers").get<int64_t>());
    });
}

TEST(OnnxImporter, GroupedAndDepthwiseConvolutions) {
    const Network net = import("grouped_conv.onnx");
    const auto convs = layersOf(net, OpKind::Conv2d);
    ASSERT_EQ(convs.size(), 1U);
    EXPECT_EQ(convs[0]->groups, 4);
    EXPECT_EQ(convs[0]->activation.kind, ActivationKind::Relu); // fused
    const auto dws = layersOf(net, OpKind::DepthwiseConv2d);
    ASSERT_EQ(dws.size(), 1U);
    EXPECT_EQ(dws[0]->activation.kind, ActivationKind::Relu6); // Clip(0, 6) fused
    EXPECT_EQ(dws[0]->output.shape, (Shape{4, 4, 16}));
}

TEST(OnnxImporter, OneDimensionalConvolutionsBecomeTemporal) {
    const Network net = import("tcn.onnx");
    const auto tcs = layersOf(net, OpKind::TemporalConv);
    ASSERT_EQ(tcs.size(), 3U);
    EXPECT_EQ(tcs[2]->window.dilation, (std::vector<int64_t>{4}));
    EXPECT_EQ(tcs[2]->window.padBegin, (std::vector<int64_t>{8}));
    EXPECT_EQ(tcs[2]->output.shape, (Shape{64, 32})); // conv3 of tests/data/onnx/README.md
    EXPECT_TRUE(layersOf(net, OpKind::Conv2d).empty());
}

TEST(OnnxImporter, TorchPadIsAbsorbedAsCausalPadding) {
    const Network padded = import("torch_tcn.onnx");
    const auto tcs = layersOf(padded, OpKind::TemporalConv);
    ASSERT_EQ(tcs.size(), 3U);
    EXPECT_EQ(tcs[1]->window.padBegin, (std::vector<int64_t>{4}));
    EXPECT_EQ(tcs[1]->window.padEnd, (std::vector<int64_t>{0}));
    EXPECT_EQ(tcs[1]->output.shape, (Shape{64, 16}));
}

TEST(OnnxImporter, QdqActivationsAndWeightsAreInt8) {
    const Network net = import("mlperf_tiny/ic_qdq.onnx");
    const auto convs = layersOf(net, OpKind::Conv2d);
    ASSERT_EQ(convs.size(), 9U);
    for (const Layer* l : convs) {
        EXPECT_EQ(l->weightDtype, DType::Int8) << l->name;
        EXPECT_EQ(l->biasDtype, DType::Int32) << l->name;
        EXPECT_EQ(l->output.dtype, DType::Int8) << l->name;
    }
    // Q at the input and DQ at the output remain as layers of their own.
    EXPECT_EQ(layersOf(net, OpKind::Quantize).size(), 1U);
    EXPECT_EQ(layersOf(net, OpKind::Dequantize).size(), 1U);
}

TEST(OnnxImporter, BadFilesNameTheNodeOpAndReason) {
    struct Case {
        const char* file;
        const char* part;
    };
    const Case cases[] = {
        {"unsupported_op.onnx", "'weird_node' (Einsum): unsupported operator 'Einsum'"},
        {"dangling_input.onnx", "'add_ghost' (Add): reads 'ghost_tensor'"},
        {"missing_weight.onnx", "'conv' (Conv): reads 'conv_weight_missing'"},
        {"truncated.onnx", "not a valid ONNX model"},
        {"random_bytes.onnx", "not a valid ONNX model"},
        {"empty.onnx", "empty file"},
    };
    for (const auto& c : cases) {
        try {
            import(c.file);
            ADD_FAILURE() << c.file << " imported";
        } catch (const InputError& e) {
            EXPECT_NE(e.formatAll().find(c.part), std::string::npos)
                << c.file << ": " << e.formatAll();
            EXPECT_NE(e.formatAll().find(c.file), std::string::npos);
        }
    }
}

std::string errorOf(const onnx::ModelProto& model) {
    try {
        importOnnx(model.SerializeAsString(), "edited.onnx");
    } catch (const InputError& e) {
        return e.formatAll();
    }
    return "(imported)";
}

// ONNX graphs assign each tensor once; a node repeated thousands of times (same name, same
// output) is bad input, found at once, not a quadratic search for a free layer name.
TEST(OnnxImporter, ATensorProducedTwiceIsBadInput) {
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(readFile(kDir + "torch_tinynet.onnx")));
    const onnx::NodeProto node = model.graph().node(1);
    for (int i = 0; i < 20000; ++i) {
        *model.mutable_graph()->add_node() = node;
    }
    const std::string err = errorOf(model);
    EXPECT_NE(err.find("edited.onnx: graph.node["), std::string::npos) << err;
    EXPECT_NE(err.find("is already produced"), std::string::npos) << err;
}

TEST(OnnxImporter, DimensionsWhoseSizesOverflowAreBadInput) {
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(readFile(kDir + "torch_tinynet.onnx")));
    auto* dims = model.mutable_graph()
                     ->mutable_input(0)
                     ->mutable_type()
                     ->mutable_tensor_type()
                     ->mutable_shape();
    ASSERT_GE(dims->dim_size(), 2);
    dims->mutable_dim(1)->set_dim_value(int64_t{1} << 62);
    const std::string err = errorOf(model);
    EXPECT_NE(err.find("sizes out of range"), std::string::npos) << err;
    EXPECT_NE(err.find("edited.onnx"), std::string::npos) << err;
}

// Reproducers of fuzz_onnx findings (tests/data/onnx/fuzz/README.md), read as if they were
// in tests/data/onnx (external data refers to files there).
TEST(OnnxImporter, FuzzFindingsAreBadInput) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"shufflenet_reshape_overflow.onnx", ""},
        {"reshape_shape_overflow.onnx", "more elements than a 64-bit count holds"},
        {"external_offset_max.onnx", "do not fit"},
        {"external_offset_min.onnx", "do not fit"},
        {"external_location_directory.onnx", "not a regular file"},
    };
    for (const auto& [name, reason] : cases) {
        const std::string bytes = readFile(kDir + "fuzz/" + name);
        try {
            importOnnx(bytes, kDir + name);
            ADD_FAILURE() << name << " imported";
        } catch (const InputError& e) {
            EXPECT_NE(e.formatAll().find(reason), std::string::npos)
                << name << ": " << e.formatAll();
        }
    }
}

// Corrupted models either import or fail with InputError: never crash, hang or throw
// anything else. (Run under the sanitizer build this also checks memory safety.)
TEST(OnnxImporter, CorruptedBytesNeverCrash) {
    const std::string good = readFile(kDir + "torch_tinynet.onnx");
    std::mt19937 rng(1234);
    int imported = 0;
    int rejected = 0;
    for (int trial = 0; trial < 300; ++trial) {
        std::string bytes = good;
        if (trial % 3 == 0) {
            bytes.resize(rng() % bytes.size());
        } else {
            for (int k = 0; k < 1 + trial % 8; ++k) {
                bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xFF);
            }
        }
        try {
            importOnnx(bytes, "fuzz.onnx");
            ++imported;
        } catch (const InputError&) {
            ++rejected;
        }
    }
    EXPECT_EQ(imported + rejected, 300);
    EXPECT_GT(rejected, 0);
}

} // namespace
} // namespace edgesim::workloads
