// A CPU core running a kernel schedule (and launching the kernels mapped to engines, then
// sleeping until they finish), loosely timed with temporal decoupling (one quantum
// per kernel): for every tile it issues the tile's memory transfers through its bus at the
// tile's start and advances its local time by the longer of its instruction stream (the
// stack's micro-model) and the transfers that stream under it; transfers from memories that
// do not overlap (no prefetch, no cache) and data-cache line fills add their stall after
// the stream. Waits in SystemC time once per kernel.
#pragma once

#include "sim/SimResult.h"
#include "sim/tlm/AccelEngine.h"
#include "sim/trace/SimObserver.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <memory>
#include <string>
#include <vector>

namespace edgesim::sim {

class CoreEngine : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<CoreEngine> socket;

    explicit CoreEngine(const sc_core::sc_module_name& name);
    CoreEngine(const CoreEngine&) = delete;
    CoreEngine& operator=(const CoreEngine&) = delete;
    CoreEngine(CoreEngine&&) = delete;
    CoreEngine& operator=(CoreEngine&&) = delete;

    /// Runs `program` from the next delta cycle on, writing start/end cycles into `layers`
    /// (one per program kernel, as makeResult builds them). Both must outlive the run.
    void start(const Program& program, std::vector<LayerResult>& layers, SimObserver* observer);
    /// Engines the core launches offloaded kernels on (Program::engines order).
    void attachEngines(std::vector<AccelEngine*> engines) { engines_ = std::move(engines); }
    /// Cycle at which the last run started and ended.
    uint64_t startCycle() const { return startCycle_; }
    uint64_t endCycle() const { return endCycle_; }

private:
    void run();
    /// Launches `job`'s tasks on their engines and waits until all have finished.
    void runOffloaded(const KernelJob& job, LayerResult& layer);
    uint64_t transfer(int memory, int64_t bytes, bool write, uint64_t at);

    sc_core::sc_event startEvent_;
    const Program* program_ = nullptr;
    std::vector<LayerResult>* layers_ = nullptr;
    SimObserver* observer_ = nullptr;
    tlm::tlm_generic_payload payload_;
    std::vector<unsigned char> scratch_;  ///< payload data pointer target (contents unused)
    std::vector<AccelEngine*> engines_;
    std::vector<TaskStats> taskStats_;
    std::vector<std::unique_ptr<sc_core::sc_event>> taskDone_;
    uint64_t startCycle_ = 0;
    uint64_t endCycle_ = 0;
};

} // namespace edgesim::sim
