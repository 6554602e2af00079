#include "explorer/dnas/DnasRunner.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/Strings.h"
#include "common/Version.h"
#include "explorer/Progress.h"
#include "explorer/Signals.h"
#include "explorer/dnas/CostModel.h"
#include "explorer/nas/Export.h"
#include "explorer/nas/NasStudy.h"
#include "explorer/results/Provenance.h"
#include "explorer/results/ResultsFile.h"
#include "explorer/results/WriterLock.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <set>

#include <unistd.h>

namespace edgesim::explorer::dnas {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Networks per search that check the cost model when the study does not say.
constexpr int kCheckNetworks = 8;

double seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}

const char* unitOf(int metric) {
    static const char* units[] = {"s", "J", "B", "B", "B"};
    return units[metric];
}

/// The costs of a simulation; `runtimeFlash` is the stack's own flash (not the network's).
std::array<double, kCostMetricCount> metricsOf(const sim::SimResult& r, int64_t runtimeFlash) {
    return {r.latencyS, r.energyJ, static_cast<double>(r.flashBytes - runtimeFlash),
            static_cast<double>(r.flashBytes), static_cast<double>(r.peakRamBytes)};
}

std::string channelsText(const std::vector<int64_t>& channels, const CostModel& model) {
    std::vector<std::string> parts;
    for (std::size_t g = 0; g < channels.size(); ++g) {
        if (model.groups[g].searchable) {
            parts.push_back(model.groups[g].name + "=" + std::to_string(channels[g]));
        }
    }
    return join(parts, " ");
}

/// The layers whose weights the search set to another precision than the seed's ("pw1=4"),
/// or, per channel, to several ("pw1=8:16+4:48": channels per precision).
std::string precisionsText(const CostModel& model, const std::vector<int>& bits,
                           const std::vector<std::vector<int64_t>>& channelBits = {}) {
    std::vector<std::string> parts;
    const std::size_t steps = std::max(bits.size(), channelBits.size());
    for (std::size_t s = 0; s < steps && s < model.layers.size(); ++s) {
        if (s < channelBits.size() && !channelBits[s].empty()) {
            std::vector<std::string> counts;
            for (std::size_t p = 0; p < channelBits[s].size(); ++p) {
                if (channelBits[s][p] > 0) {
                    counts.push_back(
                        fmt::format("{}:{}", model.layers[s].weightBits[p], channelBits[s][p]));
                }
            }
            if (counts.size() > 1 || channelBits[s][0] == 0) {
                parts.push_back(model.layers[s].layer + "=" + join(counts, "+"));
            }
            continue;
        }
        if (s < bits.size() && bits[s] != model.layers[s].weightBits.front()) {
            parts.push_back(model.layers[s].layer + "=" + std::to_string(bits[s]));
        }
    }
    return join(parts, " ");
}

/// `text` after `label` and a space; empty when `text` is.
std::string labelled(const std::string& label, const std::string& text) {
    return text.empty() ? text : label + " " + text;
}

/// The layers whose output activations the search set to another precision than the seed's
/// ("pw1=4").
std::string activationsText(const CostModel& model, const std::vector<int>& bits) {
    std::vector<std::string> parts;
    for (std::size_t s = 0; s < bits.size() && s < model.layers.size(); ++s) {
        if (bits[s] > 0 && bits[s] != 8) {
            parts.push_back(model.layers[s].layer + "=" + std::to_string(bits[s]));
        }
    }
    return join(parts, " ");
}

/// The layers `split` splits ("conv1=aimc:48+digital:16") or moves whole to the second engine
/// of their table ("conv2=digital:64"); the others stay on the engine the mapper chose.
std::string splitText(const CostModel& model, const std::vector<int64_t>& channels,
                      const std::vector<int64_t>& split) {
    std::vector<std::string> parts;
    for (std::size_t s = 0; s < split.size() && s < model.layers.size(); ++s) {
        const auto& t = model.layers[s];
        if (!t.isSplit() || split[s] < 0) {
            continue;
        }
        const int64_t total = splitChannels(t, channels);
        if (split[s] > 0 && split[s] < total) {
            parts.push_back(fmt::format("{}={}:{}+{}:{}", t.layer, t.engines[0], split[s],
                                        t.engines[1], total - split[s]));
        } else if (split[s] == 0) {
            parts.push_back(fmt::format("{}={}:{}", t.layer, t.engines[1], total));
        }
    }
    return join(parts, " ");
}

