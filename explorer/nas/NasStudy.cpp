#include "explorer/nas/NasStudy.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/Strings.h"
#include "explorer/nas/AccuracyEvaluator.h"
#include "explorer/nas/SearchAlgorithm.h"
#include "explorer/session/Query.h"
#include "explorer/sweep/Study.h"
#include "sim/mapping/Mapper.h"
#include "sim/mapping/MappingRequest.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"
#include "workloads/strategy/Strategy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace edgesim::explorer::nas {

const std::vector<std::string>& targetMetrics() {
    static const std::vector<std::string> m = {"latency_s",      "latency_cycles", "energy_j",
                                               "peak_ram_bytes", "flash_bytes",    "macs"};
    return m;
}

const std::vector<std::string>& networkMetrics() {
    static const std::vector<std::string> m = {"params", "macs", kAccuracy};
    return m;
}

std::string targetName(const spec::Target& t) {
    return t.name().empty() ? t.platform() : t.name();
}

bool maximised(const spec::Objective& o) {
    return o.sense() == spec::MAXIMIZE ||
           (o.sense() == spec::SENSE_UNSPECIFIED && o.metric() == kAccuracy);
}

namespace {

/// Most individuals a population or a generation may hold, and generations a run may take.
constexpr int kMaxPopulation = 100000;
constexpr int kMaxGenerations = 100000;

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

/// Checks an objective's or constraint's metric and target; the key "target.metric".
template <typename M>
void checkMetric(const M& m, const FieldCursor& c, const std::set<std::string>& targets,
                 bool accuracy) {
    if (m.metric().empty()) {
        c.error(m, "metric", "missing required field");
        return;
    }
    if (m.target().empty()) {
        if (!contains(networkMetrics(), m.metric())) {
            c.error(m, "metric",
                    "'" + m.metric() + "' " +
                        (contains(targetMetrics(), m.metric())
                             ? "is a per-target metric: name the target"
                             : "is not a metric (per target: " + join(targetMetrics()) +
                                   "; of the network: " + join(networkMetrics()) + ")"));
        } else if (m.metric() == kAccuracy && !accuracy) {
            c.error(m, "metric", "accuracy needs an accuracy evaluator (accuracy.evaluator)");
        }
        return;
    }
    if (targets.count(m.target()) == 0) {
        c.error(m, "target",
                "'" + m.target() + "' is not a target of the study (" +
                    join(std::vector<std::string>(targets.begin(), targets.end())) + ")");
    }
    if (!contains(targetMetrics(), m.metric())) {
        c.error(m, "metric",
                "'" + m.metric() + "' is not a per-target metric (" + join(targetMetrics()) + ")");
    }
}

} // namespace

void validateTarget(const spec::Target& t, const FieldCursor& c) {
    const auto mappers = sim::mapperNames();
    if (t.platform().empty()) {
        c.error(t, "platform", "missing required field");
    }
    if (t.stack().empty()) {
        c.error(t, "stack", "missing required field");
    }
    if (targetName(t).find_first_of(".\"' ") != std::string::npos) {
        c.error(t, "name", "'" + targetName(t) + "' may not hold '.', quotes or spaces");
    }
    if (!t.strategy().empty()) {
        const auto choice = workloads::parseStrategyChoice(t.strategy());
        if (!workloads::isKnownStrategy(choice.name)) {
            c.error(t, "strategy", "unknown strategy '" + choice.name + "'");
        } else {
            try {
                workloads::resolveStrategyOptions(choice.name, choice.params);
            } catch (const InputError& e) {
                c.error(t, "strategy", e.diagnostics().front().reason);
            }
        }
    }
    for (int k = 0; k < t.set_size(); ++k) {
        try {
            parseOverride(t.set(k), "", "set");
        } catch (const InputError& e) {
            c.error(t, "set", e.diagnostics().front().reason, k);
        }
    }
    if (t.batch() != 0) {
        if (const std::string p = workloads::batchProblem(t.batch()); !p.empty()) {
            c.error(t, "batch", p);
        }
    }
    if (!t.mapping().empty() && !sim::isMappingFile(t.mapping()) &&
        !contains(mappers, t.mapping())) {
        c.error(t, "mapping",
                "unknown mapper '" + t.mapping() + "' (built-in: " + join(mappers) +
                    "; or a mapping .textproto file)");
    }
    const auto& op = t.operating_point();
    if (!op.platform().empty()) {
        c.child(t, "operating_point")
            .error(op, "platform", "a target's operating point is the target's own");
    }
    if (!op.name().empty() && (op.clock_hz() != 0 || op.voltage_v() != 0)) {
        c.child(t, "operating_point")
            .error(op, "name", "a named operating point takes no clock_hz or voltage_v");
    }
    if (op.clock_hz() != 0 && !(op.clock_hz() >= 1e5 && op.clock_hz() <= 1e10)) {
        c.child(t, "operating_point")
            .error(op, "clock_hz",
                   fmt::format("{:g} Hz is out of range [1e5, 1e10]", op.clock_hz()));
    }
    if (op.voltage_v() != 0 && !(op.voltage_v() > 0 && op.voltage_v() <= 100)) {
        c.child(t, "operating_point")
            .error(op, "voltage_v", fmt::format("{:g} V is out of range (0, 100]", op.voltage_v()));
    }
}

