#include "workloads/spec/NetworkSpecLoader.h"

#include "workloads/graph/Passes.h"

#include <fmt/format.h>

#include <map>
#include <set>

namespace edgesim::workloads {

namespace {

using LayerId = Network::LayerId;

std::optional<DType> fromSpec(spec::DType t) {
    switch (t) {
    case spec::INT8: return DType::Int8;
    case spec::INT16: return DType::Int16;
    case spec::INT32: return DType::Int32;
    case spec::FP32: return DType::Fp32;
    case spec::INT4: return DType::Int4;
    case spec::INT2: return DType::Int2;
    case spec::TERNARY: return DType::Ternary;
    default: return std::nullopt;
    }
}

DType orDefault(spec::DType t, DType dflt) {
    return fromSpec(t).value_or(dflt);
}

Padding fromSpec(spec::Padding p, Padding dflt) {
    switch (p) {
    case spec::SAME: return Padding::Same;
    case spec::VALID: return Padding::Valid;
    case spec::EXPLICIT: return Padding::Explicit;
    case spec::CAUSAL: return Padding::Causal;
    default: return dflt;
    }
}

std::vector<int64_t> toVec(const google::protobuf::RepeatedField<int64_t>& r) {
    return {r.begin(), r.end()};
}

class Builder {
public:
    Builder(const spec::NetworkSpec& spec, const std::string& file, const TextLocations* locs)
        : spec_(spec), file_(file), diags_(file), root_(diags_, locs) {}

    Network build() {
        Network net(spec_.name());
        net.description = spec_.description();
        net.source = spec_.source();
        if (spec_.name().empty()) {
            root_.error(spec_, "name", "missing required field");
        }
        actDtype_ = orDefault(spec_.activation_dtype(), DType::Int8);
        if (!isActivationType(actDtype_)) {
            root_.error(spec_, "activation_dtype", "ternary is a weight type only");
            actDtype_ = DType::Int8;
        }
        weightDtype_ = orDefault(spec_.weight_dtype(), DType::Int8);
        biasDtype_ =
            orDefault(spec_.bias_dtype(), weightDtype_ == DType::Fp32 ? DType::Fp32 : DType::Int32);
        if (isSubByte(biasDtype_)) {
            root_.error(spec_, "bias_dtype", "biases are 8 bits or more");
            biasDtype_ = DType::Int32;
        }
        addInputs(net);
        addLayers(net);
        markOutputs(net);
        diags_.throwIfAny();
        return canonicalize(std::move(net), file_);
    }

private:
    void addInputs(Network& net) {
        if (spec_.inputs_size() == 0) {
            root_.error(spec_, "inputs", "a network needs at least one input");
        }
        for (int i = 0; i < spec_.inputs_size(); ++i) {
            const auto& in = spec_.inputs(i);
            FieldCursor c = root_.child(spec_, "inputs", i);
            if (in.name().empty()) {
                c.error(in, "name", "missing required field");
                continue;
            }
            if (ids_.count(in.name())) {
                c.error(in, "name", "duplicate name '" + in.name() + "'");
                continue;
            }
            if (in.shape_size() == 0) {
                c.error(in, "shape", "missing required field (per-sample shape, channels last)");
                continue;
            }
            for (int d = 0; d < in.shape_size(); ++d) {
                if (in.shape(d) < 1) {
                    c.error(in, "shape", fmt::format("dimension {} must be >= 1", in.shape(d)), d);
                }
            }
            Layer l;
            l.name = in.name();
            l.origin = c.path() + " '" + in.name() + "'";
            l.op = OpKind::Input;
            l.targetShape = toVec(in.shape());
            l.outputDtype = orDefault(in.dtype(), actDtype_);
            names_.insert(in.name());
            ids_[in.name()] = net.addLayer(std::move(l));
        }
    }

    bool window(const FieldCursor& c, const spec::Window& w, Padding dflt, Window& out) {
        out.kernel = toVec(w.kernel());
        out.stride = toVec(w.stride());
        out.dilation = toVec(w.dilation());
        out.padding = fromSpec(w.padding(), dflt);
        out.padBegin = toVec(w.pad_begin());
        out.padEnd = toVec(w.pad_end());
        if (out.kernel.empty()) {
            c.error(w, "kernel", "missing required field");
            return false;
        }
        return true;
    }

