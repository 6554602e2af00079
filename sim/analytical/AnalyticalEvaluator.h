// Closed-form evaluation of a Program (no event kernel): one pass over the tiles, each taking
// the longer of its instruction stream and the memory transfers that stream under it, plus
// the stalls of blocking reads, with every transfer booked on its port (a memory on a bus
// matrix, the whole bus on a shared bus) by the TLM bus's own first-come busy-until rule.
// Without concurrent initiators this is exactly what the TLM model computes; it is the speed
// floor and the reference for the TLM-vs-analytical gap.
#pragma once

#include "sim/SimResult.h"

#include <vector>

namespace edgesim::sim {

/// A result with per-memory traffic and per-layer bytes filled from the program, no timing.
SimResult makeResult(const Program& program, Fidelity fidelity);

/// Port occupancy of a single initiator across the tiles of a run.
class PortClock {
public:
    /// Runs tile `tile` of `job` from cycle `start`; returns the cycle it ends.
    uint64_t runTile(const Program& program, const KernelJob& job, int tile, uint64_t start);

private:
    std::vector<uint64_t> busyUntil_;  ///< per memory port, then per shared bus
};

struct TaskTiming {
    uint64_t endCycle = 0;
    uint64_t dmaCycles = 0;
    uint64_t hiddenCycles = 0;
};
/// One engine task started at `start`, in closed form without contention from other
/// initiators (the TLM model adds it).
TaskTiming evaluateTask(const Program& program, const EngineTask& task, uint64_t start);

/// Runs `program` in closed form: fills start/end cycles and the latency (no energy).
void evaluateAnalytical(const Program& program, SimResult& result);

} // namespace edgesim::sim
