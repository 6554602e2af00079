#include "explorer/session/Session.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"
#include "workloads/Strategy.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace edgesim::explorer {

namespace {

/// SHA-256 of the deterministic binary serialisation of `msg`: equal specs hash equally
/// whatever text they were written as.
std::string specSha256(const google::protobuf::Message& msg) {
    std::string bytes;
    {
        google::protobuf::io::StringOutputStream stream(&bytes);
        google::protobuf::io::CodedOutputStream coded(&stream);
        coded.SetSerializationDeterministic(true);
        msg.SerializeToCodedStream(&coded);
    }
    return sha256Hex(bytes);
}

/// Moves `key` to the front of an LRU order list and evicts what falls off the end.
template <typename Map>
void touch(std::list<std::string>& order, Map& map, const std::string& key, std::size_t limit) {
    order.remove(key);
    order.push_front(key);
    while (order.size() > limit) {
        map.erase(order.back());
        order.pop_back();
    }
}

std::string overridesKey(const Query& q) {
    std::string key = q.platform + "\n" + q.stack;
    for (const auto& o : q.overrides) {
        key += "\n" + o.text();
    }
    return key;
}

} // namespace

void checkStrategy(const std::string& strategy, const std::string& source,
                   const std::string& field) {
    if (workloads::isKnownStrategy(strategy)) {
        return;
    }
    std::string known;
    for (const auto& s : workloads::availableStrategies()) {
        known += (known.empty() ? "" : ", ") + s.name;
    }
    throw InputError(source, field,
                     "unknown or not yet lowered strategy '" + strategy + "' (available: " +
                         known + ")");
}

Session::Session(ConfigPaths paths) : paths_(std::move(paths)) {}

Session::~Session() = default;

const Session::Network& Session::network(const std::string& nameOrPath,
                                         const std::string& strategy, int batch,
                                         const std::string& field,
                                         const std::string& strategyField) {
    checkStrategy(strategy, "<command line>", strategyField);
    if (batch < 1) {
        throw InputError("<command line>", "--batch", "the batch size must be >= 1");
    }
    const std::string key = nameOrPath + "|" + strategy + "|" + std::to_string(batch);
    auto& slot = networks_[key];
    if (!slot) {
        auto n = std::make_unique<Network>();
        n->loaded = workloads::loadNetwork(nameOrPath, paths_, field);
        n->schedule = workloads::lowerInference(n->loaded.network, batch);
        n->schedule.network = nameOrPath;
        slot = std::move(n);
    }
    return *slot;
}

const platforms::spec::PlatformSpec& Session::platform(const std::string& nameOrPath,
                                                       const std::string& field) {
    auto it = platforms_.find(nameOrPath);
    if (it == platforms_.end()) {
        Base<platforms::spec::PlatformSpec> b;
        b.file = paths_.locate("platforms", nameOrPath, field);
        b.spec = platforms::loadPlatform(b.file, paths_);
        it = platforms_.emplace(nameOrPath, std::move(b)).first;
    }
    return it->second.spec;
}

const platforms::spec::StackSpec& Session::stack(const std::string& nameOrPath,
                                                 const std::string& field) {
    auto it = stacks_.find(nameOrPath);
    if (it == stacks_.end()) {
        Base<platforms::spec::StackSpec> b;
        b.file = paths_.locate("stacks", nameOrPath, field);
        b.spec = platforms::loadStack(b.file, paths_);
        it = stacks_.emplace(nameOrPath, std::move(b)).first;
    }
    return it->second.spec;
}

void Session::replacePlatform(const std::string& nameOrPath, platforms::spec::PlatformSpec spec) {
    platform(nameOrPath);
    platforms_.at(nameOrPath).spec = std::move(spec);
    specs_.clear();
    specsOrder_.clear();
}

void Session::replaceStack(const std::string& nameOrPath, platforms::spec::StackSpec spec) {
    stack(nameOrPath);
    stacks_.at(nameOrPath).spec = std::move(spec);
    specs_.clear();
    specsOrder_.clear();
}

