// Closed-form evaluation of a Program (no event kernel): every tile takes the longer of its
// instruction stream and the memory transfers that stream under it (summed per contended
// port: a memory on a bus matrix, the whole bus on a shared bus), plus the stalls of
// blocking reads. Without concurrent initiators this is exactly what the TLM model computes;
// it is the speed floor and the reference for the TLM-vs-analytical gap.
#pragma once

#include "sim/SimResult.h"

namespace edgesim::sim {

/// A result with per-memory traffic and per-layer bytes filled from the program, no timing.
SimResult makeResult(const Program& program, Fidelity fidelity);

/// Uncontended cycles of tile `tile` of `job`.
uint64_t tileCycles(const Program& program, const KernelJob& job, int tile);

/// Runs `program` in closed form: fills start/end cycles and the latency (no energy).
void evaluateAnalytical(const Program& program, SimResult& result);

} // namespace edgesim::sim
