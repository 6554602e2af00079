#include "sim/model/Energy.h"

#include "sim/engine/EngineModel.h"
#include "sim/model/OperatingPoint.h"

#include <algorithm>

namespace edgesim::sim {

namespace {
constexpr double kPico = 1e-12; // pJ -> J, pC -> C

/// How the figures quoted at the reference supply follow the operating point's supply.
struct SupplyScale {
    double switched = 1; ///< event energies, background per cycle
    double leakage = 1;  ///< leakage and static power
    double current = 1;  ///< run and idle currents
};

SupplyScale supplyScale(const platforms::spec::PlatformSpec& platform, double volts) {
    using platforms::spec::SupplyKind;
    const double ref = energyReferenceVoltage(platform);
    const double r = ref > 0 ? volts / ref : 1.0;
    switch (platform.supply()) {
    case SupplyKind::REGULATED: return {r, r, 1.0};   // currents fixed inside the regulator
    case SupplyKind::CORE_RAIL: return {r * r, r, r}; // C V^2, leakage ~ V
    case SupplyKind::SWITCHING_REGULATOR: return {1.0, 1.0, 1.0 / r}; // power fixed
    default: return {};
    }
}
} // namespace

void accountEnergy(SimResult& result, const platforms::spec::PlatformSpec& platform,
                   const Program& program) {
    const double volts = program.operatingPoint.voltageV;
    const double hz = program.operatingPoint.clockHz;
    const auto& core = platform.cores(program.core);
    const std::size_t nMem = program.memories.size();

    EnergyItem coreItem{core.name(), 0, 0};
    std::vector<EnergyItem> memItems(nMem);
    std::vector<EnergyItem> busItems(program.buses.size());
    EnergyItem staticItem{"static", 0, 0};
    std::vector<EnergyItem> engineItems;
    for (const auto& e : program.engines) {
        engineItems.push_back({e.name, 0, 0});
    }
    const SupplyScale scale = supplyScale(platform, volts);
    const double runCurrent = core.run_current_ua_per_mhz() * scale.current;
    const double idleCurrent = core.idle_current_ua_per_mhz() * scale.current;
    const double backgroundJPerCycle =
        platform.background_energy_pj_per_cycle() * scale.switched * kPico;
    for (std::size_t m = 0; m < nMem; ++m) {
        memItems[m].component = program.memories[m].name;
    }
    for (std::size_t b = 0; b < busItems.size(); ++b) {
        busItems[b].component = program.buses[b].name;
    }

    result.energyJ = 0;
    for (std::size_t k = 0; k < result.layers.size(); ++k) {
        auto& layer = result.layers[k];
        const KernelJob& job = program.kernels[k];
        const double cycles = static_cast<double>(layer.cycles());
        const double seconds = cycles / hz;
        // The host runs its own kernels; for an offloaded one it launches, then waits.
        const bool offloaded = !job.tasks.empty();
        layer.hostBusyCycles = offloaded ? std::min(layer.cycles(), job.computeCycles)
                                         : layer.cycles() - layer.stallCycles;
        const double busy = static_cast<double>(layer.hostBusyCycles);
        const double coreJ = (busy * runCurrent * volts + (cycles - busy) * idleCurrent * volts +
                              (offloaded ? 0.0 : static_cast<double>(layer.macs)) *
                                  core.mac_energy_pj() * scale.switched) *
                             kPico;
        double layerJ = coreJ;
        coreItem.dynamicJ += coreJ;
        for (std::size_t e = 0; e < engineItems.size(); ++e) {
            const auto& timing = program.engines[e];
            const double dynamicJ =
                static_cast<double>(e < layer.engineBusyCycles.size() ? layer.engineBusyCycles[e]
                                                                      : 0) *
                switchedEnergyJ(timing.busyCapacitancePf, volts);
            const double leakJ = timing.leakagePowerW * scale.leakage * seconds;
            engineItems[e].dynamicJ += dynamicJ;
            engineItems[e].staticJ += leakJ;
            layerJ += dynamicJ + leakJ;
        }
        for (const auto& task : job.tasks) {
            engineItems[static_cast<std::size_t>(task.engine)].dynamicJ += task.plan.eventEnergyJ;
            layerJ += task.plan.eventEnergyJ;
        }
        for (std::size_t m = 0; m < nMem; ++m) {
            const auto& spec = platform.memories(static_cast<int>(m));
            const double memJ =
                (static_cast<double>(layer.bytesRead[m]) * spec.read_energy_pj_per_byte() +
                 static_cast<double>(layer.bytesWritten[m]) * spec.write_energy_pj_per_byte()) *
                scale.switched * kPico;
            const double leakJ = spec.leakage_power_w() * scale.leakage * seconds;
            memItems[m].dynamicJ += memJ;
            memItems[m].staticJ += leakJ;
            layerJ += memJ + leakJ;
            const int bus = program.memories[m].bus;
            if (bus >= 0) {
                const auto beats =
                    static_cast<double>(program.buses[static_cast<std::size_t>(bus)].beats(
                        layer.bytesRead[m] + layer.bytesWritten[m]));
                const double busJ =
                    beats * platform.buses(bus).energy_pj_per_beat() * scale.switched * kPico;
                busItems[static_cast<std::size_t>(bus)].dynamicJ += busJ;
                layerJ += busJ;
            }
        }
        const double staticJ = platform.static_power_w() * scale.leakage * seconds;
        const double backgroundJ = backgroundJPerCycle * cycles;
        staticItem.staticJ += staticJ;
        staticItem.dynamicJ += backgroundJ;
        layerJ += staticJ + backgroundJ;
        layer.energyJ = layerJ;
        result.energyJ += layerJ;
    }
    result.energy.clear();
    result.energy.push_back(coreItem);
    for (auto& e : engineItems) {
        result.energy.push_back(e);
    }
    for (auto& m : memItems) {
        result.energy.push_back(m);
    }
    for (auto& b : busItems) {
        result.energy.push_back(b);
    }
    result.energy.push_back(staticItem);
}

} // namespace edgesim::sim
