#include "explorer/dnas/CostModel.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/TextProto.h"
#include "common/Version.h"
#include "sim/model/OperatingPoint.h"
#include "workloads/graph/MemoryPlanner.h"
#include "workloads/graph/ShapeInference.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <google/protobuf/text_format.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <utility>

namespace edgesim::explorer::dnas {

namespace {

using workloads::Layer;
using workloads::Network;
using workloads::OpKind;
using Json = nlohmann::json;

/// Ops whose output keeps its (only or first) input's channels.
bool keepsChannels(const Layer& l) {
    switch (l.op) {
    case OpKind::DepthwiseConv2d: return l.depthMultiplier == 1;
    case OpKind::AvgPool:
    case OpKind::MaxPool:
    case OpKind::GlobalAvgPool:
    case OpKind::Activation:
    case OpKind::Softmax:
    case OpKind::Flatten:
    case OpKind::BatchNorm:
    case OpKind::Quantize:
    case OpKind::Dequantize:
    case OpKind::Sigmoid:
    case OpKind::HardSigmoid:
    case OpKind::HardSwish:
    case OpKind::Swish: return true;
    default: return false;
    }
}

/// Ops whose inputs must have equal channels (element-wise on equal shapes).
bool joinsChannels(const Layer& l) {
    if (l.op != OpKind::Add && l.op != OpKind::Mul && l.op != OpKind::Sub) {
        return false;
    }
    for (const auto& s : l.inputShapes) {
        if (s != l.inputShapes.front()) {
            return false; // broadcasting (squeeze-excite): not followed
        }
    }
    return true;
}

struct UnionFind {
    std::vector<int> parent;
    std::vector<bool> fixed;
    int add(bool isFixed) {
        parent.push_back(static_cast<int>(parent.size()));
        fixed.push_back(isFixed);
        return parent.back();
    }
    int find(int x) {
        while (parent[static_cast<std::size_t>(x)] != x) {
            x = parent[static_cast<std::size_t>(x)] =
                parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
        }
        return x;
    }
    void join(int a, int b) {
        a = find(a);
        b = find(b);
        if (a != b) {
            parent[static_cast<std::size_t>(b)] = a;
            fixed[static_cast<std::size_t>(a)] =
                fixed[static_cast<std::size_t>(a)] || fixed[static_cast<std::size_t>(b)];
        }
    }
    void fix(int a) { fixed[static_cast<std::size_t>(find(a))] = true; }
};

/// Grid points of a group of `channels` with spacing `step` (a multiple of `tile`): 1 (or the
/// tile), the multiples of the step below the count, and the count itself.
std::vector<int64_t> gridOf(int64_t channels, int64_t step, int64_t tile) {
    const int64_t s = std::max<int64_t>(tile, (step + tile - 1) / tile * tile);
    std::vector<int64_t> grid = {std::min(channels, tile)};
    for (int64_t c = s; c < channels; c += s) {
        if (c > grid.back()) {
            grid.push_back(c);
        }
    }
    if (grid.back() != channels) {
        grid.push_back(channels);
    }
    return grid;
}

/// The unroll of `dim` of the NPU engine named `engine` on `platform` (1 for other engines).
int64_t tileOf(const platforms::spec::PlatformSpec& platform, const std::string& engine,
               platforms::spec::LoopDim dim) {
    for (const auto& e : platform.engines()) {
        if (e.name() == engine && e.has_npu()) {
            for (const auto& u : e.npu().unroll()) {
                if (u.dim() == dim) {
                    return std::max(1, u.size());
                }
            }
        }
    }
    return 1;
}

/// The engine name kernels of the host core carry in a stack (empty), else `engine`.
std::string engineOrHost(const std::string& engine, const platforms::spec::PlatformSpec& platform) {
    for (const auto& e : platform.engines()) {
        if (e.name() == engine) {
            return engine;
        }
    }
    return "";
}

/// `shape` with its last dimension scaled from `from` channels to `to`.
workloads::Shape rescaled(workloads::Shape shape, int64_t from, int64_t to) {
    if (!shape.empty() && from > 0 && from != to) {
        shape.back() = shape.back() / from * to;
    }
    return shape;
}

/// Graph inputs of `net` shaped as the outputs of layer `id`'s producers in `seed`, its input
/// group (table `t`'s) at `cin` channels, the first at `actBits` (0: the seed's type).
std::vector<Network::LayerId> addInputsOf(Network& net, const Network& seed, Network::LayerId id,
                                          const Grouping& g, const LayerCostTable& t, int64_t cin,
                                          int actBits = 0) {
    std::vector<Network::LayerId> ins;
    for (auto p : seed.inputsOf(id)) {
        const Layer& src = seed.layer(p);
        const bool first = ins.empty();
        Layer in;
        in.name = fmt::format("input{}", ins.size());
        in.origin = in.name;
        in.op = OpKind::Input;
        const int grp = g.groupOfLayer[p];
        in.targetShape =
            grp >= 0 && grp == t.inGroup
                ? rescaled(src.output.shape, g.groups[static_cast<std::size_t>(grp)].channels, cin)
                : src.output.shape;
        in.outputDtype = first && actBits > 0 ? dtypeOfBits(actBits) : src.output.dtype;
        ins.push_back(net.addLayer(std::move(in)));
    }
    return ins;
}

/// Layer `id` of `seed` alone: graph inputs shaped as its producers' outputs, its input
/// group at `cin` channels and its output group at `cout`.
Network singleLayer(const Network& seed, Network::LayerId id, const Grouping& g,
                    const LayerCostTable& t, int64_t cin, int64_t cout, int bits,
                    std::size_t variant = 0, const Layer* replacement = nullptr, int actBits = 0) {
    Network net(
        fmt::format("dnas/{}/{}x{}/w{}{}{}", seed.layer(id).name, cin, cout, bits,
                    actBits > 0 ? fmt::format("/a{}", actBits) : "",
                    variant == 0 ? "" : "/taps" + variantText(t, static_cast<int>(variant))));
    const std::vector<Network::LayerId> ins = addInputsOf(net, seed, id, g, t, cin, actBits);
    Layer l = replacement != nullptr ? *replacement : seed.layer(id);
    l.output = {};
    l.inputShapes.clear();
    l.stats = {};
    if (t.outGroup >= 0) {
        l.outChannels = cout;
    }
    if (bits != t.weightBits.front()) {
        l.weightDtype = dtypeOfBits(bits);
    }
    if (variant > 0 && !t.kernels.empty()) {
        l.window.kernel = {t.kernels[variant]};
        l.window.dilation = {t.dilations[variant]};
    }
    net.addLayer(std::move(l), ins);
    workloads::inferShapes(net, "<dnas cost table>");
    return net;
}

/// Linear interpolation of `v` (at `grid`) at x, extrapolated past the ends.
double interpolate(const std::vector<int64_t>& grid, const double* v, std::size_t stride,
                   double x) {
    if (grid.size() == 1) {
        return v[0];
    }
    std::size_t i = 0;
    while (i + 2 < grid.size() && x > static_cast<double>(grid[i + 1])) {
        ++i;
    }
    const double x0 = static_cast<double>(grid[i]);
    const double x1 = static_cast<double>(grid[i + 1]);
    const double w = (x - x0) / (x1 - x0);
    return (1 - w) * v[i * stride] + w * v[(i + 1) * stride];
}

double rounded(double c, int64_t tile, int64_t top) {
    if (tile <= 1) {
        return c;
    }
    const double t = static_cast<double>(tile);
    return std::min(std::ceil(c / t - 1e-9) * t, static_cast<double>(top));
}

/// The latency (its share of the run's cycles) and energy of `layer`'s row of `r`.
std::pair<double, double> rowCosts(const sim::SimResult& r, const std::string& layer) {
    for (const auto& row : r.layers) {
        if (row.name == layer) {
            return {r.latencyCycles == 0 ? 0
                                         : r.latencyS * static_cast<double>(row.cycles()) /
                                               static_cast<double>(r.latencyCycles),
                    row.energyJ};
        }
    }
    return {0, 0};
}

Json toJson(const CostModel& m) {
    Json j;
    for (const auto& g : m.groups) {
        j["groups"].push_back({{"name", g.name},
                               {"channels", g.channels},
                               {"searchable", g.searchable},
                               {"tile", g.tile}});
    }
    for (const auto& t : m.layers) {
        Json l = {{"layer", t.layer},      {"in_group", t.inGroup},      {"out_group", t.outGroup},
                  {"in_grid", t.inGrid},   {"out_grid", t.outGrid},      {"in_tile", t.inTile},
                  {"out_tile", t.outTile}, {"weight_bits", t.weightBits}};
        if (t.isSplit()) {
            l["engines"] = t.engines;
            l["compute_bits"] = t.computeBits;
            l["split_tiles"] =
                std::vector<int64_t>(std::begin(t.splitTiles), std::end(t.splitTiles));
        }
        l["split_overhead"] =
            std::vector<double>(std::begin(t.splitOverhead), std::end(t.splitOverhead));
        if (!t.kernels.empty()) {
            l["kernels"] = t.kernels;
            l["dilations"] = t.dilations;
        }
        if (!t.choices.empty()) {
            l["choices"] = t.choices;
        }
        l["activation_bits"] = t.activationBits;
        l["act_source"] = t.actSource;
        l["out_source"] = t.outSource;
        l["out_activation_bits"] = t.outActivationBits;
        for (int k = 0; k < kCostMetricCount; ++k) {
            l[kCostMetrics[k]] = t.values[k];
        }
        j["layers"].push_back(l);
    }
    for (const auto& b : m.buffers) {
        j["buffers"].push_back({{"group", b.group},
                                {"bytes_per_channel", b.bytesPerChannel},
                                {"live_at", b.liveAt},
                                {"touched_by", b.touchedBy},
                                {"writer", b.writer}});
    }
    j["fixed"] = std::vector<double>(std::begin(m.fixed), std::end(m.fixed));
    return j;
}

CostModel fromJson(const Json& j) {
    CostModel m;
    for (const auto& g : j.at("groups")) {
        m.groups.push_back({g.at("name").get<std::string>(), g.at("channels").get<int64_t>(),
                            g.at("searchable").get<bool>(), g.at("tile").get<int64_t>()});
    }
    for (const auto& l : j.at("layers")) {
        LayerCostTable t;
        t.layer = l.at("layer").get<std::string>();
        t.inGroup = l.at("in_group").get<int>();
        t.outGroup = l.at("out_group").get<int>();
        t.inGrid = l.at("in_grid").get<std::vector<int64_t>>();
        t.outGrid = l.at("out_grid").get<std::vector<int64_t>>();
        t.inTile = l.at("in_tile").get<int64_t>();
        t.outTile = l.at("out_tile").get<int64_t>();
        t.weightBits = l.at("weight_bits").get<std::vector<int>>();
        if (l.contains("engines")) {
            t.engines = l.at("engines").get<std::vector<std::string>>();
            t.computeBits = l.at("compute_bits").get<std::vector<int>>();
            const auto tiles = l.at("split_tiles").get<std::vector<int64_t>>();
            std::copy_n(tiles.begin(), std::min<std::size_t>(tiles.size(), 2), t.splitTiles);
        }
        if (l.contains("split_overhead")) {
            const auto overhead = l.at("split_overhead").get<std::vector<double>>();
            std::copy_n(overhead.begin(), std::min<std::size_t>(overhead.size(), kCostMetricCount),
                        t.splitOverhead);
        }
        if (l.contains("choices")) {
            t.choices = l.at("choices").get<std::vector<std::string>>();
        }
        if (l.contains("kernels")) {
            t.kernels = l.at("kernels").get<std::vector<int64_t>>();
            t.dilations = l.at("dilations").get<std::vector<int64_t>>();
        }
        if (l.contains("activation_bits")) {
            t.activationBits = l.at("activation_bits").get<std::vector<int>>();
            t.actSource = l.at("act_source").get<int>();
            t.outSource = l.at("out_source").get<int>();
            t.outActivationBits = l.at("out_activation_bits").get<std::vector<int>>();
        }
        for (int k = 0; k < kCostMetricCount; ++k) {
            t.values[k] = l.at(kCostMetrics[k]).get<std::vector<double>>();
        }
        m.layers.push_back(std::move(t));
    }
    if (j.contains("buffers")) {
        for (const auto& b : j.at("buffers")) {
            m.buffers.push_back({b.at("group").get<int>(), b.at("bytes_per_channel").get<int64_t>(),
                                 b.at("live_at").get<std::vector<int>>(),
                                 b.at("touched_by").get<std::vector<int>>(),
                                 b.value("writer", -1)});
        }
    }
    const auto fixed = j.at("fixed").get<std::vector<double>>();
    std::copy_n(fixed.begin(), std::min<std::size_t>(fixed.size(), kCostMetricCount), m.fixed);
    return m;
}

/// MPS activation precision: each step's actSource and outSource (LayerCostTable), and for
/// each weighted step whose int8 output is neither a graph output, nor read by one, nor
/// joined with another tensor (add, concat), the
/// precisions of `bits` that every reader runs at with each of its weight precisions
/// (`runs(reader, weight bits, activation bits)`): its outActivationBits and its readers'
/// activationBits, the seed's 8 first.
void activationSources(const Network& seed, const std::vector<Network::LayerId>& steps,
                       const std::vector<int>& stepOf, const std::vector<int>& bits,
                       std::vector<LayerCostTable>& tables,
                       const std::function<bool(std::size_t, int, int)>& runs) {
    // The weighted step whose output `producer`'s tensor is (-1: a graph input), once the
    // steps before it have their actSource.
    const auto sourceOf = [&](Network::LayerId producer) {
        const int p = stepOf[producer];
        return p < 0 || workloads::isCompute(seed.layer(producer).op)
                   ? p
                   : tables[static_cast<std::size_t>(p)].actSource;
    };
    for (std::size_t s = 0; s < steps.size(); ++s) {
        const auto ins = seed.inputsOf(steps[s]);
        LayerCostTable& t = tables[s];
        t.actSource = ins.empty() ? -1 : sourceOf(ins.front());
        t.outSource =
            workloads::isCompute(seed.layer(steps[s]).op) ? static_cast<int>(s) : t.actSource;
    }
    // The tensors a join (add, concat) reads keep the seed's type: it would run at the widest
    // of its inputs' types, which one source's choice does not tell.
    std::vector<bool> joined(steps.size(), false);
    for (std::size_t s = 0; s < steps.size(); ++s) {
        const auto ins = seed.inputsOf(steps[s]);
        for (std::size_t i = 0; ins.size() > 1 && i < ins.size(); ++i) {
            const int src = sourceOf(ins[i]);
            if (src >= 0) {
                joined[static_cast<std::size_t>(src)] = true;
            }
        }
    }
    for (std::size_t s = 0; s < steps.size(); ++s) {
        const Layer& l = seed.layer(steps[s]);
        if (!workloads::isCompute(l.op) || l.output.dtype != workloads::DType::Int8 ||
            seed.isGraphOutput(steps[s]) || joined[s]) {
            continue;
        }
        std::vector<std::size_t> readers;
        bool output = false;
        for (std::size_t r = 0; r < steps.size(); ++r) {
            if (tables[r].actSource == static_cast<int>(s)) {
                readers.push_back(r);
                output = output || seed.isGraphOutput(steps[r]);
            }
        }
        if (output || readers.empty()) {
            continue; // the classifier and what feeds the graph output keep the seed's type
        }
        std::vector<int> choice = {8};
        for (int a : bits) {
            if (std::find(choice.begin(), choice.end(), a) != choice.end()) {
                continue;
            }
            bool all = true;
            for (auto r : readers) {
                for (int w : tables[r].weightBits) {
                    all = all && runs(r, w, a);
                }
            }
            if (all) {
                choice.push_back(a);
            }
        }
        if (choice.size() > 1) {
            tables[s].outActivationBits = choice;
            for (auto r : readers) {
                tables[r].activationBits = choice;
            }
        }
    }
    const auto searched = [&](int s) {
        return s >= 0 && !tables[static_cast<std::size_t>(s)].outActivationBits.empty();
    };
    for (auto& t : tables) {
        t.actSource = searched(t.actSource) ? t.actSource : -1;
        t.outSource = searched(t.outSource) ? t.outSource : -1;
    }
}

} // namespace

Grouping channelGroups(const Network& net) {
    UnionFind uf;
    std::vector<int> proto(net.size(), -1);
    for (auto id : net.executionOrder()) {
        const Layer& l = net.layer(id);
        const auto ins = net.inputsOf(id);
        int& p = proto[id];
        if (l.op == OpKind::Input) {
            p = uf.add(true);
        } else if ((l.op == OpKind::Conv2d || l.op == OpKind::TemporalConv) && l.groups == 1) {
            p = uf.add(false);
        } else if (l.op == OpKind::Dense) {
            p = uf.add(false);
        } else if (!ins.empty() && keepsChannels(l)) {
            p = proto[ins.front()];
        } else if (!ins.empty() && joinsChannels(l)) {
            p = proto[ins.front()];
            for (auto in : ins) {
                uf.join(p, proto[in]);
            }
        } else {
            // An op the search does not follow: its inputs and output stay as they are.
            for (auto in : ins) {
                uf.fix(proto[in]);
            }
            p = uf.add(true);
        }
    }
    for (auto id : net.graphOutputs()) {
        uf.fix(proto[id]);
    }
    Grouping g;
    g.groupOfLayer.assign(net.size(), -1);
    std::map<int, int> index;
    for (auto id : net.executionOrder()) {
        const int root = uf.find(proto[id]);
        auto [it, added] = index.emplace(root, static_cast<int>(g.groups.size()));
        if (added) {
            const Layer& l = net.layer(id);
            g.groups.push_back({l.name, l.output.shape.empty() ? 0 : l.output.shape.back(),
                                !uf.fixed[static_cast<std::size_t>(root)], 1});
        }
        g.groupOfLayer[id] = it->second;
    }
    return g;
}

std::vector<int64_t> seedChannels(const Grouping& grouping) {
    std::vector<int64_t> c;
    for (const auto& g : grouping.groups) {
        c.push_back(g.channels);
    }
    return c;
}

workloads::DType dtypeOfBits(int bits) {
    switch (bits) {
    case 8: return workloads::DType::Int8;
    case 4: return workloads::DType::Int4;
    case 2: return workloads::DType::Int2;
    default: throw std::invalid_argument(fmt::format("no weight type of {} bits", bits));
    }
}

double tableValue(const LayerCostTable& t, int metric, double cin, double cout,
                  std::size_t precision, std::size_t variant, bool roundOut) {
    const double* v = t.values[metric].data() +
                      (precision * t.variantCount() + variant) * t.inGrid.size() * t.outGrid.size();
    const double ci = rounded(cin, t.inTile, t.inGrid.back());
    const double co = roundOut ? rounded(cout, t.outTile, t.outGrid.back()) : cout;
    const std::size_t nOut = t.outGrid.size();
    if (t.inGrid.size() == 1) {
        return interpolate(t.outGrid, v, 1, co);
    }
    // Along the input axis at each output point, then along the output axis.
    std::vector<double> column(nOut);
    for (std::size_t o = 0; o < nOut; ++o) {
        column[o] = interpolate(t.inGrid, v + o, nOut, ci);
    }
    return interpolate(t.outGrid, column.data(), 1, co);
}

std::vector<std::pair<int64_t, int64_t>> tapVariants(int64_t seedKernel) {
    std::vector<std::pair<int64_t, int64_t>> v;
    for (int64_t stride = 1; stride <= seedKernel - 1; stride *= 2) {
        for (int64_t k = (seedKernel - 1) / stride + 1; k >= 2; --k) {
            v.emplace_back(k, stride);
        }
    }
    v.emplace_back(1, 1);
    return v;
}

std::string variantText(const LayerCostTable& t, int v) {
    if (v < 0) {
        return "";
    }
    if (!t.choices.empty()) {
        return t.choices.at(static_cast<std::size_t>(v));
    }
    return t.kernels.empty() ? ""
                             : fmt::format("{}x{}", t.kernels.at(static_cast<std::size_t>(v)),
                                           t.dilations.at(static_cast<std::size_t>(v)));
}

std::string choiceLabel(const Layer& l) {
    std::string label(workloads::toString(l.op));
    if (!l.window.kernel.empty()) {
        label += " " + fmt::format("{}", fmt::join(l.window.kernel, "x"));
        if (std::any_of(l.window.dilation.begin(), l.window.dilation.end(),
                        [](int64_t d) { return d != 1; })) {
            label += fmt::format(" d{}", fmt::join(l.window.dilation, "x"));
        }
    }
    if (!l.output.shape.empty()) {
        label += fmt::format("/{}", l.output.shape.back());
    }
    return label;
}

bool anySplit(const std::vector<int64_t>& split) {
    return std::any_of(split.begin(), split.end(), [](int64_t v) { return v >= 0; });
}

int64_t splitChannels(const LayerCostTable& t, const std::vector<int64_t>& channels) {
    return t.outGroup >= 0 ? channels.at(static_cast<std::size_t>(t.outGroup)) : t.outGrid.front();
}

double splitValue(const LayerCostTable& t, int metric, double cin, double first, double second,
                  double fixedFlash) {
    if (metric == costMetricIndex("peak_ram_bytes")) {
        return tableValue(t, metric, cin, first + second, 0);
    }
    // Time and energy are of whole tiles of an engine's channels; footprints of the channels.
    const bool timed =
        metric == costMetricIndex("latency_s") || metric == costMetricIndex("energy_j");
    const auto at = [&](double channels, int e) {
        return tableValue(t, metric, cin,
                          timed ? rounded(channels, t.splitTiles[e], t.outGrid.back()) : channels,
                          static_cast<std::size_t>(e));
    };
    const double a = first > 0 ? at(first, 0) : 0;
    const double b = second > 0 ? at(second, 1) : 0;
    const bool both = first > 0 && second > 0;
    const double overhead = both ? t.splitOverhead[metric] : 0;
    if (metric == costMetricIndex("latency_s")) {
        return std::max(a, b) + overhead;
    }
    // Flash: each single-layer table holds the runtime once; the layer holds it once.
    return a + b + overhead - (metric == costMetricIndex("flash_bytes") && both ? fixedFlash : 0);
}

std::array<double, kCostMetricCount>
predictCosts(const CostModel& m, const std::vector<int64_t>& channels,
             const std::vector<int>& weightBits, const std::vector<int64_t>& split,
             const std::vector<int>& taps, const std::vector<std::vector<int64_t>>& channelBits,
             const std::vector<int>& activationBits) {
    const auto channelsOf = [&](int group, const std::vector<int64_t>& grid) {
        return group >= 0 ? static_cast<double>(channels.at(static_cast<std::size_t>(group)))
                          : static_cast<double>(grid.front());
    };
    std::array<double, kCostMetricCount> c{};
    const int ram = costMetricIndex("peak_ram_bytes");
    for (int k = 0; k < kCostMetricCount; ++k) {
        c[static_cast<std::size_t>(k)] = k == ram ? 0 : m.fixed[k];
    }
    const int flash = costMetricIndex("flash_bytes");
    const int lat = costMetricIndex("latency_s"), energy = costMetricIndex("energy_j");
    std::vector<double> ramAt(m.layers.size(), 0);
    for (std::size_t s = 0; s < m.layers.size(); ++s) {
        const auto& t = m.layers[s];
        const double cin = channelsOf(t.inGroup, t.inGrid);
        const double cout = t.outGroup >= 0 ? channelsOf(t.outGroup, t.outGrid) : cin;
        std::size_t precision = 0;
        if (!weightBits.empty()) {
            const auto it = std::find(t.weightBits.begin(), t.weightBits.end(), weightBits.at(s));
            if (it == t.weightBits.end()) {
                throw std::invalid_argument(fmt::format(
                    "layer '{}' has no table for {}-bit weights", t.layer, weightBits[s]));
            }
            precision = static_cast<std::size_t>(it - t.weightBits.begin());
        }
        std::size_t act = 0; // the input activations' precision index
        if (t.actSource >= 0 && !activationBits.empty() &&
            activationBits.at(static_cast<std::size_t>(t.actSource)) > 0) {
            const int a = activationBits[static_cast<std::size_t>(t.actSource)];
            const auto it = std::find(t.activationBits.begin(), t.activationBits.end(), a);
            if (it == t.activationBits.end()) {
                throw std::invalid_argument(fmt::format(
                    "layer '{}' has no table for {}-bit input activations", t.layer, a));
            }
            act = static_cast<std::size_t>(it - t.activationBits.begin());
        }
        precision = t.planeOf(act, precision);
        const bool splitHere = t.isSplit() && s < split.size() && split[s] >= 0;
        std::size_t variant = 0;
        if (s < taps.size() && taps[s] >= 0) {
            if (static_cast<std::size_t>(taps[s]) >= t.variantCount()) {
                throw std::invalid_argument(fmt::format("layer '{}' has no receptive-field "
                                                        "variant {}",
                                                        t.layer, taps[s]));
            }
            variant = static_cast<std::size_t>(taps[s]);
        }
        const bool perChannel = s < channelBits.size() && !channelBits[s].empty();
        if (perChannel && channelBits[s].size() != t.weightBits.size()) {
            throw std::invalid_argument(
                fmt::format("layer '{}': {} channel counts for {} precisions", t.layer,
                            channelBits[s].size(), t.weightBits.size()));
        }
        for (int k = 0; k < kCostMetricCount; ++k) {
            const auto parts = perChannel
                                   ? std::count_if(channelBits[s].begin(), channelBits[s].end(),
                                                   [](int64_t n) { return n > 0; })
                                   : 0;
            if (perChannel && k != ram) {
                // One sub-layer per precision (time and energy of whole tiles, footprints of
                // the channels) and, for several, the concat; the runtime's flash once.
                const bool timed = k == lat || k == energy;
                double v = k == flash ? m.fixed[k] : 0;
                for (std::size_t p = 0; p < t.weightBits.size(); ++p) {
                    if (channelBits[s][p] > 0) {
                        const double part =
                            tableValue(t, k, cin, static_cast<double>(channelBits[s][p]),
                                       t.planeOf(act, p), variant, timed);
                        v += k == flash ? part - m.fixed[k] : part;
                    }
                }
                // The concat copies every output element: its cost scales with the channels.
                v += parts > 1 ? t.splitOverhead[k] * cout / static_cast<double>(t.outGrid.back())
                               : 0;
                c[static_cast<std::size_t>(k)] += k == flash ? v - m.fixed[k] : v;
                continue;
            }
            const double v = splitHere
                                 ? splitValue(t, k, cin, static_cast<double>(split[s]),
                                              cout - static_cast<double>(split[s]), m.fixed[flash])
                                 : tableValue(t, k, cin, cout, precision, variant);
            if (k == ram) {
                ramAt[s] = v + (parts > 1 ? t.splitOverhead[k] * cout /
                                                static_cast<double>(t.outGrid.back())
                                          : 0);
            } else if (k == flash) {
                c[static_cast<std::size_t>(k)] += v - m.fixed[k];
            } else {
                c[static_cast<std::size_t>(k)] += v;
            }
        }
    }
    // A buffer's share of its seed (int8) size at the precision of the step that writes it.
    const auto share = [&](int writer) {
        const int src = writer >= 0 ? m.layers[static_cast<std::size_t>(writer)].outSource : -1;
        const int a = src >= 0 && !activationBits.empty()
                          ? activationBits.at(static_cast<std::size_t>(src))
                          : 0;
        return a > 0 ? a / 8.0 : 1.0;
    };
    for (const auto& b : m.buffers) {
        const double bytes =
            static_cast<double>(b.bytesPerChannel) *
            (b.group >= 0 ? static_cast<double>(channels.at(static_cast<std::size_t>(b.group)))
                          : 1.0) *
            share(b.writer);
        for (int s : b.liveAt) {
            if (std::find(b.touchedBy.begin(), b.touchedBy.end(), s) == b.touchedBy.end()) {
                ramAt[static_cast<std::size_t>(s)] += bytes;
            }
        }
        // The writer's table holds its output at the seed's precision.
        if (b.writer >= 0) {
            ramAt[static_cast<std::size_t>(b.writer)] += bytes - bytes / share(b.writer);
        }
    }
    c[static_cast<std::size_t>(ram)] =
        ramAt.empty() ? 0 : *std::max_element(ramAt.begin(), ramAt.end());
    return c;
}

CostModel buildCostModel(Session& session, const Query& target, const Network& seed,
                         const std::string& seedSha256, const Grouping& g,
                         const CostTableOptions& options, CostModelStats* stats) {
    const auto started = std::chrono::steady_clock::now();
    CostModelStats local;
    CostModelStats& st = stats != nullptr ? *stats : local;
    st = {};
    const auto& platform = session.specs(target).platform;
    const auto& stack = session.specs(target).stack;

    // The cache key: the target's and the seed's content hash (what the seed's query hashes),
    // the grid and this build of edgesim (its models made the tables).
    std::string cacheFile;
    {
        Query q = target;
        q.network = "dnas/seed";
        session.defineNetwork(q.network, seed, seedSha256);
        const std::string key = sha256Hex(
            fmt::format("{}\n{}\n{}\n{}\n{}\n{}", versionString(), session.hash(q),
                        options.channelStep, fmt::join(options.weightBits, ","),
                        options.splitEngines, options.receptiveField) +
            options.choicesKey + (options.perChannel ? "\nper-channel" : "") +
            (options.activationBits.empty()
                 ? ""
                 : fmt::format("\nactivations {}", fmt::join(options.activationBits, ","))));
        session.forgetNetwork(q.network);
        if (!options.cacheDir.empty()) {
            cacheFile = options.cacheDir + "/" + key.substr(0, 32) + ".json";
        }
    }
    st.cacheFile = cacheFile;
    if (!cacheFile.empty() && std::filesystem::exists(cacheFile)) {
        try {
            std::ifstream in(cacheFile);
            CostModel m = fromJson(Json::parse(in));
            st.cached = true;
            st.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            return m;
        } catch (const std::exception&) {
            // A damaged cache file: measured again and rewritten below.
        }
    }

    CostModel m;
    m.groups = g.groups;
    const auto order = seed.executionOrder();
    std::vector<int> stepOf(seed.size(), -1);
    std::vector<Network::LayerId> steps;
    for (auto id : order) {
        if (seed.layer(id).op != OpKind::Input) {
            stepOf[id] = static_cast<int>(steps.size());
            steps.push_back(id);
        }
    }
    double fixedLatency = 0, fixedEnergy = 0;
    int fixedSamples = 0;
    const int lat = costMetricIndex("latency_s"), energy = costMetricIndex("energy_j");
    const int flash = costMetricIndex("flash_bytes"), ram = costMetricIndex("peak_ram_bytes");
    const int weights = costMetricIndex("weight_bytes");

    // Pass 1: each layer at the seed's channels, which tells the engine that runs it and so
    // the hardware tiles of its input and output channels.
    std::vector<LayerCostTable> tables;
    std::vector<sim::SimResult> atSeed;
    std::vector<int64_t> groupTile(g.groups.size(), 1);
    // `forced`: the layer's engine (or split) instead of the mapper's.
    auto simulateAlone = [&](Network::LayerId id, const LayerCostTable& t, int64_t cin,
                             int64_t cout, int bits,
                             const std::optional<sim::LayerChoice>& forced = std::nullopt,
                             std::size_t variant = 0, const Layer* replacement = nullptr,
                             int actBits = 0) {
        Query q = target;
        if ((bits != t.weightBits.front() || actBits > 0) && q.quantize.empty()) {
            q.quantize = "none"; // as built: a stack's default precision would undo the bits
        }
        Network one = singleLayer(seed, id, g, t, cin, cout, bits, variant, replacement, actBits);
        q.network = one.name() + (forced ? "/" + forced->engine + "+" + forced->splitEngine : "");
        session.defineNetwork(q.network, one, sha256Hex(q.network));
        if (forced) {
            // Every kernel of the network (the layer's) on the forced choice.
            auto mapping = std::make_shared<sim::Mapping>(session.mapping(q));
            mapping->name = "dnas/" + q.network;
            for (auto& k : mapping->kernels) {
                k = *forced;
            }
            q.mapping.fixed = std::move(mapping);
        }
        QueryResult r = session.run(q);
        session.forgetNetwork(q.network);
        ++st.queries;
        return std::move(r.result);
    };
    auto run = [&](Network::LayerId id, const LayerCostTable& t, int64_t cin, int64_t cout,
                   int bits, const std::string& engine = "", std::size_t variant = 0,
                   const Layer* replacement = nullptr, int actBits = 0) {
        sim::SimResult r = simulateAlone(
            id, t, cin, cout, bits,
            engine.empty() ? std::nullopt : std::optional(sim::LayerChoice{engine, "", 1.0}),
            variant, replacement, actBits);
        if (r.status != sim::Status::Ok) {
            throw std::runtime_error(fmt::format(
                "layer '{}' alone with {} input and {} output channels{}{}{}: {} ({})",
                seed.layer(id).name, cin, cout, engine.empty() ? "" : " on engine " + engine,
                actBits > 0 ? fmt::format(", {}-bit input", actBits) : "",
                variant == 0 ? "" : ", variant " + variantText(t, static_cast<int>(variant)),
                sim::toString(r.status), r.reason));
        }
        return r;
    };
    const auto channelsOf = [&](int group) {
        return g.groups[static_cast<std::size_t>(group)].channels;
    };
    for (auto id : steps) {
        const Layer& l = seed.layer(id);
        LayerCostTable t;
        t.layer = l.name;
        const auto ins = seed.inputsOf(id);
        const int gin = ins.empty() ? -1 : g.groupOfLayer[ins.front()];
        const int gout = g.groupOfLayer[id];
        t.inGroup = gin >= 0 && g.groups[static_cast<std::size_t>(gin)].searchable ? gin : -1;
        t.outGroup = gout >= 0 && gout != gin && g.groups[static_cast<std::size_t>(gout)].searchable
                         ? gout
                         : -1;
        const int64_t seedIn = gin >= 0 ? channelsOf(gin) : 0;
        const int64_t seedOut = gout >= 0 ? channelsOf(gout) : 0;
        t.inGrid = {seedIn};
        t.outGrid = {t.outGroup >= 0 || t.inGroup < 0 ? seedOut : seedIn};
        t.weightBits = {static_cast<int>(workloads::bitsPerElement(l.weightDtype))};
        atSeed.push_back(run(id, t, seedIn, t.outGrid.front(), t.weightBits.front()));
        // The other weight precisions the target runs this layer in.
        if (workloads::isCompute(l.op)) {
            for (int bits : options.weightBits) {
                if (std::find(t.weightBits.begin(), t.weightBits.end(), bits) ==
                        t.weightBits.end() &&
                    simulateAlone(id, t, seedIn, t.outGrid.front(), bits).status ==
                        sim::Status::Ok) {
                    t.weightBits.push_back(bits);
                }
            }
        }
        // PIT's receptive-field variants of a causal temporal convolution.
        if (options.receptiveField && l.op == OpKind::TemporalConv &&
            l.window.padding == workloads::Padding::Causal && l.window.kernel.front() > 1) {
            const int64_t d = l.window.dilation.empty() ? 1 : l.window.dilation.front();
            for (const auto& [taps, stride] : tapVariants(l.window.kernel.front())) {
                t.kernels.push_back(taps);
                t.dilations.push_back(taps == 1 ? 1 : stride * d);
            }
        }
        // A SuperNet choice block: the seed's layer, its alternatives, perhaps no layer.
        for (const auto& block : options.choices) {
            if (block.layer == l.name) {
                t.choices.push_back("seed");
                for (const auto& alt : block.alternatives) {
                    t.choices.push_back(choiceLabel(alt));
                }
                if (block.identity) {
                    t.choices.push_back("identity");
                }
            }
        }
        std::string engine;
        for (const auto& row : atSeed.back().layers) {
            if (row.name == l.name) {
                engine = row.engine;
            }
        }
        const bool depthwise = l.op == OpKind::DepthwiseConv2d;
        int64_t inTile =
            tileOf(platform, engine, depthwise ? platforms::spec::K : platforms::spec::C);
        if (depthwise) {
            inTile = std::max(inTile, tileOf(platform, engine, platforms::spec::C));
        }
        // A kernel's fast path that needs a multiple of input channels (CMSIS-NN's 1x1).
        for (const auto& k : stack.kernels()) {
            if (k.op() == workloads::toString(l.op) &&
                k.engine() == engineOrHost(engine, platform)) {
                inTile = std::lcm(inTile,
                                  static_cast<int64_t>(std::max(1, k.when().channel_multiple())));
            }
        }
        int64_t outTile = tileOf(platform, engine, platforms::spec::K);
        // ODiMO: the accelerators that can each run the layer alone, the mapper's first.
        if (options.splitEngines && workloads::isCompute(l.op) && t.outGroup >= 0 &&
            engineOrHost(engine, platform) == engine && !engine.empty()) {
            std::vector<std::string> able = {engine};
            for (const auto& e : platform.engines()) {
                if (e.name() != engine && able.size() < 2 &&
                    simulateAlone(id, t, seedIn, t.outGrid.front(), t.weightBits.front(),
                                  sim::LayerChoice{e.name(), "", 1.0})
                            .status == sim::Status::Ok) {
                    able.push_back(e.name());
                }
            }
            if (able.size() == 2) {
                t.engines = able;
                t.weightBits.assign(2, t.weightBits.front());
                for (const auto& name : able) {
                    int bits = t.weightBits.front();
                    for (const auto& e : platform.engines()) {
                        if (e.name() == name && e.has_aimc() && e.aimc().weight_bits() > 0) {
                            bits = e.aimc().weight_bits();
                        }
                    }
                    t.computeBits.push_back(bits);
                }
                for (int e = 0; e < 2; ++e) {
                    t.splitTiles[e] =
                        tileOf(platform, able[static_cast<std::size_t>(e)], platforms::spec::K);
                    outTile = std::lcm(outTile, t.splitTiles[e]);
                }
            }
        }
        if (t.inGroup >= 0) {
            auto& gt = groupTile[static_cast<std::size_t>(t.inGroup)];
            gt = std::lcm(gt, inTile);
        }
        if (t.outGroup >= 0) {
            auto& gt = groupTile[static_cast<std::size_t>(t.outGroup)];
            gt = std::lcm(gt, outTile);
        }
        tables.push_back(std::move(t));
    }
    for (std::size_t k = 0; k < g.groups.size(); ++k) {
        m.groups[k].tile =
            g.groups[k].searchable ? std::min(groupTile[k], g.groups[k].channels) : 1;
    }
    if (!options.activationBits.empty()) {
        activationSources(seed, steps, stepOf, options.activationBits, tables,
                          [&](std::size_t r, int w, int a) {
                              const LayerCostTable& t = tables[r];
                              return simulateAlone(steps[r], t, t.inGrid.front(), t.outGrid.front(),
                                                   w, std::nullopt, 0, nullptr, a)
                                         .status == sim::Status::Ok;
                          });
    }

    // Pass 2: the grids, at multiples of the groups' tiles.
    for (std::size_t s = 0; s < steps.size(); ++s) {
        const auto id = steps[s];
        LayerCostTable& t = tables[s];
        const int64_t seedIn = t.inGrid.front();
        const int64_t seedOut = t.outGrid.front();
        if (t.inGroup >= 0) {
            t.inTile = m.groups[static_cast<std::size_t>(t.inGroup)].tile;
            t.inGrid = gridOf(seedIn, options.channelStep, t.inTile);
        }
        if (t.outGroup >= 0) {
            // A split table's parts are read at multiples of their engines' tiles.
            t.outTile = t.isSplit() ? 1 : m.groups[static_cast<std::size_t>(t.outGroup)].tile;
            t.outGrid = gridOf(seedOut, options.channelStep, t.outTile);
        }
        for (std::size_t plane = 0; plane < t.precisionCount() * t.variantCount(); ++plane) {
            const std::size_t p = plane / t.variantCount() % t.weightBits.size();
            // Input activations: 0 for the seed's (the first), else their bits.
            const std::size_t a = plane / t.variantCount() / t.weightBits.size();
            const int actBits = a == 0 ? 0 : t.activationBits[a];
            const std::size_t v = plane % t.variantCount();
            // A choice block's alternative (null: the seed's layer) or its identity.
            const Layer* replacement = nullptr;
            bool identity = false;
            for (const auto& block : options.choices) {
                if (block.layer == t.layer && v > 0) {
                    identity = v > block.alternatives.size();
                    replacement = identity ? nullptr : &block.alternatives[v - 1];
                }
            }
            for (int64_t cin : t.inGrid) {
                for (int64_t cout : t.outGrid) {
                    if (identity) { // no layer: no time, energy, weights or buffers of its own
                        for (int k = 0; k < kCostMetricCount; ++k) {
                            t.values[k].push_back(
                                k == flash ? static_cast<double>(stack.runtime_flash_bytes()) : 0);
                        }
                        continue;
                    }
                    const bool isSeed = plane == 0 && cin == seedIn && cout == seedOut;
                    const sim::SimResult r =
                        isSeed ? atSeed[s]
                               : run(id, t, cin, t.outGroup >= 0 ? cout : cin, t.weightBits[p],
                                     t.isSplit() ? t.engines[p] : "", v, replacement, actBits);
                    const auto [rowLatency, rowEnergy] = rowCosts(r, t.layer);
                    t.values[lat].push_back(rowLatency);
                    t.values[energy].push_back(rowEnergy);
                    t.values[weights].push_back(
                        static_cast<double>(r.flashBytes - stack.runtime_flash_bytes()));
                    t.values[flash].push_back(static_cast<double>(r.flashBytes));
                    t.values[ram].push_back(static_cast<double>(r.peakRamBytes));
                    if (isSeed) {
                        fixedLatency += r.latencyS - rowLatency;
                        fixedEnergy += r.energyJ - rowEnergy;
                        ++fixedSamples;
                    }
                }
            }
        }
        if (options.perChannel && !t.isSplit() && t.weightBits.size() > 1 && t.outGroup >= 0) {
            // MPS per channel: the layer as two sub-layers of its first two precisions (an
            // even split, the first rounded to the tile) and a concat, against the tables.
            const int64_t tile = std::max<int64_t>(1, t.outTile);
            const int64_t first = std::min(seedOut - 1, (seedOut / 2 + tile - 1) / tile * tile);
            if (first > 0) {
                Network net(fmt::format("dnas/{}/per-channel", t.layer));
                const auto ins = addInputsOf(net, seed, id, g, t, seedIn);
                std::vector<Network::LayerId> parts;
                for (int p = 0; p < 2; ++p) {
                    Layer l = seed.layer(id);
                    l.name =
                        fmt::format("{}_w{}", t.layer, t.weightBits[static_cast<std::size_t>(p)]);
                    l.origin = l.name;
                    l.output = {};
                    l.inputShapes.clear();
                    l.stats = {};
                    l.outChannels = p == 0 ? first : seedOut - first;
                    l.weightDtype = dtypeOfBits(t.weightBits[static_cast<std::size_t>(p)]);
                    parts.push_back(net.addLayer(std::move(l), ins));
                }
                Layer concat;
                concat.name = t.layer;
                concat.origin = t.layer;
                concat.op = OpKind::Concat;
                concat.axis = -1;
                concat.outputDtype = seed.layer(id).output.dtype;
                net.addLayer(std::move(concat), parts);
                workloads::inferShapes(net, "<dnas per-channel cost>");
                Query q = target;
                q.network = net.name();
                if (q.quantize.empty()) {
                    q.quantize = "none";
                }
                session.defineNetwork(q.network, net, sha256Hex(q.network));
                const sim::SimResult r = session.run(q).result;
                session.forgetNetwork(q.network);
                ++st.queries;
                if (r.status == sim::Status::Ok) {
                    const double fin = static_cast<double>(seedIn);
                    for (int metric : {lat, energy}) {
                        double rows = 0;
                        for (const auto& name :
                             {fmt::format("{}_w{}", t.layer, t.weightBits[0]),
                              fmt::format("{}_w{}", t.layer, t.weightBits[1]), t.layer}) {
                            const auto [l, e] = rowCosts(r, name);
                            rows += metric == lat ? l : e;
                        }
                        t.splitOverhead[metric] =
                            rows - tableValue(t, metric, fin, static_cast<double>(first), 0) -
                            tableValue(t, metric, fin, static_cast<double>(seedOut - first), 1);
                    }
                    t.splitOverhead[ram] = static_cast<double>(r.peakRamBytes) -
                                           tableValue(t, ram, fin, static_cast<double>(seedOut), 0);
                }
            }
        }
        if (t.isSplit()) {
            // The cost of splitting: an even split simulated against the parts' tables.
            const int64_t tile = std::max<int64_t>(1, t.splitTiles[0]);
            const int64_t first = (seedOut / 2 + tile - 1) / tile * tile;
            if (first > 0 && first < seedOut) {
                const sim::SimResult r = simulateAlone(
                    id, t, seedIn, seedOut, t.weightBits[0],
                    sim::LayerChoice{t.engines[0], t.engines[1],
                                     static_cast<double>(first) / static_cast<double>(seedOut)});
                if (r.status == sim::Status::Ok) {
                    const auto [rowLatency, rowEnergy] = rowCosts(r, t.layer);
                    const double fin = static_cast<double>(seedIn);
                    const double f = static_cast<double>(first);
                    const double rest = static_cast<double>(seedOut - first);
                    t.splitOverhead[lat] = rowLatency - splitValue(t, lat, fin, f, rest, 0);
                    t.splitOverhead[energy] = rowEnergy - splitValue(t, energy, fin, f, rest, 0);
                }
            }
        }
        m.layers.push_back(std::move(t));
    }
    // What a network costs besides its layers (the runtime's own work, the energy of the
    // idle tail), the same in every single-layer run: their mean.
    m.fixed[lat] = fixedSamples > 0 ? fixedLatency / fixedSamples : 0;
    m.fixed[energy] = fixedSamples > 0 ? fixedEnergy / fixedSamples : 0;
    m.fixed[flash] = static_cast<double>(stack.runtime_flash_bytes());

    // Activation buffers as the deployed runtime plans them.
    const workloads::MemoryPlan plan = workloads::planMemory(seed);
    std::vector<int> stepOfPlan(plan.order.size(), -1);
    for (std::size_t s = 0; s < plan.order.size(); ++s) {
        stepOfPlan[s] = stepOf[plan.order[s]];
    }
    for (const auto& b : plan.buffers) {
        BufferUse u;
        const int grp = g.groupOfLayer[b.owner];
        const bool searchable = grp >= 0 && g.groups[static_cast<std::size_t>(grp)].searchable;
        u.group = searchable ? grp : -1;
        u.writer = stepOf[b.owner];
        u.bytesPerChannel =
            searchable ? b.bytes / g.groups[static_cast<std::size_t>(grp)].channels : b.bytes;
        for (int s = b.firstStep; s <= b.lastStep; ++s) {
            if (stepOfPlan[static_cast<std::size_t>(s)] >= 0) {
                u.liveAt.push_back(stepOfPlan[static_cast<std::size_t>(s)]);
            }
        }
        std::vector<Network::LayerId> holders = {b.owner};
        holders.insert(holders.end(), b.views.begin(), b.views.end());
        for (auto h : holders) {
            if (stepOf[h] >= 0) {
                u.touchedBy.push_back(stepOf[h]);
            }
            for (auto c : seed.consumersOf(h)) {
                if (stepOf[c] >= 0) {
                    u.touchedBy.push_back(stepOf[c]);
                }
            }
        }
        std::sort(u.touchedBy.begin(), u.touchedBy.end());
        u.touchedBy.erase(std::unique(u.touchedBy.begin(), u.touchedBy.end()), u.touchedBy.end());
        m.buffers.push_back(std::move(u));
    }

    if (!cacheFile.empty()) {
        std::filesystem::create_directories(options.cacheDir);
        const std::string tmp = cacheFile + ".tmp";
        {
            std::ofstream out(tmp);
            out << toJson(m).dump(1) << "\n";
            if (!out) {
                throw std::runtime_error("cannot write the cost table cache " + tmp);
            }
        }
        std::filesystem::rename(tmp, cacheFile);
    }
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return m;
}

platforms::spec::MappingSpec splitMapping(const platforms::spec::MappingSpec& base,
                                          const CostModel& model,
                                          const std::vector<int64_t>& channels,
                                          const std::vector<int64_t>& split) {
    platforms::spec::MappingSpec out = base;
    for (std::size_t s = 0; s < model.layers.size() && s < split.size(); ++s) {
        const auto& t = model.layers[s];
        if (!t.isSplit() || split[s] < 0) {
            continue;
        }
        const int64_t total = splitChannels(t, channels);
        platforms::spec::LayerMapping* l = nullptr;
        for (auto& m : *out.mutable_layers()) {
            if (m.layer() == t.layer) {
                l = &m;
            }
        }
        if (l == nullptr) {
            l = out.add_layers();
            l->set_layer(t.layer);
        }
        l->clear_split_engine();
        l->clear_fraction();
        if (split[s] >= total) {
            l->set_engine(t.engines[0]);
        } else if (split[s] <= 0) {
            l->set_engine(t.engines[1]);
        } else {
            l->set_engine(t.engines[0]);
            l->set_split_engine(t.engines[1]);
            l->set_fraction(static_cast<double>(split[s]) / static_cast<double>(total));
        }
    }
    return out;
}

namespace {

/// The index of layer `name` in `spec`; std::invalid_argument (`what` names it) without one.
int specLayerIndex(const workloads::spec::NetworkSpec& spec, const std::string& name,
                   const std::string& what) {
    for (int i = 0; i < spec.layers_size(); ++i) {
        if (spec.layers(i).name() == name) {
            return i;
        }
    }
    throw std::invalid_argument(fmt::format("{} '{}' is not a layer of the network", what, name));
}

/// The tensor layer `at` of `spec` reads first: its first input, else the layer before it,
/// else the graph's input.
std::string specInputOf(const workloads::spec::NetworkSpec& spec, int at) {
    const auto& l = spec.layers(at);
    return l.inputs_size() > 0 ? l.inputs(0)
           : at > 0            ? spec.layers(at - 1).name()
                               : spec.inputs(0).name();
}

/// Sets the output channels of a convolution or dense layer; false for other ops.
bool setOutChannels(workloads::spec::LayerSpec& l, int64_t n) {
    if (l.has_conv2d()) {
        l.mutable_conv2d()->set_out_channels(n);
    } else if (l.has_temporal_conv()) {
        l.mutable_temporal_conv()->set_out_channels(n);
    } else if (l.has_dense()) {
        l.mutable_dense()->set_units(n);
    } else {
        return false;
    }
    return true;
}

/// `spec` with choice block `t`'s layer replaced by its variant `v` of `choices`: an
/// alternative (named and wired as the layer), or for identity no layer, its readers reading
/// its input instead.
void replaceChoice(workloads::spec::NetworkSpec& spec, const LayerCostTable& t, std::size_t v,
                   const std::vector<ChoiceSpec>& choices) {
    const auto block = std::find_if(choices.begin(), choices.end(),
                                    [&](const ChoiceSpec& c) { return c.layer == t.layer; });
    if (block == choices.end() || v >= t.choices.size()) {
        throw std::invalid_argument(
            fmt::format("choice block '{}' has no alternative {}", t.layer, v));
    }
    auto* layers = spec.mutable_layers();
    const int at = specLayerIndex(spec, t.layer, "choice block");
    if (v <= block->alternatives.size()) {
        workloads::spec::LayerSpec alt = block->alternatives[v - 1];
        alt.set_name(t.layer);
        *alt.mutable_inputs() = layers->Get(at).inputs();
        *layers->Mutable(at) = alt;
        return;
    }
    // Identity: the layer's input takes its place.
    const std::string input = specInputOf(spec, at);
    for (int i = at + 1; i < layers->size(); ++i) {
        auto* l = layers->Mutable(i);
        if (i == at + 1 && l->inputs_size() == 0) {
            l->add_inputs(input);
        }
        for (auto& in : *l->mutable_inputs()) {
            if (in == t.layer) {
                in = input;
            }
        }
    }
    for (auto& o : *spec.mutable_outputs()) {
        if (o == t.layer) {
            o = input;
        }
    }
    layers->DeleteSubrange(at, 1);
}

/// The spec type of weights of `bits`.
workloads::spec::DType specDtypeOf(int bits) {
    const auto d = dtypeOfBits(bits);
    return d == workloads::DType::Int4   ? workloads::spec::INT4
           : d == workloads::DType::Int2 ? workloads::spec::INT2
                                         : workloads::spec::INT8;
}

/// `spec` with table `t`'s layer (a convolution or dense layer) at `counts[p]` output channels
/// of each precision t.weightBits[p]: one precision, the layer at it; several, one sub-layer
/// per precision with its channels (`<layer>_w<bits>`, reading the layer's input) and a concat
/// of them along the channels named as the layer, so its readers read them all.
void splitByPrecision(workloads::spec::NetworkSpec& spec, const LayerCostTable& t,
                      const std::vector<int64_t>& counts) {
    if (counts.size() != t.weightBits.size()) {
        throw std::invalid_argument(fmt::format("layer '{}': {} channel counts for {} precisions",
                                                t.layer, counts.size(), t.weightBits.size()));
    }
    auto* layers = spec.mutable_layers();
    const int at = specLayerIndex(spec, t.layer, "layer");
    const auto setChannels = [&](workloads::spec::LayerSpec& l, int64_t n) {
        if (!setOutChannels(l, n)) {
            throw std::invalid_argument(
                fmt::format("layer '{}' has no output channels to split by precision", t.layer));
        }
    };
    std::vector<std::size_t> used;
    for (std::size_t p = 0; p < counts.size(); ++p) {
        if (counts[p] > 0) {
            used.push_back(p);
        }
    }
    if (used.empty()) {
        throw std::invalid_argument(fmt::format("layer '{}' keeps no channel", t.layer));
    }
    const workloads::spec::LayerSpec original = layers->Get(at);
    if (used.size() == 1) {
        auto* l = layers->Mutable(at);
        setChannels(*l, counts[used.front()]);
        l->set_weight_dtype(specDtypeOf(t.weightBits[used.front()]));
        return;
    }
    const std::string input = specInputOf(spec, at);
    std::vector<workloads::spec::LayerSpec> parts;
    workloads::spec::LayerSpec concat;
    concat.set_name(t.layer);
    concat.mutable_concat();
    for (std::size_t p : used) {
        workloads::spec::LayerSpec part = original;
        part.set_name(fmt::format("{}_w{}", t.layer, t.weightBits[p]));
        part.clear_inputs();
        part.add_inputs(input);
        setChannels(part, counts[p]);
        part.set_weight_dtype(specDtypeOf(t.weightBits[p]));
        concat.add_inputs(part.name());
        parts.push_back(std::move(part));
    }
    *layers->Mutable(at) = concat;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        layers->Add(workloads::spec::LayerSpec(*it));
        for (int i = layers->size() - 1; i > at; --i) {
            layers->SwapElements(i, i - 1);
        }
    }
}

} // namespace

