#include "explorer/dnas/torch/CostTensor.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

/// The tap stride of variant `v` of `t` (0 for the single tap).
int64_t strideOf(const LayerCostTable& t, std::size_t v) {
    return t.kernels[v] == 1 ? 0 : t.dilations[v] / t.dilations.front();
}

} // namespace

torch::Tensor tapMask(const LayerCostTable& t, std::size_t v) {
    torch::Tensor m = torch::zeros({t.kernels.front()}, torch::kFloat32);
    const int64_t stride = std::max<int64_t>(1, strideOf(t, v));
    for (int64_t j = 0; j < t.kernels.at(v); ++j) {
        m[j * stride] = 1.0F;
    }
    return m;
}

int tapVariantOf(const LayerCostTable& t, const torch::Tensor& mask) {
    const torch::Tensor kept = (mask.detach().to(torch::kCPU) > 0.5).nonzero().flatten();
    const int64_t n = kept.size(0);
    if (n == 0 || kept[0].item<int64_t>() != 0) {
        return -1;
    }
    const int64_t stride = n > 1 ? kept[1].item<int64_t>() : 0;
    for (int64_t j = 0; j < n; ++j) {
        if (kept[j].item<int64_t>() != j * stride) {
            return -1;
        }
    }
    for (std::size_t v = 0; v < t.kernels.size(); ++v) {
        if (t.kernels[v] == n && strideOf(t, v) == stride) {
            return static_cast<int>(v);
        }
    }
    return -1;
}

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

