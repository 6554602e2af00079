// JSON of a simulation result (`simulate --format json`, the Python binding): the layout the
// README documents under "simulate --format json"; fields are only ever added.
#pragma once

#include "sim/SimResult.h"

#include <nlohmann/json.hpp>

namespace edgesim::explorer {

/// Share of the run an engine was idle, in percent (0 for an empty run).
double idlePct(const sim::SimResult& result, const sim::EngineUsage& engine);

/// status, reason (when set), platform, stack, network, strategy, batch, fidelity,
/// operating_point, latency, energy, footprint, memories, energy breakdown, mapping, layers,
/// engines.
nlohmann::json toJson(const sim::SimResult& result);

} // namespace edgesim::explorer
