#include "apps/edgesim/Session.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"
#include "workloads/Strategy.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

namespace edgesim::app {

void checkStrategy(const std::string& strategy, const std::string& field) {
    if (workloads::isKnownStrategy(strategy)) {
        return;
    }
    std::string known;
    for (const auto& s : workloads::availableStrategies()) {
        known += (known.empty() ? "" : ", ") + s.name;
    }
    throw InputError("<command line>", field,
                     "unknown or not yet lowered strategy '" + strategy +
                         "' (available: " + known + ")");
}

const Session::Network& Session::network(const std::string& nameOrPath,
                                         const std::string& strategy, int batch,
                                         const std::string& field) {
    checkStrategy(strategy, field == "--network" ? "--strategy" : "strategy");
    const std::string key = nameOrPath + "|" + strategy + "|" + std::to_string(batch);
    auto& slot = networks_[key];
    if (!slot) {
        auto n = std::make_unique<Network>(Network{workloads::loadNetwork(nameOrPath, paths_, field),
                                                   {}});
        n->schedule = workloads::lowerInference(n->loaded.network, batch);
        n->schedule.network = nameOrPath;
        slot = std::move(n);
    }
    return *slot;
}

Session::Target& Session::target(const std::string& platform, const std::string& stack,
                                 const std::string& platformField,
                                 const std::string& stackField) {
    const std::string key = platform + "|" + stack;
    auto& slot = targets_[key];
    if (!slot) {
        auto t = std::make_unique<Target>();
        t->platformFile = paths_.locate("platforms", platform, platformField);
        t->stackFile = paths_.locate("stacks", stack, stackField);
        auto p = platforms::loadPlatform(t->platformFile, paths_);
        auto s = platforms::loadStack(t->stackFile, paths_);
        t->sha256 = sha256Hex(readFile(t->platformFile) + readFile(t->stackFile));
        t->simulator = std::make_unique<sim::Simulator>(std::move(p), std::move(s));
        slot = std::move(t);
    }
    return *slot;
}

std::optional<double> Session::predict(const analysis::Measurement& m, sim::Fidelity fidelity,
                                      std::string& why) {
    using analysis::Metric;
    const std::string key = m.platform + "|" + m.stack + "|" + m.network + "|" + m.strategy +
                            "|" + std::to_string(m.clockMhz.value_or(0)) + "|" +
                            std::to_string(m.voltageV.value_or(0)) + "|" +
                            sim::toString(fidelity);
    auto it = results_.find(key);
    if (it == results_.end()) {
        // Look names up without exceptions first: under AddressSanitizer, an exception thrown
        // after SystemC has switched coroutine stacks is reported as a stack error.
        const auto known = [this](const std::string& kind, const std::string& name) {
            if (hasSuffix(name, ".textproto") || hasSuffix(name, ".onnx")) {
                std::error_code ec;
                return std::filesystem::is_regular_file(name, ec);
            }
            const auto names = paths_.list(kind);
            return std::find(names.begin(), names.end(), name) != names.end();
        };
        // Only names not loaded yet need the lookup (calibration re-predicts every row per
        // evaluation: no directory listing there).
        const bool loaded = targets_.count(m.platform + "|" + m.stack) != 0 &&
                            networks_.count(m.network + "|" + m.strategy + "|1") != 0;
        for (const auto& [kind, field, name] :
             {std::tuple<std::string, std::string, std::string>{"platforms", "platform",
                                                                m.platform},
              {"stacks", "stack", m.stack},
              {"networks", "network", m.network}}) {
            if (!loaded && !known(kind, name)) {
                why = field + ": unknown " + field + " '" + name + "'";
                return std::nullopt;
            }
        }
        if (!workloads::isKnownStrategy(m.strategy)) {
            why = "strategy: unknown or not yet lowered strategy '" + m.strategy + "'";
            return std::nullopt;
        }
        try {
            auto& t = target(m.platform, m.stack, "platform", "stack");
            const auto& net = network(m.network, m.strategy, 1, "network");
            sim::RunOptions ro;
            ro.fidelity = fidelity;
            ro.source = "clock_mhz/voltage_v";
            if (m.clockMhz) {
                ro.operatingPoint.clockHz = *m.clockMhz * 1e6;
            }
            ro.operatingPoint.voltageV = m.voltageV;
            if (auto d = sim::checkOperatingPoint(t.simulator->platform(), ro.operatingPoint,
                                                  ro.source)) {
                why = d->field + ": " + d->reason;
                return std::nullopt;
            }
            it = results_.emplace(key, t.simulator->run(net.schedule, ro)).first;
        } catch (const InputError& e) {
            if (e.diagnostics().empty()) {
                why = e.what();
            } else {
                const auto& d = e.diagnostics().front();
                why = (d.field.empty() ? "" : d.field + ": ") + d.reason;
            }
            return std::nullopt;
        }
    }
    const sim::SimResult& r = it->second;
    if (r.status != sim::Status::Ok) {
        why = std::string(sim::toString(r.status)) + ": " + r.reason;
        return std::nullopt;
    }
    switch (m.metric) {
    case Metric::Latency:
        return m.siUnit == "cycles" ? static_cast<double>(r.latencyCycles) : r.latencyS;
    case Metric::Energy:
        return r.energyJ;
    case Metric::PeakMemory:
        return static_cast<double>(r.peakRamBytes);
    case Metric::Macs:
        return static_cast<double>(r.macs);
    case Metric::Traffic: {
        double bytes = 0;
        for (std::size_t i = 0; i < r.memories.size(); ++i) {
            bytes += static_cast<double>(r.bytesRead[i] + r.bytesWritten[i]);
        }
        return bytes;
    }
    }
    return std::nullopt;
}

std::string Session::configSha256(const Target& target, const Network& network,
                                  const std::string& extra) {
    return sha256Hex(target.sha256 + network.loaded.sha256 + network.schedule.strategy + "|" +
                     std::to_string(network.schedule.batch) + "|" + extra);
}

} // namespace edgesim::app