std::array<torch::Tensor, kCostMetricCount> CostTensor::costs(
    const std::vector<torch::Tensor>& channels, const std::vector<torch::Tensor>& precision,
    const std::vector<torch::Tensor>& split, bool hardMax, const std::vector<torch::Tensor>& taps,
    const std::vector<torch::Tensor>& choices, const std::vector<torch::Tensor>& precisionChannels,
    const std::vector<torch::Tensor>& activation) const {
    // The probabilities of a searched step's output activation precisions (undefined: the
    // seed's), and a buffer's expected share of its int8 size at its writer's precision.
    const auto actProbs = [&](int source) {
        return source >= 0 && static_cast<std::size_t>(source) < activation.size() &&
                       activation[static_cast<std::size_t>(source)].defined()
                   ? activation[static_cast<std::size_t>(source)].to(torch::kFloat64)
                   : torch::Tensor();
    };
    const auto share = [&](int writer) {
        const int src =
            writer >= 0 ? model_.layers[static_cast<std::size_t>(writer)].outSource : -1;
        const torch::Tensor p = actProbs(src);
        if (!p.defined()) {
            return torch::ones({}, torch::kFloat64);
        }
        const auto& bits = model_.layers[static_cast<std::size_t>(src)].outActivationBits;
        return (p * torch::tensor(std::vector<double>(bits.begin(), bits.end()), torch::kFloat64))
                   .sum() /
               8.0;
    };
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
        // Receptive-field variants: the two of the kept taps' stride whose kernels bracket the
        // effective tap count, and its weight between them.
        std::size_t tapLow = 0, tapHigh = 0;
        torch::Tensor tapWeight;
        if (!t.kernels.empty() && step < taps.size() && taps[step].defined()) {
            const torch::Tensor mask = taps[step].to(torch::kFloat64);
            const torch::Tensor hard = (mask.detach() > 0.5).nonzero().flatten();
            const int64_t stride = hard.size(0) > 1 ? hard[1].item<int64_t>() : 1;
            std::vector<std::pair<int64_t, std::size_t>> line; // (kernel, variant)
            for (std::size_t v = 0; v < t.kernels.size(); ++v) {
                if (t.kernels[v] == 1 || strideOf(t, v) == stride) {
                    line.emplace_back(t.kernels[v], v);
                }
            }
            std::sort(line.begin(), line.end());
            const torch::Tensor x = mask.sum();
            const double xv = x.item<double>();
            std::size_t i = 0;
            while (i + 2 < line.size() && xv > static_cast<double>(line[i + 1].first)) {
                ++i;
            }
            if (line.size() == 1) {
                tapLow = tapHigh = line.front().second;
                tapWeight = torch::zeros({}, torch::kFloat64);
            } else {
                tapLow = line[i].second;
                tapHigh = line[i + 1].second;
                tapWeight = (x - static_cast<double>(line[i].first)) /
                            static_cast<double>(line[i + 1].first - line[i].first);
            }
        }
        // A split: the channels on each engine and how much of each part exists.
        torch::Tensor part[2], exact[2], alive[2];
        const bool splitHere = t.isSplit() && step < split.size() && split[step].defined();
        if (splitHere) {
            // The first share rounded to its engine's tile as the simulator splits, each
            // part read at a multiple of its engine's tile (straight-through).
            const torch::Tensor first = split[step][0].to(torch::kFloat64);
            const double total = cout.item<double>();
            const auto tile = [&](int e) {
                return static_cast<double>(std::max<int64_t>(1, t.splitTiles[e]));
            };
            const double r =
                std::clamp(std::round(first.item<double>() / tile(0)) * tile(0), 0.0, total);
            part[0] = first + (r - first).detach();
            part[1] = cout - part[0];
            for (int e = 0; e < 2; ++e) {
                alive[e] = part[e].clamp(0.0, 1.0);
                const torch::Tensor x = part[e].clamp_min(1.0);
                exact[e] = x;
                const double up = std::min(std::ceil(x.item<double>() / tile(e) - 1e-9) * tile(e),
                                           static_cast<double>(t.outGrid.back()));
                part[e] = x + (up - x).detach();
            }
        }
        for (int k = 0; k < kCostMetricCount; ++k) {
            const auto& v = t.values[k];
            // The table of plane p (precision x variant) at (cin, x).
            const auto atPlane = [&](std::size_t p, const torch::Tensor& x) {
                const std::size_t base = p * plane;
                torch::Tensor value;
                if (t.inGrid.size() == 1) {
                    value = interpolate(t.outGrid, v, base, 1, x);
                } else if (nOut == 1) {
                    value = interpolate(t.inGrid, v, base, 1, cin);
                } else {
                    // Along the input axis at the two output points that bracket x, then
                    // along the output axis between them.
                    const double co = x.item<double>();
                    std::size_t o = 0;
                    while (o + 2 < nOut && co > static_cast<double>(t.outGrid[o + 1])) {
                        ++o;
                    }
                    const torch::Tensor a = interpolate(t.inGrid, v, base + o, nOut, cin);
                    const torch::Tensor b = interpolate(t.inGrid, v, base + o + 1, nOut, cin);
                    const torch::Tensor w = (x - static_cast<double>(t.outGrid[o])) /
                                            static_cast<double>(t.outGrid[o + 1] - t.outGrid[o]);
                    value = (1 - w) * a + w * b;
                }
                return value;
            };
            // The value at input activation precision `act` (an index into activationBits).
            const auto valueAt = [&](std::size_t act) {
                // Precision p (split tables: engine p) at (cin, x), at the step's taps.
                const auto atChannels = [&](std::size_t p, const torch::Tensor& x) {
                    const std::size_t first = t.planeOf(act, p) * t.variantCount();
                    if (!t.choices.empty() && step < choices.size() && choices[step].defined()) {
                        const torch::Tensor pr = choices[step].to(torch::kFloat64);
                        torch::Tensor sum;
                        for (std::size_t v = 0; v < t.choices.size(); ++v) {
                            const torch::Tensor term =
                                pr[static_cast<int64_t>(v)] * atPlane(first + v, x);
                            sum = sum.defined() ? sum + term : term;
                        }
                        return sum;
                    }
                    if (!tapWeight.defined()) {
                        return atPlane(first, x);
                    }
                    return (1 - tapWeight) * atPlane(first + tapLow, x) +
                           tapWeight * atPlane(first + tapHigh, x);
                };
                const auto at = [&](std::size_t p) { return atChannels(p, cout); };
                torch::Tensor value;
                const bool perChannel = step < precisionChannels.size() &&
                                        precisionChannels[step].defined() &&
                                        t.weightBits.size() > 1;
                // MPS per channel: how much of a second sub-layer (and the concat) exists.
                torch::Tensor multi;
                if (perChannel) {
                    // The concat copies every output element: its cost scales with the channels.
                    multi = (precisionChannels[step].clamp(0.0, 1.0).sum() - 1).clamp(0.0, 1.0) *
                            cout / static_cast<double>(t.outGrid.back());
                }
                if (perChannel && k != ram) {
                    // One sub-layer per precision: each part at its channels (time and energy
                    // rounded up to the tile, straight-through), fading out below one channel;
                    // the concat's overhead with a second part; the runtime's flash once.
                    const bool timed =
                        k == costMetricIndex("latency_s") || k == costMetricIndex("energy_j");
                    value = torch::zeros({}, torch::kFloat64);
                    const double tile = static_cast<double>(std::max<int64_t>(1, t.outTile));
                    for (std::size_t p = 0; p < t.weightBits.size(); ++p) {
                        const torch::Tensor n = precisionChannels[step][static_cast<int64_t>(p)];
                        const torch::Tensor alive = n.clamp(0.0, 1.0);
                        const torch::Tensor x = n.clamp_min(1.0);
                        const double up = std::min(std::ceil(x.item<double>() / tile - 1e-9) * tile,
                                                   static_cast<double>(t.outGrid.back()));
                        const torch::Tensor v = atChannels(p, timed ? x + (up - x).detach() : x);
                        value = value + alive * (k == flash ? v - model_.fixed[k] : v);
                    }
                    value = value + multi * t.splitOverhead[k];
                    if (k == flash) {
                        value = value + model_.fixed[k];
                    }
                } else if (perChannel) {
                    value =
                        at(0) + multi * t.splitOverhead[k]; // the layer's buffers and the concat's
                } else if (splitHere && k == ram) {
                    value = at(0); // the layer's buffers, however its channels split
                } else if (splitHere) {
                    // Time and energy of whole tiles of an engine's channels; footprints of the
                    // channels.
                    const bool timed =
                        k == costMetricIndex("latency_s") || k == costMetricIndex("energy_j");
                    const torch::Tensor a = alive[0] * atChannels(0, timed ? part[0] : exact[0]);
                    const torch::Tensor b = alive[1] * atChannels(1, timed ? part[1] : exact[1]);
                    const torch::Tensor overhead = alive[0] * alive[1] * t.splitOverhead[k];
                    if (k == costMetricIndex("latency_s")) {
                        const torch::Tensor l = torch::stack({a, b});
                        if (hardMax) {
                            value = l.max() + overhead;
                        } else {
                            const torch::Tensor tau =
                                (kSmoothMaxScale * (a + b))
                                    .detach()
                                    .clamp_min(std::numeric_limits<double>::min());
                            value = (torch::softmax(l / tau, 0) * l).sum() + overhead;
                        }
                    } else if (k == flash) {
                        // Each table holds the runtime once; the layer holds it once.
                        value = model_.fixed[k] + (a - alive[0] * model_.fixed[k]) +
                                (b - alive[1] * model_.fixed[k]) + overhead;
                    } else {
                        value = a + b + overhead;
                    }
                } else if (probs.defined() && t.weightBits.size() > 1) {
                    const torch::Tensor pr = probs.to(torch::kFloat64);
                    for (std::size_t p = 0; p < t.weightBits.size(); ++p) {
                        const torch::Tensor term = pr[static_cast<int64_t>(p)] * at(p);
                        value = value.defined() ? value + term : term;
                    }
                } else {
                    value = at(0);
                }
                return value;
            };
            torch::Tensor value;
            const torch::Tensor pa =
                t.activationBits.size() > 1 ? actProbs(t.actSource) : torch::Tensor();
            if (pa.defined()) {
                for (std::size_t a = 0; a < t.activationBits.size(); ++a) {
                    const torch::Tensor term = pa[static_cast<int64_t>(a)] * valueAt(a);
                    value = value.defined() ? value + term : term;
                }
            } else {
                value = valueAt(0);
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
        const torch::Tensor seedBytes =
            b.group >= 0
                ? c[static_cast<std::size_t>(b.group)] * static_cast<double>(b.bytesPerChannel)
                : torch::full({}, static_cast<double>(b.bytesPerChannel), torch::kFloat64);
        const torch::Tensor bytes = seedBytes * share(b.writer);
        for (int s : b.liveAt) {
            if (std::find(b.touchedBy.begin(), b.touchedBy.end(), s) == b.touchedBy.end()) {
                ramAt[static_cast<std::size_t>(s)] = ramAt[static_cast<std::size_t>(s)] + bytes;
            }
        }
        // The writer's table holds its output at the seed's precision.
        if (b.writer >= 0) {
            auto& r = ramAt[static_cast<std::size_t>(b.writer)];
            r = r + (bytes - seedBytes);
        }
    }
    out[static_cast<std::size_t>(ram)] =
        ramAt.empty() ? torch::zeros({}, torch::kFloat64) : torch::stack(ramAt).max();
    return out;
}

std::array<double, kCostMetricCount>
CostTensor::costs(const std::vector<int64_t>& channels, const std::vector<int>& weightBits,
                  const std::vector<int64_t>& split, const std::vector<int>& taps,
                  const std::vector<std::vector<int64_t>>& channelBits,
                  const std::vector<int>& activationBits) const {
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
    std::vector<torch::Tensor> parts;
    for (std::size_t step = 0; step < split.size(); ++step) {
        parts.push_back(
            split[step] >= 0 && model_.layers.at(step).isSplit()
                ? torch::tensor({static_cast<double>(split[step]), 0.0}, torch::kFloat64)
                : torch::Tensor());
    }
    std::vector<torch::Tensor> masks, choices;
    for (std::size_t step = 0; step < taps.size(); ++step) {
        const auto& t = model_.layers.at(step);
        if (taps[step] >= 0 && static_cast<std::size_t>(taps[step]) >= t.variantCount()) {
            throw std::invalid_argument("layer '" + t.layer + "' has no variant " +
                                        std::to_string(taps[step]));
        }
        masks.push_back(taps[step] >= 0 && !t.kernels.empty()
                            ? tapMask(t, static_cast<std::size_t>(taps[step]))
                            : torch::Tensor());
        torch::Tensor one;
        if (taps[step] >= 0 && !t.choices.empty()) {
            one = torch::zeros({static_cast<int64_t>(t.choices.size())}, torch::kFloat32);
            one[taps[step]] = 1.0F;
        }
        choices.push_back(one);
    }
    std::vector<torch::Tensor> counts;
    for (const auto& n : channelBits) {
        counts.push_back(
            n.empty() ? torch::Tensor()
                      : torch::tensor(std::vector<double>(n.begin(), n.end()), torch::kFloat64));
    }
    std::vector<torch::Tensor> activation;
    for (std::size_t step = 0; step < activationBits.size(); ++step) {
        const auto& bits = model_.layers.at(step).outActivationBits;
        torch::Tensor one;
        if (activationBits[step] > 0 && bits.size() > 1) {
            const auto it = std::find(bits.begin(), bits.end(), activationBits[step]);
            if (it == bits.end()) {
                throw std::invalid_argument("layer '" + model_.layers[step].layer + "' has no " +
                                            std::to_string(activationBits[step]) +
                                            "-bit output activations");
            }
            one = torch::zeros({static_cast<int64_t>(bits.size())}, torch::kFloat64);
            one[it - bits.begin()] = 1.0;
        }
        activation.push_back(one);
    }
    const auto t = costs(c, precision, parts, true, masks, choices, counts, activation);
    std::array<double, kCostMetricCount> out{};
    for (std::size_t k = 0; k < out.size(); ++k) {
        out[k] = t[k].item<double>();
    }
    return out;
}

} // namespace edgesim::explorer::dnas
