#include "explorer/dnas/torch/TapMasks.h"

#include "explorer/dnas/torch/CostTensor.h"
#include "explorer/dnas/torch/PitMasks.h"

namespace edgesim::explorer::dnas {

namespace {

/// |p| binarised at `threshold`, the identity gradient backwards.
torch::Tensor binarised(const torch::Tensor& p, double threshold) {
    const torch::Tensor a = p.abs();
    return (a >= threshold).to(torch::kFloat32).detach() + (a - a.detach());
}

/// `n` values spread evenly over (threshold, threshold + spread], the first the highest when
/// `descending`.
torch::Tensor spread(int64_t n, double threshold, bool descending) {
    torch::Tensor steps = torch::arange(1, n + 1, torch::kFloat32) *
                          static_cast<float>(PitMasks::kRankSpread / static_cast<double>(n));
    if (descending) {
        steps = steps.flip(0);
    }
    return steps + static_cast<float>(threshold);
}

} // namespace

void TapMasks::build(const std::vector<LayerCostTable>& layers, double threshold) {
    threshold_ = threshold;
    tables_.clear();
    beta_.assign(layers.size(), torch::Tensor());
    gamma_.assign(layers.size(), torch::Tensor());
    frozen_.assign(layers.size(), torch::Tensor());
    for (std::size_t s = 0; s < layers.size(); ++s) {
        LayerCostTable t;
        t.layer = layers[s].layer;
        t.kernels = layers[s].kernels;
        t.dilations = layers[s].dilations;
        tables_.push_back(std::move(t));
        const auto& k = layers[s].kernels;
        if (k.empty() || k.front() < 2) {
            continue;
        }
        const int64_t taps = k.front();
        int64_t levels = 0;
        while ((int64_t{2} << levels) <= taps - 1) {
            ++levels;
        }
        // β_1 (the newest tap after tap 0) highest; γ_1 (odd taps) lowest.
        beta_[s] = spread(taps - 1, threshold, true).requires_grad_(true);
        if (levels > 0) {
            gamma_[s] = spread(levels, threshold, false).requires_grad_(true);
        }
    }
}

std::vector<torch::Tensor> TapMasks::parameters() const {
    std::vector<torch::Tensor> p;
    for (std::size_t s = 0; s < beta_.size(); ++s) {
        for (const auto& t : {beta_[s], gamma_[s]}) {
            if (t.defined()) {
                p.push_back(t);
            }
        }
    }
    return p;
}

std::vector<torch::Tensor> TapMasks::choice() const {
    std::vector<torch::Tensor> out(beta_.size());
    for (std::size_t s = 0; s < beta_.size(); ++s) {
        if (frozen_[s].defined()) {
            out[s] = frozen_[s];
            continue;
        }
        if (!beta_[s].defined()) {
            continue;
        }
        const int64_t taps = beta_[s].size(0) + 1;
        // Receptive field: tap i (>= 1) needs β_1..β_i.
        const torch::Tensor field = torch::cumprod(binarised(beta_[s], threshold_), 0);
        // Dilation: tap i with 2^t its largest power-of-two divisor needs γ_{t+1}..γ_L, the
        // suffix product after t (1 past the last level).
        std::vector<torch::Tensor> suffix;
        if (gamma_[s].defined()) {
            const torch::Tensor g = binarised(gamma_[s], threshold_);
            const torch::Tensor c = torch::cumprod(g.flip(0), 0).flip(0);
            for (int64_t t = 0; t < g.size(0); ++t) {
                suffix.push_back(c[t]);
            }
        }
        std::vector<torch::Tensor> mask = {torch::ones({}, torch::kFloat32)};
        for (int64_t i = 1; i < taps; ++i) {
            int64_t t = 0;
            while ((i >> t & 1) == 0) {
                ++t;
            }
            torch::Tensor m = field[i - 1];
            if (static_cast<std::size_t>(t) < suffix.size()) {
                m = m * suffix[static_cast<std::size_t>(t)];
            }
            mask.push_back(m);
        }
        out[s] = torch::stack(mask);
    }
    return out;
}

std::vector<int> TapMasks::exported() const {
    torch::NoGradGuard noGrad;
    const auto masks = choice();
    std::vector<int> v(masks.size(), -1);
    for (std::size_t s = 0; s < masks.size(); ++s) {
        if (masks[s].defined()) {
            v[s] = tapVariantOf(tables_[s], masks[s]);
        }
    }
    return v;
}

void TapMasks::freeze(const std::vector<int>& variants) {
    for (std::size_t s = 0; s < variants.size() && s < frozen_.size(); ++s) {
        if (variants[s] >= 0 && beta_[s].defined()) {
            frozen_[s] = tapMask(tables_[s], static_cast<std::size_t>(variants[s]));
        }
    }
}

} // namespace edgesim::explorer::dnas