workloads::spec::NetworkSpec resizedSpec(const workloads::spec::NetworkSpec& seedSpec,
                                         const Network& seed, const Grouping& g,
                                         const std::vector<int64_t>& channels,
                                         const CostModel* model, const std::vector<int>& weightBits,
                                         const std::vector<int>& taps,
                                         const std::vector<ChoiceSpec>& choices,
                                         const std::vector<std::vector<int64_t>>& channelBits,
                                         const std::vector<int>& activationBits) {
    workloads::spec::NetworkSpec out = seedSpec;
    for (std::size_t k = 0; k < g.groups.size(); ++k) {
        if (channels.at(k) < 1) {
            throw std::invalid_argument(
                fmt::format("group '{}': {} channels", g.groups[k].name, channels[k]));
        }
        if (!g.groups[k].searchable && channels[k] != g.groups[k].channels) {
            throw std::invalid_argument(fmt::format("group '{}' is fixed at {} channels",
                                                    g.groups[k].name, g.groups[k].channels));
        }
    }
    if (model != nullptr && !weightBits.empty()) {
        for (std::size_t step = 0; step < model->layers.size(); ++step) {
            const auto& t = model->layers[step];
            if (weightBits.at(step) == t.weightBits.front()) {
                continue;
            }
            for (auto& l : *out.mutable_layers()) {
                if (l.name() == t.layer) {
                    l.set_weight_dtype(specDtypeOf(weightBits[step]));
                }
            }
        }
    }
    for (std::size_t step = 0; model != nullptr && step < activationBits.size(); ++step) {
        const auto& t = model->layers.at(step);
        const int a = activationBits[step];
        if (a <= 0 || a == 8) {
            continue;
        }
        if (std::find(t.outActivationBits.begin(), t.outActivationBits.end(), a) ==
            t.outActivationBits.end()) {
            throw std::invalid_argument(
                fmt::format("layer '{}' has no {}-bit output activations", t.layer, a));
        }
        // Ops without weights after it keep its type (the loader's rule for sub-byte inputs).
        for (auto& l : *out.mutable_layers()) {
            if (l.name() == t.layer) {
                l.set_output_dtype(specDtypeOf(a));
            }
        }
    }
    for (std::size_t step = 0; model != nullptr && step < taps.size(); ++step) {
        const auto& t = model->layers.at(step);
        if (taps[step] <= 0 || (t.kernels.empty() && t.choices.empty())) {
            continue;
        }
        if (!t.choices.empty()) {
            replaceChoice(out, t, static_cast<std::size_t>(taps[step]), choices);
            continue;
        }
        const auto v = static_cast<std::size_t>(taps[step]);
        if (v >= t.kernels.size()) {
            throw std::invalid_argument(
                fmt::format("layer '{}' has no receptive-field variant {}", t.layer, v));
        }
        for (auto& l : *out.mutable_layers()) {
            if (l.name() == t.layer && l.has_temporal_conv()) {
                auto* w = l.mutable_temporal_conv()->mutable_window();
                w->clear_kernel();
                w->add_kernel(t.kernels[v]);
                w->clear_dilation();
                if (t.dilations[v] != 1) {
                    w->add_dilation(t.dilations[v]);
                }
            }
        }
    }
    for (auto& l : *out.mutable_layers()) {
        const auto id = seed.find(l.name());
        if (!id) {
            continue;
        }
        const int grp = g.groupOfLayer[*id];
        if (grp < 0 || !g.groups[static_cast<std::size_t>(grp)].searchable) {
            continue;
        }
        setOutChannels(l, channels[static_cast<std::size_t>(grp)]); // other ops follow
    }
    for (std::size_t step = 0; model != nullptr && step < channelBits.size(); ++step) {
        if (!channelBits[step].empty()) {
            splitByPrecision(out, model->layers.at(step), channelBits[step]);
        }
    }
    return out;
}

