// Network text format: valid specs build the expected graph; every bad spec is reported with
// file, line and field path.
#include "workloads/spec/NetworkSpecLoader.h"
#include "common/Diagnostics.h"

#include <gtest/gtest.h>

namespace edgesim::workloads {
namespace {

std::vector<Diagnostic> problems(const std::string& text) {
    try {
        parseNetworkText(text, "net.textproto");
    } catch (const InputError& e) {
        return e.diagnostics();
    }
    return {};
}

bool mentions(const std::vector<Diagnostic>& ds, const std::string& field,
              const std::string& reasonPart, int line = 0) {
    for (const auto& d : ds) {
        if (d.file == "net.textproto" && d.field == field &&
            d.reason.find(reasonPart) != std::string::npos && (line == 0 || d.line == line)) {
            return true;
        }
    }
    return false;
}

std::string dump(const std::vector<Diagnostic>& ds) {
    std::string s;
    for (const auto& d : ds) {
        s += d.format() + "\n";
    }
    return s;
}

TEST(NetworkSpecLoader, BuildsTcnWithSeparateBatchNormAndRelu) {
    const char* text = R"(
name: "tcn"
activation_dtype: INT16
inputs { name: "x" shape: [128, 8] }
layers { name: "t1" temporal_conv { out_channels: 16 no_bias: true
         window { kernel: [3] dilation: [2] padding: CAUSAL } } }
layers { name: "bn1" batch_norm {} }
layers { name: "r1" relu {} }
layers { name: "gap" global_avg_pool {} }
layers { name: "fc" dense { units: 4 } }
layers { name: "q" dequantize {} }
)";
    const Network net = parseNetworkText(text, "tcn.textproto");
    ASSERT_EQ(net.size(), 5U); // x, t1 (+bn, +relu), gap, fc, q
    const Layer& t1 = net.layer(1);
    EXPECT_EQ(t1.op, OpKind::TemporalConv);
    EXPECT_TRUE(t1.hasBias);
    EXPECT_EQ(t1.activation.kind, ActivationKind::Relu);
    EXPECT_EQ(t1.output.shape, (Shape{128, 16}));
    EXPECT_EQ(t1.output.dtype, DType::Int16);
    EXPECT_EQ(t1.stats.macs, 128 * 16 * 3 * 8);
    EXPECT_EQ(t1.stats.params, 16 * 3 * 8 + 16);
    EXPECT_EQ(net.layer(4).output.dtype, DType::Fp32);
    EXPECT_EQ(net.layer(4).output.shape, (Shape{1, 4}));
}

TEST(NetworkSpecLoader, ReportsSyntaxAndUnknownFieldsWithLine) {
    auto ds = problems("name: \"n\"\ninputs { name: \"x\" shape: [4] }\nlayers { nmae: \"a\" }\n");
    ASSERT_EQ(ds.size(), 1U) << dump(ds);
    EXPECT_EQ(ds[0].line, 3);
    EXPECT_GT(ds[0].column, 0);
    EXPECT_NE(ds[0].reason.find("nmae"), std::string::npos);

    ds = problems("name: \"n\"\ninputs { name: \"x\" shape: [four] }\n");
    ASSERT_EQ(ds.size(), 1U);
    EXPECT_EQ(ds[0].line, 2);
}

TEST(NetworkSpecLoader, CollectsEverySemanticProblem) {
    const char* text = R"(inputs { name: "x" shape: [8, 8, 3] }
layers { name: "a" conv2d { window { kernel: [3, 3] } } }
layers { name: "a" relu {} }
layers { name: "b" inputs: "nope" dense { units: 4 } }
layers { name: "c" }
layers { name: "d" clip {} }
layers { name: "e" inputs: "x" avg_pool { } }
outputs: "zzz"
)";
    auto ds = problems(text);
    EXPECT_TRUE(mentions(ds, "name", "missing required field")) << dump(ds);
    EXPECT_TRUE(mentions(ds, "layers[0].conv2d.out_channels", "missing required field", 2))
        << dump(ds);
    EXPECT_TRUE(mentions(ds, "layers[1].name", "duplicate name 'a'", 3)) << dump(ds);
    EXPECT_TRUE(mentions(ds, "layers[2].inputs[0]", "unknown tensor 'nope'", 4)) << dump(ds);
    EXPECT_TRUE(mentions(ds, "layers[3]", "no operator given", 5)) << dump(ds);
    EXPECT_TRUE(mentions(ds, "layers[4].clip_range", "CLIP needs clip_range", 6)) << dump(ds);
    EXPECT_TRUE(mentions(ds, "layers[5].avg_pool.window", "missing required field", 7)) << dump(ds);
    EXPECT_TRUE(mentions(ds, "outputs[0]", "unknown layer 'zzz'", 8)) << dump(ds);
}

