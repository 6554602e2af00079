#include "workloads/Strategy.h"

#include <algorithm>

namespace edgesim::workloads {

const std::vector<StrategyInfo>& availableStrategies() {
    // Training strategies (backprop, sparse-backprop, bias-only, last-layer, forward-forward,
    // pepita, zeroth-order) are added here as they are lowered; none is listed before it runs.
    static const std::vector<StrategyInfo> kStrategies{
        {"inference", "forward pass only, batch norm folded, activations fused"},
    };
    return kStrategies;
}

bool isKnownStrategy(const std::string& name) {
    const auto& s = availableStrategies();
    return std::any_of(s.begin(), s.end(), [&](const auto& i) { return i.name == name; });
}

} // namespace edgesim::workloads
