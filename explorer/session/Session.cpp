#include "explorer/session/Session.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/Strings.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"
#include "workloads/schedule/Schedule.h"
#include "workloads/strategy/Strategy.h"

#include <fmt/format.h>

#include <algorithm>

namespace edgesim::explorer {

namespace {

/// What the effective specs depend on: the configs and the overrides.
std::string specsKey(const Query& q) {
    std::string key = q.platform + "\n" + q.stack;
    for (const auto& o : q.overrides) {
        key += "\n" + o.text();
    }
    return key;
}

/// Where the query and its overrides were written: what the specs' problems name.
std::string labelsKey(const Query& q) {
    std::string key = q.source + "\n" + q.platformField + "\n" + q.stackField;
    for (const auto& o : q.overrides) {
        key += "\n" + o.source + "\t" + std::to_string(o.line) + "\t" + o.field;
    }
    return key;
}

/// The lines of `changes` sorted: the same final values hash alike whatever order the
/// overrides came in.
std::string sortedLines(const std::string& changes) {
    std::vector<std::string> lines;
    std::size_t from = 0;
    while (from < changes.size()) {
        const std::size_t nl = changes.find('\n', from);
        lines.push_back(changes.substr(from, nl - from + 1));
        from = nl + 1;
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) {
        out += l;
    }
    return out;
}

} // namespace

void checkStrategy(const std::string& strategy, const std::string& source,
                   const std::string& field) {
    if (workloads::isKnownStrategy(strategy)) {
        return;
    }
    std::vector<std::string> names;
    for (const auto& s : workloads::availableStrategies()) {
        names.push_back(s.name);
    }
    const std::string known = join(names);
    throw InputError(source, field,
                     "unknown or not yet lowered strategy '" + strategy + "' (available: " + known +
                         ")");
}

Session::Session(ConfigPaths paths) : paths_(std::move(paths)) {}

Session::~Session() = default;

const Session::Network& Session::network(
    const std::string& nameOrPath, const std::string& strategy, int batch, const std::string& field,
    const std::string& strategyField, const std::string& source, const std::string& batchField,
    const std::string& quantize, const std::string& quantizeField,
    const std::vector<std::string>& strategyParams, const std::string& strategyParamsField) {
    checkStrategy(strategy, source, strategyField);
    const workloads::StrategyOptions options =
        workloads::resolveStrategyOptions(strategy, strategyParams, source, strategyParamsField);
    if (const std::string problem = workloads::batchProblem(batch); !problem.empty()) {
        throw InputError(source, batchField, problem);
    }
    const std::string key = nameOrPath + "|" + strategy + "|" + options.canonical() + "|" +
                            std::to_string(batch) + "|" + quantize;
    auto& slot = networks_[key];
    if (!slot) {
        auto n = std::make_unique<Network>();
        n->precision = workloads::loadQuantizePlan(quantize, source, quantizeField);
        if (const auto d = defined_.find(nameOrPath); d != defined_.end()) {
            n->loaded = d->second;
        } else {
            n->loaded = workloads::loadNetwork(nameOrPath, paths_, field, source);
        }
        n->loaded.network = workloads::quantize(n->loaded.network, n->precision, &n->quantized);
        try {
            n->schedule =
                workloads::makeStrategy(strategy)->lower(n->loaded.network, batch, options);
        } catch (const InputError& e) {
            // What the strategy could not lower, named where its parameters were given.
            const Diagnostic& d = e.diagnostics().front();
            throw InputError(source, strategyParamsField,
                             d.file == "<command line>"
                                 ? d.reason
                                 : d.file + ": " + (d.field.empty() ? "" : d.field + ": ") +
                                       d.reason);
        }
        n->strategyOptions = options.canonical();
        n->schedule.network = nameOrPath;
        slot = std::move(n);
    }
    return *slot;
}

void Session::defineNetwork(const std::string& name, workloads::Network network,
                            const std::string& sha256) {
    forgetNetwork(name);
    workloads::LoadedNetwork& l = defined_[name];
    l.network = std::move(network);
    l.file = name;
    l.format = "memory";
    l.sha256 = sha256;
}

void Session::forgetNetwork(const std::string& name) {
    defined_.erase(name);
    const std::string prefix = name + "|";
    for (auto it = networks_.lower_bound(prefix);
         it != networks_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
        it = networks_.erase(it);
    }
}

namespace {
/// The --quantize value a query runs with: its own, else its stack's default precision.
std::string quantizeOf(const Query& q, const platforms::spec::StackSpec& stack) {
    return q.quantize.empty() ? stack.default_precision() : q.quantize;
}

/// What precision `n` (the network `q` runs on `stack`) is in, and why.
std::string precisionLabel(const Query& q, const Session::Network& n,
                           const platforms::spec::StackSpec& stack) {
    if (n.precision.asStored()) {
        return "as stored";
    }
    const std::string why =
        q.quantize.empty() ? "default of stack " + stack.name() : q.quantizeField;
    return n.quantized ? n.precision.describe() + " (" + why + ")"
                       : "as stored, already " + n.precision.describe() + " (" + why + ")";
}
} // namespace

const Session::Network& Session::network(const Query& q) {
    return networkFor(q, specs(q).stack);
}

const Session::Network& Session::networkFor(const Query& q,
                                            const platforms::spec::StackSpec& stack) {
    return network(q.network, q.strategy, q.batch, q.networkField, q.strategyField, q.source,
                   q.batchField, quantizeOf(q, stack), q.quantizeField, q.strategyParams,
                   q.strategyParamsField);
}

std::string Session::precision(const Query& q) {
    const Specs& s = specs(q);
    return precisionLabel(q, networkFor(q, s.stack), s.stack);
}

const platforms::spec::PlatformSpec& Session::platform(const std::string& nameOrPath,
                                                       const std::string& field,
                                                       const std::string& source) {
    auto it = platforms_.find(nameOrPath);
    if (it == platforms_.end()) {
        Base<platforms::spec::PlatformSpec> b;
        b.file = paths_.locate("platforms", nameOrPath, field, source);
        b.spec = std::make_shared<const platforms::spec::PlatformSpec>(
            platforms::loadPlatform(b.file, paths_));
        b.sha256 = protoSha256(*b.spec);
        it = platforms_.emplace(nameOrPath, std::move(b)).first;
    }
    return *it->second.spec;
}

const platforms::spec::StackSpec&
Session::stack(const std::string& nameOrPath, const std::string& field, const std::string& source) {
    auto it = stacks_.find(nameOrPath);
    if (it == stacks_.end()) {
        Base<platforms::spec::StackSpec> b;
        b.file = paths_.locate("stacks", nameOrPath, field, source);
        b.spec = std::make_shared<const platforms::spec::StackSpec>(
            platforms::loadStack(b.file, paths_));
        b.sha256 = protoSha256(*b.spec);
        it = stacks_.emplace(nameOrPath, std::move(b)).first;
    }
    return *it->second.spec;
}

const std::string& Session::platformSha256(const std::string& nameOrPath) {
    platform(nameOrPath);
    return platforms_.at(nameOrPath).sha256;
}

const std::string& Session::stackSha256(const std::string& nameOrPath) {
    stack(nameOrPath);
    return stacks_.at(nameOrPath).sha256;
}

void Session::replacePlatform(const std::string& nameOrPath, platforms::spec::PlatformSpec spec) {
    platform(nameOrPath);
    auto& b = platforms_.at(nameOrPath);
    b.spec = std::make_shared<const platforms::spec::PlatformSpec>(std::move(spec));
    b.sha256 = protoSha256(*b.spec);
    specs_.clear();
}

void Session::replaceStack(const std::string& nameOrPath, platforms::spec::StackSpec spec) {
    stack(nameOrPath);
    auto& b = stacks_.at(nameOrPath);
    b.spec = std::make_shared<const platforms::spec::StackSpec>(std::move(spec));
    b.sha256 = protoSha256(*b.spec);
    specs_.clear();
}

const Session::Specs& Session::specsOf(const Query& q) {
    // Queries of other sources share specs (validate's rows, a sweep's points), except when
    // the specs have problems: those name where the query was written, so they are found anew.
    const std::string key = specsKey(q);
    const std::string labels = labelsKey(q);
    if (const Specs* cached = specs_.find(key);
        cached != nullptr && (cached->problems.empty() || cached->labels == labels)) {
        return *cached;
    }
    platform(q.platform, q.platformField, q.source);
    stack(q.stack, q.stackField, q.source);
    // Copies only of what overrides touch; the rest shares the base spec.
    bool touched[2] = {false, false};
    for (const auto& o : q.overrides) {
        touched[o.target == Override::Target::Platform ? 0 : 1] = true;
    }
    std::shared_ptr<const platforms::spec::PlatformSpec> platformSpec =
        platforms_.at(q.platform).spec;
    std::shared_ptr<const platforms::spec::StackSpec> stackSpec = stacks_.at(q.stack).spec;
    std::string changes[2];
    std::vector<Diagnostic> problems;
    if (touched[0] || touched[1]) {
        auto p = touched[0] ? std::make_shared<platforms::spec::PlatformSpec>(*platformSpec)
                            : std::make_shared<platforms::spec::PlatformSpec>();
        auto k = touched[1] ? std::make_shared<platforms::spec::StackSpec>(*stackSpec)
                            : std::make_shared<platforms::spec::StackSpec>();
        problems = applyOverrides(q.overrides, *p, *k, &changes); // untouched: never read
        if (touched[0]) {
            platformSpec = std::move(p);
        }
        if (touched[1]) {
            stackSpec = std::move(k);
        }
    }
    auto s = std::make_unique<Specs>(std::move(platformSpec), std::move(stackSpec));
    s->labels = labels;
    s->problems = std::move(problems);
    if (const std::string why = platforms::incompatibility(s->platform, s->stack); !why.empty()) {
        s->problems.push_back({q.source, 0, 0, q.stackField, why});
    } else if (s->problems.empty()) {
        // What constructing a simulator would refuse, found without an exception (one thrown
        // after SystemC ran upsets AddressSanitizer): placement the host core cannot reach.
        if (const std::string where = sim::placementProblem(s->platform, s->stack);
            !where.empty()) {
            const Override* first = q.overrides.empty() ? nullptr : &q.overrides.front();
            s->problems.push_back({first ? first->source : q.source, first ? first->line : 0, 0,
                                   first ? first->field : q.platformField, where});
        }
    }
    // The config's hash, and with overrides the hash of that and what they changed: cheaper
    // than serialising every point's spec of a sweep, and as stable.
    const std::string& basePlatform = platforms_.at(q.platform).sha256;
    const std::string& baseStack = stacks_.at(q.stack).sha256;
    s->platformSha256 = changes[0].empty()
                            ? basePlatform
                            : sha256Hex(basePlatform + "\n" + sortedLines(changes[0]));
    s->stackSha256 =
        changes[1].empty() ? baseStack : sha256Hex(baseStack + "\n" + sortedLines(changes[1]));
    // The structure: the config's unless overrides changed the platform.
    if (!changes[0].empty() || baseStructure_[0] != basePlatform) {
        s->structure = sim::platformStructure(s->platform);
        if (changes[0].empty()) {
            baseStructure_[0] = basePlatform;
            baseStructure_[1] = s->structure;
        }
    } else {
        s->structure = baseStructure_[1];
    }
    return specs_.insert(key, std::move(s));
}

const Session::Specs& Session::specs(const Query& q) {
    const Specs& s = specsOf(q);
    if (!s.problems.empty()) {
        throw InputError(s.problems);
    }
    return s;
}

std::optional<Diagnostic> Session::problem(const Query& q) {
    const Specs& s = specsOf(q);
    if (!s.problems.empty()) {
        return s.problems.front();
    }
    networkFor(q, s.stack);
    sim::checkMappingRequest(q.mapping, s.stack, q.source);
    return sim::checkOperatingPoint(s.platform, q.operatingPoint, q.source);
}

sim::ResolvedOperatingPoint Session::operatingPoint(const Query& q) {
    sim::ResolvedOperatingPoint op;
    if (auto d = sim::checkOperatingPoint(specs(q).platform, q.operatingPoint, q.source, &op)) {
        throw InputError(d->file, d->field, d->reason);
    }
    return op;
}

Session::Prepared Session::prepare(const Query& q) {
    Prepared p;
    p.specs = &specs(q);
    p.network = &networkFor(q, p.specs->stack);
    if (auto d = sim::checkOperatingPoint(p.specs->platform, q.operatingPoint, q.source, &p.op)) {
        throw InputError(d->file, d->field, d->reason);
    }
    p.mapping = &mappingOf(q, *p.specs, *p.network, p.op);
    // The mapping itself (every layer's choice), not how it was asked for nor its name: the
    // same mapping from a mapper or from a file is the same simulation. Names (of the
    // operating point, the mapping, the network as typed) label results; they do not enter.
    p.hash = sha256Hex(
        "edgesim-query/1\nplatform " + p.specs->platformSha256 + "\nstack " + p.specs->stackSha256 +
        "\nnetwork " + p.network->loaded.sha256 + "\nstrategy " + q.strategy +
        // only when the strategy has parameters: hashes of parameterless queries stay as they were
        (p.network->strategyOptions.empty() ? std::string()
                                            : "\nstrategy_params " + p.network->strategyOptions) +
        "\nbatch " + std::to_string(q.batch) + "\noperating_point " + doubleBits(p.op.clockHz) +
        "|" + doubleBits(p.op.voltageV) + "\nmapping " + p.mapping->text + "\nfidelity " +
        sim::toString(q.fidelity) + "\nseed " + std::to_string(q.seed) + "\n" +
        // only when it changes the network: the same simulation has the same hash
        (!p.network->quantized ? std::string()
                               : "precision " + p.network->precision.hashText() + "\n"));
    return p;
}

std::string Session::hash(const Query& q) {
    return prepare(q).hash;
}

sim::RunOptions Session::runOptions(const Query& q) const {
    sim::RunOptions ro;
    ro.fidelity = q.fidelity;
    ro.operatingPoint = q.operatingPoint;
    ro.source = q.source;
    ro.request = q.mapping;
    return ro;
}

sim::Simulator& Session::simulatorFor(const Specs& s) {
    // A simulator of the same platform and stack whose model has this structure is
    // reconfigured (numeric changes); any other structure elaborates a fresh one.
    for (auto it = simulators_.begin(); it != simulators_.end(); ++it) {
        if (it->platform != s.platform.name() || it->stack != s.stack.name() ||
            it->structure != s.structure) {
            continue;
        }
        if (it->stackSha256 != s.stackSha256) {
            it->simulator->reconfigure(s.platformShared, s.stackShared);
        } else if (it->platformSha256 != s.platformSha256) {
            it->simulator->reconfigure(s.platformShared, nullptr);
        }
        it->platformSha256 = s.platformSha256;
        it->stackSha256 = s.stackSha256;
        simulators_.splice(simulators_.begin(), simulators_, it);
        return *simulators_.front().simulator;
    }
    SimulatorEntry e{
        s.platform.name(), s.stack.name(),
        s.structure,       s.platformSha256,
        s.stackSha256,     std::make_unique<sim::Simulator>(s.platformShared, s.stackShared)};
    simulators_.push_front(std::move(e));
    while (simulators_.size() > kMaxSimulators) {
        simulators_.pop_back();
    }
    return *simulators_.front().simulator;
}

const Session::CachedMapping& Session::mappingOf(const Query& q, const Specs& s, const Network& net,
                                                 const sim::ResolvedOperatingPoint& op) {
    sim::checkMappingRequest(q.mapping, s.stack, q.source);
    const std::string network = net.loaded.sha256 + "|" + q.strategy + "|" + net.strategyOptions +
                                "|" + std::to_string(q.batch) + "|" + net.precision.hashText() +
                                "|";
    // Everything on the host core depends on nothing but the schedule and the core's name; a
    // mapping file or value on nothing but the schedule and the names of cores and engines
    // (the platform's structure). Only a mapper's search depends on the numbers.
    const bool file = !q.mapping.fixed && sim::isMappingFile(q.mapping.mapping);
    const bool hostOnly =
        !q.mapping.fixed && !file && sim::mapperName(q.mapping, s.platform, s.stack) == "host-only";
    std::string key;
    if (hostOnly) {
        key = "host-only|" + network + s.platform.cores(0).name();
    } else if (file) {
        key = "file|" + network + s.structure + "|" + q.mapping.mapping + "|" +
              mappingFileSha256(q.mapping.mapping);
    } else if (q.mapping.fixed) {
        key = "fixed|" + network + s.structure + "|" + sim::canonicalText(*q.mapping.fixed);
    } else {
        key = s.platformSha256 + "|" + s.stackSha256 + "|" + network + doubleBits(op.clockHz) +
              "|" + doubleBits(op.voltageV) + "|" +
              sim::canonicalText(q.mapping, s.platform, s.stack) + "|" + sim::toString(q.fidelity);
    }
    if (const CachedMapping* cached = mappings_.find(key)) {
        return *cached;
    }
    auto m = std::make_unique<CachedMapping>();
    if (hostOnly) {
        m->mapping = sim::hostOnlyMapping(net.schedule, s.platform); // needs no simulator
    } else if (file) {
        m->mapping = sim::resolveMapping(sim::loadMappingSpec(q.mapping.mapping), net.schedule,
                                         s.platform, q.mapping.mapping);
    } else {
        m->mapping = simulatorFor(s).mappingFor(net.schedule, runOptions(q));
    }
    m->text = sim::canonicalChoices(m->mapping);
    return mappings_.insert(key, std::move(m));
}

const std::string& Session::mappingFileSha256(const std::string& path) {
    std::error_code ec;
    const auto modified = std::filesystem::last_write_time(path, ec);
    const auto size = std::filesystem::file_size(path, ec);
    FileDigest& d = mappingFiles_[path];
    if (d.sha256.empty() || ec || d.modified != modified || d.size != size) {
        d = {modified, size, sha256Hex(readFile(path))};
    }
    return d.sha256;
}

const sim::Mapping& Session::mapping(const Query& q) {
    return prepare(q).mapping->mapping;
}

QueryResult Session::runWithItsMapping(const Query& query, sim::Fidelity fidelity) {
    Query other = query;
    other.fidelity = fidelity;
    other.mapping = sim::MappingRequest{};
    other.mapping.fixed = std::make_shared<const sim::Mapping>(mapping(query));
    return run(other);
}

QueryResult Session::run(const Query& q, sim::SimObserver* observer) {
    // Every input error surfaces in prepare(), before anything is simulated.
    const Prepared p = prepare(q);
    QueryResult out;
    out.configSha256 = p.hash;
    sim::Simulator& simulator = simulatorFor(*p.specs);
    sim::RunOptions ro = runOptions(q);
    ro.mapping = &p.mapping->mapping;
    ro.observer = observer;
    out.result = simulator.run(p.network->schedule, ro);
    out.result.precision = precisionLabel(q, *p.network, p.specs->stack);
    out.result.strategyParams = p.network->strategyOptions;
    return out;
}

} // namespace edgesim::explorer
