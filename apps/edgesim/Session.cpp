#include "apps/edgesim/Session.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"
#include "workloads/Strategy.h"

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
    checkStrategy(strategy);
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

std::string Session::configSha256(const Target& target, const Network& network,
                                  const std::string& extra) {
    return sha256Hex(target.sha256 + network.loaded.sha256 + network.schedule.strategy + "|" +
                     std::to_string(network.schedule.batch) + "|" + extra);
}

} // namespace edgesim::app