/// The layers whose taps the search changed ("tc4=3x8": 3 taps at dilation 8).
std::string variantsText(const CostModel& model, const std::vector<int>& taps) {
    std::vector<std::string> parts;
    for (std::size_t s = 0; s < taps.size() && s < model.layers.size(); ++s) {
        if (taps[s] > 0) {
            parts.push_back(model.layers[s].layer + "=" + variantText(model.layers[s], taps[s]));
        }
    }
    return join(parts, " ");
}

/// The seed's channel groups, all fixed for a SuperNet search (a skipped layer passes its
/// input's channels on).
Grouping searchedGroups(const DnasStudy& study) {
    Grouping g = channelGroups(study.seed);
    if (dnasSettings(study.spec).method == "supernet") {
        for (auto& group : g.groups) {
            group.searchable = false;
        }
    }
    return g;
}

std::vector<ColumnDef> epochColumns() {
    std::vector<ColumnDef> c = {{"search", ColumnKind::String, ""},
                                {"phase", ColumnKind::String, ""},
                                {"epoch", ColumnKind::Int, "1"},
                                {"task_loss", ColumnKind::Double, "1"},
                                {"accuracy", ColumnKind::Double, "1"}};
    for (int k = 0; k < kCostMetricCount; ++k) {
        c.push_back({std::string(kCostMetrics[k]) + "_predicted", ColumnKind::Double, unitOf(k)});
    }
    for (int k = 0; k < kCostMetricCount; ++k) {
        c.push_back({std::string("lambda_") + kCostMetrics[k], ColumnKind::Double,
                     std::string("1/") + unitOf(k)});
    }
    c.push_back({"temperature", ColumnKind::Double, "1"});
    c.push_back({"seconds", ColumnKind::Double, "s"});
    return c;
}

std::vector<ColumnDef> resultColumns() {
    return {{"search", ColumnKind::String, ""},
            {"platform", ColumnKind::String, ""},
            {"stack", ColumnKind::String, ""},
            {"metric", ColumnKind::String, ""},
            {"unit", ColumnKind::String, ""},
            {"target", ColumnKind::Double, ""},
            {"seed_simulated", ColumnKind::Double, ""},
            {"predicted", ColumnKind::Double, ""},
            {"simulated", ColumnKind::Double, ""},
            {"error", ColumnKind::Double, "1"},
            {"met", ColumnKind::Int, ""},
            {"status", ColumnKind::String, ""},
            {"accuracy", ColumnKind::Double, "1"},
            {"seed_accuracy", ColumnKind::Double, "1"},
            {"channels", ColumnKind::String, ""},
            {"seed_channels", ColumnKind::String, ""},
            {"weight_bits", ColumnKind::String, ""},
            {"activation_bits", ColumnKind::String, ""},
            {"split", ColumnKind::String, ""},
            {"variants", ColumnKind::String, ""},
            {"network", ColumnKind::String, ""},
            {"mapping", ColumnKind::String, ""}};
}

std::vector<ColumnDef> costModelColumns() {
    return {{"search", ColumnKind::String, ""},    {"network", ColumnKind::String, ""},
            {"channels", ColumnKind::String, ""},  {"metric", ColumnKind::String, ""},
            {"unit", ColumnKind::String, ""},      {"predicted", ColumnKind::Double, ""},
            {"simulated", ColumnKind::Double, ""}, {"error", ColumnKind::Double, "1"}};
}

/// A search prepared before anything is written: its query, the seed's simulated costs, its
/// limits in their units and its cost model.
struct Prepared {
    Query query;
    std::array<double, kCostMetricCount> seedCosts{};
    std::vector<CostLimit> limits;
    CostModel model;
    CostModelStats stats;
    int64_t runtimeFlash = 0;
    std::vector<std::string> notes; ///< SearchSummary::notes found before the search
};

class Runner {
public:
    Runner(const DnasStudy& study, Session& session, const DnasOptions& options)
        : study_(study), session_(session), options_(options), grouping_(searchedGroups(study)),
          settings_(dnasSettings(study.spec)), method_(settings_.method) {}