SeedCostModel buildSeedCostModel(Session& session, const Query& target, const std::string& seedText,
                                 const std::string& label, const CostTableOptions& options) {
    SeedCostModel c;
    c.label = label;
    c.seed = workloads::parseNetworkText(seedText, label);
    parseTextProto(seedText, label, c.seedSpec);
    c.grouping = channelGroups(c.seed);
    c.model = buildCostModel(session, target, c.seed, sha256Hex(seedText), c.grouping, options);
    return c;
}

std::array<double, kCostMetricCount> predictSeedCosts(const SeedCostModel& c,
                                                      const std::vector<int64_t>& channels,
                                                      const std::string& source,
                                                      const std::string& field) {
    if (channels.size() != c.model.groups.size()) {
        throw InputError(source, field,
                         fmt::format("one count per group expected ({}), got {}",
                                     c.model.groups.size(), channels.size()));
    }
    return predictCosts(c.model, channels);
}

std::string resizedSeedText(const SeedCostModel& c, const std::vector<int64_t>& channels,
                            const std::string& name, const std::string& source,
                            const std::string& field) {
    workloads::spec::NetworkSpec spec;
    try {
        spec = resizedSpec(c.seedSpec, c.seed, c.grouping, channels);
    } catch (const std::invalid_argument& e) {
        throw InputError(source, field, e.what());
    }
    if (!name.empty()) {
        spec.set_name(name);
    }
    std::string text;
    google::protobuf::TextFormat::PrintToString(spec, &text);
    return text;
}

} // namespace edgesim::explorer::dnas
