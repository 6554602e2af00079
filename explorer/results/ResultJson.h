// JSON of a simulation result (`simulate --format json`, the Python binding): the layout the
// README documents under "simulate --format json"; fields are only ever added.
#pragma once

#include "sim/SimResult.h"

#include <nlohmann/json.hpp>

#include <string>

namespace edgesim::explorer {

/// Share of the run an engine was idle, in percent (0 for an empty run).
double idlePct(const sim::SimResult& result, const sim::EngineUsage& engine);

/// How much longer `other` (the same query at another fidelity) says the run takes than
/// `base`, in percent of `base`'s cycles (0 when `base` has none).
double latencyGapPct(const sim::SimResult& base, const sim::SimResult& other);

/// The JSON of `other` next to `base` (`simulate --fidelity both`): latency_cycles, latency_s,
/// energy_j (null when not produced), gap_pct (null unless both ran) and config_sha256.
nlohmann::json comparisonJson(const sim::SimResult& base, const sim::SimResult& other,
                              const std::string& otherConfigSha256);

/// status, reason (when set), platform, stack, network, strategy, batch, fidelity,
/// operating_point, latency, energy, footprint, memories, energy breakdown, mapping, layers,
/// engines. Metrics the run did not produce (hasTiming, hasFootprint) are null.
nlohmann::json toJson(const sim::SimResult& result);

} // namespace edgesim::explorer
