// Mixed-precision search with joint pruning (NAS.md §2): PIT's channel masks (PitMasks.h)
// choose the channels, and each layer whose cost table holds several weight precisions (those
// the target runs it in, e.g. 8/4/2 bits on GAP9's NE16) has logits θ over them, used as
// softmax(θ / T) probabilities: the layer's weights are the expectation of their fake
// quantisations (GraphModule::setWeightPrecisions) and its cost the expectation of its table
// over the precisions (CostTensor). The temperature falls geometrically from 1 to
// kFinalTemperature over the search; export takes each layer's most probable precision.
// θ starts at the seed's precision (logit kSeedLogit, the others 0), so warm-up trains
// nearly the seed.
#include "explorer/dnas/torch/DnasMethod.h"
#include "explorer/dnas/torch/PitMasks.h"

namespace edgesim::explorer::dnas {

namespace {

class Mps final : public DnasMethod {
public:
    void build(const std::vector<ChannelGroup>& groups, const std::vector<LayerCostTable>& layers,
               const DnasSettings& settings) override {
        masks_.build(groups, settings.threshold);
        theta_.clear();
        bits_.clear();
        frozen_.clear();
        for (const auto& t : layers) {
            bits_.push_back(t.weightBits);
            torch::Tensor th;
            if (t.weightBits.size() > 1) {
                th = torch::zeros({static_cast<int64_t>(t.weightBits.size())}, torch::kFloat32);
                th[0] = kSeedLogit;
                th.requires_grad_(true);
            }
            theta_.push_back(th);
        }
    }

    std::vector<torch::Tensor> parameters() override {
        std::vector<torch::Tensor> p = masks_.parameters();
        for (const auto& t : theta_) {
            if (t.defined()) {
                p.push_back(t);
            }
        }
        return p;
    }

    ChannelChoice choice() override {
        ChannelChoice c = masks_.choice();
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            if (!frozen_.empty()) {
                c.precision.push_back(frozen_[s]);
            } else {
                c.precision.push_back(theta_[s].defined()
                                          ? torch::softmax(theta_[s] / temperature_, 0)
                                          : torch::Tensor());
            }
        }
        return c;
    }

    std::vector<int64_t> exported() override { return masks_.exported(); }
    void startSearch(const std::vector<torch::Tensor>& importance) override {
        masks_.rank(importance);
    }

    std::vector<int> exportedBits() override {
        torch::NoGradGuard noGrad;
        std::vector<int> bits;
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            bits.push_back(
                theta_[s].defined()
                    ? bits_[s][static_cast<std::size_t>(theta_[s].argmax().item<int64_t>())]
                    : bits_[s].front());
        }
        return bits;
    }

    void freeze(const std::vector<int64_t>& keep, const std::vector<int>& bits,
                const std::vector<int64_t>&, const std::vector<int>&) override {
        masks_.freeze(keep);
        frozen_.clear();
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            torch::Tensor one;
            if (theta_[s].defined()) {
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

    void startEpoch(int searchEpoch, int searchEpochs) override {
        temperature_ = annealedTemperature(searchEpoch, searchEpochs);
    }

    double temperature() const override { return temperature_; }

private:
    PitMasks masks_;
    std::vector<torch::Tensor> theta_, frozen_;
    std::vector<std::vector<int>> bits_;
    double temperature_ = 1.0;
};

const bool kRegistered = registerDnasMethod("mps", [] { return std::make_unique<Mps>(); });

} // namespace

} // namespace edgesim::explorer::dnas
