#include "workloads/strategy/Strategy.h"

#include "common/Registry.h"

namespace edgesim::workloads {

bool registerStrategy(const std::string& name, StrategyFactory factory) {
    return Registry<Strategy>::instance().add(name, std::move(factory));
}

std::unique_ptr<Strategy> makeStrategy(const std::string& name) {
    return Registry<Strategy>::instance().make(name);
}

std::vector<StrategyInfo> availableStrategies() {
    std::vector<StrategyInfo> out;
    for (const auto& name : Registry<Strategy>::instance().names()) {
        out.push_back({name, makeStrategy(name)->description()});
    }
    return out;
}

bool isKnownStrategy(const std::string& name) {
    return Registry<Strategy>::instance().has(name);
}

} // namespace edgesim::workloads
