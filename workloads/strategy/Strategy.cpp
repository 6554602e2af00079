#include "workloads/strategy/Strategy.h"

#include <map>

namespace edgesim::workloads {

namespace {

std::map<std::string, StrategyFactory>& registry() {
    static std::map<std::string, StrategyFactory> strategies;
    return strategies;
}

} // namespace

bool registerStrategy(const std::string& name, StrategyFactory factory) {
    return registry().emplace(name, std::move(factory)).second;
}

std::unique_ptr<Strategy> makeStrategy(const std::string& name) {
    const auto it = registry().find(name);
    return it == registry().end() ? nullptr : it->second();
}

std::vector<StrategyInfo> availableStrategies() {
    std::vector<StrategyInfo> out;
    for (const auto& [name, factory] : registry()) {
        out.push_back({name, factory()->description()});
    }
    return out;
}

bool isKnownStrategy(const std::string& name) {
    return registry().count(name) != 0;
}

} // namespace edgesim::workloads
