// A DMA controller: independent channels, each a SystemC thread copying its queued
// transfers burst by burst through the DMA's bus port, as a two-stage pipeline (a burst is
// read from the source while the previous one is written to the destination). Each burst
// synchronises once with SystemC time, so channels and other initiators interleave on shared ports
// as the bus arbitration orders them (approximately timed at burst granularity).
#pragma once

#include "sim/trace/SimObserver.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::sim {

struct DmaTransfer {
    int source = 0;      ///< memory index
    int destination = 0; ///< memory index
    int64_t bytes = 0;
    std::string label = "copy"; ///< trace span name
    /// Issue each burst's write once its read has completed in SystemC time (one wait per
    /// burst), instead of booking it ahead with the read: for slow sources (streamed weights
    /// from L3), whose long reads would otherwise reserve the destination's bus port far ahead
    /// of the other initiators that share it.
    bool writeAfterRead = false;
    /// Called in the channel's thread when the last burst completes, with the transfer's
    /// start and end cycles (may enqueue further transfers, on any DMA).
    std::function<void(uint64_t begin, uint64_t end)> onDone;
};

struct DmaChannelStats {
    uint64_t firstCycle = 0; ///< start of the first transfer since the last reset
    uint64_t lastCycle = 0;  ///< end of the last completed transfer
    int64_t bytes = 0;
    int transfers = 0;
};

class DmaEngine : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<DmaEngine> socket;

    DmaEngine(const sc_core::sc_module_name& name, int channels, int64_t burstBytes);
    DmaEngine(const DmaEngine&) = delete;
    DmaEngine& operator=(const DmaEngine&) = delete;
    DmaEngine(DmaEngine&&) = delete;
    DmaEngine& operator=(DmaEngine&&) = delete;

    /// Queues `transfer` on `channel`; it starts when the channel is free (at the next delta
    /// cycle at the earliest).
    void enqueue(int channel, const DmaTransfer& transfer);
    int channels() const { return static_cast<int>(channels_.size()); }
    const DmaChannelStats& stats(int channel) const;
    void setObserver(SimObserver* observer) { observer_ = observer; }
    /// Cycles to program each transfer before its first burst.
    void setSetupCycles(int cycles) { setupCycles_ = cycles; }
    /// Bursts issued between two waits (temporal decoupling; >= 1).
    void setBurstsPerSync(int bursts) { burstsPerSync_ = bursts < 1 ? 1 : bursts; }
    void resetStats();

private:
    struct Channel {
        std::deque<DmaTransfer> queue;
        sc_core::sc_event wake;
        DmaChannelStats stats;
        bool started = false;
    };
    void runChannel(int index);
    uint64_t burst(int memory, int64_t bytes, bool write, uint64_t at);

    std::vector<std::unique_ptr<Channel>> channels_;
    int64_t burstBytes_;
    int setupCycles_ = 0;
    int burstsPerSync_ = 1;
    SimObserver* observer_ = nullptr;
    tlm::tlm_generic_payload payload_;
};

} // namespace edgesim::sim