    DnasSummary run();

private:
    Prepared prepare(int index);
    /// `e` with its diagnostics about search `index`'s target named at their line in the study.
    [[noreturn]] void rethrowAtTarget(const InputError& e, int index) const;
    workloads::Network resized(const std::vector<int64_t>& channels) const {
        workloads::Network n = workloads::buildNetwork(
            resizedSpec(study_.seedSpec, study_.seed, grouping_, channels), study_.seedFile);
        return n;
    }
    /// Simulates the seed resized to `channels` on `q`, its layers at `weightBits` and
    /// `taps` and, where `split` says, split across two engines (the mapping it ran with in
    /// `mapping`, with `schedule`, when given).
    sim::SimResult simulate(const Query& q, const std::vector<int64_t>& channels,
                            const std::string& name, const CostModel* model = nullptr,
                            const std::vector<int>& weightBits = {},
                            const std::vector<int>& taps = {},
                            const std::vector<int64_t>& split = {},
                            std::shared_ptr<const sim::Mapping>* mapping = nullptr,
                            workloads::Schedule* schedule = nullptr,
                            const std::vector<std::vector<int64_t>>& channelBits = {},
                            const std::vector<int>& activationBits = {});
    void searchOne(int index, Prepared& p, DnasSearcher& searcher, Progress& progress,
                   int64_t& epochsDone, SearchSummary& s);

    const DnasStudy& study_;
    Session& session_;
    const DnasOptions& options_;
    Grouping grouping_;
    const DnasSettings settings_; ///< the study's, read once
    const std::string& method_;   ///< pit, mps, odimo, supernet
};

Prepared Runner::prepare(int i) {
    const auto& search = study_.spec.searches(i);
    const std::string field = fmt::format("searches[{}].target", i);
    Prepared p;
    p.query = nas::targetQuery(search.target(), field, study_.file);
    p.query.network = "dnas/seed";
    p.query.networkField = "network";
    p.query.seed = study_.spec.seed();
    if (!searchedWeightBits(study_.spec).empty() && p.query.quantize.empty()) {
        // The exported network as built: a stack's default precision would undo the bits.
        p.query.quantize = "none";
    }
    session_.defineNetwork(p.query.network, study_.seed, study_.seedSha256);
    const auto noSplit = [&] {
        return InputError(
            study_.file, field,
            fmt::format("no layer of {} can be split between two accelerators of {} with {} "
                        "(method odimo needs a platform with two engines that can each run a "
                        "layer, e.g. diana)",
                        study_.spec.network(), search.target().platform(),
                        search.target().stack()));
    };
    if (method_ == "odimo" && session_.specs(p.query).platform.engines_size() < 2) {
        throw noSplit(); // before anything is simulated
    }
    const QueryResult r = session_.run(p.query);
    if (r.result.status != sim::Status::Ok) {
        throw InputError(study_.file, field,
                         fmt::format("the seed network {} does not run there: {} ({})",
                                     study_.spec.network(), sim::toString(r.result.status),
                                     r.result.reason));
    }
    p.runtimeFlash = session_.specs(p.query).stack.runtime_flash_bytes();
    p.seedCosts = metricsOf(r.result, p.runtimeFlash);
    for (const auto& l : search.limits()) {
        const int k = costMetricIndex(l.metric());
        p.limits.push_back(
            {l.metric(),
             l.has_max() ? l.max() : l.max_fraction() * p.seedCosts[static_cast<std::size_t>(k)]});
    }
    CostTableOptions options;
    options.channelStep = study_.spec.costs().channel_step() == 0
                              ? CostTableOptions{}.channelStep
                              : study_.spec.costs().channel_step();
    options.cacheDir = costCacheDir(study_.spec);
    options.weightBits = searchedWeightBits(study_.spec);
    options.splitEngines = method_ == "odimo";
    options.receptiveField = settings_.receptiveField;
    options.perChannel = settings_.perChannel;
    options.activationBits = settings_.activationBits;
    options.choices = study_.choices;
    options.choicesKey = study_.choices.empty() ? "" : protoSha256(study_.spec.method());
    try {
        p.model = buildCostModel(session_, p.query, study_.seed, study_.seedSha256, grouping_,
                                 options, &p.stats);
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const InputError*>(&e) != nullptr) {
            throw;
        }
        throw InputError(study_.file, field,
                         std::string("the cost tables cannot be measured there: ") + e.what());
    }
    const auto any = [&](auto pred) {
        return std::any_of(p.model.layers.begin(), p.model.layers.end(), pred);
    };
    if (method_ == "odimo" && !any([](const LayerCostTable& t) { return t.isSplit(); })) {
        throw noSplit();
    }
    if (method_ == "mps" && !any([](const LayerCostTable& t) { return t.weightBits.size() > 1; })) {
        p.notes.push_back("no layer runs at another weight precision on this target: the search "
                          "chose channels only (as pit)");
    }
    if (!settings_.activationBits.empty() &&
        !any([](const LayerCostTable& t) { return t.outActivationBits.size() > 1; })) {
        p.notes.push_back("no layer's readers run other activation precisions on this target "
                          "(its stack has no sub-byte activation kernels for them): activations "
                          "stay the seed's");
    }
    if (settings_.receptiveField &&
        !any([](const LayerCostTable& t) { return !t.kernels.empty(); })) {
        p.notes.push_back("no causal temporal convolution with more than one tap in " +
                          study_.spec.network() + ": receptive fields were not searched");
    }
    // A limit no exportable network meets: every group at its smallest (one tile), every
    // layer at its fewest bits.
    if (method_ != "odimo") {
        std::vector<int64_t> least = seedChannels(grouping_);
        for (std::size_t g = 0; g < least.size(); ++g) {
            if (p.model.groups[g].searchable) {
                least[g] = std::min(least[g], std::max<int64_t>(1, p.model.groups[g].tile));
            }
        }
        std::vector<int> bits, actBits;
        for (const auto& t : p.model.layers) {
            bits.push_back(*std::min_element(t.weightBits.begin(), t.weightBits.end()));
            actBits.push_back(
                t.outActivationBits.empty()
                    ? 0
                    : *std::min_element(t.outActivationBits.begin(), t.outActivationBits.end()));
        }
        for (const auto& l : p.limits) {
            const int k = costMetricIndex(l.metric);
            // Each layer's cheapest variant for this metric (a single tap, a skipped block).
            std::vector<int> variants;
            for (const auto& t : p.model.layers) {
                std::size_t best = 0;
                for (std::size_t v = 1; v < t.variantCount() && !t.isSplit(); ++v) {
                    const auto at = [&](std::size_t x) {
                        return tableValue(t, k, static_cast<double>(t.inGrid.front()),
                                          static_cast<double>(t.outGrid.front()), 0, x);
                    };
                    best = at(v) < at(best) ? v : best;
                }
                variants.push_back(static_cast<int>(best));
            }
            const double v = predictCosts(p.model, least, bits, {}, variants, {},
                                          actBits)[static_cast<std::size_t>(k)];
            if (v > l.max) {
                p.notes.push_back(fmt::format(
                    "limit {} <= {:g} cannot be met: the smallest network the search can "
                    "export costs {:g} by the cost model",
                    l.metric, l.max, v));
            }
        }
    }
    return p;
}

