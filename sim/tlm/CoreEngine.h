// A CPU core running a kernel schedule (and launching the kernels mapped to engines, then
// sleeping until they finish), loosely timed with temporal decoupling (one quantum
// per kernel): for every tile it issues the tile's memory transfers through its bus at the
// tile's start and advances its local time by the longer of its instruction stream (the
// stack's micro-model) and the transfers that stream under it; transfers from memories that
// do not overlap (no prefetch, no cache) and data-cache line fills add their stall after
// the stream. Waits in SystemC time once per kernel. Streamed weights (Program kernels with a
// WeightFetch): when a kernel ends the core queues the copies it frees a slot for on their
// DMA, and before a kernel starts it waits for that kernel's copy.
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
    /// DMAs (Program::dmas order) that copy streamed weights.
    void attachDmas(std::vector<DmaEngine*> dmas) { dmas_ = std::move(dmas); }
    /// Cycle at which the last run started and ended.
    uint64_t startCycle() const { return startCycle_; }
    uint64_t endCycle() const { return endCycle_; }

private:
    void run();
    /// Launches `job`'s tasks on their engines and waits until all have finished.
    void runOffloaded(const KernelJob& job, LayerResult& layer);
    uint64_t transfer(int memory, int64_t bytes, bool write, uint64_t at);
    /// Queues the weight copies that the end of kernel `after` releases (-1: the start).
    void issueFetches(int after);
    /// Queues hop `hop` of kernel `kernel`'s weight copy.
    void fetchHop(std::size_t kernel, std::size_t hop);
    /// Waits for kernel `k`'s weight copy, accounting its stall and overlap in `layer`.
    void awaitFetch(std::size_t k, uint64_t kernelStart, LayerResult& layer);

    sc_core::sc_event startEvent_;
    const Program* program_ = nullptr;
    std::vector<LayerResult>* layers_ = nullptr;
    SimObserver* observer_ = nullptr;
    tlm::tlm_generic_payload payload_;
    std::vector<AccelEngine*> engines_;
    std::vector<DmaEngine*> dmas_;
    bool streaming_ = false; ///< the program copies weights per layer
    std::vector<std::pair<uint64_t, uint64_t>> fetchSpans_; ///< per kernel: its copy's cycles
    std::vector<char> fetchDone_;                           ///< per kernel
    sc_core::sc_event fetchArrived_;
    std::vector<TaskStats> taskStats_;
    std::vector<std::unique_ptr<sc_core::sc_event>> taskDone_;
    uint64_t startCycle_ = 0;
    uint64_t endCycle_ = 0;
};

} // namespace edgesim::sim
