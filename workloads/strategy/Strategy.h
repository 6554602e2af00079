// Workload strategies: how a network runs on the device, lowered to the kernels the hardware
// executes. `inference` is one; the on-device training strategies of ../shared/TRAINING.md
// (issue 13) join it. An extension point: one file per strategy in impl/, registered by name,
// so adding one touches that file, its test and nothing central.
#pragma once

#include "workloads/graph/Network.h"
#include "workloads/schedule/Schedule.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::workloads {

/// Contract: `lower` is a pure function of its arguments: the same network and batch give
/// the same Schedule (kernels, their order, sizes and memory plan) in any process. The
/// network is canonical with shapes inferred, in its deployment precision; `batch` is in
/// [1, kMaxBatch] (the caller checks it with batchProblem). A network the strategy cannot
/// lower is an InputError naming the layer and why; nothing else is thrown for bad input.
/// The Schedule's `strategy` and `batch` are set to the strategy's name and `batch`.
class Strategy {
public:
    virtual ~Strategy() = default;
    /// One line for `list strategies`.
    virtual std::string description() const = 0;
    virtual Schedule lower(const Network& net, int batch) const = 0;
};

using StrategyFactory = std::function<std::unique_ptr<Strategy>()>;
/// Registers `name` (at static initialisation, from the strategy's own file in impl/).
bool registerStrategy(const std::string& name, StrategyFactory factory);
/// Null when no strategy has that name.
std::unique_ptr<Strategy> makeStrategy(const std::string& name);

struct StrategyInfo {
    std::string name;
    std::string description;
};

/// The registered strategies, sorted by name.
std::vector<StrategyInfo> availableStrategies();

/// True if `name` is a registered strategy.
bool isKnownStrategy(const std::string& name);

} // namespace edgesim::workloads