void Runner::rethrowAtTarget(const InputError& e, int index) const {
    Diagnostics diags(study_.file);
    const FieldCursor at(diags, study_.locations.get());
    const auto& search = study_.spec.searches(index);
    const FieldCursor target = at.child(study_.spec, "searches", index).child(search, "target");
    const std::string prefix = fmt::format("searches[{}].target.", index);
    for (const Diagnostic& d : e.diagnostics()) {
        if (d.line == 0 && d.field + "." == prefix) { // about the target as a whole
            at.child(study_.spec, "searches", index).error(search, "target", d.reason);
            continue;
        }
        if (d.field.rfind(prefix, 0) != 0 || d.line != 0) {
            diags.add(d);
            continue;
        }
        const std::string rest = d.field.substr(prefix.size());
        const std::string field = rest.substr(0, rest.find_first_of(".["));
        target.error(search.target(), field, (field == rest ? "" : rest + ": ") + d.reason);
    }
    diags.throwIfAny();
    throw e;
}

sim::SimResult Runner::simulate(const Query& q, const std::vector<int64_t>& channels,
                                const std::string& name, const CostModel* model,
                                const std::vector<int>& weightBits, const std::vector<int>& taps,
                                const std::vector<int64_t>& split,
                                std::shared_ptr<const sim::Mapping>* mapping,
                                workloads::Schedule* schedule,
                                const std::vector<std::vector<int64_t>>& channelBits,
                                const std::vector<int>& activationBits) {
    Query whole = q;
    whole.network = name;
    const auto spec =
        resizedSpec(study_.seedSpec, study_.seed, grouping_, channels, model, weightBits, taps,
                    study_.choiceSpecs, channelBits, activationBits);
    workloads::Network net = workloads::buildNetwork(spec, study_.seedFile);
    session_.defineNetwork(name, std::move(net), nas::SearchSpace::specSha256(spec));
    const auto& sched = session_.network(whole).schedule;
    if (model != nullptr && anySplit(split)) {
        // The mapper's mapping with the split layers set as the search chose.
        const auto& specs = session_.specs(whole);
        const auto splitSpec =
            splitMapping(sim::toSpec(session_.mapping(whole), sched), *model, channels, split);
        auto m = std::make_shared<sim::Mapping>(
            sim::resolveMapping(splitSpec, sched, specs.platform, "<dnas split mapping>"));
        m->name = study_.spec.name() + "/odimo";
        whole.mapping.fixed = std::move(m);
    }
    if (mapping != nullptr) {
        *mapping = whole.mapping.fixed ? whole.mapping.fixed
                                       : std::make_shared<sim::Mapping>(session_.mapping(whole));
    }
    if (schedule != nullptr) {
        *schedule = sched;
    }
    sim::SimResult r = session_.run(whole).result;
    session_.forgetNetwork(name);
    return r;
}

