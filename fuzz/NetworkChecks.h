// What the tools compute from a loaded network (`inspect`: totals and the activation memory
// plan; `simulate`: the inference schedule, in the stored and in int8 precision), run on
// every network a fuzz target manages to load, so that the size arithmetic behind them sees
// the same hostile shapes the loaders accepted.
#pragma once

#include "fuzz/FuzzSupport.h"
#include "workloads/graph/MemoryPlanner.h"
#include "workloads/graph/Network.h"
#include "workloads/graph/Quantize.h"
#include "workloads/schedule/Schedule.h"

namespace edgesim::fuzz {

/// Totals, memory plan and schedule (batch 1 and 2) of `net`.
inline void exerciseCanonicalNetwork(const workloads::Network& net) {
    acceptsInput([&] { static_cast<void>(net.totals()); });
    acceptsInput([&] { static_cast<void>(workloads::planMemory(net)); });
    acceptsInput([&] { static_cast<void>(workloads::lowerInference(net, 1)); });
    acceptsInput([&] { static_cast<void>(workloads::lowerInference(net, 2)); });
}

/// exerciseCanonicalNetwork on `net` as stored and quantised by each named scheme
/// (`--quantize int8`, `--quantize int8-weights-only`).
inline void exerciseNetwork(const workloads::Network& net) {
    exerciseCanonicalNetwork(net);
    for (const auto& scheme : workloads::quantizeSchemes()) {
        acceptsInput([&] {
            const auto plan = workloads::loadQuantizePlan(scheme, kInputName, "--quantize");
            exerciseCanonicalNetwork(workloads::quantize(net, plan));
        });
    }
}

} // namespace edgesim::fuzz
