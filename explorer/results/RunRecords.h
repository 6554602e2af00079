// Turning simulation results into the tables of record (/runs, /layers) and writing a results
// file of whole runs (`simulate --out`, sweeps with --layers). Metrics a run did not produce
// are NaN: a network that does not fit has a footprint but no latency; an unsupported one
// neither.
#pragma once

#include "analysis/Validation.h"
#include "explorer/results/ResultsFile.h"
#include "sim/SimResult.h"

#include <cstdint>
#include <string>
#include <vector>

namespace edgesim::explorer {

/// Bytes moved per memory level (flash, SRAM, TCM, external), the /runs and /layers columns.
struct LevelBytes {
    int64_t flash = 0, sram = 0, tcm = 0, external = 0;
};
/// Sums `perMemory` (SimResult::memories order) by the memories' kinds.
LevelBytes levelBytes(const sim::SimResult& result, const std::vector<int64_t>& perMemory);

/// Whether a result with this status has a footprint (peak RAM, flash, MACs) and whether it
/// has timing, traffic and energy.
bool hasFootprint(sim::Status status);
bool hasTiming(sim::Status status);

/// The metrics of a run as results files hold them: NaN for what it did not produce (all of
/// them when there is no result).
struct RunMetrics {
    double latencyCycles = kNotProduced, latencyS = kNotProduced, energyJ = kNotProduced;
    double peakRamBytes = kNotProduced, flashBytes = kNotProduced, macs = kNotProduced;
};
RunMetrics metricsOf(const sim::SimResult* result);

/// One run to record: the result, the content hash of its query and its seed.
struct RunRecord {
    const sim::SimResult* result = nullptr;
    std::string configSha256;
    uint64_t seed = 0;
};

/// The /runs row of `run` with run id `runId`.
RunRow runRow(const RunRecord& run, int64_t runId);
/// A /runs row that names a run and its outcome but holds no metric (a sweep point whose
/// values cannot run together).
RunRow runRow(int64_t runId, const std::string& platform, const std::string& stack,
              const std::string& network, const std::string& strategy, int batch,
              sim::Fidelity fidelity, const std::string& operatingPoint, const std::string& status,
              const std::string& reason, uint64_t seed);
/// The /layers rows of `run` (none when it did not run).
std::vector<LayerRow> layerRows(const sim::SimResult& result, int64_t runId);

/// The /energy rows of `result` (none when the run produced no timing).
std::vector<EnergyRow> energyRows(const sim::SimResult& result, int64_t runId);

/// The /layer_memory rows of `result`: one per layer and platform memory (none when it did
/// not run).
std::vector<LayerMemoryRow> layerMemoryRows(const sim::SimResult& result, int64_t runId);

/// Writes a results file holding /runs (one row per record, run ids 0, 1, ...), /layers,
/// /layer_memory and /energy, through `path + ".tmp"` renamed into place, so `path` is never left
/// half-written.
void writeRunsFile(const std::string& path, const Provenance& provenance,
                   const std::vector<RunRecord>& runs);

/// The /validation rows of `report` under fold label `fold`: one per measurement it predicted
/// or skipped (NaN prediction and error), in file order.
std::vector<ValidationRow> validationRows(const analysis::ValidationReport& report,
                                          const std::string& fold);

/// Writes a results file holding /validation (`rows`) and, when `folds` is not empty,
/// /validation_folds, the same way (`validate --out`).
void writeValidationFile(const std::string& path, const Provenance& provenance,
                         const std::vector<ValidationRow>& rows,
                         const std::vector<ValidationFoldRow>& folds = {});

} // namespace edgesim::explorer
