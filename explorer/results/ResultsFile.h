// The HDF5 results file, edgesim's one output format of record (DESIGN.md "HDF5 results"):
// provenance as root attributes and one chunked, appendable compound dataset per table
// (/runs, /layers, /validation, /sweep, /pareto, ...), readable with plain h5py/pandas:
// 64-bit integers, doubles (NaN for a metric that was not produced) and variable-length
// UTF-8 strings, and each column's unit as a string attribute "<column>_unit" of its dataset.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace edgesim::explorer {

/// Where a results file came from; written once as root attributes.
struct Provenance {
    std::string version;      ///< edgesim_version, e.g. "0.1.0+abc123"
    std::string createdUtc;   ///< created_utc, ISO 8601 "2024-05-01T12:00:00Z"
    std::string commandLine;  ///< command_line, as the user typed it
    std::string configSha256; ///< config_sha256 of the whole invocation's inputs
    uint64_t seed = 0;        ///< seed
    /// Further root string attributes (e.g. study_sha256, study_name), written in this order.
    std::vector<std::pair<std::string, std::string>> extra;
};

// ---- generic tables --------------------------------------------------------------------------

enum class ColumnKind { Int, Double, String };

/// One column of a table: its name in the file (a compound member), its type and its unit
/// ("s", "J", "B", "Hz", "V", "cycles", "MAC", "1" for a dimensionless number, "" for text
/// and identifiers), written as the attribute "<name>_unit" of the dataset.
struct ColumnDef {
    std::string name;
    ColumnKind kind = ColumnKind::Double;
    std::string unit;
    /// String columns: 0 = variable-length UTF-8; n > 0 = fixed-length UTF-8 of n bytes,
    /// NUL-padded (cheaper to write and read when every value's length is known, e.g. names
    /// from a study or a SHA-256; a longer value is refused, never cut).
    std::size_t fixedLength = 0;

    bool operator==(const ColumnDef& o) const {
        return name == o.name && kind == o.kind && unit == o.unit && fixedLength == o.fixedLength;
    }
};

/// One cell: int64_t for ColumnKind::Int, double for Double, std::string for String.
using Cell = std::variant<int64_t, double, std::string>;
using TableRow = std::vector<Cell>;

/// A whole table read back from a file.
struct Table {
    std::vector<ColumnDef> columns;
    std::vector<TableRow> rows;
    /// Index of column `name`, or -1.
    int column(const std::string& name) const;
};

constexpr double kNotProduced = std::numeric_limits<double>::quiet_NaN();

/// A cell as text: integers in full, whole doubles (sizes, clocks) in full too, other doubles
/// to 6 significant digits, NaN as "nan".
std::string cellText(const Cell& cell);

// ---- the fixed tables of DESIGN.md §3 --------------------------------------------------------

/// One simulation: a row of /runs. Metrics are NaN when the run produced none (a point that
/// does not fit has a footprint but no latency; an invalid one nothing). bytes* are bytes
/// moved (read plus written) per memory level (flash, SRAM, TCM, external RAM or flash).
struct RunRow {
    int64_t runId = 0;
    std::string platform, stack, network, strategy;
    int64_t batch = 0;
    std::string fidelity;
    std::string mapping;        ///< layer-to-engine mapping: "host-only", a mapper or a file's name
    std::string operatingPoint; ///< the platform's point name, or "custom"
    double clockHz = kNotProduced, voltageV = kNotProduced;
    std::string status, reason;
    double latencyCycles = kNotProduced, latencyS = kNotProduced, energyJ = kNotProduced;
    double peakRamBytes = kNotProduced, flashBytes = kNotProduced, macs = kNotProduced;
    double bytesFlash = kNotProduced, bytesSram = kNotProduced, bytesTcm = kNotProduced,
           bytesExternal = kNotProduced;
    double simWallS = kNotProduced;
    std::string configSha256;
    int64_t seed = 0;
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
    int64_t dmaCycles = 0;         ///< cycles with some DMA transfer of the layer in flight
    int64_t hiddenCycles = 0;      ///< of which under the engine's compute
    double overlap = 1.0;          ///< hidden_cycles / dma_cycles; 1 when dma_cycles is 0
    int64_t weightStallCycles = 0; ///< waiting for its streamed weights before it could start
};

