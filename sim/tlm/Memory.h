// A memory (SRAM bank, TCM, embedded or external flash) as a TLM-2.0 target, loosely timed:
// a burst costs its fixed latency plus one access per `width` bytes, each taking 1 + wait
// states cycles (MemoryTiming). Contention is arbitrated by the interconnect in front of it.
// Counts bytes and transactions; the timing is re-settable between runs.
#pragma once

#include "sim/model/Program.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace edgesim::sim {

class Memory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Memory> socket;

    explicit Memory(const sc_core::sc_module_name& name);
    Memory(const Memory&) = delete;
    Memory& operator=(const Memory&) = delete;
    Memory(Memory&&) = delete;
    Memory& operator=(Memory&&) = delete;

    void setTiming(const MemoryTiming& timing) { timing_ = timing; }
    void resetStats();

    int64_t bytesRead() const { return bytesRead_; }
    int64_t bytesWritten() const { return bytesWritten_; }
    uint64_t transactions() const { return transactions_; }

private:
    void bTransport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

    MemoryTiming timing_;
    int64_t bytesRead_ = 0;
    int64_t bytesWritten_ = 0;
    uint64_t transactions_ = 0;
};

} // namespace edgesim::sim
