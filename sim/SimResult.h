// The value a simulation returns: status, latency, traffic, energy breakdown, footprint and
// the per-layer timeline. Identical inputs give bit-identical results.
#pragma once

#include "sim/model/Program.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgesim::sim {

enum class Fidelity { Tlm, Analytical };
const char* toString(Fidelity f);

struct EnergyItem {
    std::string component; ///< core, memory or bus name, or "static"
    double dynamicJ = 0;
    double staticJ = 0;
};

/// a[i] + b[i], as long as the longer (a missing element counts 0).
inline std::vector<int64_t> sumOf(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    std::vector<int64_t> sum(std::max(a.size(), b.size()), 0);
    for (std::size_t i = 0; i < sum.size(); ++i) {
        sum[i] = (i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0);
    }
    return sum;
}

struct LayerResult {
    std::string name;
    std::string op;
    std::string engine;
    uint64_t startCycle = 0;
    uint64_t endCycle = 0;
    uint64_t computeCycles = 0; ///< of which the instruction stream
    int tiles = 0;
    int64_t macs = 0;
    std::vector<int64_t> bytesRead; ///< per memory (SimResult::memories)
    std::vector<int64_t> bytesWritten;
    std::vector<int64_t> dmaBytes; ///< per memory: read + written by DMAs
    double energyJ = 0;
    bool fallback = false;                  ///< mapped to an engine lacking the op; ran on the host
    uint64_t hostBusyCycles = 0;            ///< host core executing (its kernel or the launch)
    std::vector<uint64_t> engineBusyCycles; ///< per platform engine (SimResult::engines[e + 1])
    uint64_t dmaCycles = 0;                 ///< some DMA transfer of the layer in flight (per task)
    uint64_t hiddenCycles = 0;              ///< of which under the engine's compute
    uint64_t stallCycles = 0; ///< waiting for its streamed weights before it could start

    uint64_t cycles() const { return endCycle - startCycle; }
    /// Bytes read + written per memory.
    std::vector<int64_t> bytesMoved() const { return sumOf(bytesRead, bytesWritten); }
    /// Fraction of DMA time hidden under compute (1 when the layer moved nothing).
    double overlap() const {
        return dmaCycles == 0 ? 1.0
                              : static_cast<double>(hiddenCycles) / static_cast<double>(dmaCycles);
    }
};

/// Utilisation of one engine (the host core first) over the run.
struct EngineUsage {
    std::string name;
    uint64_t busyCycles = 0;
    uint64_t idleCycles = 0;
};

/// What a training schedule costs beyond the usual metrics (workloads::TrainingMemory and
/// the run): per training sample, the peak RAM's breakdown, MACs per kernel kind, and how
/// much of the work ran on an accelerator rather than the host core.
struct TrainingSummary {
    std::string counting;
    int64_t trainableParams = 0;
    int64_t arenaBytes = 0;    ///< the training arena (inside peakRamBytes)
    int64_t peakLiveBytes = 0; ///< live bytes at the peak; arenaBytes - this = fragmentation
    std::map<std::string, int64_t> ramByRole;  ///< live bytes per tensor role at the peak
    int64_t ramWeightBytes = 0;                ///< trainable weights held in RAM
    std::map<std::string, int64_t> macsByKind; ///< per step
    double latencySPerSample = 0;              ///< the step's latency / batch
    double energyJPerSample = 0;
    int64_t acceleratorMacs = 0; ///< MACs of kernels an engine ran (not the host core)
    int64_t hostMacs = 0;
    uint64_t acceleratorCycles = 0; ///< cycles of kernels an engine ran
    uint64_t hostCycles = 0;
    /// Continual learning: the event recurs every periodS (0 = not periodic); the average
    /// power over a period (the event's energy plus static power while idle) and whether the
    /// event fits in its period.
    double periodS = 0;
    double averagePowerW = 0;
    bool keepsUp = true;
};

/// Dynamic inference (early exits): the run is the worst case (every segment); each kernel
/// counts for the share of samples that reach it.
struct DynamicSummary {
    double expectedLatencyS = 0;
    double expectedEnergyJ = 0;
    double worstLatencyS = 0;
    double worstEnergyJ = 0;
    struct Exit {
        std::string after;   ///< the layer the exit follows
        double share = 0;    ///< of all samples
        double latencyS = 0; ///< of a sample leaving there
        double energyJ = 0;
    };
    std::vector<Exit> exits;
};

struct SimResult {
    Status status = Status::Ok;
    std::string reason;
    Fidelity fidelity = Fidelity::Tlm;
    std::string platform;
    std::string stack;
    std::string network;
    std::string strategy;
    std::string strategyParams; ///< every parameter's value, "key=value;..." ("" for none)
    int batch = 1;
    ResolvedOperatingPoint operatingPoint;

    uint64_t latencyCycles = 0;
    double latencyS = 0;
    double energyJ = 0;
    int64_t peakRamBytes = 0;
    int64_t flashBytes = 0;
    int64_t weightBytes = 0; ///< of which the network's weights and biases as stored
    int64_t macs = 0;
    /// Weights that live in L3 and stream into the weights memory on every inference (0: all
    /// resident; Program::streamedWeightBytes).
    int64_t streamedWeightBytes = 0;

    std::vector<std::string> memories; ///< memory names, platform order
    std::vector<platforms::spec::MemoryKind> memoryKinds;
    std::vector<int64_t> bytesRead; ///< per memory, whole run
    std::vector<int64_t> bytesWritten;
    std::vector<EnergyItem> energy;          ///< per component
    std::vector<LayerResult> layers;         ///< includes the runtime's own work first
    std::vector<EngineUsage> engines;        ///< host core, then the platform's engines
    std::string mapping;                     ///< mapping name ("host-only", a file, a mapper)
    std::string precision;                   ///< deployment precision and why ("int8 (--quantize)")
    double hostSeconds = 0;                  ///< wall time of this simulation
    std::optional<TrainingSummary> training; ///< training strategies only
    std::optional<DynamicSummary> dynamic;   ///< early-exit networks only

    /// Bytes read + written per memory, whole run.
    std::vector<int64_t> bytesMoved() const { return sumOf(bytesRead, bytesWritten); }
};

} // namespace edgesim::sim
