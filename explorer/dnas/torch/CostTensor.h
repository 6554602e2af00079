// The DNAS cost model (explorer/dnas/DnasSearch.h CostModel) as a differentiable function of
// the groups' effective channel counts: each layer's table interpolated linearly between grid
// points with tensor arithmetic (the bracket is chosen from the value, the weights carry the
// gradient), channels rounded up to the group's hardware tile in the forward pass with the
// identity gradient (straight-through estimator), flash and energy summed, RAM the peak over
// the steps of the layer's single-layer RAM plus the other buffers live then.
#pragma once

#include "explorer/dnas/DnasSearch.h"

#include <torch/torch.h>

#include <array>
#include <vector>

namespace edgesim::explorer::dnas {

class CostTensor {
public:
    explicit CostTensor(const CostModel& model) : model_(model) {}

    /// Costs in kCostMetrics order (float64 scalars) of the groups' effective channels
    /// `channels` (float64 scalars; a fixed group's entry is ignored) and, per step, the
    /// probabilities of the table's weight precisions (`precision`: empty, or an undefined
    /// entry, for the first): each layer costs the expectation over its precisions.
    std::array<torch::Tensor, kCostMetricCount>
    costs(const std::vector<torch::Tensor>& channels,
          const std::vector<torch::Tensor>& precision = {}) const;

    /// The same, of integer channel counts and per-step weight bits (empty: the tables'
    /// first), as plain numbers (equal to predictCosts()).
    std::array<double, kCostMetricCount> costs(const std::vector<int64_t>& channels,
                                               const std::vector<int>& weightBits = {}) const;

    /// `c` rounded up to the group's tile (at most its seed count), identity gradient.
    torch::Tensor rounded(const torch::Tensor& c, int group) const;

private:
    const CostModel& model_;
};

} // namespace edgesim::explorer::dnas
