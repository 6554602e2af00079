// Mixed-precision search with joint pruning (NAS.md §2): PIT's channel masks (PitMasks.h)
// choose the channels, and each layer whose cost table holds several weight precisions (those
// the target runs it in, e.g. 8/4/2 bits on GAP9's NE16) has logits θ over them, used as
// softmax(θ / T) probabilities: the layer's weights are the expectation of their fake
// quantisations (GraphModule::setWeightPrecisions) and its cost the expectation of its table
// over the precisions (CostTensor). The temperature falls geometrically from 1 to
// kFinalTemperature over the search; export takes each layer's most probable precision.
// θ starts at the seed's precision (logit kSeedLogit, the others 0), so warm-up trains
// nearly the seed. Per channel (DnasSettings::perChannel; Risso et al.'s channel-wise MPS):
// θ is [C, P] for each such layer (spread by kInitialSpread), each output channel's weights
// fake-quantised to its own expectation, and the layer costs Σ_p table_p(n_p), n_p the kept
// channels' summed probabilities of precision p (a part fading out below one channel): the
// layer deploys as one sub-layer per precision and a concat (resizedSpec). Activations
// (DnasSettings::activationBits): each step whose output precision the cost model searches
// (LayerCostTable::outActivationBits) has logits over those precisions (the seed's first at
// kSeedLogit), its output the expectation of its fake quantisations and its readers' costs the
// expectation over their input's precisions (Σ_i Σ_j p_act(i) p_w(j) cost(i, j)); export and
// freeze take the most probable.
#include "explorer/dnas/torch/DnasMethod.h"
#include "explorer/dnas/torch/PitMasks.h"

namespace edgesim::explorer::dnas {

namespace {

/// Per channel, the seed precision's initial logit: estimate, lower than kSeedLogit (p = 0.58
/// with two alternatives) because one channel's share of the layer's cost is small against
/// its task-loss gradient (measured: with kSeedLogit every channel stayed int8 on
/// dnas-mps-channel-gap9).
constexpr double kChannelSeedLogit = 1.0;

class Mps final : public AnnealedDnasMethod {
public:
    void build(const std::vector<ChannelGroup>& groups, const std::vector<LayerCostTable>& layers,
               const DnasSettings& settings) override {
        masks_.build(groups, settings.threshold);
        theta_.clear();
        actTheta_.clear();
        actBits_.clear();
        frozenAct_.clear();
        bits_.clear();
        frozen_.clear();
        outGroup_.clear();
        perChannel_ = settings.perChannel;
        groups_ = groups;
        for (const auto& t : layers) {
            bits_.push_back(t.weightBits);
            outGroup_.push_back(t.outGroup);
            torch::Tensor th;
            const auto p = static_cast<int64_t>(t.weightBits.size());
            // Per channel for layers that produce their own (searchable) channel group; others
            // (a depthwise layer's channels are its input's) choose per layer.
            if (p > 1 && perChannel_ && !t.isSplit() && t.outGroup >= 0) {
                th = kInitialSpread * torch::randn({t.outGrid.back(), p}, torch::kFloat32);
                th.select(1, 0).add_(kChannelSeedLogit);
                th.requires_grad_(true);
            } else if (p > 1) {
                th = torch::zeros({p}, torch::kFloat32);
                th[0] = kSeedLogit;
                th.requires_grad_(true);
            }
            theta_.push_back(th);
            torch::Tensor act;
            if (t.outActivationBits.size() > 1) {
                act = torch::zeros({static_cast<int64_t>(t.outActivationBits.size())},
                                   torch::kFloat32);
                act[0] = kSeedLogit;
                act.requires_grad_(true);
            }
            actTheta_.push_back(act);
            actBits_.push_back(t.outActivationBits);
        }
    }

    std::vector<torch::Tensor> parameters() override {
        return withDefined(withDefined(masks_.parameters(), theta_), actTheta_);
    }

    ChannelChoice choice() override {
        ChannelChoice c = masks_.choice();
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            torch::Tensor p;
            if (!frozen_.empty()) {
                p = frozen_[s];
            } else if (theta_[s].defined()) {
                p = torch::softmax(theta_[s] / temperature_, theta_[s].dim() - 1);
            }
            c.precision.push_back(p);
            torch::Tensor counts;
            if (p.defined() && p.dim() == 2) {
                // The kept channels' probabilities of each precision.
                const int g = outGroup_[s];
                const torch::Tensor mask = g >= 0 && c.masks[static_cast<std::size_t>(g)].defined()
                                               ? c.masks[static_cast<std::size_t>(g)]
                                               : torch::ones({p.size(0)}, torch::kFloat32);
                counts = (p * mask.unsqueeze(1)).sum(0).to(torch::kFloat64);
            }
            c.precisionChannels.push_back(counts);
            c.activation.push_back(!frozenAct_.empty() ? frozenAct_[s]
                                   : actTheta_[s].defined()
                                       ? torch::softmax(actTheta_[s] / temperature_, 0)
                                       : torch::Tensor());
        }
        return c;
    }