/// One energy component of one run: a row of /energy (the breakdown `simulate` prints: a core,
/// memory, bus or engine, or "static"), dynamic and static energy in J.
struct EnergyRow {
    int64_t runId = 0;
    std::string component;
    double dynamicJ = 0.0, staticJ = 0.0;
};

/// Traffic of one layer of one run in one memory: a row of /layer_memory. /layers sums memories
/// of a kind (two SRAM levels, such as a PULP SoC's L1 and L2, are one `bytes_sram`); this
/// table keeps each memory by its platform name. Every layer has a row per platform memory.
struct LayerMemoryRow {
    int64_t runId = 0;
    int64_t layerIndex = 0;
    std::string memory; ///< the platform's memory name
    std::string kind;   ///< FLASH, SRAM, TCM, EXTERNAL_RAM, EXTERNAL_FLASH
    int64_t bytesRead = 0, bytesWritten = 0;
    int64_t dmaBytes = 0; ///< of bytes read + written, what DMAs moved
};

/// One measured-vs-predicted comparison: a row of /validation. `fold` is "in-sample" (the
/// configs as they are) or "<kind>:<held-out name>" for a prediction of `validate
/// --cross-validate` (e.g. "board:nucleo-l4r5zi"); predicted and error are NaN for a row that
/// was not predicted.
struct ValidationRow {
    std::string fold, platform, stack, network, strategy, metric, unit, source;
    int64_t line = 0;
    double measured = 0.0, predicted = kNotProduced, errorPct = kNotProduced;
};

/// A row of /validation_folds: the MAPE of one fold's held-out rows (all, latency, energy),
/// the same rows in-sample, and the calibrated parameters the fold could not identify
/// (space-separated; they stayed a priori). NaN where the fold has no such rows.
struct ValidationFoldRow {
    std::string fold;
    int64_t rows = 0, trainingRows = 0;
    double mapePct = kNotProduced, latencyMapePct = kNotProduced, energyMapePct = kNotProduced;
    double inSampleMapePct = kNotProduced, inSampleLatencyMapePct = kNotProduced,
           inSampleEnergyMapePct = kNotProduced;
    std::string notIdentifiable;
};

/// The columns of /runs, /layers and /validation, in file order (names in snake_case:
/// run_id, latency_s, ...), and the conversion of a typed row to cells in that order.
const std::vector<ColumnDef>& runColumns();
const std::vector<ColumnDef>& layerColumns();
const std::vector<ColumnDef>& validationColumns();
const std::vector<ColumnDef>& validationFoldColumns();
const std::vector<ColumnDef>& energyColumns();
TableRow toCells(const RunRow& row);
TableRow toCells(const EnergyRow& row);
const std::vector<ColumnDef>& layerMemoryColumns();
TableRow toCells(const LayerMemoryRow& row);
TableRow toCells(const LayerRow& row);
TableRow toCells(const ValidationRow& row);
TableRow toCells(const ValidationFoldRow& row);

// ---- the file --------------------------------------------------------------------------------

/// Writer of one results file. A table is a 1-D chunked dataset of a compound type, created
/// (with its "<column>_unit" attributes) by the first append to it, even an empty one, and
/// extended by each later append. Object modification times are not recorded, so the same
/// rows give the same dataset bytes. Appends go straight to the file; flush() makes
/// everything appended so far survive a killed process. HDF5 failures become exceptions
/// naming the file: InputError when the file cannot be created or opened, std::runtime_error
/// when a later write fails. Not thread-safe.
class ResultsFile {
public:
    /// Creates `path`, truncating an existing file, and writes the root attributes
    /// edgesim_version, created_utc, command_line, config_sha256 (strings), seed (uint64) and
    /// the `extra` strings. Throws InputError naming `path` when the file cannot be created.
    ResultsFile(const std::string& path, const Provenance& provenance);
    /// Opens an existing results file for appending (its tables continue where they end).
    /// Throws InputError naming `path` when it is missing or not an HDF5 file.
    static std::unique_ptr<ResultsFile> openForAppend(const std::string& path);
    /// Flushes and closes the file; never throws (errors are dropped).
    ~ResultsFile();
    ResultsFile(const ResultsFile&) = delete;
    ResultsFile& operator=(const ResultsFile&) = delete;
    ResultsFile(ResultsFile&&) = delete;
    ResultsFile& operator=(ResultsFile&&) = delete;

