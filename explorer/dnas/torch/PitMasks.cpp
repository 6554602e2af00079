#include "explorer/dnas/torch/PitMasks.h"

#include <algorithm>

namespace edgesim::explorer::dnas {

void PitMasks::build(const std::vector<ChannelGroup>& groups, double threshold) {
    threshold_ = threshold;
    alpha_.assign(groups.size(), torch::Tensor());
    frozen_.assign(groups.size(), torch::Tensor());
    frozenOrder_.assign(groups.size(), torch::Tensor());
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (groups[g].searchable) {
            alpha_[g] = torch::ones({groups[g].channels}, torch::kFloat32).requires_grad_(true);
        }
    }
}

std::vector<torch::Tensor> PitMasks::parameters() const {
    std::vector<torch::Tensor> p;
    for (const auto& a : alpha_) {
        if (a.defined()) {
            p.push_back(a);
        }
    }
    return p;
}

ChannelChoice PitMasks::choice() const {
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

std::vector<int64_t> PitMasks::exported() const {
    torch::NoGradGuard noGrad;
    std::vector<int64_t> keep;
    for (const auto& a : alpha_) {
        keep.push_back(
            a.defined() ? std::max<int64_t>(1, (a.abs() >= threshold_).sum().item<int64_t>()) : 0);
    }
    return keep;
}

void PitMasks::rank(const std::vector<torch::Tensor>& importance) {
    torch::NoGradGuard noGrad;
    for (std::size_t g = 0; g < alpha_.size() && g < importance.size(); ++g) {
        if (!alpha_[g].defined() || !importance[g].defined()) {
            continue;
        }
        const int64_t n = alpha_[g].size(0);
        // Descending importance (stable: among equals the lower index first).
        const torch::Tensor order =
            std::get<1>(importance[g].to(torch::kFloat64).sort(true, 0, true));
        const torch::Tensor steps =
            torch::arange(n, 0, -1, torch::kFloat32) * static_cast<float>(kRankSpread / n);
        alpha_[g].index_put_({order}, steps + static_cast<float>(threshold_));
    }
}

std::vector<int64_t> PitMasks::ranked(std::size_t g, int64_t channels) const {
    torch::NoGradGuard noGrad;
    std::vector<int64_t> order(static_cast<std::size_t>(channels));
    if (g >= alpha_.size() || !alpha_[g].defined()) {
        for (int64_t c = 0; c < channels; ++c) {
            order[static_cast<std::size_t>(c)] = c;
        }
        return order;
    }
    const torch::Tensor o =
        frozenOrder_[g].defined()
            ? frozenOrder_[g]
            : std::get<1>(alpha_[g].abs().sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
    for (int64_t c = 0; c < channels && c < o.size(0); ++c) {
        order[static_cast<std::size_t>(c)] = o[c].item<int64_t>();
    }
    return order;
}

void PitMasks::freeze(const std::vector<int64_t>& keep) {
    torch::NoGradGuard noGrad;
    for (std::size_t g = 0; g < alpha_.size(); ++g) {
        if (!alpha_[g].defined()) {
            continue;
        }
        const torch::Tensor order =
            std::get<1>(alpha_[g].abs().sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
        torch::Tensor m = torch::zeros_like(alpha_[g]);
        m.index_put_({order.slice(0, 0, keep.at(g))}, 1.0F);
        frozen_[g] = m;
        frozenOrder_[g] = order;
    }
}

} // namespace edgesim::explorer::dnas