    std::vector<std::vector<int64_t>>
    exportedChannelBits(const std::vector<int64_t>& keep) override {
        torch::NoGradGuard noGrad;
        std::vector<std::vector<int64_t>> out(theta_.size());
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            if (!theta_[s].defined() || theta_[s].dim() != 2) {
                continue;
            }
            const torch::Tensor best = frozen_.empty() ? theta_[s].argmax(1) : frozen_[s].argmax(1);
            const int64_t total = theta_[s].size(0);
            const int g = outGroup_[s];
            const int64_t kept = g >= 0 && groups_[static_cast<std::size_t>(g)].searchable
                                     ? keep.at(static_cast<std::size_t>(g))
                                     : total;
            const auto order =
                masks_.ranked(g >= 0 ? static_cast<std::size_t>(g) : groups_.size(), total);
            out[s].assign(bits_[s].size(), 0);
            for (int64_t k = 0; k < kept && k < total; ++k) {
                ++out[s][static_cast<std::size_t>(
                    best[order[static_cast<std::size_t>(k)]].item<int64_t>())];
            }
        }
        return out;
    }

    std::vector<int64_t> exported() override { return masks_.exported(); }
    void startSearch(const std::vector<torch::Tensor>& importance) override {
        masks_.rank(importance);
    }

    std::vector<int> exportedBits() override {
        torch::NoGradGuard noGrad;
        std::vector<int> bits;
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            if (theta_[s].defined() && theta_[s].dim() == 2) {
                // Per channel: the precision most channels have (the cost reads the counts).
                const torch::Tensor votes =
                    torch::bincount(theta_[s].argmax(1), {}, theta_[s].size(1));
                bits.push_back(bits_[s][static_cast<std::size_t>(votes.argmax().item<int64_t>())]);
                continue;
            }
            bits.push_back(
                theta_[s].defined()
                    ? bits_[s][static_cast<std::size_t>(theta_[s].argmax().item<int64_t>())]
                    : bits_[s].front());
        }
        return bits;
    }

    std::vector<int> exportedActivationBits() override {
        torch::NoGradGuard noGrad;
        std::vector<int> bits(actTheta_.size(), 0);
        bool any = false;
        for (std::size_t s = 0; s < actTheta_.size(); ++s) {
            if (actTheta_[s].defined()) {
                const torch::Tensor& p = frozenAct_.empty() ? actTheta_[s] : frozenAct_[s];
                bits[s] = actBits_[s][static_cast<std::size_t>(p.argmax().item<int64_t>())];
                any = true;
            }
        }
        return any ? bits : std::vector<int>{};
    }

    void freeze(const std::vector<int64_t>& keep, const std::vector<int>& bits,
                const std::vector<int64_t>&, const std::vector<int>&) override {
        frozenAct_.clear();
        for (const auto& a : actTheta_) {
            torch::NoGradGuard noGrad;
            frozenAct_.push_back(a.defined()
                                     ? torch::one_hot(a.argmax(), a.size(0)).to(torch::kFloat32)
                                     : torch::Tensor());
        }
        masks_.freeze(keep);
        frozen_.clear();
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            torch::Tensor one;
            if (theta_[s].defined() && theta_[s].dim() == 2) {
                torch::NoGradGuard noGrad;
                one = torch::one_hot(theta_[s].argmax(1), theta_[s].size(1)).to(torch::kFloat32);
            } else if (theta_[s].defined()) {
                one = torch::zeros({static_cast<int64_t>(bits_[s].size())}, torch::kFloat32);
                for (std::size_t k = 0; k < bits_[s].size(); ++k) {
                    if (bits_[s][k] == bits.at(s)) {
                        one[static_cast<int64_t>(k)] = 1.0F;
                    }
                }
            }
            frozen_.push_back(one);
        }
    }

private:
    PitMasks masks_;
    std::vector<torch::Tensor> theta_, frozen_, actTheta_, frozenAct_;
    std::vector<std::vector<int>> bits_, actBits_;
    std::vector<int> outGroup_;
    std::vector<ChannelGroup> groups_;
    bool perChannel_ = false;
};

const bool kRegistered = registerDnasMethod("mps", [] { return std::make_unique<Mps>(); });

} // namespace

} // namespace edgesim::explorer::dnas
