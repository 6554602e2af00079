// The HDF5 results file, edgesim's one output format of record (DESIGN.md "HDF5 results"):
// provenance as root attributes and one chunked, appendable compound dataset per table
// (/runs, /layers, /validation), readable with plain h5py/pandas.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::explorer {

/// Where a results file came from; written once as root attributes.
struct Provenance {
    std::string version;      ///< edgesim_version, e.g. "0.1.0+abc123"
    std::string createdUtc;   ///< created_utc, ISO 8601 "2024-05-01T12:00:00Z"
    std::string commandLine;  ///< command_line, as the user typed it
    std::string configSha256; ///< config_sha256 of the whole invocation's inputs
    uint64_t seed = 0;        ///< seed
};

/// One simulation: a row of /runs. Units are in the names; bytes* are bytes moved (read plus
/// written) per memory level (flash, SRAM, TCM, external RAM or flash).
struct RunRow {
    int64_t runId = 0;
    std::string platform, stack, network, strategy;
    int64_t batch = 0;
    std::string fidelity;
    std::string mapping; ///< layer-to-engine mapping: "host-only", a mapper or a file's name
    std::string status;
    int64_t latencyCycles = 0;
    double latencyS = 0.0, energyJ = 0.0;
    int64_t peakRamBytes = 0, flashBytes = 0, macs = 0;
    int64_t bytesFlash = 0, bytesSram = 0, bytesTcm = 0, bytesExternal = 0;
    double simWallS = 0.0;
    std::string configSha256;
};

/// One layer of one run: a row of /layers. bytes* and dmaBytes* are per memory level as in
/// RunRow; dmaBytes* count what DMAs read plus wrote there (a subset of bytes*).
struct LayerRow {
    int64_t runId = 0;
    int64_t layerIndex = 0;
    std::string layerName, op;
    std::string engine;   ///< engine label: host core, engine, or "a+b" for a channel split
    int64_t fallback = 0; ///< 1: mapped to an engine lacking the op, ran on the host
    int64_t startCycle = 0, endCycle = 0, cycles = 0;
    double energyJ = 0.0;
    int64_t macs = 0;
    int64_t tiles = 0;
    int64_t bytesFlash = 0, bytesSram = 0, bytesTcm = 0, bytesExternal = 0;
    int64_t dmaBytesFlash = 0, dmaBytesSram = 0, dmaBytesTcm = 0, dmaBytesExternal = 0;
    int64_t dmaCycles = 0;    ///< cycles with some DMA transfer of the layer in flight
    int64_t hiddenCycles = 0; ///< of which under the engine's compute
    double overlap = 1.0;     ///< hidden_cycles / dma_cycles; 1 when dma_cycles is 0
};

/// One measured-vs-predicted comparison: a row of /validation.
struct ValidationRow {
    std::string platform, stack, network, strategy, metric, unit, source;
    double measured = 0.0, predicted = 0.0, errorPct = 0.0;
};

/// Writer of one results file. Each table is a 1-D dataset of a compound type whose members
/// are 64-bit integers, doubles and variable-length UTF-8 strings, named in snake_case
/// (run_id, latency_s, ...). A dataset is created by the first append to it (even an empty
/// one), so a `simulate` file holds /runs and /layers and a `validate` report /validation.
/// Appends go straight to the file; flush() makes everything appended so far survive a killed
/// process. HDF5 failures become exceptions naming the file: InputError when the file cannot
/// be created, std::runtime_error when a later write fails. Not thread-safe.
class ResultsFile {
public:
    /// Creates `path`, truncating an existing file, and writes the root attributes
    /// edgesim_version, created_utc, command_line, config_sha256 (strings) and seed (uint64).
    /// Throws InputError naming `path` when the file cannot be created.
    ResultsFile(const std::string& path, const Provenance& provenance);
    /// Flushes and closes the file; never throws (errors are dropped).
    ~ResultsFile();
    ResultsFile(const ResultsFile&) = delete;
    ResultsFile& operator=(const ResultsFile&) = delete;
    ResultsFile(ResultsFile&&) = delete;
    ResultsFile& operator=(ResultsFile&&) = delete;

    void appendRuns(const std::vector<RunRow>& rows);              ///< extends /runs
    void appendLayers(const std::vector<LayerRow>& rows);          ///< extends /layers
    void appendValidation(const std::vector<ValidationRow>& rows); ///< extends /validation

    /// Writes every buffered change to disk (H5Fflush), so the file as it stands now can be
    /// opened even if the process is killed before the destructor runs. Writes after the last
    /// flush may be lost (or, if the process dies mid-write, leave the file unreadable: HDF5
    /// 1.10 has no journaling, hence commitTemporary below).
    void flush();

    const std::string& path() const { return path_; }

private:
    struct Impl;
    std::string path_;
    std::unique_ptr<Impl> impl_;
};

/// Moves a finished results file into place. The CLI writes to `finalPath + ".tmp"`, destroys
/// the ResultsFile (closing it) and then calls this, so `finalPath` is either absent, the
/// previous complete file, or the new complete file — never a half-written one; a killed run
/// leaves its flushed batches in the .tmp file for `--resume`. Replaces an existing
/// `finalPath` (an atomic rename on POSIX when both are on one file system). Throws InputError
/// naming both paths when the rename fails.
void commitTemporary(const std::string& tmpPath, const std::string& finalPath);

/// Number of rows in `dataset` ("runs", "/layers", "nas/population", ...) of the results file
/// at `path`; 0 when the file has no such dataset (tables are created on first append).
/// Throws InputError naming `path` when it cannot be opened as an HDF5 file.
int64_t countRows(const std::string& path, const std::string& dataset);

/// One column (compound member) of `dataset`, all rows in order. The member must be of the
/// matching kind (string / integer / floating point); throws InputError naming the file,
/// dataset and column when the file, dataset or member is missing or of another kind.
std::vector<std::string> readStringColumn(const std::string& path, const std::string& dataset,
                                          const std::string& column);
std::vector<int64_t> readIntColumn(const std::string& path, const std::string& dataset,
                                   const std::string& column);
std::vector<double> readDoubleColumn(const std::string& path, const std::string& dataset,
                                     const std::string& column);

} // namespace edgesim::explorer