namespace {

void validateTargets(const spec::NasStudySpec& s, const FieldCursor& at,
                     std::set<std::string>& names) {
    if (s.targets_size() == 0) {
        at.error(s, "targets", "missing required field (at least one platform and stack)");
    }
    for (int i = 0; i < s.targets_size(); ++i) {
        const auto& t = s.targets(i);
        const FieldCursor c = at.child(s, "targets", i);
        validateTarget(t, c);
        const std::string name = targetName(t);
        if (!name.empty() && !names.insert(name).second) {
            c.error(t, t.name().empty() ? "platform" : "name",
                    "a second target named '" + name + "' (give each target its own name)");
        }
    }
}

void validateAlgorithm(const spec::NasStudySpec& s, const FieldCursor& at) {
    const auto& a = s.algorithm();
    const FieldCursor c = at.child(s, "algorithm");
    const std::string kind = a.kind().empty() ? "nsga2" : a.kind();
    if (!makeSearchAlgorithm(kind)) {
        c.error(a, "kind",
                "unknown algorithm '" + kind + "' (known: " + join(searchAlgorithmNames()) + ")");
    }
    if (a.population() != 0 && (a.population() < 2 || a.population() > kMaxPopulation)) {
        c.error(a, "population",
                fmt::format("{} is out of range [2, {}]", a.population(), kMaxPopulation));
    }
    if (a.generations() < 0 || a.generations() > kMaxGenerations) {
        c.error(a, "generations",
                fmt::format("{} is out of range [1, {}]", a.generations(), kMaxGenerations));
    }
    if (a.offspring() < 0 || a.offspring() > kMaxPopulation) {
        c.error(a, "offspring",
                fmt::format("{} is out of range [1, {}]", a.offspring(), kMaxPopulation));
    }
    for (const char* f : {"crossover_probability", "mutation_probability"}) {
        const double v = std::string(f) == "crossover_probability" ? a.crossover_probability()
                                                                   : a.mutation_probability();
        if (!(v >= 0 && v <= 1)) {
            c.error(a, f, fmt::format("{:g} is not a probability in [0, 1]", v));
        }
    }
    if (a.sample_size() < 0 ||
        (a.sample_size() > 0 && a.population() > 0 && a.sample_size() > a.population())) {
        c.error(a, "sample_size",
                fmt::format("{} is out of range [1, population]", a.sample_size()));
    }
    for (const char* f : {"eta_c", "eta_m"}) {
        const double v = std::string(f) == "eta_c" ? a.eta_c() : a.eta_m();
        if (!(v >= 0 && v <= 1000)) {
            c.error(a, f, fmt::format("{:g} is out of range [0, 1000] (0 = default)", v));
        }
    }
}

void validateAccuracy(const spec::NasStudySpec& s, const FieldCursor& at) {
    const auto& a = s.accuracy();
    const FieldCursor c = at.child(s, "accuracy");
    if (a.evaluator().empty() || a.evaluator() == "none") {
        return;
    }
    if (!makeAccuracyEvaluator(a.evaluator())) {
        c.error(a, "evaluator",
                "unknown evaluator '" + a.evaluator() +
                    "' (known: " + join(accuracyEvaluatorNames()) + ", none)");
    }
    if ((a.evaluator() == "train" || a.evaluator() == "proxy") && s.space().head().classes() != 0 &&
        s.space().head().classes() != 10) {
        at.child(s, "space")
            .child(s.space(), "head")
            .error(s.space().head(), "classes",
                   fmt::format("{} classes: the {} evaluator uses Fashion-MNIST's 10",
                               s.space().head().classes(), a.evaluator()));
    }
    const auto& t = a.train();
    const FieldCursor tc = c.child(a, "train");
    if (!t.dataset().empty() && t.dataset() != "fashion-mnist") {
        tc.error(t, "dataset", "'" + t.dataset() + "' is not a known dataset (fashion-mnist)");
    }
    auto range = [&](const FieldCursor& fc, const google::protobuf::Message& m, const char* field,
                     double v, double lo, double hi) {
        if (v != 0 && !(v >= lo && v <= hi)) {
            fc.error(m, field, fmt::format("{:g} is out of range [{:g}, {:g}]", v, lo, hi));
        }
    };
    range(tc, t, "train_images", static_cast<double>(t.train_images()), 1, 60000);
    range(tc, t, "test_images", static_cast<double>(t.test_images()), 1, 10000);
    range(tc, t, "epochs", t.epochs(), 1, 1000);
    range(tc, t, "batch_size", t.batch_size(), 1, 65536);
    range(tc, t, "learning_rate", t.learning_rate(), 1e-9, 10);
    range(tc, t, "threads", t.threads(), 1, 256);
    const auto& p = a.proxy();
    const FieldCursor pc = c.child(a, "proxy");
    if (!p.kind().empty() && p.kind() != "naswot" && p.kind() != "synflow") {
        pc.error(p, "kind", "'" + p.kind() + "' is not naswot or synflow");
    }
    range(pc, p, "batch_size", p.batch_size(), 1, 4096);
    const auto& cmd = a.command();
    const FieldCursor cc = c.child(a, "command");
    if (a.evaluator() == "command" && cmd.run().empty()) {
        cc.error(cmd, "run", "missing required field (the command that prints the accuracy)");
    }
    range(cc, cmd, "timeout_s", cmd.timeout_s(), 1e-3, 1e7);
}

} // namespace

