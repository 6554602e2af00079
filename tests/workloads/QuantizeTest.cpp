// --quantize: post-training quantisation of float networks as deployment tool chains apply it,
// weights-only quantisation, per-layer precision files, and their errors.
#include "workloads/graph/Quantize.h"

#include "common/TextProto.h"
#include "workloads/NetworkSource.h"
#include "workloads/onnx/OnnxImporter.h"

#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>

namespace edgesim::workloads {
namespace {

const std::string kCorpus = EDGESIM_TEST_DIR "/data/onnx/corpus/";

Network importCorpus(const std::string& name) {
    return importOnnx(readFile(kCorpus + name), kCorpus + name);
}

QuantizePlan plan(const std::string& value) {
    return loadQuantizePlan(value, "<command line>", "--quantize");
}

int64_t countOf(const Network& net, OpKind op) {
    int64_t n = 0;
    for (auto v : net.executionOrder()) {
        n += net.layer(v).op == op ? 1 : 0;
    }
    return n;
}

TEST(Quantize, Int8QuantisesEveryLayerAndConvertsAtTheBoundary) {
    const Network f = importCorpus("cnn1d.onnx");
    const Network q = quantize(f, plan("int8"));
    EXPECT_EQ(q.totals().macs, f.totals().macs);
    EXPECT_EQ(q.totals().params, f.totals().params);
    int64_t weights = 0;
    int64_t biases = 0;
    for (auto v : q.executionOrder()) {
        const Layer& l = q.layer(v);
        if (l.op == OpKind::Input) {
            EXPECT_EQ(l.output.dtype, DType::Fp32); // the sensor data stays float
            const auto readers = q.consumersOf(v);
            ASSERT_EQ(readers.size(), 1U);
            EXPECT_EQ(q.layer(readers[0]).op, OpKind::Quantize);
        } else if (q.isGraphOutput(v)) {
            EXPECT_EQ(l.op, OpKind::Dequantize);
            EXPECT_EQ(l.output.dtype, DType::Fp32);
        } else {
            EXPECT_EQ(l.output.dtype, DType::Int8) << l.name;
        }
        if (isCompute(l.op)) {
            EXPECT_EQ(l.weightDtype, DType::Int8);
            EXPECT_EQ(l.biasDtype, DType::Int32);
            const int64_t b = l.hasBias ? l.output.shape.back() : 0;
            weights += l.stats.params - b;
            biases += b;
        }
    }
    EXPECT_EQ(q.totals().weightBytes, weights + 4 * biases);
    EXPECT_EQ(countOf(q, OpKind::Quantize), 1);
    EXPECT_EQ(countOf(q, OpKind::Dequantize), 1);
}

TEST(Quantize, Int8LeavesAnInt8NetworkAsItIs) {
    const ConfigPaths paths(EDGESIM_SOURCE_DIR "/configs");
    const Network kws = loadNetwork("mlperf_tiny/kws", paths).network;
    const Network q = quantize(kws, plan("int8"));
    EXPECT_EQ(q.size(), kws.size());
    EXPECT_EQ(q.totals().weightBytes, kws.totals().weightBytes);
    EXPECT_EQ(q.totals().macs, kws.totals().macs);
}

TEST(Quantize, WeightsOnlyKeepsFloatActivations) {
    const Network f = importCorpus("cnn1d.onnx");
    const Network q = quantize(f, plan("int8-weights-only"));
    EXPECT_EQ(countOf(q, OpKind::Quantize) + countOf(q, OpKind::Dequantize), 0);
    for (auto v : q.executionOrder()) {
        const Layer& l = q.layer(v);
        EXPECT_EQ(l.output.dtype, DType::Fp32) << l.name;
        if (isCompute(l.op)) {
            EXPECT_EQ(l.weightDtype, DType::Int8);
            EXPECT_EQ(l.biasDtype, DType::Fp32);
        }
    }
    EXPECT_LT(q.totals().weightBytes, f.totals().weightBytes / 3);
}

TEST(Quantize, NoneAndAnEmptyValueCostTheNetworkAsStored) {
    EXPECT_TRUE(plan("none").asStored());
    EXPECT_TRUE(plan("").asStored());
    const Network f = importCorpus("cnn1d.onnx");
    EXPECT_EQ(quantize(f, plan("none")).totals().weightBytes, f.totals().weightBytes);
}

TEST(Quantize, PrecisionFileOverridesLayersAndInsertsConversions) {
    const test::TempDir dir("edgesim-precision");
    const auto file = dir.write("mixed.textproto", R"(base: "int8"
layers { layer: "/c3/*" activations: "int16" weights: "int16" }
layers { layer: "/fc/Gemm" activations: "fp32" weights: "fp32" }
)");
    const QuantizePlan p = plan(file.string());
    EXPECT_EQ(p.rules.size(), 2U);
    EXPECT_EQ(p.sha256.size(), 64U);
    const Network q = quantize(importCorpus("cnn1d.onnx"), p);
    const Layer& c3 = q.layer(*q.find("/c3/Conv"));
    EXPECT_EQ(c3.output.dtype, DType::Int16);
    EXPECT_EQ(c3.weightDtype, DType::Int16);
    const auto fc = *q.find("/fc/Gemm");
    EXPECT_EQ(q.layer(fc).output.dtype, DType::Fp32);
    EXPECT_EQ(q.layer(fc).biasDtype, DType::Fp32);
    // int8 -> float between the pooling and the float dense layer: one dequantize, and the
    // float output needs none.
    const auto in = q.inputsOf(fc);
    ASSERT_EQ(in.size(), 1U);
    EXPECT_EQ(q.layer(in[0]).op, OpKind::Dequantize);
    EXPECT_EQ(countOf(q, OpKind::Dequantize), 1);
}

TEST(Quantize, BadPlansNameTheFieldLineAndReason) {
    const test::TempDir dir("edgesim-precision");
    const auto bogus = test::expectInputError([] { plan("int3"); });
    ASSERT_EQ(bogus.diagnostics().size(), 1U);
    EXPECT_EQ(bogus.diagnostics()[0].field, "--quantize");
    EXPECT_NE(bogus.diagnostics()[0].reason.find("int8-weights-only"), std::string::npos);

    const auto bad = dir.write("bad.textproto", R"(base: "int7"
layers { layer: "/c1/Conv" weights: "int5" }
layers { weights: "int8" }
)");
    const auto e = test::expectInputError([&] { plan(bad.string()); });
    EXPECT_EQ(test::only(e, "base").line, 1);
    EXPECT_EQ(test::only(e, "layers[0].weights").line, 2);
    EXPECT_NE(test::only(e, "layers[0].weights").reason.find("'int5'"), std::string::npos);
    EXPECT_EQ(test::only(e, "layers[1].layer").line, 3);

    const auto unused = dir.write("unused.textproto", R"(layers { layer: "/nope*" weights: "int8" }
)");
    const auto u = test::expectInputError(
        [&] { quantize(importCorpus("cnn1d.onnx"), plan(unused.string())); });
    const Diagnostic d = test::only(u, "layers[0].layer");
    EXPECT_EQ(d.file, unused.string());
    EXPECT_EQ(d.line, 1);
    EXPECT_NE(d.reason.find("matches no layer"), std::string::npos);
}

} // namespace
} // namespace edgesim::workloads
