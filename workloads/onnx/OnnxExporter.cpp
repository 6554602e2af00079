#include "workloads/onnx/OnnxExporter.h"

#include "common/Version.h"
#include "workloads/graph/ShapeInference.h"

#include "onnx/onnx.pb.h"

#include <fmt/format.h>

#include <map>
#include <random>
#include <stdexcept>

namespace edgesim::workloads {

namespace {

/// The operator set written (Clip takes its bounds as inputs from 11, Softmax's axis is the
/// last from 13).
constexpr int64_t kOpset = 13;
/// ONNX IR version of opset 13 (onnx/docs/Versioning.md).
constexpr int64_t kIrVersion = 7;

class Writer {
public:
    Writer(const Network& net, uint64_t seed) : net_(net), rng_(seed) {
        model_.set_ir_version(kIrVersion);
        model_.set_producer_name("edgesim");
        model_.set_producer_version(versionString());
        model_.add_opset_import()->set_version(kOpset);
        graph_ = model_.mutable_graph();
        graph_->set_name(net.name().empty() ? "network" : net.name());
    }

    std::string write() {
        std::string last;
        for (auto id : net_.executionOrder()) {
            last = layer(id);
        }
        auto* out = graph_->add_output();
        out->set_name(last);
        setType(*out, shapeOf(net_.layer(*net_.find(last)).output.shape));
        std::string bytes;
        model_.SerializeToString(&bytes);
        return bytes;
    }

private:
    /// [1, C, spatial...] of a per-sample channels-last shape.
    static std::vector<int64_t> shapeOf(const Shape& s) {
        std::vector<int64_t> o{1, s.back()};
        o.insert(o.end(), s.begin(), s.end() - 1);
        return o;
    }
    static void setType(onnx::ValueInfoProto& v, const std::vector<int64_t>& shape) {
        auto* t = v.mutable_type()->mutable_tensor_type();
        t->set_elem_type(onnx::TensorProto::FLOAT);
        for (int64_t d : shape) {
            t->mutable_shape()->add_dim()->set_dim_value(d);
        }
    }
    /// A float initializer of `dims` with random values (He-like scale).
    std::string weights(const std::string& name, const std::vector<int64_t>& dims, int64_t fanIn) {
        auto* t = graph_->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        int64_t n = 1;
        for (int64_t d : dims) {
            t->add_dims(d);
            n *= d;
        }
        std::normal_distribution<float> dist(
            0.0F, 1.0F / static_cast<float>(std::max<int64_t>(fanIn, 1)));
        for (int64_t i = 0; i < n; ++i) {
            t->add_float_data(dist(rng_));
        }
        return name;
    }
    static void ints(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t x : v) {
            a->add_ints(x);
        }
    }
    static void integer(onnx::NodeProto& n, const std::string& name, int64_t v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    onnx::NodeProto& node(const std::string& op, const std::string& name,
                          const std::vector<std::string>& inputs, const std::string& output) {
        auto* n = graph_->add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (const auto& i : inputs) {
            n->add_input(i);
        }
        n->add_output(output);
        return *n;
    }
    /// ONNX pads (all begins, then all ends) of a window over `in`.
    static std::vector<int64_t> pads(const Layer& l, const Shape& in) {
        const auto& w = l.window;
        const std::size_t dims = w.kernel.size();
        std::vector<int64_t> begin(dims), end(dims);
        const bool ex = w.padding == Padding::Explicit;
        for (std::size_t d = 0; d < dims; ++d) {
            windowOutputLength(in[in.size() - 1 - dims + d], w.kernel[d], w.stride[d],
                               w.dilation[d], w.padding, ex ? w.padBegin[d] : 0,
                               ex ? w.padEnd[d] : 0, &begin[d], &end[d]);
        }
        begin.insert(begin.end(), end.begin(), end.end());
        return begin;
    }
    /// The fused activation after tensor `x` of layer `l`; the name of the result.
    std::string activation(const Layer& l, const std::string& x) {
        const auto& a = l.activation;
        if (a.kind == ActivationKind::None) {
            return x;
        }
        if (a.kind == ActivationKind::Relu) {
            node("Relu", l.name + "/relu", {x}, l.name);
            return l.name;
        }
        const float lo = a.kind == ActivationKind::Relu6 ? 0.0F : a.clipMin;
        const float hi = a.kind == ActivationKind::Relu6 ? 6.0F : a.clipMax;
        for (const auto& [suffix, v] : {std::pair<std::string, float>{"/min", lo}, {"/max", hi}}) {
            auto* t = graph_->add_initializer();
            t->set_name(l.name + suffix);
            t->set_data_type(onnx::TensorProto::FLOAT);
            t->add_float_data(v);
        }
        node("Clip", l.name + "/clip", {x, l.name + "/min", l.name + "/max"}, l.name);
        return l.name;
    }

    std::string layer(Network::LayerId id) {
        const Layer& l = net_.layer(id);
        std::vector<std::string> in;
        for (auto p : net_.inputsOf(id)) {
            in.push_back(net_.layer(p).name);
        }
        const bool act = l.activation.kind != ActivationKind::None;
        const std::string out = act ? l.name + "/pre" : l.name;
        const Shape inShape = l.inputShapes.empty() ? Shape{} : l.inputShapes[0];
        switch (l.op) {
        case OpKind::Input: {
            auto* v = graph_->add_input();
            v->set_name(l.name);
            setType(*v, shapeOf(l.output.shape));
            return l.name;
        }
        case OpKind::Conv2d:
        case OpKind::DepthwiseConv2d:
        case OpKind::TemporalConv: {
            const int64_t cin = inShape.back();
            const int64_t cout = l.output.shape.back();
            const int64_t groups = l.op == OpKind::DepthwiseConv2d ? cin : l.groups;
            std::vector<int64_t> w = {cout, cin / groups};
            w.insert(w.end(), l.window.kernel.begin(), l.window.kernel.end());
            int64_t fanIn = cin / groups;
            for (int64_t k : l.window.kernel) {
                fanIn *= k;
            }
            std::vector<std::string> inputs = {in.at(0), weights(l.name + "/W", w, fanIn)};
            if (l.hasBias) {
                inputs.push_back(weights(l.name + "/B", {cout}, fanIn));
            }
            auto& n = node("Conv", l.name, inputs, out);
            ints(n, "kernel_shape", l.window.kernel);
            ints(n, "strides", l.window.stride);
            ints(n, "dilations", l.window.dilation);
            ints(n, "pads", pads(l, inShape));
            integer(n, "group", groups);
            break;
        }
        case OpKind::Dense: {
            if (inShape.size() != 1) {
                throw std::invalid_argument(
                    "layer '" + l.name + "': a dense layer on a rank > 1 tensor cannot be written");
            }
            std::vector<std::string> inputs = {
                in.at(0), weights(l.name + "/W", {l.outChannels, inShape[0]}, inShape[0])};
            if (l.hasBias) {
                inputs.push_back(weights(l.name + "/B", {l.outChannels}, inShape[0]));
            }
            integer(node("Gemm", l.name, inputs, out), "transB", 1);
            break;
        }
        case OpKind::AvgPool:
        case OpKind::MaxPool: {
            auto& n = node(l.op == OpKind::AvgPool ? "AveragePool" : "MaxPool", l.name, in, out);
            ints(n, "kernel_shape", l.window.kernel);
            ints(n, "strides", l.window.stride);
            ints(n, "pads", pads(l, inShape));
            break;
        }
        case OpKind::GlobalAvgPool: node("GlobalAveragePool", l.name, in, out); break;
        case OpKind::Add: node("Add", l.name, in, out); break;
        case OpKind::Flatten: integer(node("Flatten", l.name, in, out), "axis", 1); break;
        case OpKind::Softmax: node("Softmax", l.name, in, out); break;
        case OpKind::Activation: node("Identity", l.name, in, out); break;
        case OpKind::Concat: {
            // The graph's per-sample channels-last axis in ONNX's [N, C, spatial...] layout.
            const auto rank = static_cast<int64_t>(l.output.shape.size());
            const int64_t a = l.axis < 0 ? l.axis + rank : l.axis;
            integer(node("Concat", l.name, in, out), "axis", a == rank - 1 ? 1 : a + 2);
            break;
        }
        default:
            throw std::invalid_argument(
                fmt::format("layer '{}': op {} cannot be written to ONNX", l.name, toString(l.op)));
        }
        return act ? activation(l, out) : out;
    }

    const Network& net_;
    std::mt19937 rng_;
    onnx::ModelProto model_;
    onnx::GraphProto* graph_ = nullptr;
};

} // namespace

std::string exportOnnx(const Network& network, uint64_t seed) {
    return Writer(network, seed).write();
}

} // namespace edgesim::workloads
