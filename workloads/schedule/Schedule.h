// The kernel schedule a network lowers to: the sequence of operator invocations a runtime
// executes for one pass (inference today; training strategies lower to longer schedules),
// with the geometry the hardware cost models need. Hardware-independent: engines turn each
// kernel into cycles and memory traffic.
#pragma once

#include "workloads/graph/MemoryPlanner.h"
#include "workloads/graph/Network.h"
#include "workloads/schedule/TensorPlan.h"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgesim::workloads {

/// The loop nest of one operator (Timeloop / ZigZag dimensions) that engine models tile and
/// unroll: output = G groups x K channels x OY x OX pixels; each output accumulates
/// C x FY x FX products. Depthwise: G = channels, K = multiplier, C = 1. Dense: K = units,
/// C = input features, OX = rows of the batch dimension. Ops without MACs: G = channels,
/// OX x OY = pixels, FX x FY = pooling window (1 for element-wise ops).
struct LoopNest {
    int64_t k = 1;
    int64_t c = 1;
    int64_t ox = 1;
    int64_t oy = 1;
    int64_t fx = 1;
    int64_t fy = 1;
    int64_t g = 1;
    int64_t strideX = 1;
    int64_t strideY = 1;
    int64_t ix = 1; ///< input columns
    int64_t iy = 1; ///< input rows

    int64_t outputChannels() const { return g * k; }
    int64_t inputChannels() const { return g * c; }
    /// Input rows a block of `rows` output rows reads (window overlap included).
    int64_t inputRowsFor(int64_t rows) const;
};

/// What a kernel computes (training schedules; inference has only Forward).
enum class KernelKind {
    Forward,        ///< the layer's op
    InputGrad,      ///< dX = W^T * dY (or the pool / element-wise op's backward)
    WeightGrad,     ///< dW = dY (x) X (an outer product / correlation)
    BiasGrad,       ///< db = sum of dY
    ActivationGrad, ///< dY through the activation's derivative (its mask)
    Loss,           ///< loss and its gradient at the output (the error e)
    Optimizer,      ///< W -= eta * dW (with the optimizer's state)
    Goodness,       ///< Forward-Forward: sum of squares and the local error
    Normalize,      ///< Forward-Forward: activity normalisation
    Projection,     ///< PEPITA: F * e, added to the input
    Elementwise,    ///< element-wise difference / label embedding
    Perturb,        ///< zeroth-order: a pass over the weights drawing a random direction
};
std::string_view toString(KernelKind kind);

/// The ops training schedules name besides the network's (Kernel::stackOp; stack kernels
/// implement them): "conv2d_input_grad", "dense_weight_grad", "sgd_update", "rng_perturb", ...
/// The kernel kinds' ops: they do not grow with strategies.
const std::vector<std::string>& trainingOps();

/// Which pass of a training step a kernel belongs to.
enum class Pass { Forward, Backward, Positive, Negative, Clean, Modulated, Perturbed, Update };
std::string_view toString(Pass pass);

struct Kernel {
    Network::LayerId layer = 0;
    std::string name;
    OpKind op = OpKind::Input;
    ActivationKind activation = ActivationKind::None;
    DType dtype = DType::Int8;       ///< activation (output) element type
    DType inputDtype = DType::Int8;  ///< the widest input's element type (the output's if none)
    DType weightDtype = DType::Int8; ///< for ops with weights
    int64_t macs = 0;
    int64_t weightBytes = 0;   ///< weights and biases
    int64_t inputElements = 0; ///< summed over inputs
    int64_t inputBytes = 0;
    int64_t outputElements = 0;
    int64_t outputBytes = 0;
    /// Elements an im2col step copies: output pixels x kernel window x input channels per
    /// group, for convolutions other than 1x1 at unit stride without padding (0 otherwise).
    int64_t im2colElements = 0;
    /// Output elements x window positions: the filter taps a direct (non-im2col) loop visits,
    /// each with its address arithmetic and padding check (0 for ops without a window).
    int64_t windowTaps = 0;
    /// Elements of one im2col column (kernel window x input channels per group), 0 if none.
    int64_t im2colPatchElements = 0;
    /// Output pixels x window positions of the im2col copy (0 if none): libraries copy one
    /// window position's channels per call, each call with its fixed cost.
    int64_t im2colPositions = 0;
    /// The window reaches past the input (padding that adds elements).
    bool padded = false;
    LoopNest loops;

