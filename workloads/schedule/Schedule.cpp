#include "workloads/schedule/Schedule.h"

#include "workloads/graph/ShapeInference.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace edgesim::workloads {

namespace {

/// Positions of the sliding window (product of the kernel extents).
int64_t windowArea(const Layer& l) {
    int64_t area = 1;
    for (int64_t k : l.window.kernel) {
        area *= k;
    }
    return area;
}

/// The im2col copy of a convolution: every output pixel gathers its window into a column,
/// except where the input already is that matrix (a 1x1 window at unit stride, unpadded).
void fillIm2col(const Layer& l, Kernel& k) {
    const bool conv = l.op == OpKind::Conv2d || l.op == OpKind::TemporalConv;
    if (!conv || l.inputShapes.empty()) {
        return;
    }
    const auto unit = [](int64_t v) { return v == 1; };
    const bool plainMatrix = windowArea(l) <= 1 && !k.padded &&
                             std::all_of(l.window.stride.begin(), l.window.stride.end(), unit);
    if (plainMatrix) {
        return;
    }
    const int64_t inChannels = l.inputShapes.front().back() / std::max<int64_t>(1, l.groups);
    const int64_t outPixels = l.output.elements() / std::max<int64_t>(1, l.output.shape.back());
    const int64_t patch = windowArea(l) * inChannels;
    k.im2colElements = outPixels * patch;
    k.im2colPositions = outPixels * windowArea(l);
    k.im2colPatchElements = patch;
}

/// Spatial extent (rows, columns) of a [H,W,C] / [T,C] / [C] shape.
std::pair<int64_t, int64_t> spatial(const Shape& s) {
    if (s.size() >= 3) {
        int64_t rows = 1;
        for (std::size_t i = 0; i + 2 < s.size(); ++i) {
            rows *= s[i];
        }
        return {rows, s[s.size() - 2]};
    }
    return {1, s.size() == 2 ? s[0] : 1};
}

LoopNest loopNest(const Layer& l) {
    LoopNest n;
    if (l.inputShapes.empty() || l.output.shape.empty()) {
        return n;
    }
    const Shape& in = l.inputShapes.front();
    const Shape& out = l.output.shape;
    const int64_t inC = in.back();
    const int64_t outC = out.back();
    std::tie(n.oy, n.ox) = spatial(out);
    std::tie(n.iy, n.ix) = spatial(in);
    const auto& w = l.window;
    if (!w.kernel.empty()) {
        n.fx = w.kernel.back();
        n.fy = w.kernel.size() >= 2 ? w.kernel[w.kernel.size() - 2] : 1;
        n.strideX = w.stride.empty() ? 1 : w.stride.back();
        n.strideY = w.stride.size() >= 2 ? w.stride[w.stride.size() - 2] : 1;
    }
    switch (l.op) {
    case OpKind::Conv2d:
    case OpKind::TemporalConv:
        n.g = std::max<int64_t>(1, l.groups);
        n.k = outC / n.g;
        n.c = inC / n.g;
        break;
    case OpKind::DepthwiseConv2d:
        n.g = inC;
        n.k = std::max<int64_t>(1, l.depthMultiplier);
        n.c = 1;
        break;
    case OpKind::Dense:
        n.k = outC;
        n.c = inC;
        n.oy = 1;
        n.ox = l.output.elements() / std::max<int64_t>(1, outC);
        n.iy = 1;
        n.ix = n.ox;
        break;
    case OpKind::GlobalAvgPool:
        n.g = outC;
        n.fy = n.iy; // the window is the whole input
        n.fx = n.ix;
        break;
    default: n.g = outC; break;
    }
    return n;
}

} // namespace

int64_t LoopNest::inputRowsFor(int64_t rows) const {
    return std::min(iy, (rows - 1) * strideY + fy);
}

std::string batchProblem(int batch) {
    if (batch < 1) {
        return "the batch size must be >= 1";
    }
    if (batch > kMaxBatch) {
        return "the batch size " + std::to_string(batch) + " is above the limit of " +
               std::to_string(kMaxBatch) + " (samples are simulated one after the other)";
    }
    return {};
}

