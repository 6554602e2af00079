// Simulated time base: one core-clock cycle is one nanosecond of SystemC time. Latencies are
// therefore exact integers of cycles whatever the clock, and a new clock (--clock-mhz) needs
// no re-elaboration; seconds come from cycles / clock_hz.
#pragma once

#include <systemc>

#include <cstdint>

namespace edgesim::sim {

inline sc_core::sc_time cyclesToTime(uint64_t cycles) {
    return sc_core::sc_time(static_cast<double>(cycles), sc_core::SC_NS);
}

inline uint64_t timeToCycles(const sc_core::sc_time& t) {
    return static_cast<uint64_t>(t / sc_core::sc_time(1, sc_core::SC_NS));
}

/// Address of `offset` in memory `index`: the interconnects decode the memory from the top
/// bits (models move tiles, not data, so addresses only route).
constexpr int kMemoryAddressShift = 40;
inline uint64_t memoryAddress(int index) {
    return static_cast<uint64_t>(index) << kMemoryAddressShift;
}
inline int memoryOf(uint64_t address) {
    return static_cast<int>(address >> kMemoryAddressShift);
}

} // namespace edgesim::sim
