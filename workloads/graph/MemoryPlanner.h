// Activation memory planning over an execution order, as deployed MCU runtimes do it:
// tensor lifetimes from producer to last reader, buffers placed greedily by decreasing size
// at the lowest offset free during their whole lifetime (the TFLite Micro greedy planner's
// policy). Reports the arena size (peak activation RAM with reuse) and live bytes per layer.
#pragma once

#include "workloads/graph/Network.h"

#include <vector>

namespace edgesim::workloads {

struct MemoryPlannerOptions {
    /// Flatten and reshape reuse their input's buffer (no copy), as TFLM and X-CUBE-AI do.
    bool inPlaceReshape = true;
};

/// One activation buffer: the output of `owner`, shared by in-place views of it.
struct PlannedBuffer {
    Network::LayerId owner = 0;
    std::vector<Network::LayerId> views; ///< in-place reshapes/flattens of this buffer
    int64_t bytes = 0;
    int firstStep = 0;  ///< step (index in MemoryPlan::order) that writes it
    int lastStep = 0;   ///< last step that reads it (inclusive); the end for graph outputs
    int64_t offset = 0; ///< placement in the arena
};

struct MemoryPlan {
    std::vector<Network::LayerId> order; ///< execution order; step i runs order[i]
    std::vector<PlannedBuffer> buffers;
    std::vector<int> bufferOfLayer; ///< per LayerId, index into buffers
    std::vector<int64_t> liveBytes; ///< per step: bytes of every buffer alive then
    int64_t arenaBytes = 0;         ///< peak activation RAM with buffer reuse (greedy placement)
    int64_t peakLiveBytes = 0;      ///< max of liveBytes: the bound no placement can beat
    int64_t totalBytes = 0;         ///< sum of all buffers: RAM needed without any reuse
};

/// A buffer to place: its size and the steps it is live in (both inclusive).
struct BufferLifetime {
    int64_t bytes = 0;
    int firstStep = 0;
    int lastStep = 0;
};

/// Bytes of every buffer live at each step in [0, steps).
std::vector<int64_t> liveBytesPerStep(const std::vector<BufferLifetime>& buffers, int steps);

/// Greedy placement, the TFLite Micro planner's policy: buffers by decreasing size (ties by
/// first step, then by index), each at the lowest offset free during its whole lifetime.
/// Returns each buffer's offset; `arenaBytes` receives the extent of the placement. Steps
/// are in [0, steps).
std::vector<int64_t> placeGreedy(const std::vector<BufferLifetime>& buffers, int steps,
                                 int64_t& arenaBytes);

/// Plans `net` (shapes inferred) in its execution order.
MemoryPlan planMemory(const Network& net, const MemoryPlannerOptions& options = {});

} // namespace edgesim::workloads
