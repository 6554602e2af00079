// PIT's channel masks (Risso et al., IEEE TC 2023; NAS.md §2), shared by the methods that
// prune channels: one trainable α per output channel of each searchable group, used as |α|
// and binarised with a Heaviside step at the threshold in the forward pass with the identity
// gradient backwards (straight-through); the channel with the largest |α| is always kept
// (keep-alive). The effective channel count is the sum of the binarised mask. α starts at 1
// (every channel kept).
#pragma once

#include "explorer/dnas/torch/DnasMethod.h"

#include <torch/torch.h>

#include <vector>

namespace edgesim::explorer::dnas {

class PitMasks {
public:
    void build(const std::vector<ChannelGroup>& groups, double threshold);
    /// The α of the searchable groups.
    std::vector<torch::Tensor> parameters() const;
    /// Masks and effective channels (ChannelChoice::precision left empty).
    ChannelChoice choice() const;
    /// Channels kept per group (|α| >= threshold, at least 1; 0 for fixed groups).
    std::vector<int64_t> exported() const;
    /// Fixes each group's mask to its `keep[g]` channels of largest |α| (ties: lower index).
    void freeze(const std::vector<int64_t>& keep);

private:
    double threshold_ = 0.5;
    std::vector<torch::Tensor> alpha_, frozen_;
};

} // namespace edgesim::explorer::dnas
