// The ONNX corpus (tests/data/onnx/corpus, exported by scripts/make_onnx_corpus.py from
// torchvision, torch.ao and hand-written PyTorch modules): every model imports with the MACs
// and parameters PyTorch's forward hooks count, and the exporter patterns come out as the
// layers a deployment would run. Weights are kept in external files that are not committed:
// the importer must not need them. Small hand-built models pin ceil_mode and external data.
#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "workloads/onnx/OnnxImporter.h"

#include "onnx/onnx.pb.h"
#include "tests/util/TestUtil.h"
#include "tests/workloads/OnnxExpect.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace edgesim::workloads {
namespace {

const std::string kDir = EDGESIM_TEST_DIR "/data/onnx/corpus/";

Network import(const std::string& name) {
    return importOnnx(readFile(kDir + name), kDir + name);
}

TEST(OnnxCorpus, EveryModelMatchesForwardHookCounts) {
    expectEveryModelMatches(kDir, 10);
}

TEST(OnnxCorpus, SqueezeExciteAndHardSwishOfMobileNetV3) {
    const Network net = import("mobilenet_v3_small.onnx");
    EXPECT_GE(layersOf(net, OpKind::HardSwish).size(), 10U);
    const auto muls = layersOf(net, OpKind::Mul);
    ASSERT_FALSE(muls.empty());
    for (const Layer* m : muls) { // x * scale: the scale broadcasts over the spatial dims
        ASSERT_EQ(m->inputShapes.size(), 2U);
        EXPECT_EQ(m->inputShapes[1].front(), 1);
        EXPECT_EQ(m->inputShapes[1].back(), m->inputShapes[0].back());
    }
}

TEST(OnnxCorpus, ChannelShuffleAndChunkOfShuffleNet) {
    const Network net = import("shufflenet_v2_x0_5.onnx");
    // One shuffle per block (4 + 8 + 4 blocks), a copy each; blocks after the first of a
    // stage split their input in two channel halves.
    EXPECT_EQ(layersOf(net, OpKind::Transpose).size(), 16U);
    const auto slices = layersOf(net, OpKind::Slice);
    EXPECT_EQ(slices.size(), 2U * 13U);
    for (const Layer* s : slices) {
        EXPECT_EQ(s->output.shape.back() * 2, s->inputShapes[0].back());
    }
    EXPECT_FALSE(layersOf(net, OpKind::GlobalAvgPool).empty()); // x.mean([2, 3])
}

TEST(OnnxCorpus, SiluUpsamplingAndArithmeticOfTinyUnet) {
    const Network net = import("tiny_unet.onnx");
    EXPECT_EQ(layersOf(net, OpKind::Swish).size(), 1U);     // x * sigmoid(x)
    EXPECT_EQ(layersOf(net, OpKind::HardSwish).size(), 1U); // opset 11: HardSigmoid + Mul
    EXPECT_EQ(layersOf(net, OpKind::Sigmoid).size(), 1U);   // a gate on another tensor
    EXPECT_EQ(layersOf(net, OpKind::Sub).size(), 1U);
    const auto resize = layersOf(net, OpKind::Resize);
    ASSERT_EQ(resize.size(), 1U);
    EXPECT_EQ(resize[0]->output.shape, (Shape{32, 32, 32}));
    EXPECT_TRUE(layersOf(net, OpKind::Pad).empty()); // F.pad before a conv is its padding
}

TEST(OnnxCorpus, NhwcInputIsReadInPlace) {
    const Network net = import("nhwc_tf2onnx_style.onnx");
    const auto inputs = net.graphInputs();
    ASSERT_EQ(inputs.size(), 1U);
    EXPECT_EQ(net.layer(inputs[0]).output.shape, (Shape{16, 16, 3}));
    EXPECT_EQ(layersOf(net, OpKind::Transpose).size(), 1U); // only the one before flatten
    // ReLU then Clip(0, 6), as torch writes ReLU6, is one fused clamp.
    for (const Layer* c : layersOf(net, OpKind::Conv2d)) {
        EXPECT_EQ(c->activation.kind, ActivationKind::Relu6) << c->name;
    }
}

TEST(OnnxCorpus, TorchAoInt8ModelRunsInInt8) {
    const Network net = import("quantized_qnnpack.onnx");
    const auto convs = layersOf(net, OpKind::Conv2d);
    ASSERT_EQ(convs.size(), 2U);
    for (const Layer* c : convs) {
        EXPECT_EQ(c->weightDtype, DType::Int8);
        EXPECT_EQ(c->output.dtype, DType::Int8); // the uint8 Cast after each Q is free
    }
    EXPECT_EQ(layersOf(net, OpKind::Quantize).size(), 1U); // at the float input
}

// ---- hand-built models -------------------------------------------------------------------

onnx::ValueInfoProto tensorInfo(const std::string& name, const std::vector<int64_t>& dims) {
    onnx::ValueInfoProto v;
    v.set_name(name);
    auto* tt = v.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) {
        tt->mutable_shape()->add_dim()->set_dim_value(d);
    }
    return v;
}

onnx::ModelProto model(const std::vector<int64_t>& input) {
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.add_opset_import()->set_version(13);
    *m.mutable_graph()->add_input() = tensorInfo("x", input);
    *m.mutable_graph()->add_output() = tensorInfo("y", {});
    return m;
}

