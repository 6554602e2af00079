#include "sim/tlm/Bus.h"

#include "sim/tlm/Time.h"

#include <algorithm>

namespace edgesim::sim {

Bus::Bus(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name), targetSocket("targetSocket"), initiatorSocket("initiatorSocket") {
    targetSocket.register_b_transport(this, &Bus::bTransport);
}

void Bus::nameMaster(int port, const std::string& name) {
    if (masterNames_.size() <= static_cast<std::size_t>(port)) {
        masterNames_.resize(static_cast<std::size_t>(port) + 1);
    }
    masterNames_[static_cast<std::size_t>(port)] = name;
}

void Bus::mapSlave(int memory, int port, const std::string& name) {
    if (portOfMemory_.size() <= static_cast<std::size_t>(memory)) {
        portOfMemory_.resize(static_cast<std::size_t>(memory) + 1, -1);
    }
    portOfMemory_[static_cast<std::size_t>(memory)] = port;
    if (slaveNames_.size() <= static_cast<std::size_t>(port)) {
        slaveNames_.resize(static_cast<std::size_t>(port) + 1);
        busyUntil_.resize(static_cast<std::size_t>(port) + 1, 0);
    }
    slaveNames_[static_cast<std::size_t>(port)] = name;
}

void Bus::resetStats() {
    std::fill(busyUntil_.begin(), busyUntil_.end(), 0);
    beats_ = 0;
    transactions_ = 0;
    waitCycles_ = 0;
}

void Bus::bTransport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const int memory = memoryOf(trans.get_address());
    const int port = memory < static_cast<int>(portOfMemory_.size())
                         ? portOfMemory_[static_cast<std::size_t>(memory)]
                         : -1;
    if (port < 0) {
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    const auto bytes = static_cast<int64_t>(trans.get_data_length());
    const uint64_t now = timeToCycles(sc_core::sc_time_stamp());
    const uint64_t arrival = now + timeToCycles(delay);
    uint64_t& busy = busyUntil_[timing_.shared ? 0 : static_cast<std::size_t>(port)];
    const uint64_t start = std::max(arrival, busy);

    // The slave (a memory, or the next bus behind a bridge) sees the transaction arrive when
    // this port grants it, and returns when it is done.
    sc_core::sc_time service = cyclesToTime(start - now);
    initiatorSocket[port]->b_transport(trans, service);
    const uint64_t serviceCycles = timeToCycles(service) - (start - now);
    const uint64_t end = start + timing_.transferCycles(bytes, serviceCycles);
    busy = end;
    waitCycles_ += start - arrival;
    beats_ += timing_.beats(bytes);
    ++transactions_;
    delay = cyclesToTime(end - now);
    if (observer_ != nullptr) {
        const std::string& master =
            static_cast<std::size_t>(id) < masterNames_.size() ? masterNames_[id] : "?";
        observer_->onSpan(std::string(name()) + "/" + slaveNames_[static_cast<std::size_t>(port)],
                          master + (trans.is_write() ? " write" : " read"), start, end, bytes);
    }
}

} // namespace edgesim::sim
