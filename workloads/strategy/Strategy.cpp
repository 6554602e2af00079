#include "workloads/strategy/Strategy.h"

#include "common/Diagnostics.h"
#include "common/Registry.h"
#include "common/Strings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace edgesim::workloads {

StrategyParameter choiceParameter(std::string key, std::string defaultValue,
                                  std::string description, std::vector<std::string> choices) {
    StrategyParameter p;
    p.key = std::move(key);
    p.defaultValue = std::move(defaultValue);
    p.description = std::move(description);
    p.choices = std::move(choices);
    return p;
}

StrategyParameter listParameter(std::string key, std::string defaultValue, std::string description,
                                double min, double max, bool integer) {
    StrategyParameter p = numberParameter(std::move(key), std::move(defaultValue),
                                          std::move(description), min, max, integer);
    p.list = true;
    return p;
}

StrategyParameter numberParameter(std::string key, std::string defaultValue,
                                  std::string description, double min, double max, bool integer) {
    StrategyParameter p;
    p.key = std::move(key);
    p.defaultValue = std::move(defaultValue);
    p.description = std::move(description);
    p.min = min;
    p.max = max;
    p.integer = integer;
    return p;
}

double StrategyOptions::number(const std::string& key) const {
    return std::strtod(text(key).c_str(), nullptr);
}

std::vector<double> StrategyOptions::numbers(const std::string& key) const {
    std::vector<double> out;
    std::istringstream items(text(key));
    std::string item;
    while (std::getline(items, item, ',')) {
        out.push_back(std::strtod(item.c_str(), nullptr));
    }
    return out;
}

std::string StrategyOptions::canonical() const {
    std::string out;
    for (const auto& [key, value] : values) {
        out += (out.empty() ? "" : ";") + key + "=" + value;
    }
    return out;
}

bool registerStrategy(const std::string& name, StrategyFactory factory) {
    return Registry<Strategy>::instance().add(name, std::move(factory));
}

std::unique_ptr<Strategy> makeStrategy(const std::string& name) {
    return Registry<Strategy>::instance().make(name);
}

std::vector<StrategyInfo> availableStrategies() {
    std::vector<StrategyInfo> out;
    for (const auto& name : Registry<Strategy>::instance().names()) {
        const auto strategy = makeStrategy(name);
        out.push_back({name, strategy->description(), strategy->parameters()});
    }
    return out;
}

bool isKnownStrategy(const std::string& name) {
    return Registry<Strategy>::instance().has(name);
}

namespace {

/// Why `value` is not a valid value of `p` ("" when it is).
std::string valueProblem(const StrategyParameter& p, const std::string& value) {
    if (!p.choices.empty()) {
        if (std::find(p.choices.begin(), p.choices.end(), value) != p.choices.end()) {
            return "";
        }
        return fmt::format("'{}' is not a value of {} (expected {})", value, p.key,
                           join(p.choices, ", "));
    }
    if (p.list) {
        std::string item;
        std::istringstream items(value);
        StrategyParameter one = p;
        one.list = false;
        int count = 0;
        while (std::getline(items, item, ',')) {
            ++count;
            if (const std::string problem = valueProblem(one, item); !problem.empty()) {
                return problem;
            }
        }
        return count > 0 && value.back() != ',' ? ""
                                                : fmt::format("{}: '{}' is not a comma-separated "
                                                              "list of numbers",
                                                              p.key, value);
    }
    bool plainInteger = false;
    if (!isDecimal(value, plainInteger)) {
        return fmt::format("{}: '{}' is not a number", p.key, value);
    }
    const double v = std::strtod(value.c_str(), nullptr);
    if (!std::isfinite(v) || v < p.min || v > p.max) {
        return fmt::format("{}: {} is out of range [{}, {}]", p.key, value, p.min, p.max);
    }
    if (p.integer && v != std::floor(v)) {
        return fmt::format("{}: {} is not a whole number", p.key, value);
    }
    return "";
}

} // namespace

StrategyOptions resolveStrategyOptions(const std::string& strategy,
                                       const std::vector<std::string>& given,
                                       const std::string& source, const std::string& field) {
    const auto impl = makeStrategy(strategy);
    if (!impl) {
        throw InputError(source, field, "unknown strategy '" + strategy + "'");
    }
    const auto declared = impl->parameters();
    std::vector<std::string> keys;
    for (const auto& p : declared) {
        keys.push_back(p.key);
    }
    StrategyOptions options;
    for (const auto& text : given) {
        const auto eq = text.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw InputError(source, field, "'" + text + "' is not key=value");
        }
        const std::string key = text.substr(0, eq);
        const std::string value = text.substr(eq + 1);
        const auto it = std::find_if(declared.begin(), declared.end(),
                                     [&key](const StrategyParameter& p) { return p.key == key; });
        if (it == declared.end()) {
            throw InputError(
                source, field,
                keys.empty()
                    ? fmt::format("strategy '{}' takes no parameters (got '{}')", strategy, key)
                    : fmt::format("strategy '{}' has no parameter '{}' (it has: {})", strategy, key,
                                  join(keys, ", ")));
        }
        if (options.values.count(key) != 0) {
            throw InputError(source, field, "parameter '" + key + "' is given twice");
        }
        if (const std::string problem = valueProblem(*it, value); !problem.empty()) {
            throw InputError(source, field, problem);
        }
        options.values[key] = value;
    }
    for (const auto& p : declared) {
        options.values.emplace(p.key, p.defaultValue);
    }
    return options;
}

Schedule lowerWithStrategy(const Network& net, const std::string& strategy, int batch,
                           const std::vector<std::string>& given, const std::string& source) {
    const auto impl = makeStrategy(strategy);
    if (!impl) {
        std::string known;
        for (const auto& info : availableStrategies()) {
            known += (known.empty() ? "" : ", ") + info.name;
        }
        throw InputError(source, "--strategy",
                         "unknown strategy '" + strategy + "' (known: " + known + ")");
    }
    const StrategyOptions options = resolveStrategyOptions(strategy, given, source);
    if (const std::string problem = batchProblem(batch); !problem.empty()) {
        throw InputError(source, "--batch", problem);
    }
    return impl->lower(net, batch, options);
}

StrategyChoice parseStrategyChoice(const std::string& text) {
    StrategyChoice c;
    std::istringstream words(text);
    std::string word;
    while (words >> word) {
        if (c.name.empty()) {
            c.name = word;
        } else {
            c.params.push_back(word);
        }
    }
    return c;
}

} // namespace edgesim::workloads
