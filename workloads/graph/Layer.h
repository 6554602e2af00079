// A node of the network graph: one operator with its attributes and, once shapes are
// inferred, its output tensor and workload figures (MACs, parameters, bytes).
#pragma once

#include "workloads/graph/Tensor.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace edgesim::workloads {

enum class OpKind {
    Input,           ///< a graph input (produces the input tensor, no work)
    Conv2d,          ///< [H,W,C] -> [H',W',Cout], grouped when groups > 1
    DepthwiseConv2d, ///< [H,W,C] -> [H',W',C*multiplier]
    TemporalConv,    ///< 1-D (optionally dilated, causal) convolution [T,C] -> [T',Cout]
    Dense,           ///< fully connected on the last dimension
    AvgPool,
    MaxPool,
    GlobalAvgPool, ///< [H,W,C] -> [1,1,C] (keeps rank)
    Add,           ///< element-wise sum; a second input broadcasts as for Mul; one input =
                   ///< add a constant
    Concat,
    Activation, ///< ReLU / ReLU6 / clip as a layer of its own
    Softmax,
    Flatten, ///< -> [elements]
    Reshape,
    BatchNorm, ///< per-channel scale and shift (when not folded into a producer)
    Quantize,
    Dequantize,
    Mul,         ///< element-wise product; a second input broadcasts per channel or as a
                 ///< scalar; one input = multiply by a constant (scale)
    Sub,         ///< element-wise difference, broadcasting as Mul
    Sigmoid,     ///< logistic function (its own kernel: not fused into producers)
    HardSigmoid, ///< clip(alpha * x + beta, 0, 1)
    HardSwish,   ///< x * hard_sigmoid(x)
    Swish,       ///< SiLU: x * sigmoid(x)
    Transpose,   ///< permutes the elements (a copy); output shape in `targetShape`
    Slice,       ///< a strided window of the input (slice, split, chunk); output in `targetShape`
    Pad,         ///< constant padding as a layer of its own; output in `targetShape`
    Resize,      ///< nearest-neighbour up/down sampling; output in `targetShape`
};

/// Every op kind but Input, in enum order (the ops kernels exist for).
const std::vector<OpKind>& kernelOpKinds();

/// Name used in tables, JSON and the network text format ("conv2d", "depthwise_conv2d", ...).
std::string_view toString(OpKind op);
/// True for ops with weights whose MACs count (conv, depthwise, temporal conv, dense).
bool isCompute(OpKind op);
/// True for ops that may absorb a following activation or batch norm.
bool canFuseActivation(OpKind op);

enum class Padding { Same, Valid, Explicit, Causal };
std::string_view toString(Padding p);

enum class ActivationKind { None, Relu, Relu6, Clip };
std::string_view toString(ActivationKind a);

struct Activation {
    ActivationKind kind = ActivationKind::None;
    float clipMin = 0.0F; ///< ActivationKind::Clip only
    float clipMax = 0.0F;
};

/// Sliding-window geometry of convolutions and pooling; one entry per spatial dimension.
struct Window {
    std::vector<int64_t> kernel;
    std::vector<int64_t> stride;
    std::vector<int64_t> dilation;
    Padding padding = Padding::Same;
    std::vector<int64_t> padBegin; ///< Padding::Explicit
    std::vector<int64_t> padEnd;
};

/// Workload figures of one layer, filled in by shape inference.
struct LayerStats {
    int64_t macs = 0;
    int64_t params = 0;                          ///< weights + biases
    int64_t weightBytes = 0;                     ///< all parameter storage
    std::array<int64_t, kDTypeCount> weightBytesByDtype{}; ///< indexed by DType
    int64_t inputBytes = 0;                      ///< sum over input tensors
    int64_t outputBytes = 0;
};

struct Layer {
    std::string name;
    std::string origin; ///< where it was defined, for diagnostics ("layers[3]", "node 'Conv_1'")
    int originLine = 0; ///< line of the definition in a text file, 0 if unknown
    OpKind op = OpKind::Input;

    Window window;               ///< conv / pool
    int64_t outChannels = 0;     ///< conv, temporal conv; units for dense
    int64_t groups = 1;          ///< conv, temporal conv
    int64_t depthMultiplier = 1; ///< depthwise
    bool hasBias = true;         ///< conv, depthwise, dense
    int axis = -1;               ///< concat
    Shape targetShape;           ///< reshape (may contain one -1); input shape for Input;
                                 ///< output shape of transpose, slice, pad and resize
    Activation activation;       ///< fused into the output; the op itself for OpKind::Activation

    DType outputDtype = DType::Int8;
    DType weightDtype = DType::Int8;
    DType biasDtype = DType::Int32;

    // Set by inferShapes().
    Tensor output;
    std::vector<Shape> inputShapes;
    LayerStats stats;
};

} // namespace edgesim::workloads
