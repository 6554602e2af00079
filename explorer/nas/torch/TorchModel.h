// A NAS candidate as a libtorch module, built from the same network graph the simulator runs:
// one torch layer per graph layer, in execution order, with the graph's padding (TensorFlow
// SAME, explicit, causal), strides, dilations, groups and fused activations. The graph is the
// deployment form (batch norm folded into convolutions); training puts a batch norm after each
// convolution back, as the network would be trained before folding. Tensors are channels-first
// (N, C, H, W) or (N, C, T) inside the module; the graph's shapes are channels-last per sample.
#pragma once

#include "workloads/graph/Network.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace edgesim::explorer::nas {

class GraphModuleImpl : public torch::nn::Module {
public:
    /// SuperNet choice block alternatives of a layer: layers reading its input with its output
    /// shape (shapes inferred), and whether skipping it (its input passed on) is a choice.
    struct Alternatives {
        std::vector<workloads::Layer> layers;
        bool identity = false;
    };

    /// Throws std::invalid_argument naming the first layer whose op or attributes it cannot
    /// build (ops no search space emits: concat, reshape, transpose, ...). `alternatives`:
    /// per layer, the choices besides it (trained alongside it, used per
    /// setChoiceProbabilities).
    GraphModuleImpl(const workloads::Network& network, bool batchNorm,
                    const std::map<workloads::Network::LayerId, Alternatives>& alternatives = {});

    /// Logits (a trailing softmax is left out: the loss and argmax take logits). With
    /// `codes`, also each activation's output as 0/1 (x > 0) per sample, flattened
    /// (NASWOT's binary codes).
    torch::Tensor forward(torch::Tensor x, std::vector<torch::Tensor>* codes = nullptr);

    /// The graph input's per-sample shape, channels last ([H, W, C] or [T, C]).
    const std::vector<int64_t>& inputShape() const { return inputShape_; }

    /// The graph's layers in the module's order (its execution order).
    const std::vector<workloads::Network::LayerId>& layers() const { return layers_; }
    /// The weights of layer `i` (in layers() order) as trained, output channels first;
    /// undefined for a layer without weights.
    torch::Tensor weight(std::size_t i) const;
    /// Channel masks (differentiable searches): per layer in layers() order, a [C] tensor the
    /// layer's output channels are multiplied by after its batch norm and before its
    /// activation, or an undefined tensor for none. Empty: no masks.
    void setChannelMasks(std::vector<torch::Tensor> masks) { masks_ = std::move(masks); }

    /// Weight precisions (mixed-precision searches): per layer in layers() order, candidate
    /// bit widths and their probabilities ([P], or [C, P] per output channel); the layer's
    /// weights become the expectation of their per-output-channel symmetric fake
    /// quantisations at those widths (rounding with the identity gradient). Empty bits: the
    /// float weights. Empty: none.
    struct WeightPrecision {
        std::vector<int> bits;
        torch::Tensor probabilities;
    };
    void setWeightPrecisions(std::vector<WeightPrecision> p) { precisions_ = std::move(p); }

    /// Activation precisions (MPS, NAS.md §2): per layer in layers() order, candidate bit
    /// widths and their probabilities ([P]); the layer's (activated, masked) output becomes
    /// the expectation of its fake quantisations at those widths (fakeQuantizeActivation).
    /// Empty bits: the float output. Empty: none.
    void setActivationPrecisions(std::vector<WeightPrecision> p) {
        activationPrecisions_ = std::move(p);
    }

    /// Tap masks (receptive-field searches): per layer in layers() order, a [K] tensor over a
    /// 1-D convolution's kernel taps, tap i being i steps back from the newest input (the
    /// kernel's last weight is tap 0), that its weights are multiplied by; undefined: none.
    void setTapMasks(std::vector<torch::Tensor> masks) { taps_ = std::move(masks); }

    /// Choice probabilities (SuperNet searches): per layer in layers() order, a [V] tensor
    /// over the layer itself, its alternatives and (last) its identity; the layer's output
    /// is the probability-weighted sum of their activated outputs. Undefined: the layer alone.
    void setChoiceProbabilities(std::vector<torch::Tensor> p) { choices_ = std::move(p); }

private:
    struct Node {
        workloads::OpKind op = workloads::OpKind::Input;
        std::vector<std::size_t> inputs; ///< positions in nodes_
        torch::nn::Conv2d conv2{nullptr};
        torch::nn::Conv1d conv1{nullptr};
        torch::nn::BatchNorm2d bn2{nullptr};
        torch::nn::BatchNorm1d bn1{nullptr};
        torch::nn::Linear linear{nullptr};
        std::vector<int64_t> pad;    ///< F.pad order: last dimension first, begin then end
        std::vector<int64_t> kernel; ///< pooling
        std::vector<int64_t> stride; ///< pooling
        workloads::Activation activation;
        bool max = false;               ///< max pooling
        std::vector<Node> alternatives; ///< a choice block's, besides this node
        bool identity = false;          ///< a choice block that may be skipped
    };
    Node makeNode(const workloads::Layer& l, const std::string& name, bool batchNorm);
    /// Node `n`'s op on `in` (and `out`, the earlier nodes' outputs, for joins), its weights
    /// passed through `weights`; no mask, no activation.
    torch::Tensor apply(Node& n, const torch::Tensor& in, const std::vector<torch::Tensor>& out,
                        const std::function<torch::Tensor(const torch::Tensor&)>& weights);
    std::vector<Node> nodes_;
    std::vector<int64_t> inputShape_;
    std::vector<workloads::Network::LayerId> layers_;
    std::vector<torch::Tensor> masks_;
    std::vector<WeightPrecision> precisions_, activationPrecisions_;
    std::vector<torch::Tensor> taps_, choices_;
    /// The weights of node `i` as the precisions and tap masks make them (the module's own
    /// without).
    torch::Tensor weightOf(std::size_t i, const torch::Tensor& w) const;
    /// `w` as node `i`'s precisions make it.
    torch::Tensor quantized(std::size_t i, const torch::Tensor& w) const;
};
TORCH_MODULE(GraphModule);

/// Fashion-MNIST images (uint8, [N, 28, 28]) as the module's input: scaled to [0, 1],
/// normalised with the training set's mean and deviation, resized (bilinear) to the input's
/// spatial size and repeated over its channels; for a sequence [T, C], the image's rows are
/// the time steps and its columns the features (resized to T x C).
/// `w` fake-quantised to `bits` (symmetric, one scale per output channel: dimension 0), with
/// the identity gradient through the rounding.
torch::Tensor fakeQuantize(const torch::Tensor& w, int bits);
/// Activations `y` fake-quantised to `bits` over the batch's range (unsigned [0, max] when no
/// value is negative, as after a ReLU; else symmetric), with the identity gradient through the
/// rounding.
torch::Tensor fakeQuantizeActivation(const torch::Tensor& y, int bits);

torch::Tensor imagesAsInput(const torch::Tensor& images, const std::vector<int64_t>& inputShape);

} // namespace edgesim::explorer::nas
