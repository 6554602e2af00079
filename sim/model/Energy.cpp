#include "sim/model/Energy.h"

namespace edgesim::sim {

namespace {
constexpr double kPico = 1e-12;  // pJ -> J, pC -> C
}

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
    for (std::size_t m = 0; m < nMem; ++m) {
        memItems[m].component = program.memories[m].name;
    }
    for (std::size_t b = 0; b < busItems.size(); ++b) {
        busItems[b].component = program.buses[b].name;
    }

    result.energyJ = 0;
    for (auto& layer : result.layers) {
        const double cycles = static_cast<double>(layer.cycles());
        const double seconds = cycles / hz;
        const double coreJ = (cycles * core.run_current_ua_per_mhz() * volts +
                              static_cast<double>(layer.macs) * core.mac_energy_pj()) *
                             kPico;
        double layerJ = coreJ;
        coreItem.dynamicJ += coreJ;
        for (std::size_t m = 0; m < nMem; ++m) {
            const auto& spec = platform.memories(static_cast<int>(m));
            const double memJ =
                (static_cast<double>(layer.bytesRead[m]) * spec.read_energy_pj_per_byte() +
                 static_cast<double>(layer.bytesWritten[m]) * spec.write_energy_pj_per_byte()) *
                kPico;
            const double leakJ = spec.leakage_power_w() * seconds;
            memItems[m].dynamicJ += memJ;
            memItems[m].staticJ += leakJ;
            layerJ += memJ + leakJ;
            const int bus = program.memories[m].bus;
            if (bus >= 0) {
                const auto beats = static_cast<double>(program.buses[static_cast<std::size_t>(bus)]
                                                           .beats(layer.bytesRead[m] +
                                                                  layer.bytesWritten[m]));
                const double busJ =
                    beats * platform.buses(bus).energy_pj_per_beat() * kPico;
                busItems[static_cast<std::size_t>(bus)].dynamicJ += busJ;
                layerJ += busJ;
            }
        }
        const double staticJ = platform.static_power_w() * seconds;
        staticItem.staticJ += staticJ;
        layerJ += staticJ;
        layer.energyJ = layerJ;
        result.energyJ += layerJ;
    }
    result.energy.clear();
    result.energy.push_back(coreItem);
    for (auto& m : memItems) {
        result.energy.push_back(m);
    }
    for (auto& b : busItems) {
        result.energy.push_back(b);
    }
    result.energy.push_back(staticItem);
}

} // namespace edgesim::sim
