// PIT (Risso et al., IEEE TC 2023; NAS.md §2): one trainable α per output channel of each
// searchable group, used as |α| and binarised with a Heaviside step at the threshold in the
// forward pass with the identity gradient backwards (straight-through); the channel with the
// largest |α| is always kept (keep-alive). The effective channel count is the sum of the
// binarised mask. α starts at 1 (every channel kept).
#include "explorer/dnas/torch/DnasMethod.h"

#include <algorithm>

namespace edgesim::explorer::dnas {

namespace {

class Pit final : public DnasMethod {
public:
    void build(const std::vector<ChannelGroup>& groups, const DnasSettings& settings) override {
        threshold_ = settings.threshold;
        alpha_.assign(groups.size(), torch::Tensor());
        frozen_.assign(groups.size(), torch::Tensor());
        for (std::size_t g = 0; g < groups.size(); ++g) {
            if (groups[g].searchable) {
                alpha_[g] = torch::ones({groups[g].channels}, torch::kFloat32).requires_grad_(true);
            }
        }
    }

    std::vector<torch::Tensor> parameters() override {
        std::vector<torch::Tensor> p;
        for (const auto& a : alpha_) {
            if (a.defined()) {
                p.push_back(a);
            }
        }
        return p;
    }

    ChannelChoice choice() override {
        ChannelChoice c;
        for (std::size_t g = 0; g < alpha_.size(); ++g) {
            torch::Tensor m;
            if (frozen_[g].defined()) {
                m = frozen_[g];
            } else if (alpha_[g].defined()) {
                const torch::Tensor a = alpha_[g].abs();
                torch::Tensor bin = (a >= threshold_).to(torch::kFloat32);
                bin.index_put_({a.argmax()}, 1.0F);  // keep-alive
                m = bin.detach() + (a - a.detach()); // exactly bin forward
            }
            c.masks.push_back(m);
            c.channels.push_back(m.defined() ? m.sum().to(torch::kFloat64) : torch::Tensor());
        }
        return c;
    }

    std::vector<int64_t> exported() override {
        torch::NoGradGuard noGrad;
        std::vector<int64_t> keep;
        for (const auto& a : alpha_) {
            keep.push_back(a.defined()
                               ? std::max<int64_t>(1, (a.abs() >= threshold_).sum().item<int64_t>())
                               : 0);
        }
        return keep;
    }

    void freeze(const std::vector<int64_t>& keep) override {
        torch::NoGradGuard noGrad;
        for (std::size_t g = 0; g < alpha_.size(); ++g) {
            if (!alpha_[g].defined()) {
                continue;
            }
            // The `keep` channels of largest |α| (ties: the lower index first).
            const torch::Tensor order =
                std::get<1>(alpha_[g].abs().sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
            torch::Tensor m = torch::zeros_like(alpha_[g]);
            m.index_put_({order.slice(0, 0, keep.at(g))}, 1.0F);
            frozen_[g] = m;
        }
    }

private:
    double threshold_ = 0.5;
    std::vector<torch::Tensor> alpha_, frozen_;
};

const bool kRegistered = registerDnasMethod("pit", [] { return std::make_unique<Pit>(); });

} // namespace

} // namespace edgesim::explorer::dnas
