// The value a simulation returns: status, latency, traffic, energy breakdown, footprint and
// the per-layer timeline. Identical inputs give bit-identical results.
#pragma once

#include "sim/model/Program.h"

#include <cstdint>
#include <string>
#include <vector>

namespace edgesim::sim {

enum class Fidelity { Tlm, Analytical };
const char* toString(Fidelity f);

struct EnergyItem {
    std::string component;  ///< core, memory or bus name, or "static"
    double dynamicJ = 0;
    double staticJ = 0;
};

struct LayerResult {
    std::string name;
    std::string op;
    std::string engine;
    uint64_t startCycle = 0;
    uint64_t endCycle = 0;
    uint64_t computeCycles = 0;  ///< of which the instruction stream
    int tiles = 0;
    int64_t macs = 0;
    std::vector<int64_t> bytesRead;     ///< per memory (SimResult::memories)
    std::vector<int64_t> bytesWritten;
    double energyJ = 0;

    uint64_t cycles() const { return endCycle - startCycle; }
};

struct SimResult {
    Status status = Status::Ok;
    std::string reason;
    Fidelity fidelity = Fidelity::Tlm;
    std::string platform;
    std::string stack;
    std::string network;
    std::string strategy;
    ResolvedOperatingPoint operatingPoint;

    uint64_t latencyCycles = 0;
    double latencyS = 0;
    double energyJ = 0;
    int64_t peakRamBytes = 0;
    int64_t flashBytes = 0;
    int64_t macs = 0;

    std::vector<std::string> memories;       ///< memory names, platform order
    std::vector<platforms::spec::MemoryKind> memoryKinds;
    std::vector<int64_t> bytesRead;          ///< per memory, whole run
    std::vector<int64_t> bytesWritten;
    std::vector<EnergyItem> energy;          ///< per component
    std::vector<LayerResult> layers;         ///< includes the runtime's own work first
    double hostSeconds = 0;                  ///< wall time of this simulation
};

} // namespace edgesim::sim
