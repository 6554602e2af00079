#include "sim/tlm/Memory.h"

#include "sim/tlm/Time.h"

namespace edgesim::sim {

Memory::Memory(const sc_core::sc_module_name& name) : sc_core::sc_module(name), socket("socket") {
    socket.register_b_transport(this, &Memory::bTransport);
}

void Memory::resetStats() {
    bytesRead_ = 0;
    bytesWritten_ = 0;
    transactions_ = 0;
}

void Memory::bTransport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const bool write = trans.is_write();
    const auto bytes = static_cast<int64_t>(trans.get_data_length());
    (write ? bytesWritten_ : bytesRead_) += bytes;
    ++transactions_;
    delay += cyclesToTime(timing_.serviceCycles(bytes, write));
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

} // namespace edgesim::sim
