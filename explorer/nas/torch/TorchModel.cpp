#include "explorer/nas/torch/TorchModel.h"

#include "workloads/graph/ShapeInference.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <stdexcept>

namespace edgesim::explorer::nas {

namespace {

using workloads::Layer;
using workloads::OpKind;
namespace F = torch::nn::functional;

/// Fashion-MNIST's pixel mean and standard deviation over the training set (in [0, 1]),
/// computed from the Debian package's train-images file.
constexpr double kPixelMean = 0.2860;
constexpr double kPixelStd = 0.3530;

[[noreturn]] void unsupported(const Layer& l, const std::string& what) {
    throw std::invalid_argument(fmt::format("layer '{}' ({}): {} cannot be trained", l.name,
                                            workloads::toString(l.op), what));
}

/// F.pad amounts of a window over input shape `in` (channels last): last spatial dimension
/// first, begin then end of each.
std::vector<int64_t> padsOf(const Layer& l, const workloads::Shape& in) {
    const auto& w = l.window;
    const std::size_t dims = w.kernel.size();
    std::vector<int64_t> pads;
    for (std::size_t k = 0; k < dims; ++k) {
        const std::size_t d = dims - 1 - k;
        int64_t pb = 0;
        int64_t pe = 0;
        const bool ex = w.padding == workloads::Padding::Explicit;
        workloads::windowOutputLength(in[in.size() - 1 - dims + d], w.kernel[d], w.stride[d],
                                      w.dilation[d], w.padding, ex ? w.padBegin[d] : 0,
                                      ex ? w.padEnd[d] : 0, &pb, &pe);
        pads.push_back(pb);
        pads.push_back(pe);
    }
    return pads;
}

bool anyNonZero(const std::vector<int64_t>& v) {
    for (int64_t x : v) {
        if (x != 0) {
            return true;
        }
    }
    return false;
}

torch::Tensor activate(const torch::Tensor& x, const workloads::Activation& a) {
    switch (a.kind) {
    case workloads::ActivationKind::None: return x;
    case workloads::ActivationKind::Relu: return torch::relu(x);
    case workloads::ActivationKind::Relu6: return torch::clamp(x, 0.0, 6.0);
    case workloads::ActivationKind::Clip: return torch::clamp(x, a.clipMin, a.clipMax);
    }
    return x;
}

/// The expectation of `x`'s fake quantisations at `p`'s widths (`quantize(x, bits)`): a
/// probability per width ([P]), or per output channel and width ([C, P], broadcast over
/// `x`'s first axis).
torch::Tensor expectedQuantisation(const GraphModuleImpl::WeightPrecision& p,
                                   const torch::Tensor& x,
                                   torch::Tensor (*quantize)(const torch::Tensor&, int)) {
    torch::Tensor out;
    for (std::size_t k = 0; k < p.bits.size(); ++k) {
        torch::Tensor prob = p.probabilities.select(-1, static_cast<int64_t>(k));
        if (prob.dim() == 1) { // per output channel: [C] against the first axis
            std::vector<int64_t> shape(static_cast<std::size_t>(x.dim()), 1);
            shape[0] = prob.size(0);
            prob = prob.view(shape);
        }
        const torch::Tensor term = prob * quantize(x, p.bits[k]);
        out = out.defined() ? out + term : term;
    }
    return out;
}

} // namespace

GraphModuleImpl::Node GraphModuleImpl::makeNode(const Layer& l, const std::string& name,
                                                bool batchNorm) {
    Node n;
    n.op = l.op;
    n.activation = l.activation;
    const workloads::Shape in = l.inputShapes.empty() ? workloads::Shape{} : l.inputShapes[0];
    switch (l.op) {
    case OpKind::Input: break;
    case OpKind::Conv2d:
    case OpKind::DepthwiseConv2d:
    case OpKind::TemporalConv: {
        const int64_t cin = in.back();
        const int64_t cout = l.output.shape.back();
        const int64_t groups = l.op == OpKind::DepthwiseConv2d ? cin : l.groups;
        const bool bias = l.hasBias && !batchNorm;
        n.pad = padsOf(l, in);
        if (l.op == OpKind::TemporalConv) {
            n.conv1 = register_module(
                name, torch::nn::Conv1d(torch::nn::Conv1dOptions(cin, cout, l.window.kernel[0])
                                            .stride(l.window.stride[0])
                                            .dilation(l.window.dilation[0])
                                            .groups(groups)
                                            .bias(bias)));
            if (batchNorm) {
                n.bn1 = register_module(name + "bn", torch::nn::BatchNorm1d(cout));
            }
        } else {
            const auto& w = l.window;
            n.conv2 = register_module(
                name,
                torch::nn::Conv2d(torch::nn::Conv2dOptions(cin, cout, {w.kernel[0], w.kernel[1]})
                                      .stride({w.stride[0], w.stride[1]})
                                      .dilation({w.dilation[0], w.dilation[1]})
                                      .groups(groups)
                                      .bias(bias)));
            if (batchNorm) {
                n.bn2 = register_module(name + "bn", torch::nn::BatchNorm2d(cout));
            }
        }
        break;
    }
    case OpKind::Dense:
        n.linear = register_module(
            name,
            torch::nn::Linear(torch::nn::LinearOptions(in.back(), l.outChannels).bias(l.hasBias)));
        break;
    case OpKind::AvgPool:
    case OpKind::MaxPool:
        if (l.window.padding != workloads::Padding::Valid) {
            unsupported(l, "pooling with padding");
        }
        n.kernel = l.window.kernel;
        n.stride = l.window.stride;
        n.max = l.op == OpKind::MaxPool;
        break;
    case OpKind::GlobalAvgPool:
    case OpKind::Add:
    case OpKind::Activation:
    case OpKind::Flatten:
    case OpKind::Softmax: break;
    default: unsupported(l, "this op");
    }
    return n;
}

GraphModuleImpl::GraphModuleImpl(const workloads::Network& net, bool batchNorm,
                                 const std::map<workloads::Network::LayerId, Alternatives>& alts) {
    std::map<workloads::Network::LayerId, std::size_t> position;
    for (auto id : net.executionOrder()) {
        const Layer& l = net.layer(id);
        if (l.op == OpKind::Input) {
            if (!inputShape_.empty()) {
                unsupported(l, "a second graph input");
            }
            inputShape_ = l.output.shape;
        }
        const std::string name = fmt::format("l{}", nodes_.size());
        Node n = makeNode(l, name, batchNorm);
        for (auto in : net.inputsOf(id)) {
            n.inputs.push_back(position.at(in));
        }
        if (const auto it = alts.find(id); it != alts.end()) {
            for (std::size_t k = 0; k < it->second.layers.size(); ++k) {
                n.alternatives.push_back(
                    makeNode(it->second.layers[k], fmt::format("{}a{}", name, k), batchNorm));
            }
            n.identity = it->second.identity;
        }
        position[id] = nodes_.size();
        nodes_.push_back(std::move(n));
        layers_.push_back(id);
    }
}

torch::Tensor
GraphModuleImpl::apply(Node& n, const torch::Tensor& in, const std::vector<torch::Tensor>& out,
                       const std::function<torch::Tensor(const torch::Tensor&)>& weights) {
    torch::Tensor y;
    switch (n.op) {
    case OpKind::Input: y = in; break;
    case OpKind::Conv2d:
    case OpKind::DepthwiseConv2d:
    case OpKind::TemporalConv: {
        torch::Tensor padded = anyNonZero(n.pad) ? F::pad(in, F::PadFuncOptions(n.pad)) : in;
        if (n.conv1) {
            const auto& o = n.conv1->options;
            y = F::conv1d(padded, weights(n.conv1->weight),
                          F::Conv1dFuncOptions()
                              .bias(n.conv1->bias)
                              .stride(o.stride())
                              .dilation(o.dilation())
                              .groups(o.groups()));
            if (n.bn1) {
                y = n.bn1->forward(y);
            }
        } else {
            const auto& o = n.conv2->options;
            y = F::conv2d(padded, weights(n.conv2->weight),
                          F::Conv2dFuncOptions()
                              .bias(n.conv2->bias)
                              .stride(o.stride())
                              .dilation(o.dilation())
                              .groups(o.groups()));
            if (n.bn2) {
                y = n.bn2->forward(y);
            }
        }
        break;
    }
    case OpKind::Dense:
        y = in.dim() == 2 ? F::linear(in, weights(n.linear->weight), n.linear->bias)
                          : F::linear(in.movedim(1, -1), weights(n.linear->weight), n.linear->bias)
                                .movedim(-1, 1);
        break;
    case OpKind::AvgPool:
    case OpKind::MaxPool:
        if (in.dim() == 3) {
            y = n.max ? torch::max_pool1d(in, n.kernel, n.stride)
                      : torch::avg_pool1d(in, n.kernel, n.stride);
        } else {
            y = n.max ? torch::max_pool2d(in, n.kernel, n.stride)
                      : torch::avg_pool2d(in, n.kernel, n.stride);
        }
        break;
    case OpKind::GlobalAvgPool: {
        std::vector<int64_t> dims;
        for (int64_t d = 2; d < in.dim(); ++d) {
            dims.push_back(d);
        }
        y = in.mean(dims, true);
        break;
    }
    case OpKind::Add:
        y = in;
        for (std::size_t k = 1; k < n.inputs.size(); ++k) {
            y = y + out[n.inputs[k]];
        }
        break;
    case OpKind::Flatten: y = in.flatten(1); break;
    case OpKind::Activation: y = in; break;
    case OpKind::Softmax: y = in; break; // logits
    default: throw std::logic_error("GraphModule: an op the constructor refused");
    }
    return y;
}

torch::Tensor GraphModuleImpl::forward(torch::Tensor x, std::vector<torch::Tensor>* codes) {
    std::vector<torch::Tensor> out(nodes_.size());
    torch::Tensor last;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        Node& n = nodes_[i];
        const torch::Tensor in = n.inputs.empty() ? x : out[n.inputs[0]];
        const auto own = [&](const torch::Tensor& w) { return weightOf(i, w); };
        torch::Tensor y;
        bool activated = false;
        if (i < choices_.size() && choices_[i].defined()) {
            // A choice block: its choices' activated outputs weighted by their probabilities
            // (the seed's layer, the alternatives, the identity).
            const auto plain = [](const torch::Tensor& w) { return w; };
            const torch::Tensor& p = choices_[i];
            y = p[0] * activate(apply(n, in, out, own), n.activation);
            for (std::size_t k = 0; k < n.alternatives.size(); ++k) {
                Node& a = n.alternatives[k];
                y = y + p[static_cast<int64_t>(k + 1)] *
                            activate(apply(a, in, out, plain), a.activation);
            }
            if (n.identity) {
                y = y + p[static_cast<int64_t>(n.alternatives.size() + 1)] * in;
            }
            activated = true;
        } else {
            y = apply(n, in, out, own);
        }
        if (i < masks_.size() && masks_[i].defined()) {
            std::vector<int64_t> shape(static_cast<std::size_t>(y.dim()), 1);
            shape[1] = -1; // channels first
            y = y * masks_[i].view(shape);
        }
        if (!activated && n.op != OpKind::Input && n.op != OpKind::Softmax &&
            n.activation.kind != workloads::ActivationKind::None) {
            y = activate(y, n.activation);
            if (codes != nullptr) {
                codes->push_back((y > 0).flatten(1).to(torch::kFloat64));
            }
        }
        if (i < activationPrecisions_.size() && !activationPrecisions_[i].bits.empty()) {
            y = expectedQuantisation(activationPrecisions_[i], y, &fakeQuantizeActivation);
        }
        out[i] = y;
        last = y;
    }
    return last;
}