spec::Algorithm effectiveAlgorithm(const spec::NasStudySpec& s, std::size_t genes) {
    spec::Algorithm a = s.algorithm();
    if (a.kind().empty()) {
        a.set_kind("nsga2");
    }
    if (a.population() == 0) {
        a.set_population(20);
    }
    if (a.generations() == 0) {
        a.set_generations(10);
    }
    const bool aging = a.kind() == "aging-evolution";
    if (a.offspring() == 0) {
        a.set_offspring(aging ? std::max(1, a.population() / 4) : a.population());
    }
    if (a.sample_size() == 0) {
        a.set_sample_size(std::max(2, a.population() / 4));
    }
    // Defaults of pymoo's NSGA-II (../NAS.md section 4); 0 means "not given".
    if (a.crossover_probability() == 0) {
        a.set_crossover_probability(0.9);
    }
    if (a.mutation_probability() == 0) {
        a.set_mutation_probability(genes == 0 ? 1.0 : 1.0 / static_cast<double>(genes));
    }
    if (a.eta_c() == 0) {
        a.set_eta_c(15);
    }
    if (a.eta_m() == 0) {
        a.set_eta_m(20);
    }
    return a;
}

void validateNasStudy(const spec::NasStudySpec& s, const FieldCursor& at) {
    validateSearchSpace(s.space(), at.child(s, "space"));
    std::set<std::string> targets;
    validateTargets(s, at, targets);
    const bool accuracy = !s.accuracy().evaluator().empty() && s.accuracy().evaluator() != "none";
    if (s.objectives_size() == 0) {
        at.error(s, "objectives", "missing required field (at least one)");
    }
    std::set<std::string> seen;
    for (int i = 0; i < s.objectives_size(); ++i) {
        const auto& o = s.objectives(i);
        const FieldCursor c = at.child(s, "objectives", i);
        checkMetric(o, c, targets, accuracy);
        if (!seen.insert(o.target() + "." + o.metric()).second) {
            c.error(o, "metric", "the same metric and target as an objective before it");
        }
        if (o.has_reference() && !std::isfinite(o.reference())) {
            c.error(o, "reference", "must be a finite number");
        }
    }
    for (int i = 0; i < s.constraints_size(); ++i) {
        const auto& k = s.constraints(i);
        const FieldCursor c = at.child(s, "constraints", i);
        checkMetric(k, c, targets, accuracy);
        if (!k.has_max() && !k.has_min()) {
            c.error(k, "max", "give a max, a min or both");
        }
        if (k.has_max() && !std::isfinite(k.max())) {
            c.error(k, "max", "must be a finite number");
        }
        if (k.has_min() && !std::isfinite(k.min())) {
            c.error(k, "min", "must be a finite number");
        }
        if (k.has_max() && k.has_min() && std::isfinite(k.max()) && std::isfinite(k.min()) &&
            k.min() > k.max()) {
            c.error(k, "min", fmt::format("{:g} is above max {:g}", k.min(), k.max()));
        }
    }
    validateAlgorithm(s, at);
    validateAccuracy(s, at);
    for (int i = 0; i < s.seeds_size(); ++i) {
        const auto& seed = s.seeds(i);
        if (seed.name().empty()) {
            at.child(s, "seeds", i).error(seed, "name", "missing required field");
        }
    }
    const int population = s.algorithm().population() == 0 ? 20 : s.algorithm().population();
    if (s.seeds_size() > population) {
        at.error(s, "seeds",
                 fmt::format("{} seeds do not fit a population of {}", s.seeds_size(), population));
    }
}