    /// Extends table `dataset` ("sweep", "nas/population": groups are created as needed) by
    /// `rows`, creating it with `columns` if it does not exist. Every row has one cell per
    /// column, of the column's kind (std::invalid_argument otherwise, nothing written). An
    /// existing table must have exactly these column names and kinds, in order
    /// (std::invalid_argument naming the first difference otherwise).
    void append(const std::string& dataset, const std::vector<ColumnDef>& columns,
                const std::vector<TableRow>& rows);
    /// Replaces table `dataset` (deleting it if present) by `rows` (for derived tables such
    /// as /pareto that are rewritten, not extended).
    void replace(const std::string& dataset, const std::vector<ColumnDef>& columns,
                 const std::vector<TableRow>& rows);
    /// Sets (creating or overwriting) a string attribute of `object` ("/" for the root, or a
    /// dataset such as "pareto").
    void setAttribute(const std::string& object, const std::string& name, const std::string& value);
    /// Rows of `dataset` now (0 when it does not exist).
    int64_t rowCount(const std::string& dataset) const;

    void appendRuns(const std::vector<RunRow>& rows);                ///< extends /runs
    void appendLayers(const std::vector<LayerRow>& rows);            ///< extends /layers
    void appendEnergy(const std::vector<EnergyRow>& rows);           ///< extends /energy
    void appendLayerMemory(const std::vector<LayerMemoryRow>& rows); ///< extends /layer_memory
    void appendValidation(const std::vector<ValidationRow>& rows);   ///< extends /validation
    void appendValidationFolds(const std::vector<ValidationFoldRow>& rows); ///< /validation_folds

    /// Writes every buffered change to disk (H5Fflush), so the file as it stands now can be
    /// opened even if the process is killed before the destructor runs. Writes after the last
    /// flush may be lost (or, if the process dies mid-write, leave the file unreadable: HDF5
    /// 1.10 has no journaling, hence commitTemporary below).
    void flush();

    const std::string& path() const { return path_; }

private:
    struct Impl;
    ResultsFile(const std::string& path, std::unique_ptr<Impl> impl);
    std::string path_;
    std::unique_ptr<Impl> impl_;
};

/// Moves a finished results file into place. Writers write to `finalPath + ".tmp"`, destroy
/// the ResultsFile (closing it) and then call this, so `finalPath` is either absent, the
/// previous complete file, or the new complete file — never a half-written one. Replaces an
/// existing `finalPath` (an atomic rename on POSIX when both are on one file system). Throws
/// InputError naming both paths when the rename fails.
void commitTemporary(const std::string& tmpPath, const std::string& finalPath);

/// Writes a whole results file: `fill` appends its tables to a new file at `path + ".tmp"`,
/// which is then flushed, closed and renamed over `path` (never a half-written `path`). The
/// caller holds the file's WriterLock.
void writeResultsFile(const std::string& path, const Provenance& provenance,
                      const std::function<void(ResultsFile&)>& fill);

/// Changes an existing results file the same way: a copy at `path + ".tmp"` is opened for
/// appending, `change` applied, flushed and renamed over `path` (never a half-changed `path`;
/// the copy is removed when anything fails). The caller holds the file's WriterLock.
void updateResultsFile(const std::string& path, const std::function<void(ResultsFile&)>& change);

/// Number of rows in `dataset` ("runs", "/layers", "nas/population", ...) of the results file
/// at `path`; 0 when the file has no such dataset (tables are created on first append).
/// Throws InputError naming `path` when it cannot be opened as an HDF5 file.
int64_t countRows(const std::string& path, const std::string& dataset);

/// Every row of table `dataset`, with every column or only `columns` (in that order).
/// Integer members read as Int, floating-point as Double, strings (variable or fixed length,
/// which the column says) as String; units from the "<column>_unit" attributes ("" when
/// absent). Throws InputError naming the file and dataset when the file, dataset or a column
/// is missing or the dataset is not a 1-D compound table of such members.
Table readTable(const std::string& path, const std::string& dataset,
                const std::vector<std::string>& columns = {});
/// The columns of table `dataset`, as readTable gives them, without reading a row.
std::vector<ColumnDef> readTableColumns(const std::string& path, const std::string& dataset);

/// A string attribute of `object` ("/" for the root, or a dataset); nullopt when absent.
/// Throws InputError naming `path` when the file or object cannot be opened.
std::optional<std::string> readStringAttribute(const std::string& path, const std::string& object,
                                               const std::string& name);

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