TEST(NetworkSpecLoader, SubByteActivationsArePackedAndTernaryIsAWeightTypeOnly) {
    const Network net = parseNetworkText(R"(name: "n"
inputs { name: "x" shape: [4, 4, 8] }
layers { name: "a" conv2d { out_channels: 6 window { kernel: [1, 1] } } output_dtype: INT4 }
layers { name: "b" conv2d { out_channels: 6 window { kernel: [1, 1] } } output_dtype: INT2 }
layers { name: "f" flatten {} }
layers { name: "g" inputs: "b" max_pool { window { kernel: [2, 2] } } output_dtype: INT8 }
)",
                                         "net.textproto");
    const Layer& a = net.layer(*net.find("a"));
    EXPECT_EQ(a.output.dtype, DType::Int4);
    EXPECT_EQ(a.stats.outputBytes, 16 * 6 / 2);
    EXPECT_EQ(net.layer(*net.find("b")).stats.inputBytes, 16 * 6 / 2);
    EXPECT_EQ(net.layer(*net.find("b")).stats.outputBytes, 16 * 6 / 4);
    // Ops without weights keep the sub-byte type they read unless told otherwise.
    EXPECT_EQ(net.layer(*net.find("f")).output.dtype, DType::Int2);
    EXPECT_EQ(net.layer(*net.find("g")).output.dtype, DType::Int8);
    const auto ds = problems(R"(name: "n"
activation_dtype: TERNARY
inputs { name: "x" shape: [4, 4, 8] }
layers { name: "a" conv2d { out_channels: 6 window { kernel: [1, 1] } } output_dtype: TERNARY }
)");
    EXPECT_TRUE(mentions(ds, "activation_dtype", "ternary is a weight type only", 2)) << dump(ds);
    EXPECT_TRUE(mentions(ds, "layers[0].output_dtype", "ternary is a weight type only", 4))
        << dump(ds);
}

TEST(NetworkSpecLoader, ShapeProblemsNameLayerAndLine) {
    const char* text = R"(name: "n"
inputs { name: "x" shape: [8, 8, 3] }
layers { name: "ok" conv2d { out_channels: 6 window { kernel: [3, 3] } } }
layers { name: "bad" conv2d { out_channels: 8 groups: 4 window { kernel: [3, 3] } } }
)";
    auto ds = problems(text);
    ASSERT_EQ(ds.size(), 1U) << dump(ds);
    EXPECT_EQ(ds[0].field, "layers[1] 'bad'");
    EXPECT_EQ(ds[0].line, 4);
    EXPECT_NE(ds[0].reason.find("groups 4 must divide input channels 6"), std::string::npos);
}

TEST(NetworkSpecLoader, MissingFileIsAnInputError) {
    try {
        loadNetworkFile("/nonexistent/net.textproto");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_EQ(e.diagnostics()[0].file, "/nonexistent/net.textproto");
        EXPECT_NE(e.diagnostics()[0].reason.find("cannot open"), std::string::npos);
    }
}

} // namespace
} // namespace edgesim::workloads
