// Workload strategies: how a network runs on the device, lowered to the kernels the hardware
// executes. `inference` is one; the on-device training strategies of ../shared/TRAINING.md
// (issue 13) join it. An extension point: one file per strategy in impl/, registered by name,
// so adding one touches that file, its test and nothing central.
#pragma once

#include "workloads/graph/Network.h"
#include "workloads/schedule/Schedule.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::workloads {

/// One parameter a strategy declares (`--strategy-param key=value`, a study's
/// `strategy_params`), shown with its default by `edgesim list strategies`.
struct StrategyParameter {
    std::string key;
    std::string defaultValue;
    std::string description;
    std::vector<std::string> choices; ///< the allowed values; empty: a number in [min, max]
    double min = 0;
    double max = 0;
    bool integer = false; ///< a number must be a whole number
    bool list = false;    ///< comma-separated numbers, each in [min, max] ("2,4,6")
};

/// A parameter taking one of `choices`.
StrategyParameter choiceParameter(std::string key, std::string defaultValue,
                                  std::string description, std::vector<std::string> choices);
/// A numeric parameter in [min, max] (a whole number when `integer`).
StrategyParameter numberParameter(std::string key, std::string defaultValue,
                                  std::string description, double min, double max, bool integer);

/// A parameter taking comma-separated numbers, each in [min, max].
StrategyParameter listParameter(std::string key, std::string defaultValue, std::string description,
                                double min, double max, bool integer);

/// The value of every parameter a strategy declares: given, else its default.
struct StrategyOptions {
    std::map<std::string, std::string> values;

    /// The value of `key` (std::out_of_range if the strategy does not declare it).
    const std::string& text(const std::string& key) const { return values.at(key); }
    /// The value of a numeric parameter.
    double number(const std::string& key) const;
    /// The values of a list parameter.
    std::vector<double> numbers(const std::string& key) const;
    /// "key=value;..." sorted by key ("" when the strategy has no parameters): what enters a
    /// query's hash and a lowering cache key.
    std::string canonical() const;
};

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
    /// The parameters it takes, in the order `list strategies` shows them.
    virtual std::vector<StrategyParameter> parameters() const { return {}; }
    /// `options` holds a value for every declared parameter, each checked against its
    /// declaration (resolveStrategyOptions).
    virtual Schedule lower(const Network& net, int batch, const StrategyOptions& options) const = 0;
};

using StrategyFactory = std::function<std::unique_ptr<Strategy>()>;
/// Registers `name` (at static initialisation, from the strategy's own file in impl/).
bool registerStrategy(const std::string& name, StrategyFactory factory);
/// Null when no strategy has that name.
std::unique_ptr<Strategy> makeStrategy(const std::string& name);

struct StrategyInfo {
    std::string name;
    std::string description;
    std::vector<StrategyParameter> parameters;
};

/// The registered strategies, sorted by name.
std::vector<StrategyInfo> availableStrategies();

/// True if `name` is a registered strategy.
bool isKnownStrategy(const std::string& name);

/// The options of registered strategy `strategy` from "key=value" texts (later keys may not
/// repeat earlier ones) and the declared defaults. InputError(source, field, reason) for a
/// text without '=', a key the strategy does not declare (naming those it does), a repeated
/// key, a value outside the declared choices, not a number, not whole or out of range.
StrategyOptions resolveStrategyOptions(const std::string& strategy,
                                       const std::vector<std::string>& given,
                                       const std::string& source = "<command line>",
                                       const std::string& field = "--strategy-param");

/// A strategy with its parameters as a study names it: "sparse-backprop channel_ratio=0.25
/// weight_layers=3" (the name, then key=value words separated by spaces).
struct StrategyChoice {
    std::string name;
    std::vector<std::string> params;
};
StrategyChoice parseStrategyChoice(const std::string& text);

/// `net` lowered by registered strategy `strategy` with the options `given` resolves to:
/// InputError(source, field...) for an unknown strategy (naming the known ones), bad
/// options (resolveStrategyOptions) or a batch outside [1, kMaxBatch].
Schedule lowerWithStrategy(const Network& net, const std::string& strategy, int batch,
                           const std::vector<std::string>& given,
                           const std::string& source = "<command line>");

} // namespace edgesim::workloads