std::string_view toString(KernelKind kind) {
    switch (kind) {
    case KernelKind::Forward: return "forward";
    case KernelKind::InputGrad: return "input_grad";
    case KernelKind::WeightGrad: return "weight_grad";
    case KernelKind::BiasGrad: return "bias_grad";
    case KernelKind::ActivationGrad: return "activation_grad";
    case KernelKind::Loss: return "loss";
    case KernelKind::Optimizer: return "optimizer";
    case KernelKind::Goodness: return "goodness";
    case KernelKind::Normalize: return "normalize";
    case KernelKind::Projection: return "projection";
    case KernelKind::Elementwise: return "elementwise";
    case KernelKind::Perturb: return "perturb";
    }
    return "?";
}

std::string_view toString(Pass pass) {
    switch (pass) {
    case Pass::Forward: return "forward";
    case Pass::Backward: return "backward";
    case Pass::Positive: return "positive";
    case Pass::Negative: return "negative";
    case Pass::Clean: return "clean";
    case Pass::Modulated: return "modulated";
    case Pass::Perturbed: return "perturbed";
    case Pass::Update: return "update";
    }
    return "?";
}

const std::vector<std::string>& trainingOps() {
    static const std::vector<std::string> kOps = {
        "conv2d_input_grad",
        "conv2d_weight_grad",
        "depthwise_conv2d_input_grad",
        "depthwise_conv2d_weight_grad",
        "dense_input_grad",
        "dense_weight_grad",
        "bias_grad",
        "activation_grad",
        "pool_grad",
        "add_grad",
        "elementwise_grad",
        "loss",
        "sgd_update",
        "momentum_update",
        "adam_update",
        "goodness",
        "normalize",
        "projection",
        "elementwise",
        "rng_perturb",
    };
    return kOps;
}

Kernel forwardKernel(const Network& net, Network::LayerId id) {
    const Layer& l = net.layer(id);
    Kernel k;
    k.layer = id;
    k.name = l.name;
    k.op = l.op;
    k.activation = l.activation.kind;
    k.dtype = l.output.dtype;
    // The widest input's type (an add of an int8 and an int2 tensor runs an int8 kernel).
    const std::vector<Network::LayerId> inputs = net.inputsOf(id);
    k.inputDtype = inputs.empty() ? l.output.dtype : net.layer(inputs.front()).output.dtype;
    for (Network::LayerId in : inputs) {
        k.inputDtype = widerOf(k.inputDtype, net.layer(in).output.dtype);
    }
    k.weightDtype = l.weightDtype;
    k.macs = l.stats.macs;
    k.weightBytes = l.stats.weightBytes;
    for (const auto& shape : l.inputShapes) {
        k.inputElements += numElements(shape);
    }
    k.inputBytes = l.stats.inputBytes;
    k.outputElements = l.output.elements();
    k.outputBytes = l.stats.outputBytes;
    k.padded = !l.inputShapes.empty() && windowPads(l.window, l.inputShapes.front());
    fillIm2col(l, k);
    k.loops = loopNest(l);
    if (!l.window.kernel.empty()) {
        k.windowTaps = k.outputElements * windowArea(l);
    }
    return k;
}

Schedule lowerInference(const Network& net, int batch) {
    Schedule s;
    s.network = net.name();
    s.batch = std::max(1, batch);
    const MemoryPlan plan = planMemory(net);
    s.arenaBytes = plan.arenaBytes;
    for (Network::LayerId id : plan.order) {
        const Layer& l = net.layer(id);
        if (l.op == OpKind::Input) {
            continue;
        }
        Kernel k = forwardKernel(net, id);
        s.macs += k.macs;
        s.weightBytes += k.weightBytes;
        s.kernels.push_back(std::move(k));
    }
    const std::size_t perSample = s.kernels.size();
    for (int b = 1; b < s.batch; ++b) {
        for (std::size_t i = 0; i < perSample; ++i) {
            Kernel k = s.kernels[i];
            k.name += "#" + std::to_string(b);
            s.macs += k.macs;
            s.kernels.push_back(std::move(k));
        }
    }
    if (s.batch > 1) {
        for (std::size_t i = 0; i < perSample; ++i) {
            s.kernels[i].name += "#0";
        }
    }
    return s;
}

} // namespace edgesim::workloads
