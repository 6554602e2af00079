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
    /// entry, for the first): each layer costs the expectation over its precisions. Per step
    /// of a split table, `split` ([2] float64, undefined: all on the first engine) holds the
    /// effective output channels on each engine: the first's share is rounded to its tile
    /// (straight-through), the second takes the rest, an engine's part fades out linearly
    /// below one channel, and the layer's latency is the smooth maximum of the parts,
    /// sum_k softmax(l / tau)_k l_k (NAS.md §2, ODiMO) with tau kSmoothMaxScale of their sum;
    /// `hardMax` takes the plain maximum instead. Per step of a table with receptive-field
    /// variants, `taps` ([K] float32, undefined: the seed's) masks the seed kernel's taps
    /// (tap i is i steps back; binary in the forward pass, as tapMask() makes them): the
    /// kept taps' spacing s picks the variants of that stride, and the layer costs their
    /// table read at the effective tap count (the mask's sum, which carries the gradient),
    /// interpolated linearly between kernels. Per step of a SuperNet choice block, `choices`
    /// ([V] float32, undefined: the seed's layer) holds the probabilities of its variants, and
    /// the layer costs the expectation over them (NAS.md §2: Σ θ_i cost_i). Per step with a
    /// per-channel precision choice, `precisionChannels` ([P] float64) holds the effective
    /// output channels at each of its precisions: the layer costs Σ_p table_p at them (each
    /// part rounded up to the tile, straight-through, and fading out below one channel), as
    /// its sub-layers would; RAM is the whole layer's. Per step whose output activation
    /// precision is searched (LayerCostTable::outActivationBits), `activation` ([A] float32,
    /// undefined: the seed's) holds its probabilities: each reader costs the expectation of its
    /// table over its input's precisions (NAS.md §2: Σ_i Σ_j p_act(i) p_w(j) cost(i, j)), and
    /// the buffers it (and the ops without weights after it) writes their expected size.
    std::array<torch::Tensor, kCostMetricCount>
    costs(const std::vector<torch::Tensor>& channels,
          const std::vector<torch::Tensor>& precision = {},
          const std::vector<torch::Tensor>& split = {}, bool hardMax = false,
          const std::vector<torch::Tensor>& taps = {},
          const std::vector<torch::Tensor>& choices = {},
          const std::vector<torch::Tensor>& precisionChannels = {},
          const std::vector<torch::Tensor>& activation = {}) const;

    /// The same, of integer channel counts, per-step weight bits (empty: the tables' first),
    /// per-step channels on a split table's first engine (-1 or empty: all) and per-step
    /// variants, receptive-field or choice (-1 or empty: the seed's), as plain numbers (equal
    /// to predictCosts()), and per-step output activation bits (0 or empty: the seed's).
    std::array<double, kCostMetricCount>
    costs(const std::vector<int64_t>& channels, const std::vector<int>& weightBits = {},
          const std::vector<int64_t>& split = {}, const std::vector<int>& taps = {},
          const std::vector<std::vector<int64_t>>& channelBits = {},
          const std::vector<int>& activationBits = {}) const;

    /// The smooth maximum's temperature as a share of the parts' summed latency: estimate,
    /// small enough that the larger part dominates (0.05: a part 20% longer gets 98% of the
    /// weight), large enough that the smaller one still gets a gradient.
    static constexpr double kSmoothMaxScale = 0.05;

    /// `c` rounded up to the group's tile (at most its seed count), identity gradient.
    torch::Tensor rounded(const torch::Tensor& c, int group) const;

private:
    const CostModel& model_;
};

/// The mask of receptive-field variant `v` of `table` over its seed kernel's taps ([K]
/// float32, tap i is i steps back from the newest input).
torch::Tensor tapMask(const LayerCostTable& table, std::size_t v);

/// The receptive-field variant of `table` whose taps `mask` keeps (> 0.5); -1 when the kept
/// taps are no variant.
int tapVariantOf(const LayerCostTable& table, const torch::Tensor& mask);

} // namespace edgesim::explorer::dnas