torch::Tensor fakeQuantizeActivation(const torch::Tensor& y, int bits) {
    const torch::Tensor range = y.detach();
    const bool unsigned_ = range.min().item<double>() >= 0;
    const double levels = unsigned_ ? std::pow(2.0, bits) - 1 : std::pow(2.0, bits - 1) - 1;
    const torch::Tensor scale = range.abs().amax().clamp_min(1e-8) / levels;
    const torch::Tensor q = (y / scale).round().clamp(unsigned_ ? 0.0 : -levels, levels) * scale;
    return y + (q - y).detach();
}

torch::Tensor fakeQuantize(const torch::Tensor& w, int bits) {
    const double levels = std::pow(2.0, bits - 1) - 1; // symmetric: 2 bits = {-1, 0, 1}
    std::vector<int64_t> dims;
    for (int64_t d = 1; d < w.dim(); ++d) {
        dims.push_back(d);
    }
    const torch::Tensor scale =
        (dims.empty() ? w.abs() : w.abs().amax(dims, true)).clamp_min(1e-8) / levels;
    const torch::Tensor q = (w / scale).round().clamp(-levels, levels) * scale;
    return w + (q - w).detach();
}

torch::Tensor GraphModuleImpl::weight(std::size_t i) const {
    const Node& n = nodes_.at(i);
    return n.conv2    ? n.conv2->weight
           : n.conv1  ? n.conv1->weight
           : n.linear ? n.linear->weight
                      : torch::Tensor();
}

