// An accelerator engine (cluster, NPU, AIMC array) running one task at a time: for each
// tile it has its DMA bring the tile's weights and inputs into local memory (hop by hop
// when the data sits behind another DMA), computes for the tile's cycles, and has the DMA
// take the outputs back. With double buffering the next tile's loads and the previous
// tile's stores run while the current tile computes; with single buffering everything is
// sequential. Overlap and contention (other engines' DMAs on the same buses and memories)
// therefore come out of the simulation. Loosely timed: one wait per tile and per DMA burst.
#pragma once

#include "sim/SimResult.h"
#include "sim/tlm/DmaEngine.h"
#include "sim/trace/SimObserver.h"

#include <systemc>

#include <string>
#include <vector>

namespace edgesim::sim {

/// What one task achieved (cycles of the platform clock, absolute SystemC cycles).
struct TaskStats {
    uint64_t startCycle = 0;
    uint64_t endCycle = 0;
    uint64_t busyCycles = 0;    ///< computing
    uint64_t dmaCycles = 0;     ///< some transfer of the task in flight
    uint64_t hiddenCycles = 0;  ///< of which under this engine's compute
};

class AccelEngine : public sc_core::sc_module {
public:
    AccelEngine(const sc_core::sc_module_name& name, std::vector<DmaEngine*> dmas);
    AccelEngine(const AccelEngine&) = delete;
    AccelEngine& operator=(const AccelEngine&) = delete;
    AccelEngine(AccelEngine&&) = delete;
    AccelEngine& operator=(AccelEngine&&) = delete;

    /// Runs `task` from now on (the engine must be idle); notifies `done` when its last
    /// store completes and writes `stats`. All references must outlive the task.
    void start(const Program& program, const EngineTask& task, const std::string& layer,
               TaskStats& stats, sc_core::sc_event& done);
    void setObserver(SimObserver* observer) { observer_ = observer; }

private:
    struct Completion {
        int pending = 0;
        sc_core::sc_event event;
        void arrive();
    };
    void run();
    /// Moves `bytes` along `route`, first hop on `channel`; `c` counts it until the end.
    void move(const std::vector<Hop>& route, std::size_t hop, int64_t bytes, int channel,
              Completion& c);
    void waitFor(Completion& c);

    std::vector<DmaEngine*> dmas_;
    SimObserver* observer_ = nullptr;
    sc_core::sc_event startEvent_;
    const Program* program_ = nullptr;
    const EngineTask* task_ = nullptr;
    std::string layer_;
    TaskStats* stats_ = nullptr;
    sc_core::sc_event* done_ = nullptr;
    std::vector<std::pair<uint64_t, uint64_t>> dmaSpans_;
    std::vector<std::pair<uint64_t, uint64_t>> computeSpans_;
};

} // namespace edgesim::sim
