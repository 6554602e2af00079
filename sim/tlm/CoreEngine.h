// A CPU core running a kernel schedule, loosely timed with temporal decoupling (one quantum
// per kernel): for every tile it issues the tile's memory transfers through its bus at the
// tile's start and advances its local time by the longer of its instruction stream (the
// stack's micro-model) and the transfers that stream under it; transfers from memories that
// do not overlap (no prefetch, no cache) add their stall after the stream. Waits in SystemC
// time once per kernel.
#pragma once

#include "sim/SimResult.h"
#include "sim/trace/SimObserver.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

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
    /// Cycle at which the last run started and ended.
    uint64_t startCycle() const { return startCycle_; }
    uint64_t endCycle() const { return endCycle_; }

private:
    void run();
    uint64_t transfer(int memory, int64_t bytes, bool write, uint64_t at);

    sc_core::sc_event startEvent_;
    const Program* program_ = nullptr;
    std::vector<LayerResult>* layers_ = nullptr;
    SimObserver* observer_ = nullptr;
    tlm::tlm_generic_payload payload_;
    std::vector<unsigned char> scratch_;  ///< payload data pointer target (contents unused)
    uint64_t startCycle_ = 0;
    uint64_t endCycle_ = 0;
};

} // namespace edgesim::sim