    void addLayers(Network& net) {
        if (spec_.layers_size() == 0) {
            root_.error(spec_, "layers", "a network needs at least one layer");
        }
        std::optional<LayerId> previous;
        bool previousFailed = false;
        if (net.size() == 1) {
            previous = 0;
        }
        for (int i = 0; i < spec_.layers_size(); ++i) {
            const auto& ls = spec_.layers(i);
            FieldCursor c = root_.child(spec_, "layers", i);
            Layer l;
            l.name = ls.name();
            l.origin = fmt::format("{} '{}'", c.path(), ls.name());
            if (ls.name().empty()) {
                c.error(ls, "name", "missing required field");
                continue;
            }
            if (!names_.insert(ls.name()).second) {
                c.error(ls, "name", "duplicate name '" + ls.name() + "'");
                previous.reset();
                previousFailed = true;
                continue;
            }
            bool ok = fillOp(c, ls, l);
            ok = fillActivation(c, ls, l) && ok;
            l.outputDtype = orDefault(ls.output_dtype(), actDtype_);
            if (!isActivationType(l.outputDtype)) {
                c.error(ls, "output_dtype", "ternary is a weight type only");
                l.outputDtype = actDtype_;
            }
            l.weightDtype = orDefault(ls.weight_dtype(), weightDtype_);
            l.biasDtype = l.weightDtype == DType::Fp32 ? DType::Fp32 : biasDtype_;
            if (l.op == OpKind::Quantize) {
                l.outputDtype = orDefault(ls.quantize().dtype(), DType::Int8);
            } else if (l.op == OpKind::Dequantize) {
                l.outputDtype = orDefault(ls.dequantize().dtype(), DType::Fp32);
            }

            std::vector<LayerId> ins;
            if (ls.inputs_size() == 0) {
                if (previousFailed) {
                    ok = false; // reads a layer already reported as broken
                } else if (!previous) {
                    c.error(ls, "inputs",
                            "no inputs given and there is no single previous tensor to read");
                    ok = false;
                } else {
                    ins.push_back(*previous);
                }
            }
            for (int k = 0; k < ls.inputs_size(); ++k) {
                auto it = ids_.find(ls.inputs(k));
                if (it == ids_.end() && names_.count(ls.inputs(k)) != 0) {
                    ok = false; // names a layer already reported as broken
                } else if (it == ids_.end()) {
                    c.error(ls, "inputs",
                            "unknown tensor '" + ls.inputs(k) +
                                "' (not a graph input or an earlier layer)",
                            k);
                    ok = false;
                } else {
                    ins.push_back(it->second);
                }
            }
            previousFailed = !ok;
            if (!ok) {
                previous.reset();
                continue;
            }
            // Ops without weights (pooling, add, reshapes, ...) keep sub-byte activations:
            // the widest of their inputs' types when that is sub-byte (an add of int2 and
            // int4 tensors is int4; of int2 and int8, the network's type), unless the layer
            // says otherwise.
            if (ls.output_dtype() == spec::DTYPE_UNSPECIFIED && !isCompute(l.op) &&
                l.op != OpKind::Quantize && l.op != OpKind::Dequantize && !ins.empty()) {
                DType widest = net.layer(ins.front()).outputDtype;
                for (LayerId in : ins) {
                    widest = widerOf(widest, net.layer(in).outputDtype);
                }
                if (isSubByte(widest)) {
                    l.outputDtype = widest;
                }
            }
            l.originLine = c.line();
            LayerId id = net.addLayer(std::move(l), ins);
            ids_[ls.name()] = id;
            previous = id;
        }
    }

    bool fillActivation(const FieldCursor& c, const spec::LayerSpec& ls, Layer& l) {
        if (ls.activation() == spec::NONE) {
            return true;
        }
        if (l.op == OpKind::Activation) {
            c.error(ls, "activation", "an activation layer cannot fuse another activation");
            return false;
        }
        l.activation.kind = ls.activation() == spec::RELU    ? ActivationKind::Relu
                            : ls.activation() == spec::RELU6 ? ActivationKind::Relu6
                                                             : ActivationKind::Clip;
        return l.activation.kind != ActivationKind::Clip || clip(c, ls, l);
    }

    bool clip(const FieldCursor& c, const spec::LayerSpec& ls, Layer& l) {
        if (!ls.has_clip_range()) {
            c.error(ls, "clip_range", "CLIP needs clip_range { min max }");
            return false;
        }
        if (!(ls.clip_range().min() < ls.clip_range().max())) {
            c.error(ls, "clip_range", "min must be below max");
            return false;
        }
        l.activation.clipMin = ls.clip_range().min();
        l.activation.clipMax = ls.clip_range().max();
        return true;
    }

    bool conv(const FieldCursor& lc, const spec::LayerSpec& ls, const char* field,
              const spec::ConvSpec& cs, OpKind op, Layer& l) {
        FieldCursor c = lc.child(ls, field);
        l.op = op;
        bool ok = true;
        if (cs.out_channels() < 1) {
            c.error(cs, "out_channels",
                    cs.out_channels() == 0 ? "missing required field" : "must be >= 1");
            ok = false;
        }
        if (cs.groups() < 0) {
            c.error(cs, "groups", "must be >= 1");
            ok = false;
        }
        if (!cs.has_window()) {
            c.error(cs, "window", "missing required field");
            return false;
        }
        l.outChannels = cs.out_channels();
        l.groups = cs.groups() == 0 ? 1 : cs.groups();
        l.hasBias = !cs.no_bias();
        return window(c.child(cs, "window"), cs.window(),
                      op == OpKind::TemporalConv ? Padding::Valid : Padding::Same, l.window) &&
               ok;
    }

