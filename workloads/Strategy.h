// Workload strategies a network can be run with: inference, and (later) the on-device
// training strategies of shared/TRAINING.md, each lowered to the kernels the hardware runs.
#pragma once

#include <string>
#include <vector>

namespace edgesim::workloads {

struct StrategyInfo {
    std::string name;
    std::string description;
};

/// The strategies this build can lower, in a stable order.
const std::vector<StrategyInfo>& availableStrategies();

/// True if `name` is one of availableStrategies().
bool isKnownStrategy(const std::string& name);

} // namespace edgesim::workloads
