#include "workloads/schedule/TensorPlan.h"

#include "workloads/graph/MemoryPlanner.h"

#include <algorithm>
#include <stdexcept>

namespace edgesim::workloads {

std::string_view toString(TensorRole role) {
    switch (role) {
    case TensorRole::Activation: return "activations";
    case TensorRole::SavedActivation: return "saved_activations";
    case TensorRole::Mask: return "masks";
    case TensorRole::ActivationGradient: return "activation_gradients";
    case TensorRole::WeightGradient: return "weight_gradients";
    case TensorRole::TrainableWeights: return "trainable_weights";
    case TensorRole::OptimizerState: return "optimizer_state";
    case TensorRole::Feedback: return "feedback_matrix";
    case TensorRole::Scratch: return "scratch";
    case TensorRole::ReplayBuffer: return "replay_buffer";
    }
    return "?";
}

TensorPlan planTensors(const std::vector<ScheduleTensor>& tensors,
                       const std::vector<TensorAccess>& steps) {
    TensorPlan plan;
    const int n = static_cast<int>(steps.size());
    plan.firstStep.assign(tensors.size(), -1);
    plan.lastStep.assign(tensors.size(), -1);
    const auto touch = [&](int t, int step) {
        if (t < 0 || static_cast<std::size_t>(t) >= tensors.size()) {
            throw std::invalid_argument("step " + std::to_string(step) + " names tensor " +
                                        std::to_string(t) + " of " +
                                        std::to_string(tensors.size()));
        }
        auto& first = plan.firstStep[static_cast<std::size_t>(t)];
        first = first < 0 ? step : std::min(first, step);
        plan.lastStep[static_cast<std::size_t>(t)] =
            std::max(plan.lastStep[static_cast<std::size_t>(t)], step);
    };
    for (int s = 0; s < n; ++s) {
        for (int t : steps[static_cast<std::size_t>(s)].reads) {
            touch(t, s);
        }
        for (int t : steps[static_cast<std::size_t>(s)].writes) {
            touch(t, s);
        }
    }
    std::vector<BufferLifetime> lifetimes;
    std::vector<std::size_t> placed; // tensor index of each lifetime
    for (std::size_t t = 0; t < tensors.size(); ++t) {
        if (tensors[t].persistent && n > 0) {
            plan.firstStep[t] = 0;
            plan.lastStep[t] = n - 1;
        }
        if (plan.firstStep[t] >= 0) {
            lifetimes.push_back({tensors[t].bytes, plan.firstStep[t], plan.lastStep[t]});
            placed.push_back(t);
        }
    }
    plan.liveBytes = liveBytesPerStep(lifetimes, n);
    const auto peak = std::max_element(plan.liveBytes.begin(), plan.liveBytes.end());
    if (peak != plan.liveBytes.end()) {
        plan.peakLiveBytes = *peak;
        plan.peakStep = static_cast<int>(peak - plan.liveBytes.begin());
    }
    const auto offsets = placeGreedy(lifetimes, n, plan.arenaBytes);
    plan.offsets.assign(tensors.size(), 0);
    for (std::size_t i = 0; i < placed.size(); ++i) {
        const std::size_t t = placed[i];
        plan.offsets[t] = offsets[i];
        if (plan.firstStep[t] <= plan.peakStep && plan.peakStep <= plan.lastStep[t]) {
            plan.peakByRole[static_cast<std::size_t>(tensors[t].role)] += tensors[t].bytes;
        }
    }
    return plan;
}

} // namespace edgesim::workloads
