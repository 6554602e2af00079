// Simulated time base: one core-clock cycle is one nanosecond of SystemC time. Latencies are
// therefore exact integers of cycles whatever the clock, and a new clock (--clock-mhz) needs
// no re-elaboration; seconds come from cycles / clock_hz.
#pragma once

#include <systemc>

#include <cstdint>

namespace edgesim::sim {

/// SystemC time units per cycle: SystemC's default resolution is 1 ps, so 1 ns = 1000 units
/// (checked when a model is elaborated; converting through sc_time's double constructor
/// costs more than the rest of a transaction).
constexpr uint64_t kTimeUnitsPerCycle = 1000;

inline sc_core::sc_time cyclesToTime(uint64_t cycles) {
    return sc_core::sc_time::from_value(cycles * kTimeUnitsPerCycle);
}

inline uint64_t timeToCycles(const sc_core::sc_time& t) {
    return t.value() / kTimeUnitsPerCycle;
}

/// True when the simulation context's time resolution is the 1 ps the conversions assume.
inline bool timeResolutionMatches() {
    return sc_core::sc_time(1, sc_core::SC_NS).value() == kTimeUnitsPerCycle;
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
