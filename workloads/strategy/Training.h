// The lowering library the training strategies share (../shared/TRAINING.md,
// docs/notes/training-model.md): a network x parameters becomes the kernel schedule a device
// runs for one training step, each kernel with the tensors it reads and writes, so that the
// training arena and its breakdown come out of the tensor planner (TensorPlan.h).
// Strategies in impl/ pick a lowering and its configuration; nothing here knows their names.
#pragma once

#include "workloads/strategy/Strategy.h"

#include <string>
#include <vector>

namespace edgesim::workloads {

/// What every training strategy takes: `dtype`, `optimizer`, `counting`.
struct TrainingOptions {
    DType dtype = DType::Fp32;     ///< fp32, or int8 (fully quantised training)
    std::string optimizer = "sgd"; ///< sgd, momentum, adam
    bool pauAymone = false;        ///< counting=pau-aymone (TRAINING.md §1.1 conventions)
};

/// The parameters every training strategy declares (after its own).
std::vector<StrategyParameter> trainingParameters();
/// A strategy's own parameters followed by trainingParameters().
std::vector<StrategyParameter> withTrainingParameters(std::vector<StrategyParameter> own);
/// The common options out of resolved strategy options.
TrainingOptions trainingOptions(const StrategyOptions& options);

/// The compute layers (conv, depthwise, temporal conv, dense) in execution order.
std::vector<Network::LayerId> computeLayers(const Network& net);

/// The backprop family's configuration: per LayerId, whether its weights (a `channelRatio`
/// share of the output channels) and its bias are updated.
struct UpdateSet {
    std::vector<bool> weights;
    std::vector<bool> biases;
    double channelRatio = 1.0;
};

/// An UpdateSet for `net` that updates nothing (strategies set what they train).
UpdateSet noUpdates(const Network& net);

/// Backprop and its restrictions (sparse update, bias-only, last-layer): one forward pass,
/// the loss, and a backward pass that computes input gradients only where a trained parameter
/// lies upstream (so the first layer's never), weight gradients of the updated layers (their
/// inputs kept from the forward pass), bias gradients, and the optimizer: in place right after
/// each layer's gradient at batch 1 (TTE's reordering: dW is the max over layers), once per
/// step after dW accumulated over the batch otherwise. InputError for an op without a
/// backward here.
Schedule lowerBackpropFamily(const Network& net, int batch, const TrainingOptions& options,
                             const UpdateSet& update);

/// Forward-Forward: label embedding into a kept copy of the input, then per compute layer a
/// forward, goodness, normalisation, local weight gradient and in-place update, for a
/// positive and a negative pass (the softmax head is not run).
Schedule lowerForwardForward(const Network& net, int batch, const TrainingOptions& options);

/// Where PEPITA's feedback matrix F lives.
enum class FeedbackStorage { Ram, Flash, Seed };

/// PEPITA's and MEMPEPITA's parameters (`feedback`, then the common ones) and the storage
/// the options name.
std::vector<StrategyParameter> pepitaParameters();
FeedbackStorage feedbackStorage(const StrategyOptions& options);

/// PEPITA: a clean pass keeping every layer output, the error and F·e added to the input, a
/// modulated pass with per-layer weight gradients and in-place updates. `memoryEfficient`
/// (MEMPEPITA): the clean pass keeps nothing; the clean and modulated passes are recomputed
/// layer by layer in lockstep.
Schedule lowerPepita(const Network& net, int batch, const TrainingOptions& options,
                     FeedbackStorage feedback, bool memoryEfficient);

/// Zeroth-order (MeZO/SPSA) with `directions` random directions per step: per direction
/// perturb +eps, forward and loss, perturb -2 eps, forward and loss, restore, update; all
/// weights trainable in RAM, no activations kept beyond a forward pass.
Schedule lowerZerothOrder(const Network& net, int batch, const TrainingOptions& options,
                          int directions);

/// `net` with every layer (but quantize/dequantize) in the training dtype, shapes inferred.
Network inTrainingPrecision(const Network& net, DType dtype);

/// The part of `net` that consumes the input of compute layer `layer` (its latent): an
/// Input of that shape, then every layer downstream. InputError naming the layer when a
/// downstream layer also reads something from before the cut, or the layer has not one input.
Network networkAbove(const Network& net, Network::LayerId layer);

/// One continual-learning adaptation event (TRAINING.md; docs/notes/training-model.md):
/// `newSamples` inferences, then `steps` training steps, with a replay buffer beside them.
struct ContinualEvent {
    Schedule inference;           ///< one new sample's inference
    Schedule step;                ///< one training step (a training schedule)
    int64_t newSamples = 1;       ///< K
    int64_t steps = 1;            ///< E x ceil((N + K) / batch)
    int64_t bufferRamBytes = 0;   ///< replay buffer and new samples held in RAM
    int64_t bufferFlashBytes = 0; ///< replay buffer kept in Flash
    double periodS = 0;           ///< K at the inference rate
    int64_t trainingSamples = 1;  ///< E x (N + K): what per-sample figures divide by
};

/// The event as one schedule: K inferences then the training steps, kernels in that order;
/// its memory is the larger of the two plans plus the RAM buffer (TensorRole::ReplayBuffer),
/// its Flash the step's plus the Flash buffer. InputError when the event would have more than
/// kMaxScheduleKernels kernels.
Schedule composeContinual(const ContinualEvent& event);

} // namespace edgesim::workloads