namespace {

/// The operators of a network in execution order ("conv2d depthwise_conv2d ...").
std::string operators(const workloads::Network& n) {
    std::string out;
    for (auto id : n.executionOrder()) {
        const auto& l = n.layer(id);
        if (l.op != workloads::OpKind::Input) {
            out += std::string(out.empty() ? "" : " ") + std::string(workloads::toString(l.op));
        }
    }
    return out;
}

void checkSeeds(NasStudy& study, const SearchSpace& space, const ConfigPaths& paths,
                const FieldCursor& at) {
    for (int i = 0; i < study.spec.seeds_size(); ++i) {
        const auto& seed = study.spec.seeds(i);
        const FieldCursor c = at.child(study.spec, "seeds", i);
        Genome g;
        try {
            g = space.parse({seed.genes().begin(), seed.genes().end()});
        } catch (const std::invalid_argument& e) {
            c.error(seed, "genes", e.what());
            continue;
        }
        study.seeds.push_back(g);
        if (seed.reference().empty()) {
            continue;
        }
        const Candidate cand = space.decode(g, seed.name());
        if (!cand.network) {
            c.error(seed, "genes", "decodes to no network: " + cand.reason);
            continue;
        }
        workloads::LoadedNetwork ref;
        try {
            ref = workloads::loadNetwork(seed.reference(), paths, "reference");
        } catch (const InputError& e) {
            c.error(seed, "reference", e.diagnostics().front().reason);
            continue;
        }
        const auto a = cand.network->totals();
        const auto b = ref.network.totals();
        const std::string ops = operators(*cand.network);
        const std::string refOps = operators(ref.network);
        if (a.macs != b.macs || a.params != b.params || ops != refOps) {
            c.error(seed, "reference",
                    fmt::format("the seed is not {}: {} MACs, {} parameters, operators [{}]; "
                                "the reference has {} MACs, {} parameters, operators [{}]",
                                seed.reference(), a.macs, a.params, ops, b.macs, b.params, refOps));
        }
    }
}

} // namespace

NasStudy loadNasStudy(const std::string& nameOrPath, const ConfigPaths& paths) {
    NasStudy study;
    study.file = paths.locate("studies", nameOrPath, "--study");
    const std::string bytes = readFile(study.file);
    if (const StudyKind kind = studyKind(bytes);
        kind == StudyKind::Sweep || kind == StudyKind::Dnas) {
        throw InputError(study.file, "--study",
                         std::string(kind == StudyKind::Sweep
                                         ? "a sweep study: run it with edgesim sweep"
                                         : "a DNAS study: run it with edgesim dnas") +
                             " --study " + nameOrPath);
    }
    auto locations = parseTextProto(bytes, study.file, study.spec);
    Diagnostics diags(study.file);
    const FieldCursor at(diags, locations.get());
    validateNasStudy(study.spec, at);
    diags.throwIfAny();
    const SearchSpace space(study.spec.space());
    if (space.genes().empty()) {
        at.child(study.spec, "space")
            .error("the space has one network only: give some field "
                   "two or more choices");
    }
    checkSeeds(study, space, paths, at);
    diags.throwIfAny();
    // Of the settings, not the text: comments and layout may change under a resumed run.
    study.sha256 = protoSha256(study.spec);
    study.locations = std::move(locations);
    return study;
}

Query targetQuery(const spec::Target& t, const std::string& field, const std::string& file) {
    Query q;
    q.platform = t.platform();
    q.stack = t.stack();
    if (!t.strategy().empty()) {
        const auto choice = workloads::parseStrategyChoice(t.strategy());
        q.strategy = choice.name;
        q.strategyParams = choice.params;
    }
    q.batch = t.batch() == 0 ? 1 : t.batch();
    for (int k = 0; k < t.set_size(); ++k) {
        q.overrides.push_back(parseOverride(t.set(k), file, fmt::format("{}.set[{}]", field, k)));
    }
    const auto& op = t.operating_point();
    q.operatingPoint.name = op.name();
    if (op.clock_hz() != 0) {
        q.operatingPoint.clockHz = op.clock_hz();
    }
    if (op.voltage_v() != 0) {
        q.operatingPoint.voltageV = op.voltage_v();
    }
    q.operatingPoint.nameField = field + ".operating_point.name";
    q.operatingPoint.clockField = field + ".operating_point.clock_hz";
    q.operatingPoint.voltageField = field + ".operating_point.voltage_v";
    q.mapping.mapping = t.mapping();
    q.mapping.mappingField = field + ".mapping";
    q.quantize = t.quantize();
    q.quantizeField = field + ".quantize";
    q.fidelity = t.fidelity() == spec::ANALYTICAL ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;
    q.source = file;
    q.platformField = field + ".platform";
    q.stackField = field + ".stack";
    q.networkField = "space";
    q.strategyField = field + ".strategy";
    q.strategyParamsField = field + ".strategy";
    q.batchField = field + ".batch";
    return q;
}

} // namespace edgesim::explorer::nas
