#include "workloads/graph/Layer.h"

#include <stdexcept>

namespace edgesim::workloads {

std::string_view toString(OpKind op) {
    switch (op) {
    case OpKind::Input: return "input";
    case OpKind::Conv2d: return "conv2d";
    case OpKind::DepthwiseConv2d: return "depthwise_conv2d";
    case OpKind::TemporalConv: return "temporal_conv";
    case OpKind::Dense: return "dense";
    case OpKind::AvgPool: return "avg_pool";
    case OpKind::MaxPool: return "max_pool";
    case OpKind::GlobalAvgPool: return "global_avg_pool";
    case OpKind::Add: return "add";
    case OpKind::Concat: return "concat";
    case OpKind::Activation: return "activation";
    case OpKind::Softmax: return "softmax";
    case OpKind::Flatten: return "flatten";
    case OpKind::Reshape: return "reshape";
    case OpKind::BatchNorm: return "batch_norm";
    case OpKind::Quantize: return "quantize";
    case OpKind::Dequantize: return "dequantize";
    case OpKind::Mul: return "mul";
    case OpKind::Sub: return "sub";
    case OpKind::Sigmoid: return "sigmoid";
    case OpKind::HardSigmoid: return "hard_sigmoid";
    case OpKind::HardSwish: return "hard_swish";
    case OpKind::Swish: return "swish";
    case OpKind::Transpose: return "transpose";
    case OpKind::Slice: return "slice";
    case OpKind::Pad: return "pad";
    case OpKind::Resize: return "resize";
    }
    throw std::logic_error("toString: bad OpKind");
}

const std::vector<OpKind>& kernelOpKinds() {
    static const std::vector<OpKind> kOps = [] {
        std::vector<OpKind> v;
        for (int k = static_cast<int>(OpKind::Conv2d); k <= static_cast<int>(OpKind::Resize); ++k) {
            v.push_back(static_cast<OpKind>(k));
        }
        return v;
    }();
    return kOps;
}

bool isCompute(OpKind op) {
    return op == OpKind::Conv2d || op == OpKind::DepthwiseConv2d || op == OpKind::TemporalConv ||
           op == OpKind::Dense;
}

bool canFuseActivation(OpKind op) {
    return isCompute(op) || op == OpKind::Add || op == OpKind::AvgPool || op == OpKind::MaxPool ||
           op == OpKind::GlobalAvgPool;
}

std::string_view toString(Padding p) {
    switch (p) {
    case Padding::Same: return "same";
    case Padding::Valid: return "valid";
    case Padding::Explicit: return "explicit";
    case Padding::Causal: return "causal";
    }
    throw std::logic_error("toString: bad Padding");
}

std::string_view toString(ActivationKind a) {
    switch (a) {
    case ActivationKind::None: return "none";
    case ActivationKind::Relu: return "relu";
    case ActivationKind::Relu6: return "relu6";
    case ActivationKind::Clip: return "clip";
    }
    throw std::logic_error("toString: bad ActivationKind");
}

} // namespace edgesim::workloads