    // Training schedules (docs/notes/training-model.md).
    KernelKind kind = KernelKind::Forward;
    Pass pass = Pass::Forward;
    /// The op the stack must provide ("dense_weight_grad"); empty: the layer's op.
    std::string stackOp;
    /// The kernel's weights are the trainable copy in RAM (not the stored weights).
    bool weightsInRam = false;

    /// The op name a stack's kernel is looked up by.
    std::string opName() const { return stackOp.empty() ? std::string(toString(op)) : stackOp; }
};

/// The memory of a training schedule: its tensors placed by planTensors.
struct TrainingMemory {
    std::string counting = "physical"; ///< or "pau-aymone" (the sheet's formula)
    int64_t arenaBytes = 0;            ///< the placement's extent
    int64_t peakLiveBytes = 0;
    /// Live bytes per TensorRole at the peak (physical counting).
    std::array<int64_t, kTensorRoleCount> peakByRole{};
    /// Trainable weights held in RAM (inside arenaBytes): not counted again as weights
    /// copied to RAM.
    int64_t ramWeightBytes = 0;
    int64_t trainableParams = 0;
    std::map<std::string, int64_t> macsByKind; ///< MACs per KernelKind name
    /// Continual learning: seconds in which the schedule's work recurs (the new samples of
    /// one adaptation at the inference rate); 0 = not periodic.
    double periodS = 0;
    /// Training samples one run of the schedule processes (per-sample figures divide by it):
    /// the batch, or a continual event's epochs x (buffer + new samples).
    int64_t samplesPerRun = 1;
};

/// Most kernels a schedule may have (a continual event repeats its training step): about
/// 60 MB of kernels and seconds of simulation.
constexpr int64_t kMaxScheduleKernels = 200000;

/// Dynamic inference (early exits): samples leave at an exit with a known probability, so
/// each kernel runs for the share of samples that reach its segment. Segment k holds the
/// kernels up to exit k and that exit's branch; the last segment the rest of the network.
struct DynamicInference {
    std::vector<int> segmentOfKernel; ///< per schedule kernel
    std::vector<double> reach;        ///< per segment: share of samples that run it
    std::vector<std::string> exits;   ///< per exit: the layer it follows
    std::vector<double> exitShare;    ///< per exit: share of samples leaving there
};

struct Schedule {
    std::string network;
    std::string strategy = "inference";
    int batch = 1;
    std::vector<Kernel> kernels; ///< in execution order
    int64_t macs = 0;
    int64_t weightBytes = 0;
    int64_t arenaBytes = 0; ///< activation RAM with buffer reuse (MemoryPlan::arenaBytes);
                            ///< a training schedule's whole training arena
    /// Training schedules: the tensors the kernels read and write (kernels[i] touches
    /// access[i]) and their memory plan. A schedule that repeats planned steps (continual
    /// learning) keeps its plan in `training` and no tensors.
    std::vector<ScheduleTensor> tensors;
    std::vector<TensorAccess> access;
    std::optional<TrainingMemory> training;
    std::optional<DynamicInference> dynamic;
};

/// Largest batch a schedule is lowered for. A batch runs its samples one after the other,
/// so the schedule (and a simulation of it) grows in proportion; edge deployments run
/// batches of 1 to a few dozen, training micro-batches a few hundred.
constexpr int kMaxBatch = 1024;

/// Why `batch` cannot be lowered ("the batch size must be >= 1", "... at most 1024"), or "".
std::string batchProblem(int batch);

/// Lowers `net` (canonical, shapes inferred) for inference: one kernel per non-input layer
/// in execution order, and the activation arena of the memory planner. A batch runs its
/// samples one after the other in the same arena, as MCU runtimes do (kernel names get a
/// "#<sample>" suffix when batch > 1).
Schedule lowerInference(const Network& net, int batch = 1);

/// The forward kernel of layer `id` of `net` (canonical, shapes inferred), as lowerInference
/// emits it.
Kernel forwardKernel(const Network& net, Network::LayerId id);

} // namespace edgesim::workloads
