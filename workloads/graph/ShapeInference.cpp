#include "workloads/graph/ShapeInference.h"

#include "common/Checked.h"
#include "common/Diagnostics.h"

#include <fmt/format.h>

#include <stdexcept>

namespace edgesim::workloads {

int64_t windowOutputLength(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                           Padding padding, int64_t padBegin, int64_t padEnd,
                           int64_t* appliedPadBegin, int64_t* appliedPadEnd) {
    // extent of the dilated kernel
    const int64_t span = checkedAdd(checkedMul(kernel - 1, dilation), 1);
    int64_t out = -1;
    int64_t pb = 0;
    int64_t pe = 0;
    switch (padding) {
    case Padding::Same: {
        out = checkedAdd(in, stride - 1) / stride;
        const int64_t total =
            std::max<int64_t>(checkedAdd(checkedMul(out - 1, stride), span) - in, 0);
        pb = total / 2;
        pe = total - pb;
        break;
    }
    case Padding::Valid: out = in >= span ? (in - span) / stride + 1 : -1; break;
    case Padding::Explicit:
        pb = padBegin;
        pe = padEnd;
        out = checkedAdd(checkedAdd(in, padBegin), padEnd) >= span
                  ? (in + padBegin + padEnd - span) / stride + 1
                  : -1;
        break;
    case Padding::Causal:
        pb = span - 1;
        out = (checkedAdd(in, pb) - span) / stride + 1;
        break;
    }
    if (appliedPadBegin != nullptr) {
        *appliedPadBegin = pb;
    }
    if (appliedPadEnd != nullptr) {
        *appliedPadEnd = pe;
    }
    return out;
}

bool windowPads(const Window& w, const Shape& in) {
    const std::size_t dims = w.kernel.size();
    if (dims == 0 || in.size() < dims + 1 || w.stride.size() < dims || w.dilation.size() < dims) {
        return false;
    }
    const bool explicitPads = w.padding == Padding::Explicit;
    for (std::size_t d = 0; d < dims; ++d) {
        int64_t pb = 0;
        int64_t pe = 0;
        windowOutputLength(in[in.size() - 1 - dims + d], w.kernel[d], w.stride[d], w.dilation[d],
                           w.padding, explicitPads && d < w.padBegin.size() ? w.padBegin[d] : 0,
                           explicitPads && d < w.padEnd.size() ? w.padEnd[d] : 0, &pb, &pe);
        if (pb > 0 || pe > 0) {
            return true;
        }
    }
    return false;
}

bool broadcastsTo(const Shape& s, const Shape& to) {
    if (s.size() > to.size()) {
        return false;
    }
    for (std::size_t i = 1; i <= s.size(); ++i) {
        const int64_t d = s[s.size() - i];
        if (d != 1 && d != to[to.size() - i]) {
            return false;
        }
    }
    return true;
}

namespace {

/// Failure of one layer; caught per layer so that every broken layer is reported.
struct LayerProblem : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& msg) {
    throw LayerProblem(msg);
}

void requireInputs(const Layer& l, std::size_t n) {
    if (l.inputShapes.size() != n) {
        fail(fmt::format("{} takes {} input{}, got {}", toString(l.op), n, n == 1 ? "" : "s",
                         l.inputShapes.size()));
    }
}

void requireRank(const Layer& l, const Shape& s, std::size_t rank, const char* layout) {
    if (s.size() != rank) {
        fail(fmt::format("{} needs a rank-{} input ({}), got {}", toString(l.op), rank, layout,
                         toString(s)));
    }
}

/// Expands a per-dimension list: empty -> `dflt` everywhere, one value -> every dimension.
std::vector<int64_t> perDim(const std::vector<int64_t>& v, std::size_t dims, int64_t dflt,
                            const char* what) {
    if (v.empty()) {
        return std::vector<int64_t>(dims, dflt);
    }
    if (v.size() == 1) {
        return std::vector<int64_t>(dims, v[0]);
    }
    if (v.size() != dims) {
        fail(fmt::format("{} has {} values for {} spatial dimension{}", what, v.size(), dims,
                         dims == 1 ? "" : "s"));
    }
    return v;
}

/// Output spatial dims of a windowed op over input `in` (spatial dims = all but the last).
Shape windowedSpatial(const Layer& l, const Shape& in, Window& w, int64_t defaultStride) {
    const std::size_t dims = in.size() - 1;
    if (w.kernel.empty()) {
        fail("window.kernel is required");
    }
    w.kernel = perDim(w.kernel, dims, 1, "window.kernel");
    w.stride = perDim(w.stride, dims, defaultStride, "window.stride");
    if (defaultStride == 0) { // pooling: stride defaults to the kernel
        for (std::size_t d = 0; d < dims; ++d) {
            if (w.stride[d] == 0) {
                w.stride[d] = w.kernel[d];
            }
        }
    }
    w.dilation = perDim(w.dilation, dims, 1, "window.dilation");
    if (w.padding == Padding::Explicit) {
        w.padBegin = perDim(w.padBegin, dims, 0, "window.pad_begin");
        w.padEnd = perDim(w.padEnd, dims, 0, "window.pad_end");
    } else if (!w.padBegin.empty() || !w.padEnd.empty()) {
        fail("window.pad_begin/pad_end need padding EXPLICIT");
    }
    if (w.padding == Padding::Causal && dims != 1) {
        fail("CAUSAL padding is for temporal (1-D) windows only");
    }
    Shape out(dims);
    for (std::size_t d = 0; d < dims; ++d) {
        if (w.kernel[d] < 1 || w.stride[d] < 1 || w.dilation[d] < 1) {
            fail("window kernel, stride and dilation must be >= 1");
        }
        const int64_t pb = w.padding == Padding::Explicit ? w.padBegin[d] : 0;
        const int64_t pe = w.padding == Padding::Explicit ? w.padEnd[d] : 0;
        if (pb < 0 || pe < 0) {
            fail("window padding must be >= 0");
        }
        out[d] =
            windowOutputLength(in[d], w.kernel[d], w.stride[d], w.dilation[d], w.padding, pb, pe);
        if (out[d] < 1) {
            fail(fmt::format("window {} (dilation {}) does not fit input {} with {} padding",
                             toString(w.kernel), toString(w.dilation), toString(in),
                             toString(w.padding)));
        }
    }
    (void)l;
    return out;
}

void addParams(Layer& l, int64_t weights, int64_t biases) {
    l.stats.params = checkedAdd(weights, biases);
    const int64_t wb = bytesOf(l.weightDtype, weights);
    const int64_t bb = bytesOf(l.biasDtype, biases);
    l.stats.weightBytes = checkedAdd(wb, bb);
    l.stats.weightBytesByDtype[static_cast<std::size_t>(l.weightDtype)] += wb;
    l.stats.weightBytesByDtype[static_cast<std::size_t>(l.biasDtype)] += bb;
}

int normAxis(int axis, std::size_t rank) {
    const int r = static_cast<int>(rank);
    const int a = axis < 0 ? axis + r : axis;
    if (a < 0 || a >= r) {
        fail(fmt::format("axis {} out of range for rank {}", axis, rank));
    }
    return a;
}

/// Computes l.output.shape and l.stats for a layer whose inputShapes are set.
void inferLayer(Layer& l) {
    const auto& ins = l.inputShapes;
    Shape out;
    switch (l.op) {
    case OpKind::Input:
        requireInputs(l, 0);
        if (l.targetShape.empty()) {
            fail("input shape is empty");
        }
        for (int64_t d : l.targetShape) {
            if (d < 1) {
                fail(fmt::format("input shape {} has a dimension < 1", toString(l.targetShape)));
            }
        }
        out = l.targetShape;
        break;
    case OpKind::Conv2d:
    case OpKind::TemporalConv: {
        requireInputs(l, 1);
        const bool temporal = l.op == OpKind::TemporalConv;
        requireRank(l, ins[0], temporal ? 2 : 3, temporal ? "T x C" : "H x W x C");
        const int64_t cin = ins[0].back();
        if (l.outChannels < 1) {
            fail("out_channels must be >= 1");
        }
        if (l.groups < 1 || cin % l.groups != 0 || l.outChannels % l.groups != 0) {
            fail(fmt::format("groups {} must divide input channels {} and output channels {}",
                             l.groups, cin, l.outChannels));
        }
        out = windowedSpatial(l, ins[0], l.window, 1);
        out.push_back(l.outChannels);
        const int64_t k = numElements(l.window.kernel);
        const int64_t perOutput = checkedMul(k, cin / l.groups);
        l.stats.macs = checkedMul(numElements(out), perOutput);
        addParams(l, checkedMul(l.outChannels, perOutput), l.hasBias ? l.outChannels : 0);
        break;
    }
    case OpKind::DepthwiseConv2d: {
        requireInputs(l, 1);
        requireRank(l, ins[0], 3, "H x W x C");
        if (l.depthMultiplier < 1) {
            fail("depth_multiplier must be >= 1");
        }
        const int64_t cout = checkedMul(ins[0].back(), l.depthMultiplier);
        out = windowedSpatial(l, ins[0], l.window, 1);
        out.push_back(cout);
        const int64_t k = numElements(l.window.kernel);
        l.stats.macs = checkedMul(numElements(out), k);
        addParams(l, checkedMul(cout, k), l.hasBias ? cout : 0);
        break;
    }
    case OpKind::Dense: {
        requireInputs(l, 1);
        if (ins[0].empty()) {
            fail("dense needs a non-scalar input");
        }
        if (l.outChannels < 1) {
            fail("units must be >= 1");
        }
        const int64_t in = ins[0].back();
        out = ins[0];
        out.back() = l.outChannels;
        l.stats.macs = checkedMul(numElements(ins[0]), l.outChannels);
        addParams(l, checkedMul(in, l.outChannels), l.hasBias ? l.outChannels : 0);
        break;
    }
    case OpKind::AvgPool:
    case OpKind::MaxPool:
        requireInputs(l, 1);
        if (ins[0].size() != 2 && ins[0].size() != 3) {
            fail(fmt::format("{} needs a [H,W,C] or [T,C] input, got {}", toString(l.op),
                             toString(ins[0])));
        }
        out = windowedSpatial(l, ins[0], l.window, 0);
        out.push_back(ins[0].back());
        break;
    case OpKind::GlobalAvgPool:
        requireInputs(l, 1);
        if (ins[0].size() < 2) {
            fail(fmt::format("global_avg_pool needs spatial dimensions, got {}", toString(ins[0])));
        }
        out = Shape(ins[0].size(), 1);
        out.back() = ins[0].back();
        break;
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
        // One input: a constant operand (bias, scale). More: the first has the output shape
        // and the others equal it or broadcast to it (numpy rules, aligned on the channels).
        if (ins.empty()) {
            fail(fmt::format("{} takes at least 1 input", toString(l.op)));
        }
        for (const auto& s : ins) {
            if (!broadcastsTo(s, ins[0])) {
                fail(fmt::format("{} inputs do not broadcast: {} to {}", toString(l.op),
                                 toString(s), toString(ins[0])));
            }
        }
        out = ins[0];
        break;
    case OpKind::Concat: {
        if (ins.empty()) {
            fail("concat takes at least 1 input");
        }
        const int a = normAxis(l.axis, ins[0].size());
        out = ins[0];
        for (std::size_t i = 1; i < ins.size(); ++i) {
            if (ins[i].size() != ins[0].size()) {
                fail("concat inputs differ in rank");
            }
            for (std::size_t d = 0; d < ins[i].size(); ++d) {
                if (static_cast<int>(d) != a && ins[i][d] != ins[0][d]) {
                    fail(fmt::format("concat inputs {} and {} differ outside axis {}",
                                     toString(ins[0]), toString(ins[i]), l.axis));
                }
            }
            out[static_cast<std::size_t>(a)] += ins[i][static_cast<std::size_t>(a)];
        }
        break;
    }
    case OpKind::Activation:
        requireInputs(l, 1);
        if (l.activation.kind == ActivationKind::None) {
            fail("activation layer without a kind");
        }
        out = ins[0];
        break;
    case OpKind::Softmax:
    case OpKind::Quantize:
    case OpKind::Dequantize:
    case OpKind::Sigmoid:
    case OpKind::HardSigmoid:
    case OpKind::HardSwish:
    case OpKind::Swish:
        requireInputs(l, 1);
        out = ins[0];
        break;
    case OpKind::Transpose:
    case OpKind::Slice:
    case OpKind::Pad:
    case OpKind::Resize: {
        requireInputs(l, 1);
        out = l.targetShape;
        const int64_t n = numElements(ins[0]);
        const int64_t m = numElements(out);
        const bool ok = l.op == OpKind::Transpose ? m == n
                        : l.op == OpKind::Slice   ? m <= n && out.size() == ins[0].size()
                        : l.op == OpKind::Pad
                            ? m >= n && out.size() == ins[0].size()
                            : out.size() == ins[0].size() && out.back() == ins[0].back();
        if (out.empty() || !ok) {
            fail(fmt::format("{} of {} cannot give {}", toString(l.op), toString(ins[0]),
                             toString(out)));
        }
        break;
    }
    case OpKind::BatchNorm:
        requireInputs(l, 1);
        if (ins[0].empty()) {
            fail("batch_norm needs a channel dimension");
        }
        out = ins[0];
        // Folded form: one scale and one shift per channel.
        addParams(l, ins[0].back(), ins[0].back());
        break;
    case OpKind::Flatten:
        requireInputs(l, 1);
        out = Shape{numElements(ins[0])};
        break;
    case OpKind::Reshape: {
        requireInputs(l, 1);
        out = l.targetShape;
        int64_t known = 1;
        int unknown = -1;
        for (std::size_t d = 0; d < out.size(); ++d) {
            if (out[d] == -1 && unknown < 0) {
                unknown = static_cast<int>(d);
            } else if (out[d] < 1) {
                fail(fmt::format("reshape target {} has an invalid dimension", toString(out)));
            } else {
                known = checkedMul(known, out[d]);
            }
        }
        const int64_t n = numElements(ins[0]);
        if (unknown >= 0) {
            if (n % known != 0) {
                fail(fmt::format("cannot reshape {} to {}", toString(ins[0]), toString(out)));
            }
            out[static_cast<std::size_t>(unknown)] = n / known;
        } else if (known != n) {
            fail(fmt::format("cannot reshape {} ({} elements) to {} ({} elements)",
                             toString(ins[0]), n, toString(out), known));
        }
        break;
    }
    }
    for (int64_t d : out) {
        if (d < 1) {
            fail(fmt::format("output shape {} has an empty dimension", toString(out)));
        }
    }
    l.output.shape = std::move(out);
}

} // namespace

