// Observer of a running simulation: engines, DMA channels and buses report each span of
// activity (a kernel, a burst, a transaction) with its cycles. Tracing and statistics attach
// here; a null observer costs one pointer test per span.
#pragma once

#include <cstdint>
#include <string>

namespace edgesim::sim {

/// Contract: called in simulated-time order per track, never concurrently; implementations
/// must not call back into the simulation.
class SimObserver {
public:
    virtual ~SimObserver() = default;
    /// `track`: the engine, DMA channel or bus port; `name`: what ran; cycles of the core
    /// clock; `bytes` moved (0 for compute).
    virtual void onSpan(const std::string& track, const std::string& name, uint64_t startCycle,
                        uint64_t endCycle, int64_t bytes) = 0;
};

} // namespace edgesim::sim