const Session::Specs& Session::specsOf(const Query& q) {
    const std::string key = overridesKey(q);
    auto it = specs_.find(key);
    if (it == specs_.end()) {
        auto s = std::make_unique<Specs>();
        s->platform = platform(q.platform, q.platformField);
        s->stack = stack(q.stack, q.stackField);
        s->problems = applyOverrides(q.overrides, s->platform, s->stack);
        if (const std::string why = platforms::incompatibility(s->platform, s->stack);
            !why.empty()) {
            s->problems.push_back({q.source, 0, 0, q.stackField, why});
        }
        s->platformSha256 = specSha256(s->platform);
        s->stackSha256 = specSha256(s->stack);
        it = specs_.emplace(key, std::move(s)).first;
    }
    touch(specsOrder_, specs_, key, kMaxCachedSpecs);
    return *it->second;
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
    network(q.network, q.strategy, q.batch, q.networkField, q.strategyField);
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

std::string Session::hash(const Query& q) {
    const Specs& s = specs(q);
    const Network& net = network(q.network, q.strategy, q.batch, q.networkField, q.strategyField);
    const sim::ResolvedOperatingPoint op = operatingPoint(q);
    // The mapping itself (name and every choice), not how it was asked for: the same mapping
    // from a mapper or from a file is the same simulation.
    const sim::Mapping& m = mapping(q);
    std::string mapping = m.name;
    for (const auto& c : m.kernels) {
        mapping += fmt::format("|{},{},{:a}", c.engine, c.splitEngine, c.fraction);
    }
    return sha256Hex(fmt::format(
        "edgesim-query/1\nplatform {}\nstack {}\nnetwork {}\nstrategy {}\nbatch {}\n"
        "operating_point {}|{:a}|{:a}\nmapping {}\nfidelity {}\nseed {}\n",
        s.platformSha256, s.stackSha256, net.loaded.sha256, q.strategy, q.batch, op.name,
        op.clockHz, op.voltageV, mapping, sim::toString(q.fidelity), q.seed));
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
    const std::string specsKey = s.platformSha256 + s.stackSha256;
    // A simulator of the same platform and stack whose model has this structure is
    // reconfigured (numeric changes); any other structure elaborates a fresh one.
    for (auto it = simulators_.begin(); it != simulators_.end(); ++it) {
        if (it->simulator->platform().name() != s.platform.name() ||
            it->simulator->stack().name() != s.stack.name() ||
            !it->simulator->sameStructure(s.platform)) {
            continue;
        }
        if (it->specsKey != specsKey) {
            it->simulator->reconfigure(s.platform, s.stack);
            it->specsKey = specsKey;
        }
        simulators_.splice(simulators_.begin(), simulators_, it);
        return *simulators_.front().simulator;
    }
    SimulatorEntry e;
    e.specsKey = specsKey;
    e.simulator = std::make_unique<sim::Simulator>(s.platform, s.stack);
    simulators_.push_front(std::move(e));
    while (simulators_.size() > kMaxSimulators) {
        simulators_.pop_back();
    }
    return *simulators_.front().simulator;
}

std::string Session::mappingKey(const Query& q) {
    const Specs& s = specs(q);
    const Network& net = network(q.network, q.strategy, q.batch, q.networkField, q.strategyField);
    const sim::ResolvedOperatingPoint op = operatingPoint(q);
    return fmt::format("{}|{}|{}|{}|{}|{:a}|{}|{}", s.platformSha256, s.stackSha256,
                       net.loaded.sha256, q.strategy, q.batch, op.clockHz,
                       sim::canonicalText(q.mapping, s.platform, s.stack),
                       sim::toString(q.fidelity));
}

const sim::Mapping& Session::mapping(const Query& q) {
    const Specs& s = specs(q);
    sim::checkMappingRequest(q.mapping, s.stack, q.source);
    const std::string key = mappingKey(q);
    auto it = mappings_.find(key);
    if (it == mappings_.end()) {
        const Network& net =
            network(q.network, q.strategy, q.batch, q.networkField, q.strategyField);
        sim::Simulator& simulator = simulatorFor(s);
        sim::Mapping m = simulator.mappingFor(net.schedule, runOptions(q));
        it = mappings_.emplace(key, std::move(m)).first;
    }
    touch(mappingsOrder_, mappings_, key, kMaxCachedMappings);
    return it->second;
}

QueryResult Session::run(const Query& q, sim::SimObserver* observer) {
    QueryResult out;
    out.configSha256 = hash(q);  // every input error surfaces here, before simulating
    const sim::Mapping& m = mapping(q);  // cached by hash()
    const Network& net = network(q.network, q.strategy, q.batch, q.networkField, q.strategyField);
    sim::Simulator& simulator = simulatorFor(specs(q));
    sim::RunOptions ro = runOptions(q);
    ro.mapping = &m;
    ro.observer = observer;
    out.result = simulator.run(net.schedule, ro);
    return out;
}

} // namespace edgesim::explorer