void Runner::searchOne(int index, Prepared& p, DnasSearcher& searcher, Progress& progress,
                       int64_t& epochsDone, SearchSummary& s) {
    const auto& search = study_.spec.searches(index);
    s.seedChannels = seedChannels(grouping_);
    s.notes = p.notes;
    s.tableQueries = p.stats.queries;
    s.tablesCached = p.stats.cached;
    s.tableSeconds = p.stats.seconds;

    // The cost model against whole-network simulation: the seed and random networks a search
    // could export (each group a multiple of its tile).
    std::vector<TableRow> costRows;
    const auto check = [&](const std::string& label, const std::vector<int64_t>& channels,
                           const std::vector<int64_t>& split, const std::vector<int>& taps,
                           const std::vector<std::vector<int64_t>>& channelBits,
                           const std::vector<int>& bits, const std::vector<int>& actBits) {
        const sim::SimResult r = simulate(p.query, channels, "dnas/check", &p.model, bits, taps,
                                          split, nullptr, nullptr, channelBits, actBits);
        if (r.status != sim::Status::Ok) {
            return;
        }
        const auto predicted =
            predictCosts(p.model, channels, bits, split, taps, channelBits, actBits);
        const auto simulated = metricsOf(r, p.runtimeFlash);
        for (int k = 0; k < kCostMetricCount; ++k) {
            const double err = std::abs(predicted[static_cast<std::size_t>(k)] -
                                        simulated[static_cast<std::size_t>(k)]) /
                               std::abs(simulated[static_cast<std::size_t>(k)]);
            s.maxError[k] = std::max(s.maxError[k], err);
            std::vector<std::string> what = {channelsText(channels, p.model)};
            for (const auto& extra :
                 {splitText(p.model, channels, split), variantsText(p.model, taps),
                  labelled("weights", precisionsText(p.model, bits, channelBits)),
                  labelled("activations", activationsText(p.model, actBits))}) {
                if (!extra.empty()) {
                    what.push_back(extra);
                }
            }
            costRows.push_back({s.name, label, join(what, " "), std::string(kCostMetrics[k]),
                                std::string(unitOf(k)), predicted[static_cast<std::size_t>(k)],
                                simulated[static_cast<std::size_t>(k)], err});
        }
        ++s.checkedNetworks;
    };
    const int checks = study_.spec.costs().check_networks() == 0
                           ? kCheckNetworks
                           : study_.spec.costs().check_networks();
    std::mt19937_64 rng(study_.spec.seed() + static_cast<uint64_t>(index));
    const bool splits = method_ == "odimo";
    for (int n = 0; n < checks; ++n) {
        std::vector<int64_t> c = s.seedChannels;
        std::vector<int64_t> split;
        std::vector<int> taps;
        if (n > 0 && (settings_.receptiveField || !study_.choices.empty())) {
            // A random variant of each layer that has them (taps, a choice block's choice).
            for (const auto& t : p.model.layers) {
                taps.push_back(t.variantCount() == 1
                                   ? -1
                                   : std::uniform_int_distribution<int>(
                                         0, static_cast<int>(t.variantCount()) - 1)(rng));
            }
        }
        if (n > 0 && !splits) {
            for (std::size_t g = 0; g < c.size(); ++g) {
                if (p.model.groups[g].searchable) {
                    const int64_t tile = std::max<int64_t>(1, p.model.groups[g].tile);
                    const int64_t v = std::uniform_int_distribution<int64_t>(1, c[g])(rng);
                    c[g] = std::min(c[g], (v + tile - 1) / tile * tile);
                }
            }
        }
        if (n > 0 && splits) {
            // The seed's channels split at random between each split layer's engines.
            for (const auto& t : p.model.layers) {
                const int64_t tile = std::max<int64_t>(1, t.splitTiles[0]);
                const int64_t total = t.outGrid.back();
                split.push_back(t.isSplit()
                                    ? std::uniform_int_distribution<int64_t>(0, total / tile)(rng) *
                                          tile
                                    : -1);
            }
        }
        std::vector<std::vector<int64_t>> channelBits;
        if (n > 0 && settings_.perChannel) {
            // Each multi-precision layer's channels split at random among its precisions.
            for (const auto& t : p.model.layers) {
                std::vector<int64_t> counts;
                if (t.weightBits.size() > 1 && t.outGroup >= 0) {
                    int64_t left = c[static_cast<std::size_t>(t.outGroup)];
                    for (std::size_t k = 0; k + 1 < t.weightBits.size(); ++k) {
                        counts.push_back(std::uniform_int_distribution<int64_t>(0, left)(rng));
                        left -= counts.back();
                    }
                    counts.push_back(left);
                }
                channelBits.push_back(counts);
            }
        }
        // MPS activation precision: random output precisions and weight precisions.
        std::vector<int> bits, actBits;
        if (n > 0 && !settings_.activationBits.empty()) {
            for (const auto& t : p.model.layers) {
                const auto pick = [&](const std::vector<int>& from) {
                    return from.empty() ? 0
                                        : from[std::uniform_int_distribution<std::size_t>(
                                              0, from.size() - 1)(rng)];
                };
                bits.push_back(pick(t.weightBits));
                actBits.push_back(pick(t.outActivationBits));
            }
        }
        check(n == 0 ? "seed" : fmt::format("sample{}", n), c, split, taps, channelBits, bits,
              actBits);
    }

    // The search.
    DnasProblem problem;
    problem.network = &study_.seed;
    problem.groupOfLayer = grouping_.groupOfLayer;
    problem.costs = p.model;
    problem.limits = p.limits;
    problem.energyWeight = search.energy_weight();
    problem.seed = study_.spec.seed();
    problem.choices = study_.choices;
    std::vector<TableRow> epochRows;
    const auto started = Clock::now();
    const DnasOutcome o = searcher.search(problem, [&](const EpochRecord& e) {
        TableRow row = {s.name, e.phase, static_cast<int64_t>(e.epoch), e.taskLoss, e.accuracy};
        for (double c : e.costs) {
            row.emplace_back(c);
        }
        for (int k = 0; k < kCostMetricCount; ++k) {
            double lambda = kNaN;
            for (std::size_t i = 0; i < p.limits.size(); ++i) {
                if (p.limits[i].metric == kCostMetrics[k]) {
                    lambda = e.lambdas[i];
                }
            }
            row.emplace_back(lambda);
        }
        row.emplace_back(e.temperature);
        row.emplace_back(e.seconds);
        epochRows.push_back(std::move(row));
        progress.setStatus(
            fmt::format("{} {} epoch {}, accuracy {:.3f}", s.name, e.phase, e.epoch, e.accuracy));
        progress.update(++epochsDone, 0);
        return SignalGuard::received() == 0;
    });
    s.searchSeconds = seconds(started);
    if (o.error == kStopped) {
        return;
    }
    if (!o.error.empty()) {
        throw std::runtime_error(fmt::format("search '{}': {}", s.name, o.error));
    }
    s.channels = o.channels;
    s.weightBits = o.weightBits;
    s.precisions = precisionsText(p.model, o.weightBits, o.channelBits);
    s.activations = activationsText(p.model, o.activationBits);
    s.splits = splitText(p.model, o.channels, o.split);
    s.variants = variantsText(p.model, o.variants);
    s.limits = static_cast<int>(p.limits.size());
    s.accuracy = o.accuracy;
    s.seedAccuracy = o.seedAccuracy;

    // Close the loop: the exported network, simulated on the target.
    const auto spec =
        resizedSpec(study_.seedSpec, study_.seed, grouping_, o.channels, &p.model, o.weightBits,
                    o.variants, study_.choiceSpecs, o.channelBits, o.activationBits);
    nas::Candidate exported;
    exported.spec = spec;
    exported.spec.set_name(study_.seedSpec.name() + "-dnas-" + s.name);
    exported.spec.set_description(fmt::format("{} searched by edgesim dnas ({}, study {}) for {}",
                                              study_.seedSpec.name(), method_, study_.spec.name(),
                                              s.name));
    exported.network = workloads::buildNetwork(exported.spec, study_.seedFile);
    std::shared_ptr<const sim::Mapping> mapping;
    workloads::Schedule schedule;
    const sim::SimResult r =
        simulate(p.query, o.channels, "dnas/exported", &p.model, o.weightBits, o.variants, o.split,
                 &mapping, &schedule, o.channelBits, o.activationBits);
    s.status = sim::toString(r.status);
    const auto simulated = metricsOf(r, p.runtimeFlash);
    s.files = nas::writeCandidateFiles(exported, exportDirectory(options_.out), s.name);
    // The command that re-runs the exported network as it was simulated here.
    s.resimulate =
        fmt::format("edgesim simulate -p {} -s {} -n {}.textproto", s.platform, s.stack, s.files);
    if (!p.query.quantize.empty()) {
        s.resimulate += " --quantize " + p.query.quantize;
    }
    for (const auto& set : search.target().set()) {
        s.resimulate += " --set '" + set + "'";
    }
    if (anySplit(o.split)) {
        // The mapping the exported network ran with: `simulate --mapping` re-runs it.
        s.mapping = s.files + ".mapping.textproto";
        s.resimulate += " --mapping " + s.mapping;
        sim::writeMappingFile(
            s.mapping,
            fmt::format("# Layer-to-engine mapping of {} on {} with {}, its layers split as "
                        "the search chose (platforms/spec/mapping.proto), written by: {}\n",
                        exported.spec.name(), s.platform, s.stack, options_.commandLine),
            *mapping, schedule, "--out");
    }
    std::vector<TableRow> resultRows;
    for (int k = 0; k < kCostMetricCount; ++k) {
        ResultRow row;
        row.metric = kCostMetrics[k];
        row.target = kNaN;
        for (const auto& l : p.limits) {
            if (l.metric == row.metric) {
                row.target = l.max;
            }
        }
        row.seedSimulated = p.seedCosts[static_cast<std::size_t>(k)];
        row.predicted = o.predicted[k];
        const bool ran = r.status == sim::Status::Ok ||
                         (r.status == sim::Status::DoesNotFit && k >= 2); // footprints
        row.simulated = ran ? simulated[static_cast<std::size_t>(k)] : kNaN;
        row.met = std::isnan(row.target) ? -1 : (row.simulated <= row.target ? 1 : 0);
        s.limitsMet += row.met == 1 ? 1 : 0;
        s.rows.push_back(row);
        resultRows.push_back({s.name,
                              s.platform,
                              s.stack,
                              row.metric,
                              std::string(unitOf(k)),
                              row.target,
                              row.seedSimulated,
                              row.predicted,
                              row.simulated,
                              std::abs(row.predicted - row.simulated) / std::abs(row.simulated),
                              static_cast<int64_t>(row.met),
                              s.status,
                              s.accuracy,
                              s.seedAccuracy,
                              channelsText(s.channels, p.model),
                              channelsText(s.seedChannels, p.model),
                              s.precisions,
                              s.activations,
                              s.splits,
                              s.variants,
                              s.files,
                              s.mapping});
    }
    if (r.status == sim::Status::Ok) {
        for (int k = 0; k < kCostMetricCount; ++k) {
            const double err = std::abs(o.predicted[k] - simulated[static_cast<std::size_t>(k)]) /
                               std::abs(simulated[static_cast<std::size_t>(k)]);
            s.maxError[k] = std::max(s.maxError[k], err);
            costRows.push_back({s.name, std::string("exported"), channelsText(s.channels, p.model),
                                std::string(kCostMetrics[k]), std::string(unitOf(k)),
                                o.predicted[k], simulated[static_cast<std::size_t>(k)], err});
        }
        ++s.checkedNetworks;
    }
    updateResultsFile(options_.out, [&](ResultsFile& f) {
        f.append(kEpochsTable, epochColumns(), epochRows);
        f.append(kResultTable, resultColumns(), resultRows);
        f.append(kCostModelTable, costModelColumns(), costRows);
    });
}