    bool fillOp(const FieldCursor& c, const spec::LayerSpec& ls, Layer& l) {
        using S = spec::LayerSpec;
        switch (ls.op_case()) {
        case S::kConv2D: return conv(c, ls, "conv2d", ls.conv2d(), OpKind::Conv2d, l);
        case S::kTemporalConv:
            return conv(c, ls, "temporal_conv", ls.temporal_conv(), OpKind::TemporalConv, l);
        case S::kDepthwiseConv2D: {
            const auto& d = ls.depthwise_conv2d();
            FieldCursor dc = c.child(ls, "depthwise_conv2d");
            l.op = OpKind::DepthwiseConv2d;
            if (d.depth_multiplier() < 0) {
                dc.error(d, "depth_multiplier", "must be >= 1");
                return false;
            }
            l.depthMultiplier = d.depth_multiplier() == 0 ? 1 : d.depth_multiplier();
            l.hasBias = !d.no_bias();
            if (!d.has_window()) {
                dc.error(d, "window", "missing required field");
                return false;
            }
            return window(dc.child(d, "window"), d.window(), Padding::Same, l.window);
        }
        case S::kDense:
            l.op = OpKind::Dense;
            l.outChannels = ls.dense().units();
            l.hasBias = !ls.dense().no_bias();
            if (ls.dense().units() < 1) {
                c.child(ls, "dense")
                    .error(ls.dense(), "units",
                           ls.dense().units() == 0 ? "missing required field" : "must be >= 1");
                return false;
            }
            return true;
        case S::kAvgPool:
        case S::kMaxPool: {
            const bool avg = ls.op_case() == S::kAvgPool;
            const auto& p = avg ? ls.avg_pool() : ls.max_pool();
            const char* field = avg ? "avg_pool" : "max_pool";
            l.op = avg ? OpKind::AvgPool : OpKind::MaxPool;
            if (!p.has_window()) {
                c.child(ls, field).error(p, "window", "missing required field");
                return false;
            }
            return window(c.child(ls, field).child(p, "window"), p.window(), Padding::Valid,
                          l.window);
        }
        case S::kGlobalAvgPool: l.op = OpKind::GlobalAvgPool; return true;
        case S::kAdd: l.op = OpKind::Add; return true;
        case S::kConcat:
            l.op = OpKind::Concat;
            l.axis = ls.concat().has_axis() ? ls.concat().axis() : -1;
            return true;
        case S::kRelu:
        case S::kRelu6:
        case S::kClip:
            l.op = OpKind::Activation;
            l.activation.kind = ls.op_case() == S::kRelu    ? ActivationKind::Relu
                                : ls.op_case() == S::kRelu6 ? ActivationKind::Relu6
                                                            : ActivationKind::Clip;
            return l.activation.kind != ActivationKind::Clip || clip(c, ls, l);
        case S::kSoftmax: l.op = OpKind::Softmax; return true;
        case S::kFlatten: l.op = OpKind::Flatten; return true;
        case S::kReshape:
            l.op = OpKind::Reshape;
            l.targetShape = toVec(ls.reshape().shape());
            if (l.targetShape.empty()) {
                c.child(ls, "reshape").error(ls.reshape(), "shape", "missing required field");
                return false;
            }
            return true;
        case S::kBatchNorm: l.op = OpKind::BatchNorm; return true;
        case S::kQuantize: l.op = OpKind::Quantize; return true;
        case S::kDequantize: l.op = OpKind::Dequantize; return true;
        case S::OP_NOT_SET: break;
        }
        c.error("no operator given (one of conv2d, depthwise_conv2d, temporal_conv, dense, "
                "avg_pool, max_pool, global_avg_pool, add, concat, relu, relu6, clip, softmax, "
                "flatten, reshape, batch_norm, quantize, dequantize)");
        return false;
    }

    void markOutputs(Network& net) {
        for (int i = 0; i < spec_.outputs_size(); ++i) {
            auto it = ids_.find(spec_.outputs(i));
            if (it == ids_.end()) {
                root_.error(spec_, "outputs", "unknown layer '" + spec_.outputs(i) + "'", i);
            } else {
                net.markOutput(it->second);
            }
        }
    }

    const spec::NetworkSpec& spec_;
    std::string file_;
    Diagnostics diags_;
    FieldCursor root_;
    std::map<std::string, LayerId> ids_;
    std::set<std::string> names_; ///< every name defined, including broken layers
    DType actDtype_ = DType::Int8;
    DType weightDtype_ = DType::Int8;
    DType biasDtype_ = DType::Int32;
};

} // namespace

Network buildNetwork(const spec::NetworkSpec& spec, const std::string& file,
                     const TextLocations* locations) {
    return Builder(spec, file, locations).build();
}

Network parseNetworkText(const std::string& text, const std::string& file) {
    spec::NetworkSpec spec;
    auto locations = parseTextProto(text, file, spec);
    return buildNetwork(spec, file, locations.get());
}

Network loadNetworkFile(const std::string& path) {
    return parseNetworkText(readFile(path), path);
}

} // namespace edgesim::workloads