namespace {
/// Fills id's input shapes and figures; returns false if an input was not inferred.
bool prepare(Network& net, Network::LayerId id, const std::vector<bool>* ok) {
    Layer& l = net.layer(id);
    l.output.name = l.name;
    l.output.dtype = l.outputDtype;
    l.inputShapes.clear();
    l.stats = LayerStats{};
    bool inputsOk = true;
    for (auto in : net.inputsOf(id)) {
        inputsOk = inputsOk && (ok == nullptr || (*ok)[in]);
        l.inputShapes.push_back(net.layer(in).output.shape);
        l.stats.inputBytes += net.layer(in).output.bytes();
    }
    return inputsOk;
}

void report(Diagnostics& diags, const Layer& l, const char* what) {
    diags.error(l.origin.empty() ? "layer '" + l.name + "'" : l.origin, what, l.originLine);
}
} // namespace

void inferLayerShape(Network& net, Network::LayerId id, const std::string& file) {
    Layer& l = net.layer(id);
    try {
        prepare(net, id, nullptr);
        inferLayer(l);
        l.stats.outputBytes = l.output.bytes();
    } catch (const LayerProblem& e) {
        Diagnostics diags(file);
        report(diags, l, e.what());
        diags.throwIfAny();
    } catch (const ArithmeticOverflow& e) {
        Diagnostics diags(file);
        report(diags, l, (std::string("sizes out of range: ") + e.what()).c_str());
        diags.throwIfAny();
    }
}

void inferShapes(Network& net, const std::string& file) {
    Diagnostics diags(file);
    std::vector<bool> ok(net.size(), false);
    for (auto id : net.executionOrder()) {
        Layer& l = net.layer(id);
        try {
            if (!prepare(net, id, &ok)) {
                continue; // already reported upstream
            }
            inferLayer(l);
            l.stats.outputBytes = l.output.bytes();
            ok[id] = true;
        } catch (const LayerProblem& e) {
            report(diags, l, e.what());
        } catch (const ArithmeticOverflow& e) {
            report(diags, l, (std::string("sizes out of range: ") + e.what()).c_str());
        }
    }
    if (diags.empty()) {
        try {
            (void)net.totals(); // whole-network sums must fit as well
        } catch (const ArithmeticOverflow& e) {
            diags.error("network '" + net.name() + "'",
                        std::string("totals out of range: ") + e.what());
        }
    }
    diags.throwIfAny();
}

} // namespace edgesim::workloads
