// PIT's channel masks (Risso et al., IEEE TC 2023; NAS.md §2), shared by the methods that
// prune channels: one trainable α per output channel of each searchable group, used as |α|
// and binarised with a Heaviside step at the threshold in the forward pass with the identity
// gradient backwards (straight-through); the channel with the largest |α| is always kept
// (keep-alive). The effective channel count is the sum of the binarised mask. α starts at 1
// (every channel kept); when the search starts, rank() spreads each group's α evenly over
// (threshold, threshold + kRankSpread] in the order of the channels' importance after
// warm-up, so that under the cost's pressure (the same for every channel of a group, and
// Adam moves every α at about its learning rate) channels leave one at a time, least
// important first, and the group stops shrinking close to where its limit is met instead
// of all of its channels crossing the threshold in the same step.
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
    /// Re-initialises each searchable group's α from `importance` ([C] per group, larger =
    /// more important; undefined: left as is), by rank (ties: lower index more important).
    void rank(const std::vector<torch::Tensor>& importance);
    /// Fixes each group's mask to its `keep[g]` channels of largest |α| (ties: lower index).
    void freeze(const std::vector<int64_t>& keep);
    /// Group `g`'s channels by decreasing |α| (ties: lower index first), the order freeze()
    /// keeps them in; 0..C-1 for a fixed group of C channels.
    std::vector<int64_t> ranked(std::size_t g, int64_t channels) const;

    /// Width of the ranked α's spread above the threshold: estimate, with the default
    /// architecture learning rate (0.02 per step) about 100 steps from the most important
    /// channel to the threshold, so a group does not empty within one epoch.
    static constexpr double kRankSpread = 2.0;

private:
    double threshold_ = 0.5;
    std::vector<torch::Tensor> alpha_, frozen_, frozenOrder_;
};

} // namespace edgesim::explorer::dnas
