#include "explorer/dnas/torch/CostTensor.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace edgesim::explorer::dnas {

namespace {

/// Linear interpolation of `v` at `grid` (v[i * stride]) at x, extrapolated past the ends.
torch::Tensor interpolate(const std::vector<int64_t>& grid, const std::vector<double>& v,
                          std::size_t offset, std::size_t stride, const torch::Tensor& x) {
    if (grid.size() == 1) {
        return torch::full({}, v[offset], torch::kFloat64);
    }
    const double xv = x.item<double>();
    std::size_t i = 0;
    while (i + 2 < grid.size() && xv > static_cast<double>(grid[i + 1])) {
        ++i;
    }
    const double x0 = static_cast<double>(grid[i]);
    const double x1 = static_cast<double>(grid[i + 1]);
    const torch::Tensor w = (x - x0) / (x1 - x0);
    return (1 - w) * v[offset + i * stride] + w * v[offset + (i + 1) * stride];
}

} // namespace

torch::Tensor CostTensor::rounded(const torch::Tensor& c, int group) const {
    const auto& g = model_.groups[static_cast<std::size_t>(group)];
    if (g.tile <= 1) {
        return c;
    }
    const double t = static_cast<double>(g.tile);
    const double r =
        std::min(std::ceil(c.item<double>() / t - 1e-9) * t, static_cast<double>(g.channels));
    return c + (r - c).detach();
}

std::array<torch::Tensor, kCostMetricCount>
CostTensor::costs(const std::vector<torch::Tensor>& channels,
                  const std::vector<torch::Tensor>& precision) const {
    std::vector<torch::Tensor> c(model_.groups.size());
    for (std::size_t k = 0; k < model_.groups.size(); ++k) {
        c[k] =
            model_.groups[k].searchable
                ? rounded(channels.at(k).to(torch::kFloat64), static_cast<int>(k))
                : torch::full({}, static_cast<double>(model_.groups[k].channels), torch::kFloat64);
    }
    const int ram = costMetricIndex("peak_ram_bytes");
    const int flash = costMetricIndex("flash_bytes");
    std::array<torch::Tensor, kCostMetricCount> out;
    for (int k = 0; k < kCostMetricCount; ++k) {
        out[static_cast<std::size_t>(k)] =
            torch::full({}, k == ram ? 0.0 : model_.fixed[k], torch::kFloat64);
    }
    std::vector<torch::Tensor> ramAt;
    for (std::size_t step = 0; step < model_.layers.size(); ++step) {
        const auto& t = model_.layers[step];
        const torch::Tensor probs = step < precision.size() ? precision[step] : torch::Tensor();
        const torch::Tensor cin =
            t.inGroup >= 0
                ? c[static_cast<std::size_t>(t.inGroup)]
                : torch::full({}, static_cast<double>(t.inGrid.front()), torch::kFloat64);
        const torch::Tensor cout =
            t.outGroup >= 0
                ? c[static_cast<std::size_t>(t.outGroup)]
                : (t.inGroup >= 0
                       ? cin
                       : torch::full({}, static_cast<double>(t.outGrid.front()), torch::kFloat64));
        const std::size_t nOut = t.outGrid.size();
        const std::size_t plane = t.inGrid.size() * nOut;
        for (int k = 0; k < kCostMetricCount; ++k) {
            const auto& v = t.values[k];
            // The table of precision p at (cin, cout).
            const auto at = [&](std::size_t p) {
                const std::size_t base = p * plane;
                torch::Tensor value;
                if (t.inGrid.size() == 1) {
                    value = interpolate(t.outGrid, v, base, 1, cout);
                } else if (nOut == 1) {
                    value = interpolate(t.inGrid, v, base, 1, cin);
                } else {
                    // Along the input axis at the two output points that bracket cout, then
                    // along the output axis between them.
                    const double co = cout.item<double>();
                    std::size_t o = 0;
                    while (o + 2 < nOut && co > static_cast<double>(t.outGrid[o + 1])) {
                        ++o;
                    }
                    const torch::Tensor a = interpolate(t.inGrid, v, base + o, nOut, cin);
                    const torch::Tensor b = interpolate(t.inGrid, v, base + o + 1, nOut, cin);
                    const torch::Tensor w = (cout - static_cast<double>(t.outGrid[o])) /
                                            static_cast<double>(t.outGrid[o + 1] - t.outGrid[o]);
                    value = (1 - w) * a + w * b;
                }
                return value;
            };
            torch::Tensor value;
            if (probs.defined() && t.weightBits.size() > 1) {
                const torch::Tensor pr = probs.to(torch::kFloat64);
                for (std::size_t p = 0; p < t.weightBits.size(); ++p) {
                    const torch::Tensor term = pr[static_cast<int64_t>(p)] * at(p);
                    value = value.defined() ? value + term : term;
                }
            } else {
                value = at(0);
            }
            auto& sum = out[static_cast<std::size_t>(k)];
            if (k == ram) {
                ramAt.push_back(value);
            } else {
                sum = sum + (k == flash ? value - model_.fixed[k] : value);
            }
        }
    }
    for (const auto& b : model_.buffers) {
        const torch::Tensor bytes =
            b.group >= 0
                ? c[static_cast<std::size_t>(b.group)] * static_cast<double>(b.bytesPerChannel)
                : torch::full({}, static_cast<double>(b.bytesPerChannel), torch::kFloat64);
        for (int s : b.liveAt) {
            if (std::find(b.touchedBy.begin(), b.touchedBy.end(), s) == b.touchedBy.end()) {
                ramAt[static_cast<std::size_t>(s)] = ramAt[static_cast<std::size_t>(s)] + bytes;
            }
        }
    }
    out[static_cast<std::size_t>(ram)] =
        ramAt.empty() ? torch::zeros({}, torch::kFloat64) : torch::stack(ramAt).max();
    return out;
}

std::array<double, kCostMetricCount> CostTensor::costs(const std::vector<int64_t>& channels,
                                                       const std::vector<int>& weightBits) const {
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> c;
    for (int64_t v : channels) {
        c.push_back(torch::full({}, static_cast<double>(v), torch::kFloat64));
    }
    std::vector<torch::Tensor> precision;
    for (std::size_t step = 0; step < weightBits.size(); ++step) {
        const auto& bits = model_.layers.at(step).weightBits;
        torch::Tensor one = torch::zeros({static_cast<int64_t>(bits.size())}, torch::kFloat64);
        const auto it = std::find(bits.begin(), bits.end(), weightBits[step]);
        if (it == bits.end()) {
            throw std::invalid_argument("layer '" + model_.layers[step].layer +
                                        "' has no table for " + std::to_string(weightBits[step]) +
                                        "-bit weights");
        }
        one[it - bits.begin()] = 1.0;
        precision.push_back(one);
    }
    const auto t = costs(c, precision);
    std::array<double, kCostMetricCount> out{};
    for (std::size_t k = 0; k < out.size(); ++k) {
        out[k] = t[k].item<double>();
    }
    return out;
}

} // namespace edgesim::explorer::dnas