DnasSummary Runner::run() {
    const auto start = Clock::now();
    DnasSummary summary;
    checkRunOptions(options_.resume, options_.overwrite, 1.0);
    checkOutputPaths({{options_.out, "--out"}}, {{study_.file, "--study"}});
    const WriterLock lock(options_.out, "--out");
    const bool exists = existingOutput(options_.out, options_.resume, options_.overwrite);

    // Everything that needs the configs or the data, before anything is written.
    auto searcher = [&] {
        try {
            return makeDnasSearcher();
        } catch (const std::runtime_error& e) {
            throw InputError(study_.file, "method", e.what());
        }
    }();
    {
        const std::string problem = searcher->configure(settings_);
        if (!problem.empty()) {
            Diagnostics diags(study_.file);
            const FieldCursor at(diags, study_.locations.get());
            at.child(study_.spec, "training").error(study_.spec.training(), "data_dir", problem);
            diags.throwIfAny();
        }
    }
    std::vector<Prepared> prepared;
    for (int i = 0; i < study_.spec.searches_size(); ++i) {
        try {
            prepared.push_back(prepare(i));
        } catch (const InputError& e) {
            rethrowAtTarget(e, i);
        }
    }

    std::set<std::string> done;
    if (exists && options_.resume) {
        const auto studySha = readStringAttribute(options_.out, "/", "study_sha256");
        if (!studySha || *studySha != study_.sha256) {
            throw InputError(options_.out, "--resume",
                             "the file was not written by this study, or its settings changed "
                             "since (study_sha256 differs; comments and layout do not count): "
                             "resume with the study as it was, or --overwrite to start again");
        }
        for (const auto& name : readStringColumn(options_.out, kResultTable, "search")) {
            done.insert(name);
        }
    } else {
        Provenance p = makeProvenance(options_.commandLine, study_.sha256, study_.spec.seed());
        p.extra = {{"study_name", study_.spec.name()},
                   {"study_file", study_.file},
                   {"study_sha256", study_.sha256},
                   {"seed_network", study_.spec.network()},
                   {"seed_network_sha256", study_.seedSha256},
                   {"method", method_}};
        // A fresh file: the exported networks of an earlier run would be stale.
        std::filesystem::remove_all(exportDirectory(options_.out));
        writeResultsFile(options_.out, p, [&](ResultsFile& f) {
            f.append(kEpochsTable, epochColumns(), {});
            f.append(kResultTable, resultColumns(), {});
            f.append(kCostModelTable, costModelColumns(), {});
        });
    }

    const int64_t perSearch =
        settings_.warmupEpochs + settings_.searchEpochs + settings_.finetuneEpochs;
    int64_t pending = 0;
    for (const auto& s : study_.spec.searches()) {
        pending += done.count(searchName(s)) == 0 ? perSearch : 0;
    }
    const SignalGuard signals;
    Progress progress("dnas", "epochs", pending, stderr, !options_.quiet && isatty(2) != 0);
    int64_t epochsDone = 0;
    for (int i = 0; i < study_.spec.searches_size(); ++i) {
        const auto& search = study_.spec.searches(i);
        SearchSummary s;
        s.name = searchName(search);
        s.platform = search.target().platform();
        s.stack = search.target().stack();
        const auto report = [&] {
            summary.searches.push_back(s);
            if (options_.onSearch) {
                progress.clear();
                options_.onSearch(s);
            }
        };
        if (done.count(s.name) != 0) {
            s.skipped = "in the resumed file";
            report();
            continue;
        }
        if (SignalGuard::received() != 0) {
            break;
        }
        searchOne(i, prepared[static_cast<std::size_t>(i)], *searcher, progress, epochsDone, s);
        if (SignalGuard::received() != 0 && s.channels.empty()) {
            summary.interrupted = true;
            break;
        }
        report();
    }
    summary.interrupted = summary.interrupted || SignalGuard::received() != 0;
    progress.finish(summary.interrupted ? "interrupted: --resume continues" : "");
    summary.seconds = seconds(start);
    return summary;
}

} // namespace

std::string exportDirectory(const std::string& out) {
    std::filesystem::path p(out);
    if (p.extension() == ".h5") {
        p.replace_extension();
    }
    return p.string() + ".dnas";
}

DnasSummary runDnas(const DnasStudy& study, Session& session, const DnasOptions& options) {
    Runner runner(study, session, options);
    return runner.run();
}

} // namespace edgesim::explorer::dnas
