#include "explorer/dnas/DnasStudy.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "explorer/nas/NasStudy.h"
#include "explorer/nas/SearchSpace.h"
#include "explorer/nas/TorchScorer.h"
#include "explorer/sweep/Study.h"
#include "workloads/NetworkSource.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

namespace edgesim::explorer::dnas {

namespace {

// Defaults of the training (0 means "not given"): a search of a few minutes on 2 cores.
constexpr int64_t kTrainImages = 5000;
constexpr int64_t kTestImages = 1000;
constexpr int kBatchSize = 64;
constexpr double kLearningRate = 0.003;
constexpr double kArchLearningRate = 0.02;
constexpr int kWarmupEpochs = 2;
constexpr int kSearchEpochs = 6;
constexpr int kFinetuneEpochs = 2;
constexpr double kPitThreshold = 0.5; // PIT's binarisation threshold (Risso et al.)
/// Largest limit as a fraction of the seed's cost: a sanity bound on typing mistakes.
constexpr double kMaxFraction = 10;
constexpr int kMaxEpochs = 10000;

void checkTraining(const spec::DnasStudySpec& s, const FieldCursor& at) {
    const auto& t = s.training();
    const FieldCursor c = at.child(s, "training");
    if (!t.dataset().empty() && t.dataset() != "fashion-mnist") {
        c.error(t, "dataset", "unknown dataset '" + t.dataset() + "' (fashion-mnist)");
    }
    const auto nonNegative = [&](int64_t v, const char* field) {
        if (v < 0) {
            c.error(t, field, fmt::format("{} is negative", v));
        }
    };
    nonNegative(t.train_images(), "train_images");
    nonNegative(t.test_images(), "test_images");
    nonNegative(t.batch_size(), "batch_size");
    nonNegative(t.warmup_epochs(), "warmup_epochs");
    nonNegative(t.search_epochs(), "search_epochs");
    nonNegative(t.finetune_epochs(), "finetune_epochs");
    nonNegative(t.threads(), "threads");
    if (t.batch_size() == 1) {
        c.error(t, "batch_size", "1: batch norm needs two images per batch");
    }
    if (static_cast<int64_t>(t.warmup_epochs()) + t.search_epochs() + t.finetune_epochs() >
        kMaxEpochs) {
        c.error(t, "search_epochs", fmt::format("more than {} epochs in all", kMaxEpochs));
    }
    for (const auto& [v, field] : {std::pair{t.learning_rate(), "learning_rate"},
                                   std::pair{t.arch_learning_rate(), "arch_learning_rate"}}) {
        if (!(v >= 0 && v < 10)) {
            c.error(t, field, fmt::format("{:g} is out of range [0, 10)", v));
        }
    }
}

/// The study's choice blocks: each names a seed layer reading one tensor, and each
/// alternative, wired as that layer, builds with its output shape.
void loadChoices(DnasStudy& study, const FieldCursor& at) {
    const auto& method = study.spec.method();
    const FieldCursor m = at.child(study.spec, "method");
    std::set<std::string> seen;
    for (int i = 0; i < method.choices_size(); ++i) {
        const auto& choice = method.choices(i);
        const FieldCursor c = m.child(method, "choices", i);
        const auto id = study.seed.find(choice.layer());
        int index = -1;
        for (int k = 0; k < study.seedSpec.layers_size(); ++k) {
            if (study.seedSpec.layers(k).name() == choice.layer()) {
                index = k;
            }
        }
        if (choice.layer().empty()) {
            c.error(choice, "layer", "missing required field (a layer of the seed)");
            continue;
        }
        if (!id || index < 0) {
            c.error(choice, "layer",
                    "'" + choice.layer() + "' is not a layer of " + study.spec.network());
            continue;
        }
        if (!seen.insert(choice.layer()).second) {
            c.error(choice, "layer", "a second choice block on '" + choice.layer() + "'");
            continue;
        }
        const auto& seedLayer = study.seed.layer(*id);
        if (study.seed.inputsOf(*id).size() != 1) {
            c.error(choice, "layer",
                    "'" + choice.layer() + "' reads " +
                        std::to_string(study.seed.inputsOf(*id).size()) +
                        " tensors (a choice block reads one)");
            continue;
        }
        if (choice.alternatives_size() == 0 && !choice.identity()) {
            c.error(choice, "alternatives",
                    "missing required field (at least one alternative, or identity: true)");
            continue;
        }
        ChoiceBlock block;
        ChoiceSpec spec;
        block.layer = spec.layer = choice.layer();
        block.identity = spec.identity = choice.identity();
        const auto& outShape = seedLayer.output.shape;
        if (choice.identity() && seedLayer.inputShapes.front() != outShape) {
            c.error(choice, "identity",
                    fmt::format("'{}' changes its input's shape [{}] to [{}]: it cannot be "
                                "skipped",
                                choice.layer(), fmt::join(seedLayer.inputShapes.front(), ", "),
                                fmt::join(outShape, ", ")));
        }
        for (int j = 0; j < choice.alternatives_size(); ++j) {
            workloads::spec::LayerSpec alt = choice.alternatives(j);
            if (!alt.name().empty() || alt.inputs_size() > 0) {
                c.error(choice, "alternatives",
                        "give the op and its attributes only: an alternative takes the seed "
                        "layer's name and inputs",
                        j);
                continue;
            }
            using Op = workloads::spec::LayerSpec;
            const auto op = alt.op_case();
            if (op != Op::kConv2D && op != Op::kDepthwiseConv2D && op != Op::kTemporalConv &&
                op != Op::kDense && op != Op::kAvgPool && op != Op::kMaxPool && op != Op::kRelu &&
                op != Op::kRelu6 && op != Op::kClip) {
                c.error(choice, "alternatives",
                        std::string(op == Op::OP_NOT_SET ? "no op" : "an op") +
                            " the search cannot train as an alternative (conv2d, "
                            "depthwise_conv2d, temporal_conv, dense, avg_pool, max_pool, relu, "
                            "relu6, clip)",
                        j);
                continue;
            }
            alt.set_name(choice.layer());
            *alt.mutable_inputs() = study.seedSpec.layers(index).inputs();
            workloads::spec::NetworkSpec withAlt = study.seedSpec;
            *withAlt.mutable_layers(index) = alt;
            try {
                const workloads::Network net = workloads::buildNetwork(withAlt, study.file);
                const auto altId = net.find(choice.layer());
                if (!altId) {
                    c.error(choice, "alternatives", "folded into the layer before it", j);
                    continue;
                }
                const auto& l = net.layer(*altId);
                if ((l.op == workloads::OpKind::AvgPool || l.op == workloads::OpKind::MaxPool) &&
                    l.window.padding != workloads::Padding::Valid) {
                    c.error(choice, "alternatives",
                            "pooling with padding cannot be trained (give padding: VALID)", j);
                    continue;
                }
                if (l.output.shape != outShape) {
                    c.error(choice, "alternatives",
                            fmt::format("output shape [{}], not the seed layer's [{}]",
                                        fmt::join(l.output.shape, ", "), fmt::join(outShape, ", ")),
                            j);
                    continue;
                }
                block.alternatives.push_back(l);
                alt.clear_name();
                alt.clear_inputs();
                spec.alternatives.push_back(alt);
            } catch (const InputError& e) {
                c.error(choice, "alternatives", e.diagnostics().front().reason, j);
            }
        }
        study.choices.push_back(std::move(block));
        study.choiceSpecs.push_back(std::move(spec));
    }
}

} // namespace

std::string searchName(const spec::DnasSearch& search) {
    return search.name().empty() ? nas::targetName(search.target()) : search.name();
}

void validateDnasStudy(const spec::DnasStudySpec& s, const FieldCursor& at) {
    if (s.network().empty()) {
        at.error(s, "network", "missing required field (the seed network)");
    }
    const std::string& kind = s.method().kind();
    if (!kind.empty() && kind != "pit" && kind != "mps" && kind != "odimo" && kind != "supernet") {
        at.child(s, "method")
            .error(s.method(), "kind", "unknown method '" + kind + "' (pit, mps, odimo, supernet)");
    }
    if (kind == "supernet" && s.method().choices_size() == 0) {
        at.child(s, "method")
            .error(s.method(), "choices",
                   "missing required field (method supernet searches its choice blocks)");
    }
    if (kind != "supernet" && s.method().choices_size() > 0) {
        at.child(s, "method")
            .error(s.method(), "choices", "only the supernet method has choice blocks", 0);
    }
    // MPS's candidate precisions: 8, 4 or 2 bits, for the mps method only.
    const auto checkBits = [&](const char* field, const auto& bits, const char* what) {
        if (bits.size() > 0 && kind != "mps") {
            at.child(s, "method")
                .error(s.method(), field, "only the mps method searches precisions", 0);
            return;
        }
        for (int k = 0; k < bits.size(); ++k) {
            const int b = bits.Get(k);
            if (b != 8 && b != 4 && b != 2) {
                at.child(s, "method")
                    .error(s.method(), field,
                           fmt::format("{} bits: not {} type (8, 4, 2)", b, what), k);
            } else if (std::find(bits.begin(), bits.begin() + k, b) != bits.begin() + k) {
                at.child(s, "method").error(s.method(), field, fmt::format("{} bits twice", b), k);
            }
        }
    };
    checkBits("weight_bits", s.method().weight_bits(), "a weight");
    checkBits("activation_bits", s.method().activation_bits(), "an activation");
    if (s.method().activation_bits_size() > 0 && s.method().per_channel() && kind == "mps") {
        at.child(s, "method")
            .error(s.method(), "activation_bits",
                   "not with per_channel (a layer split by weight precision has one output type; "
                   "not modelled yet)",
                   0);
    }
    if (s.method().per_channel() && kind != "mps") {
        at.child(s, "method")
            .error(s.method(), "per_channel", "only the mps method searches precisions");
    }
    if (s.method().receptive_field() && !kind.empty() && kind != "pit") {
        at.child(s, "method")
            .error(s.method(), "receptive_field",
                   "only the pit method searches receptive fields (not " + kind + ")");
    }
    const double th = s.method().threshold();
    if (th != 0 && !(th > 0 && th < 10)) {
        at.child(s, "method")
            .error(s.method(), "threshold", fmt::format("{:g} is out of range (0, 10)", th));
    }
    if (s.searches_size() == 0) {
        at.error(s, "searches", "missing required field (at least one target and its limits)");
    }
    std::set<std::string> names;
    for (int i = 0; i < s.searches_size(); ++i) {
        const auto& search = s.searches(i);
        const FieldCursor c = at.child(s, "searches", i);
        if (!search.has_target()) {
            c.error(search, "target", "missing required field (platform and stack)");
        } else {
            nas::validateTarget(search.target(), c.child(search, "target"));
        }
        const std::string name = searchName(search);
        if (!name.empty() && !names.insert(name).second) {
            c.error(search, "name",
                    "a second search named '" + name + "' (give each search its own name)");
        }
        if (name.find_first_of(".\"'/ ") != std::string::npos) {
            c.error(search, "name", "'" + name + "' may not hold '.', '/', quotes or spaces");
        }
        if (search.limits_size() == 0 && search.energy_weight() == 0) {
            c.error(search, "limits", "missing required field (at least one, or energy_weight)");
        }
        if (!(search.energy_weight() >= 0 && search.energy_weight() < 1e6)) {
            c.error(search, "energy_weight",
                    fmt::format("{:g} is out of range [0, 1e6)", search.energy_weight()));
        }
        std::set<std::string> metrics;
        for (int k = 0; k < search.limits_size(); ++k) {
            const auto& l = search.limits(k);
            const FieldCursor lc = c.child(search, "limits", k);
            if (costMetricIndex(l.metric()) < 0) {
                lc.error(l, "metric",
                         (l.metric().empty() ? std::string("missing required field")
                                             : "unknown cost metric '" + l.metric() + "'") +
                             " (latency_s, energy_j, weight_bytes, flash_bytes, peak_ram_bytes)");
            } else if (!metrics.insert(l.metric()).second) {
                lc.error(l, "metric", "a second limit on " + l.metric());
            }
            if (l.has_max() == l.has_max_fraction()) {
                lc.error(l, "max", "give either max or max_fraction");
            } else if (l.has_max() && !(std::isfinite(l.max()) && l.max() > 0)) {
                lc.error(l, "max", fmt::format("{:g} is not a positive number", l.max()));
            } else if (l.has_max_fraction() &&
                       !(l.max_fraction() > 0 && l.max_fraction() <= kMaxFraction)) {
                lc.error(
                    l, "max_fraction",
                    fmt::format("{:g} is out of range (0, {:g}]", l.max_fraction(), kMaxFraction));
            }
        }
    }
    checkTraining(s, at);
    if (s.costs().channel_step() < 0 || s.costs().channel_step() > 4096) {
        at.child(s, "costs")
            .error(s.costs(), "channel_step",
                   fmt::format("{} is out of range [1, 4096]", s.costs().channel_step()));
    }
    if (s.costs().check_networks() < 0 || s.costs().check_networks() > 1000) {
        at.child(s, "costs")
            .error(s.costs(), "check_networks",
                   fmt::format("{} is out of range [0, 1000]", s.costs().check_networks()));
    }
}

DnasSettings dnasSettings(const spec::DnasStudySpec& s) {
    const auto& t = s.training();
    const auto orInt = [](int64_t v, int64_t d) { return v == 0 ? d : v; };
    DnasSettings d;
    d.method = s.method().kind().empty() ? "pit" : s.method().kind();
    d.threshold = s.method().threshold() == 0 ? kPitThreshold : s.method().threshold();
    d.receptiveField = s.method().receptive_field();
    d.perChannel = s.method().per_channel();
    if (d.method == "mps") {
        d.activationBits.assign(s.method().activation_bits().begin(),
                                s.method().activation_bits().end());
    }
    d.dataDir = t.data_dir().empty() ? nas::kFashionMnistDir : t.data_dir();
    d.trainImages = orInt(t.train_images(), kTrainImages);
    d.testImages = orInt(t.test_images(), kTestImages);
    d.batchSize = static_cast<int>(orInt(t.batch_size(), kBatchSize));
    d.learningRate = t.learning_rate() == 0 ? kLearningRate : t.learning_rate();
    d.archLearningRate = t.arch_learning_rate() == 0 ? kArchLearningRate : t.arch_learning_rate();
    d.warmupEpochs = static_cast<int>(orInt(t.warmup_epochs(), kWarmupEpochs));
    d.searchEpochs = static_cast<int>(orInt(t.search_epochs(), kSearchEpochs));
    d.finetuneEpochs = static_cast<int>(orInt(t.finetune_epochs(), kFinetuneEpochs));
    d.threads = static_cast<int>(orInt(t.threads(), 1));
    d.baseline = !t.no_baseline();
    return d;
}

std::vector<int> searchedWeightBits(const spec::DnasStudySpec& s) {
    if (s.method().kind() != "mps") {
        return {};
    }
    if (s.method().weight_bits_size() == 0) {
        return {8, 4, 2};
    }
    return {s.method().weight_bits().begin(), s.method().weight_bits().end()};
}

std::string costCacheDir(const spec::DnasStudySpec& s) {
    const std::string& dir = s.costs().cache_dir();
    if (dir == "none") {
        return "";
    }
    if (!dir.empty()) {
        return dir;
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
        return std::string(xdg) + "/edgesim/dnas";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        return std::string(home) + "/.cache/edgesim/dnas";
    }
    return "";
}

DnasStudy loadDnasStudy(const std::string& nameOrPath, const ConfigPaths& paths) {
    DnasStudy study;
    study.file = paths.locate("studies", nameOrPath, "--study");
    const std::string bytes = readFile(study.file);
    switch (studyKind(bytes)) {
    case StudyKind::Sweep:
        throw InputError(study.file, "--study",
                         "a sweep study: run it with edgesim sweep --study " + nameOrPath);
    case StudyKind::Nas:
        throw InputError(study.file, "--study",
                         "an evolutionary NAS study: run it with edgesim nas --study " +
                             nameOrPath);
    default: break;
    }
    auto locations = parseTextProto(bytes, study.file, study.spec);
    Diagnostics diags(study.file);
    const FieldCursor at(diags, locations.get());
    validateDnasStudy(study.spec, at);
    diags.throwIfAny();
    try {
        workloads::LoadedNetwork loaded =
            workloads::loadNetwork(study.spec.network(), paths, "network");
        if (loaded.format != "textproto") {
            at.error(study.spec, "network",
                     "'" + study.spec.network() +
                         "' is not a network .textproto (the search exports the seed's spec "
                         "resized; an ONNX seed is not supported yet)");
        } else {
            parseTextProto(readFile(loaded.file), loaded.file, study.seedSpec);
            study.seed = std::move(loaded.network);
            study.seedFile = loaded.file;
            study.seedSha256 = nas::SearchSpace::specSha256(study.seedSpec);
        }
    } catch (const InputError& e) {
        at.error(study.spec, "network", e.diagnostics().front().reason);
    }
    diags.throwIfAny();
    loadChoices(study, at);
    diags.throwIfAny();
    // Of the settings, not the text: comments and layout may change under a resumed run.
    study.sha256 = protoSha256(study.spec);
    study.locations = std::move(locations);
    return study;
}

} // namespace edgesim::explorer::dnas
