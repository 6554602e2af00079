// Energy accounting shared by both fidelities: dynamic energy per event (core cycle from the
// datasheet run current, MAC, byte read/written per memory, bus beat) plus static power
// (platform and memory leakage) times time, plus the platform's background energy per cycle,
// per layer and per component. Run current is drawn from the supply at the operating point's
// voltage (MCUs regulate the core rail internally, so current, not energy per cycle, is what
// the datasheet holds constant). Figures quoted at the platform's reference supply follow the
// operating point's as its SupplyKind says: REGULATED scales every energy and power by V/Vref,
// CORE_RAIL switched energy by (V/Vref)^2 and leakage by V/Vref, SWITCHING_REGULATOR none.
#pragma once

#include "platforms/spec/platform.pb.h"
#include "sim/SimResult.h"

namespace edgesim::sim {

/// Fills LayerResult::energyJ, SimResult::energy and energyJ from the timeline and traffic
/// already in `result`.
void accountEnergy(SimResult& result, const platforms::spec::PlatformSpec& platform,
                   const Program& program);

} // namespace edgesim::sim