onnx::NodeProto& node(onnx::ModelProto& m, const std::string& op,
                      const std::vector<std::string>& in, const std::string& out) {
    auto* n = m.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(op);
    for (const auto& i : in) {
        n->add_input(i);
    }
    n->add_output(out);
    return *n;
}

void intsAttr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) {
        a->add_ints(x);
    }
}

void intAttr(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}

Network importModel(const onnx::ModelProto& m, const std::string& file = "model.onnx") {
    return importOnnx(m.SerializeAsString(), file);
}

TEST(OnnxImport, CeilModePoolingRoundsUpLikePyTorch) {
    // PyTorch: out = ceil((in + 2p - k) / s) + 1, minus one when the last window would start
    // in the right padding (the cases were checked with torch.nn.MaxPool2d(ceil_mode=True)).
    // 8 with k3 s2: 4 (floor: 3); 7 with k2 s2 p1: 4, not 5 (the last window would start in
    // the padding).
    struct Case {
        int64_t in, k, s, p, out;
    };
    for (const Case c :
         {Case{8, 3, 2, 0, 4}, Case{7, 2, 2, 1, 4}, Case{9, 3, 3, 0, 3}, Case{6, 3, 2, 1, 4}}) {
        SCOPED_TRACE(c.in);
        onnx::ModelProto m = model({1, 4, c.in, c.in});
        auto& pool = node(m, "MaxPool", {"x"}, "y");
        intsAttr(pool, "kernel_shape", {c.k, c.k});
        intsAttr(pool, "strides", {c.s, c.s});
        intsAttr(pool, "pads", {c.p, c.p, c.p, c.p});
        intAttr(pool, "ceil_mode", 1);
        const Network net = importModel(m);
        const auto out = net.graphOutputs();
        ASSERT_EQ(out.size(), 1U);
        EXPECT_EQ(net.layer(out[0]).output.shape, (Shape{c.out, c.out, 4}));
    }
}

/// A Reshape whose target shape is an initializer kept as external data in `location`.
onnx::ModelProto reshapeWithExternalShape(const std::string& location) {
    onnx::ModelProto m = model({1, 4, 2, 2});
    auto* shape = m.mutable_graph()->add_initializer();
    shape->set_name("shape");
    shape->set_data_type(onnx::TensorProto::INT64);
    shape->add_dims(2);
    shape->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* kv = shape->add_external_data();
    kv->set_key("location");
    kv->set_value(location);
    node(m, "Reshape", {"x", "shape"}, "y");
    return m;
}

TEST(OnnxImport, ExternalDataIsReadOnlyWhereValuesAreNeeded) {
    const test::TempDir dir("edgesim-onnx");
    const std::string file = dir.file("model.onnx");
    const int64_t target[2] = {1, 16};
    std::ofstream(dir.file("shape.bin"), std::ios::binary)
        .write(reinterpret_cast<const char*>(target), sizeof target);
    const Network net = importModel(reshapeWithExternalShape("shape.bin"), file);
    EXPECT_EQ(net.layer(net.graphOutputs().at(0)).output.shape, (Shape{16}));

    const auto missing =
        test::expectInputError([&] { importModel(reshapeWithExternalShape("absent.bin"), file); });
    ASSERT_FALSE(missing.diagnostics().empty());
    EXPECT_NE(missing.diagnostics()[0].reason.find("absent.bin"), std::string::npos);
    EXPECT_NE(missing.diagnostics()[0].reason.find("cannot be read"), std::string::npos);
    const auto escaping = test::expectInputError(
        [&] { importModel(reshapeWithExternalShape("../shape.bin"), file); });
    ASSERT_FALSE(escaping.diagnostics().empty());
    EXPECT_NE(escaping.diagnostics()[0].reason.find("relative to the model's folder"),
              std::string::npos);
}

TEST(OnnxImport, UnsupportedPatternsAreNamedNotCrashed) {
    { // dividing by a computed tensor
        onnx::ModelProto m = model({1, 4, 2, 2});
        node(m, "Relu", {"x"}, "r");
        node(m, "Div", {"x", "r"}, "y");
        const auto e = test::expectInputError([&] { importModel(m); });
        ASSERT_FALSE(e.diagnostics().empty());
        EXPECT_NE(e.diagnostics()[0].field.find("(Div)"), std::string::npos);
        EXPECT_NE(e.diagnostics()[0].reason.find("two computed tensors"), std::string::npos);
    }
    { // a reduction over the channels is not global pooling
        onnx::ModelProto m = model({1, 4, 2, 2});
        intsAttr(node(m, "ReduceMean", {"x"}, "y"), "axes", {1});
        const auto e = test::expectInputError([&] { importModel(m); });
        ASSERT_FALSE(e.diagnostics().empty());
        EXPECT_NE(e.diagnostics()[0].reason.find("all spatial axes"), std::string::npos);
    }
    { // bilinear resize
        onnx::ModelProto m = model({1, 4, 2, 2});
        auto& r = node(m, "Resize", {"x", "", "scales"}, "y");
        auto* a = r.add_attribute();
        a->set_name("mode");
        a->set_type(onnx::AttributeProto::STRING);
        a->set_s("linear");
        const auto e = test::expectInputError([&] { importModel(m); });
        ASSERT_FALSE(e.diagnostics().empty());
        EXPECT_NE(e.diagnostics()[0].reason.find("'linear'"), std::string::npos);
    }
}

} // namespace
} // namespace edgesim::workloads