torch::Tensor GraphModuleImpl::weightOf(std::size_t i, const torch::Tensor& w) const {
    if (i < taps_.size() && taps_[i].defined()) {
        // [Cout, Cin, K]: the kernel's last weight multiplies the newest input (tap 0).
        return quantized(i, w) * taps_[i].flip(0).view({1, 1, -1});
    }
    return quantized(i, w);
}

torch::Tensor GraphModuleImpl::quantized(std::size_t i, const torch::Tensor& w) const {
    if (i >= precisions_.size() || precisions_[i].bits.empty()) {
        return w;
    }
    return expectedQuantisation(precisions_[i], w, &fakeQuantize);
}

torch::Tensor imagesAsInput(const torch::Tensor& images, const std::vector<int64_t>& shape) {
    torch::Tensor x = images.to(torch::kFloat32).div(255.0).sub(kPixelMean).div(kPixelStd);
    x = x.unsqueeze(1);      // N, 1, 28, 28
    if (shape.size() == 2) { // a sequence [T, C]: rows are time steps, columns features
        if (x.size(2) != shape[0] || x.size(3) != shape[1]) {
            x = F::interpolate(x, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{shape[0], shape[1]})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
        }
        return x.squeeze(1).transpose(1, 2).contiguous(); // N, C, T
    }
    if (x.size(2) != shape[0] || x.size(3) != shape[1]) {
        x = F::interpolate(x, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{shape[0], shape[1]})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    }
    return shape[2] == 1 ? x.contiguous() : x.repeat({1, shape[2], 1, 1}).contiguous();
}

} // namespace edgesim::explorer::nas
