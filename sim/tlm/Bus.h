// An interconnect as a TLM-2.0 component, loosely timed with explicit arbitration: each
// transaction occupies its port (the slave on a bus matrix, the whole bus when shared) for
// the bus latency plus the longer of its beats at the bus width and the slave's service
// time; a transaction arriving while the port is busy waits, first come first served. With
// temporal decoupling, arrivals are the initiators' local times, so contention between
// engines comes out of the order in which they use the port.
#pragma once

#include "sim/model/Program.h"
#include "sim/trace/SimObserver.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <string>
#include <vector>

namespace edgesim::sim {

class Bus : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<Bus> targetSocket;        ///< masters bind here
    tlm_utils::multi_passthrough_initiator_socket<Bus> initiatorSocket;  ///< to the slaves

    explicit Bus(const sc_core::sc_module_name& name);
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;
    Bus(Bus&&) = delete;
    Bus& operator=(Bus&&) = delete;

    /// Master on target port `port` is called `name` (for traces).
    void nameMaster(int port, const std::string& name);
    /// Memory `memory` (platform index) is behind initiator port `port`.
    void mapSlave(int memory, int port, const std::string& name);
    void setTiming(const BusTiming& timing) { timing_ = timing; }
    void setObserver(SimObserver* observer) { observer_ = observer; }
    void resetStats();

    uint64_t beats() const { return beats_; }
    uint64_t transactions() const { return transactions_; }
    /// Cycles transactions spent waiting for a busy port.
    uint64_t waitCycles() const { return waitCycles_; }

private:
    void bTransport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

    BusTiming timing_;
    SimObserver* observer_ = nullptr;
    std::vector<int> portOfMemory_;
    std::vector<std::string> slaveNames_;
    std::vector<std::string> masterNames_;
    std::vector<uint64_t> busyUntil_;  ///< per initiator port, or [0] when shared
    uint64_t beats_ = 0;
    uint64_t transactions_ = 0;
    uint64_t waitCycles_ = 0;
};

} // namespace edgesim::sim
