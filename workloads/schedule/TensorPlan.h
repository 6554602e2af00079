// Memory planning over a kernel schedule whose kernels name the tensors they read and write
// (training strategies, docs/notes/training-model.md): a tensor lives from the first kernel
// that touches it to the last (or the whole schedule when persistent: weights held in RAM,
// optimizer state), tensors are placed with the same greedy policy as activation buffers
// (MemoryPlanner.h), and the peak is broken down by what the bytes hold.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgesim::workloads {

/// What a tensor of a training schedule holds (the peak-RAM breakdown's categories).
enum class TensorRole {
    Activation,         ///< a layer output consumed within the pass
    SavedActivation,    ///< a layer input kept for its weight gradient
    Mask,               ///< activation-derivative state (1 bit per element after ReLU)
    ActivationGradient, ///< dY / dX working buffers
    WeightGradient,     ///< dW and db, per layer or accumulated over a step
    TrainableWeights,   ///< weights updated in place, so held in RAM
    OptimizerState,     ///< momentum / Adam moments
    Feedback,           ///< PEPITA's fixed random projection F
    Scratch,            ///< kernel workspace
    ReplayBuffer,       ///< continual learning: stored samples (raw or latent) in RAM
};
constexpr std::size_t kTensorRoleCount = 10;
std::string_view toString(TensorRole role);

struct ScheduleTensor {
    std::string name;
    TensorRole role = TensorRole::Activation;
    int64_t bytes = 0;
    bool persistent = false; ///< live during the whole schedule
};

/// The tensors one kernel (a step of the schedule) touches, as indices into the tensors.
struct TensorAccess {
    std::vector<int> reads;
    std::vector<int> writes;
};

struct TensorPlan {
    /// Per tensor: the steps it lives in (inclusive), -1 for a tensor never touched and not
    /// persistent (not placed); its offset in the arena.
    std::vector<int> firstStep;
    std::vector<int> lastStep;
    std::vector<int64_t> offsets;
    std::vector<int64_t> liveBytes; ///< per step
    int64_t arenaBytes = 0;         ///< extent of the greedy placement
    int64_t peakLiveBytes = 0;      ///< max of liveBytes: the bound no placement beats
    int peakStep = -1;              ///< first step where liveBytes is at its max
    /// Live bytes by TensorRole at peakStep (they sum to peakLiveBytes).
    std::array<int64_t, kTensorRoleCount> peakByRole{};
};

/// Plans `tensors` over `steps` (one TensorAccess per kernel, in execution order). Indices
/// out of range are a std::invalid_argument (a lowering bug, not bad input).
TensorPlan planTensors(const std::vector<ScheduleTensor>& tensors,
                       const std::vector<TensorAccess>& steps);

} // namespace edgesim::workloads
