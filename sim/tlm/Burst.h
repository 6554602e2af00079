// One tile-sized burst through an initiator socket: the generic payload set up for a read or
// write of `bytes` to memory `memory` (data pointer to a scratch buffer; models move tiles,
// not data). Shared by every initiator (core engine, DMA channels).
#pragma once

#include "sim/tlm/Time.h"

#include <systemc>
#include <tlm>

#include <cstdint>

namespace edgesim::sim {

/// Largest burst one payload carries (its length field is 32 bits); a longer transfer is
/// issued as back-to-back bursts of this size. Real tiles are far smaller, so results of any
/// network that fits a memory are unchanged by the split.
constexpr int64_t kMaxBurstBytes = int64_t{1} << 30;

/// What every payload's data pointer points at: the models move tiles, not data, and no
/// target reads or writes through the pointer (memories and buses use the length only), so
/// simulation memory does not grow with tile or burst sizes.
inline unsigned char* burstScratch() {
    static unsigned char byte = 0;
    return &byte;
}

/// One payload of at most kMaxBurstBytes; see issueBurst.
inline uint64_t issueOneBurst(tlm::tlm_fw_transport_if<>& target, tlm::tlm_generic_payload& payload,
                              int memory, int64_t bytes, bool write, uint64_t at,
                              const char* initiator) {
    payload.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    payload.set_address(memoryAddress(memory));
    payload.set_data_ptr(burstScratch());
    payload.set_data_length(static_cast<unsigned int>(bytes));
    payload.set_streaming_width(static_cast<unsigned int>(bytes));
    payload.set_byte_enable_ptr(nullptr);
    payload.set_dmi_allowed(false);
    payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = cyclesToTime(at);
    target.b_transport(payload, delay);
    if (payload.is_response_error()) {
        SC_REPORT_ERROR(initiator, "transfer to an unmapped memory");
    }
    return timeToCycles(delay);
}

/// Issues the burst `at` cycles after the current SystemC time and returns the cycle offset
/// (from now) at which it completes. Reports an SC error for an unmapped memory.
inline uint64_t issueBurst(tlm::tlm_fw_transport_if<>& target, tlm::tlm_generic_payload& payload,
                           int memory, int64_t bytes, bool write, uint64_t at,
                           const char* initiator) {
    while (bytes > kMaxBurstBytes) {
        at = issueOneBurst(target, payload, memory, kMaxBurstBytes, write, at, initiator);
        bytes -= kMaxBurstBytes;
    }
    return issueOneBurst(target, payload, memory, bytes, write, at, initiator);
}

} // namespace edgesim::sim
