// SuperNet choice blocks (NAS.md §2): each layer whose cost table holds choices (the seed's
// layer, its alternatives of the same output shape, perhaps no layer at all) has logits θ
// over them. In training each step samples one choice per block with the straight-through
// Gumbel-softmax (Jang et al., ICLR 2017; as FBNet, Wu et al., CVPR 2019): forward the one-hot
// of argmax((θ + g) / T), g Gumbel noise from the seeded generator, backward the gradient of
// softmax((θ + g) / T); the layer's output is then the sampled choice's
// (GraphModule::setChoiceProbabilities) and its cost the sampled choice's table, with the
// gradient of the expectation (CostTensor). A deterministic mixture softmax(θ / T) of all
// choices was tried first: it collapses to the identity choices whatever the limit (the
// skip-connection collapse known from DARTS; measured on dnas-supernet-fmnist: three of five
// blocks skipped for a limit one skip meets). The temperature falls geometrically from 1 to
// kFinalTemperature over the search; outside training (no gradient) and at export the choice
// is argmax θ. θ starts at 0 (every choice equally likely, as FBNet's and PLiNIO's
// SuperNets start), so warm-up trains every alternative's weights alike before θ moves; a
// seed-favouring start leaves the alternatives too little trained to be chosen. Channels are
// searched with PIT's masks for the groups the caller left searchable (the runner fixes them: a
// skipped layer passes its input's channels on).
#include "explorer/dnas/torch/DnasMethod.h"
#include "explorer/dnas/torch/PitMasks.h"

namespace edgesim::explorer::dnas {

namespace {

class SuperNet final : public AnnealedDnasMethod {
public:
    void build(const std::vector<ChannelGroup>& groups, const std::vector<LayerCostTable>& layers,
               const DnasSettings& settings) override {
        masks_.build(groups, settings.threshold);
        theta_.clear();
        frozen_.clear();
        bits_.clear();
        for (const auto& t : layers) {
            bits_.push_back(t.weightBits.front());
            torch::Tensor th;
            if (t.choices.size() > 1) {
                th = torch::zeros({static_cast<int64_t>(t.choices.size())}, torch::kFloat32)
                         .requires_grad_(true);
            }
            theta_.push_back(th);
        }
    }

    std::vector<torch::Tensor> parameters() override {
        return withDefined(masks_.parameters(), theta_);
    }

    ChannelChoice choice() override {
        ChannelChoice c = masks_.choice();
        c.precision.assign(theta_.size(), torch::Tensor());
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            const torch::Tensor& th = theta_[s];
            if (!frozen_.empty() || !th.defined()) {
                c.choices.push_back(frozen_.empty() ? torch::Tensor() : frozen_[s]);
            } else if (!torch::GradMode::is_enabled()) {
                c.choices.push_back(
                    torch::one_hot(th.detach().argmax(), th.size(0)).to(torch::kFloat32));
            } else {
                const torch::Tensor u = torch::rand_like(th).clamp(1e-10, 1.0 - 1e-7);
                const torch::Tensor soft =
                    torch::softmax((th - (-u.log()).log()) / temperature_, 0);
                const torch::Tensor hard =
                    torch::one_hot(soft.detach().argmax(), th.size(0)).to(torch::kFloat32);
                c.choices.push_back(hard - soft.detach() + soft);
            }
        }
        return c;
    }

    std::vector<int64_t> exported() override { return masks_.exported(); }
    void startSearch(const std::vector<torch::Tensor>& importance) override {
        masks_.rank(importance);
    }
    std::vector<int> exportedBits() override { return bits_; }

    std::vector<int> exportedVariants() override {
        torch::NoGradGuard noGrad;
        std::vector<int> v;
        for (const auto& th : theta_) {
            v.push_back(th.defined() ? static_cast<int>(th.argmax().item<int64_t>()) : -1);
        }
        return v;
    }

    void freeze(const std::vector<int64_t>& keep, const std::vector<int>&,
                const std::vector<int64_t>&, const std::vector<int>& variants) override {
        masks_.freeze(keep);
        frozen_.clear();
        for (std::size_t s = 0; s < theta_.size(); ++s) {
            torch::Tensor one;
            if (theta_[s].defined()) {
                one = torch::zeros_like(theta_[s]).detach();
                one[variants.at(s)] = 1.0F;
            }
            frozen_.push_back(one);
        }
    }

private:
    PitMasks masks_;
    std::vector<torch::Tensor> theta_, frozen_;
    std::vector<int> bits_;
};

const bool kRegistered =
    registerDnasMethod("supernet", [] { return std::make_unique<SuperNet>(); });

} // namespace

} // namespace edgesim::explorer::dnas
