// PIT's masks over the taps of causal temporal convolutions (Risso et al., IEEE TC 2023;
// NAS.md §2): for a layer whose cost table has receptive-field variants (seed kernel K, tap i
// being i time steps back from the newest input), trainable β_1..β_{K-1} for the receptive
// field and γ_1..γ_L (2^L <= K-1) for the dilation, each used as |·| and binarised with a
// Heaviside step at the threshold (identity gradient backwards). Tap i is kept when every
// β_j, j <= i, is (the receptive field ends at the first dropped β) and, for i > 0 with 2^t
// the largest power of two dividing it, every γ_j, j > t, is (dropping γ_j keeps only the
// taps that are multiples of 2^j: the dilation doubles). Tap 0 is always kept. The kept
// taps are then 0, s, 2s, ... below the receptive field: exactly one of the table's
// variants, exported as that many taps at s times the seed's dilation.
//
// The parameters start spread evenly over (threshold, threshold + PitMasks::kRankSpread], the
// oldest taps' β and the finest dilation step's γ nearest the threshold, so that under a cost
// pressure the same for all of them (Adam moves each at about its learning rate) the receptive
// field shrinks from its far end one tap at a time and dilations double one step at a time,
// instead of every tap crossing the threshold in the same step.
#pragma once

#include "explorer/dnas/DnasSearch.h"

#include <torch/torch.h>

#include <vector>

namespace edgesim::explorer::dnas {

class TapMasks {
public:
    /// β and γ for each step whose table has receptive-field variants.
    void build(const std::vector<LayerCostTable>& layers, double threshold);
    std::vector<torch::Tensor> parameters() const;
    /// Per step, the mask of the seed kernel's taps ([K] float32, binary forward), undefined
    /// for steps without variants.
    std::vector<torch::Tensor> choice() const;
    /// Per step, the variant the masks keep (-1 for steps without variants).
    std::vector<int> exported() const;
    /// Fixes each step's mask to variant `variants[step]` (-1: left as is).
    void freeze(const std::vector<int>& variants);

private:
    double threshold_ = 0.5;
    std::vector<LayerCostTable> tables_; ///< the variants only (values left empty)
    std::vector<torch::Tensor> beta_, gamma_, frozen_;
};

} // namespace edgesim::explorer::dnas
