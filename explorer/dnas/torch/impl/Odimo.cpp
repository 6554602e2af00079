// ODiMO (Risso et al., arXiv 2306.05060; NAS.md §2): each layer two accelerators of the SoC
// can run alone (a split cost table: DIANA's 8-bit digital array and ternary analog array)
// has per-output-channel logits θ [C, 2] over the two engines, used as softmax(θ / T)
// probabilities. A channel's weights are the expectation of their fake quantisations to
// each engine's precision (per channel: GraphModule::setWeightPrecisions with [C, 2]
// probabilities); the layer's channels on each engine are the sums of the probabilities, and
// its latency the smooth maximum of the two parts, which run in parallel (CostTensor). The
// temperature falls as in MPS; export puts each channel on its most probable engine, the
// first engine's share rounded to its tile, and writes the split as a mapping file. θ starts
// on the engine the target's mapper picks for the seed (logit kSeedLogit, spread by
// kInitialSpread). The channels
// themselves are not searched (no pruning): every group keeps the seed's count.
#include "explorer/dnas/torch/DnasMethod.h"

#include <algorithm>
#include <cmath>

namespace edgesim::explorer::dnas {

namespace {

class Odimo final : public AnnealedDnasMethod {
public:
    void build(const std::vector<ChannelGroup>& groups, const std::vector<LayerCostTable>& layers,
               const DnasSettings&) override {
        seed_.clear();
        for (const auto& g : groups) {
            seed_.push_back(g.channels);
        }
        layers_ = layers;
        theta_.clear();
        frozen_.clear();
        for (const auto& t : layers) {
            torch::Tensor th;
            if (t.isSplit()) {
                // Spread (from the search's seed) so that channels leave one by one as the
                // cost pushes, not all at once.
                th = kInitialSpread * torch::randn({t.outGrid.back(), 2}, torch::kFloat32);
                th.select(1, 0).add_(kSeedLogit);
                th.requires_grad_(true);
            }
            theta_.push_back(th);
        }
    }

    std::vector<torch::Tensor> parameters() override { return withDefined({}, theta_); }

    ChannelChoice choice() override {
        ChannelChoice c;
        for (int64_t n : seed_) {
            c.masks.emplace_back();
            c.channels.push_back(torch::full({}, static_cast<double>(n), torch::kFloat64));
        }
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            torch::Tensor probs;
            if (!frozen_.empty()) {
                probs = frozen_[s];
            } else if (theta_[s].defined()) {
                probs = torch::softmax(theta_[s] / temperature_, 1);
            }
            c.precision.push_back(probs);
            c.split.push_back(probs.defined() ? probs.sum(0).to(torch::kFloat64) : torch::Tensor());
        }
        return c;
    }

    std::vector<int64_t> exported() override { return seed_; }

    std::vector<int> exportedBits() override {
        std::vector<int> bits;
        for (const auto& t : layers_) {
            bits.push_back(t.weightBits.front());
        }
        return bits;
    }

    std::vector<int64_t> exportedSplit() override {
        torch::NoGradGuard noGrad;
        std::vector<int64_t> split;
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            if (!theta_[s].defined()) {
                split.push_back(-1);
                continue;
            }
            const int64_t total = theta_[s].size(0);
            const int64_t first = (theta_[s].argmax(1) == 0).sum().item<int64_t>();
            const auto tile = static_cast<double>(std::max<int64_t>(1, layers_[s].splitTiles[0]));
            split.push_back(std::clamp<int64_t>(
                static_cast<int64_t>(std::llround(static_cast<double>(first) / tile) * tile), 0,
                total));
        }
        return split;
    }

    void freeze(const std::vector<int64_t>&, const std::vector<int>&,
                const std::vector<int64_t>& split, const std::vector<int>&) override {
        torch::NoGradGuard noGrad;
        frozen_.clear();
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            torch::Tensor one;
            if (theta_[s].defined()) {
                // The `split[s]` channels that lean most to the first engine go there.
                const torch::Tensor lean = theta_[s].select(1, 0) - theta_[s].select(1, 1);
                const torch::Tensor order = std::get<1>(lean.sort(true, 0, true));
                one = torch::zeros_like(theta_[s]);
                one.select(1, 1).fill_(1.0F);
                const torch::Tensor first = order.slice(0, 0, split.at(s));
                one.index_put_({first, 0}, 1.0F);
                one.index_put_({first, 1}, 0.0F);
            }
            frozen_.push_back(one);
        }
    }

private:
    std::vector<int64_t> seed_;
    std::vector<LayerCostTable> layers_;
    std::vector<torch::Tensor> theta_, frozen_;
};

const bool kRegistered = registerDnasMethod("odimo", [] { return std::make_unique<Odimo>(); });

} // namespace

} // namespace edgesim::explorer::dnas
