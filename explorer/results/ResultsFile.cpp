#include "explorer/results/ResultsFile.h"

#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "explorer/results/Hdf5Check.h"

#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace edgesim::explorer {

int Table::column(const std::string& name) const {
    for (std::size_t k = 0; k < columns.size(); ++k) {
        if (columns[k].name == name) {
            return static_cast<int>(k);
        }
    }
    return -1;
}

// ---- the fixed tables ----------------------------------------------------------------------

const std::vector<ColumnDef>& runColumns() {
    using K = ColumnKind;
    static const std::vector<ColumnDef> cols = {
        {"run_id", K::Int, ""},
        {"platform", K::String, ""},
        {"stack", K::String, ""},
        {"network", K::String, ""},
        {"strategy", K::String, ""},
        {"batch", K::Int, "1"},
        {"fidelity", K::String, ""},
        {"mapping", K::String, ""},
        {"operating_point", K::String, ""},
        {"clock_hz", K::Double, "Hz"},
        {"voltage_v", K::Double, "V"},
        {"status", K::String, ""},
        {"reason", K::String, ""},
        {"latency_cycles", K::Double, "cycles"},
        {"latency_s", K::Double, "s"},
        {"energy_j", K::Double, "J"},
        {"peak_ram_bytes", K::Double, "B"},
        {"flash_bytes", K::Double, "B"},
        {"macs", K::Double, "MAC"},
        {"bytes_flash", K::Double, "B"},
        {"bytes_sram", K::Double, "B"},
        {"bytes_tcm", K::Double, "B"},
        {"bytes_external", K::Double, "B"},
        {"sim_wall_s", K::Double, "s"},
        {"config_sha256", K::String, ""},
        {"seed", K::Int, ""},
    };
    return cols;
}

std::string cellText(const Cell& c) {
    if (const auto* i = std::get_if<int64_t>(&c)) {
        return std::to_string(*i);
    }
    if (const auto* d = std::get_if<double>(&c)) {
        if (std::isnan(*d)) {
            return "nan";
        }
        constexpr double kExact = 1e15; // doubles hold every integer below this exactly
        if (*d == std::round(*d) && std::abs(*d) < kExact) {
            return fmt::format("{:.0f}", *d);
        }
        return fmt::format("{:.6g}", *d);
    }
    return std::get<std::string>(c);
}

const std::vector<ColumnDef>& layerColumns() {
    using K = ColumnKind;
    static const std::vector<ColumnDef> cols = {
        {"run_id", K::Int, ""},
        {"layer_index", K::Int, ""},
        {"layer_name", K::String, ""},
        {"op", K::String, ""},
        {"engine", K::String, ""},
        {"fallback", K::Int, "1"},
        {"start_cycle", K::Int, "cycles"},
        {"end_cycle", K::Int, "cycles"},
        {"cycles", K::Int, "cycles"},
        {"energy_j", K::Double, "J"},
        {"macs", K::Int, "MAC"},
        {"tiles", K::Int, "1"},
        {"bytes_flash", K::Int, "B"},
        {"bytes_sram", K::Int, "B"},
        {"bytes_tcm", K::Int, "B"},
        {"bytes_external", K::Int, "B"},
        {"dma_bytes_flash", K::Int, "B"},
        {"dma_bytes_sram", K::Int, "B"},
        {"dma_bytes_tcm", K::Int, "B"},
        {"dma_bytes_external", K::Int, "B"},
        {"dma_cycles", K::Int, "cycles"},
        {"hidden_cycles", K::Int, "cycles"},
        {"overlap", K::Double, "1"},
        {"weight_stall_cycles", K::Int, "cycles"},
    };
    return cols;
}

const std::vector<ColumnDef>& validationColumns() {
    using K = ColumnKind;
    // measured and predicted have no fixed unit: each row names its own in `unit`.
    static const std::vector<ColumnDef> cols = {
        {"fold", K::String, ""},     {"line", K::Int, ""},         {"platform", K::String, ""},
        {"stack", K::String, ""},    {"network", K::String, ""},   {"strategy", K::String, ""},
        {"metric", K::String, ""},   {"unit", K::String, ""},      {"source", K::String, ""},
        {"measured", K::Double, ""}, {"predicted", K::Double, ""}, {"error_pct", K::Double, "%"},
    };
    return cols;
}

const std::vector<ColumnDef>& validationFoldColumns() {
    using K = ColumnKind;
    static const std::vector<ColumnDef> cols = {
        {"fold", K::String, ""},
        {"rows", K::Int, "1"},
        {"training_rows", K::Int, "1"},
        {"mape_pct", K::Double, "%"},
        {"latency_mape_pct", K::Double, "%"},
        {"energy_mape_pct", K::Double, "%"},
        {"in_sample_mape_pct", K::Double, "%"},
        {"in_sample_latency_mape_pct", K::Double, "%"},
        {"in_sample_energy_mape_pct", K::Double, "%"},
        {"not_identifiable", K::String, ""},
    };
    return cols;
}

const std::vector<ColumnDef>& energyColumns() {
    using K = ColumnKind;
    static const std::vector<ColumnDef> cols = {
        {"run_id", K::Int, ""},
        {"component", K::String, ""},
        {"dynamic_j", K::Double, "J"},
        {"static_j", K::Double, "J"},
    };
    return cols;
}

TableRow toCells(const EnergyRow& r) {
    return {r.runId, r.component, r.dynamicJ, r.staticJ};
}

const std::vector<ColumnDef>& layerMemoryColumns() {
    using K = ColumnKind;
    static const std::vector<ColumnDef> cols = {
        {"run_id", K::Int, ""},     {"layer_index", K::Int, ""}, {"memory", K::String, ""},
        {"kind", K::String, ""},    {"bytes_read", K::Int, "B"}, {"bytes_written", K::Int, "B"},
        {"dma_bytes", K::Int, "B"},
    };
    return cols;
}

TableRow toCells(const LayerMemoryRow& r) {
    return {r.runId, r.layerIndex, r.memory, r.kind, r.bytesRead, r.bytesWritten, r.dmaBytes};
}

TableRow toCells(const RunRow& r) {
    return {r.runId,     r.platform,     r.stack,         r.network,        r.strategy,
            r.batch,     r.fidelity,     r.mapping,       r.operatingPoint, r.clockHz,
            r.voltageV,  r.status,       r.reason,        r.latencyCycles,  r.latencyS,
            r.energyJ,   r.peakRamBytes, r.flashBytes,    r.macs,           r.bytesFlash,
            r.bytesSram, r.bytesTcm,     r.bytesExternal, r.simWallS,       r.configSha256,
            r.seed};
}

TableRow toCells(const LayerRow& r) {
    return {r.runId,         r.layerIndex,   r.layerName,   r.op,
            r.engine,        r.fallback,     r.startCycle,  r.endCycle,
            r.cycles,        r.energyJ,      r.macs,        r.tiles,
            r.bytesFlash,    r.bytesSram,    r.bytesTcm,    r.bytesExternal,
            r.dmaBytesFlash, r.dmaBytesSram, r.dmaBytesTcm, r.dmaBytesExternal,
            r.dmaCycles,     r.hiddenCycles, r.overlap,     r.weightStallCycles};
}

TableRow toCells(const ValidationRow& r) {
    return {r.fold,   r.line, r.platform, r.stack,    r.network,   r.strategy,
            r.metric, r.unit, r.source,   r.measured, r.predicted, r.errorPct};
}

TableRow toCells(const ValidationFoldRow& r) {
    return {r.fold,
            r.rows,
            r.trainingRows,
            r.mapePct,
            r.latencyMapePct,
            r.energyMapePct,
            r.inSampleMapePct,
            r.inSampleLatencyMapePct,
            r.inSampleEnergyMapePct,
            r.notIdentifiable};
}

namespace {

/// Rows per chunk: large enough that appending a sweep is not dominated by chunk overhead,
/// small enough that a file with one run (a few dozen layers) stays small.
constexpr hsize_t kChunkRows = 256;

/// Rows per read in the readers, which bounds their temporary record buffer.
constexpr hsize_t kReadBlockRows = 4096;

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
public:
    using Closer = herr_t (*)(hid_t);
    Handle() = default;
    Handle(hid_t id, Closer close) : id_(id), close_(close) {}
    ~Handle() { reset(); }
    Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
    Handle& operator=(Handle&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = std::exchange(o.id_, -1);
            close_ = o.close_;
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }
    void reset() {
        if (id_ >= 0 && close_ != nullptr) {
            close_(id_);
        }
        id_ = -1;
    }

private:
    hid_t id_ = -1;
    Closer close_ = nullptr;
};

/// HDF5 prints its error stack to stderr by default; we report through exceptions instead.
/// The setting is per thread in thread-safe builds, so it is applied at every entry point.
void silenceHdf5Errors() {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

herr_t keepInnermost(unsigned n, const H5E_error2_t* err, void* data) {
    if (n == 0 && err != nullptr && err->desc != nullptr) {
        *static_cast<std::string*>(data) = err->desc;
    }
    return 0;
}

/// The most specific message on the current error stack (call right after the failure:
/// the next API call clears the stack).
std::string lastHdf5Error() {
    std::string desc;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keepInnermost, &desc);
    return desc.empty() ? std::string("unknown HDF5 error") : desc;
}

/// The operating system's reason inside an HDF5 file-driver message ("unable to open file:
/// name = ..., errno = 2, error message = 'No such file or directory', ..."), else `desc`.
std::string systemReason(const std::string& desc) {
    const std::string key = "error message = '";
    const std::size_t begin = desc.find(key);
    if (begin == std::string::npos) {
        return desc;
    }
    const std::size_t end = desc.find('\'', begin + key.size());
    return end == std::string::npos ? desc
                                    : desc.substr(begin + key.size(), end - begin - key.size());
}

[[noreturn]] void failWrite(const std::string& path, const std::string& what) {
    throw std::runtime_error(fmt::format("results file {}: {}: {}", path, what, lastHdf5Error()));
}

hid_t checkId(hid_t id, const std::string& path, const std::string& what) {
    if (id < 0) {
        failWrite(path, what);
    }
    return id;
}

void checkRc(herr_t rc, const std::string& path, const std::string& what) {
    if (rc < 0) {
        failWrite(path, what);
    }
}

[[noreturn]] void badArgument(const std::string& path, const std::string& what) {
    throw std::invalid_argument(fmt::format("results file {}: {}", path, what));
}

const char* kindName(ColumnKind k) {
    switch (k) {
    case ColumnKind::Int: return "integer";
    case ColumnKind::Double: return "floating-point";
    case ColumnKind::String: return "string";
    }
    return "?";
}

/// The kind a cell holds (the variant's alternatives are in ColumnKind order).
ColumnKind kindOf(const Cell& cell) {
    if (std::holds_alternative<int64_t>(cell)) {
        return ColumnKind::Int;
    }
    return std::holds_alternative<double>(cell) ? ColumnKind::Double : ColumnKind::String;
}

/// A variable-length UTF-8 string type (h5py reads it as str / bytes without a custom dtype).
Handle stringType(const std::string& path) {
    Handle t(checkId(H5Tcopy(H5T_C_S1), path, "creating string type"), H5Tclose);
    checkRc(H5Tset_size(t.get(), H5T_VARIABLE), path, "creating string type");
    checkRc(H5Tset_cset(t.get(), H5T_CSET_UTF8), path, "creating string type");
    return t;
}

/// Creates, or replaces, the scalar string attribute `name` of `loc`. An existing attribute
/// is deleted first, whatever its type, so the new one is always a UTF-8 string.
void writeStringAttribute(hid_t loc, const std::string& name, const std::string& value,
                          const std::string& path) {
    const std::string what = fmt::format("writing attribute {}", name);
    const htri_t exists = H5Aexists(loc, name.c_str());
    checkRc(exists, path, what);
    if (exists > 0) {
        checkRc(H5Adelete(loc, name.c_str()), path, what);
    }
    Handle type = stringType(path);
    Handle space(checkId(H5Screate(H5S_SCALAR), path, what), H5Sclose);
    Handle attr(
        checkId(H5Acreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                path, what),
        H5Aclose);
    const char* p = value.c_str();
    checkRc(H5Awrite(attr.get(), type.get(), &p), path, what);
}

void writeUint64Attribute(hid_t loc, const char* name, uint64_t value, const std::string& path) {
    const std::string what = fmt::format("writing attribute {}", name);
    Handle space(checkId(H5Screate(H5S_SCALAR), path, what), H5Sclose);
    Handle attr(checkId(H5Acreate2(loc, name, H5T_STD_U64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                        path, what),
                H5Aclose);
    checkRc(H5Awrite(attr.get(), H5T_NATIVE_UINT64, &value), path, what);
}

/// The text of a fixed-length string of `size` bytes as its padding defines it.
std::string fixedString(const char* p, std::size_t size, H5T_str_t pad) {
    std::string s(p, size);
    if (pad == H5T_STR_SPACEPAD) {
        s.erase(s.find_last_not_of(' ') + 1);
    } else if (pad == H5T_STR_NULLTERM) {
        s.erase(std::min(s.find('\0'), s.size()));
    } else {
        s.erase(s.find_last_not_of('\0') + 1); // NULLPAD, as numpy's 'S' strings
    }
    return s;
}

/// Reads the string attribute `name` of `loc` (variable or fixed length, one element);
/// nullopt when `loc` has no such attribute, nullopt with `*notString` set when it is not a
/// one-element string. Throws InputError for `path`/`field` when HDF5 fails to read it.
std::optional<std::string> readAttributeText(hid_t loc, const std::string& name,
                                             const std::string& path, const std::string& field,
                                             bool* notString) {
    *notString = false;
    if (H5Aexists(loc, name.c_str()) <= 0) {
        return std::nullopt;
    }
    Handle attr(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose);
    Handle type(attr.valid() ? H5Aget_type(attr.get()) : -1, H5Tclose);
    Handle space(attr.valid() ? H5Aget_space(attr.get()) : -1, H5Sclose);
    if (!type.valid() || !space.valid()) {
        throw InputError(path, field, "cannot open attribute: " + lastHdf5Error());
    }
    if (H5Tget_class(type.get()) != H5T_STRING || H5Sget_simple_extent_npoints(space.get()) != 1) {
        *notString = true;
        return std::nullopt;
    }
    if (H5Tis_variable_str(type.get()) > 0) {
        Handle mem = stringType(path);
        char* p = nullptr;
        if (H5Aread(attr.get(), mem.get(), &p) < 0) {
            throw InputError(path, field, "cannot read attribute: " + lastHdf5Error());
        }
        std::string out = p != nullptr ? p : "";
        H5free_memory(p);
        return out;
    }
    const std::size_t size = H5Tget_size(type.get());
    std::vector<char> buf(std::max<std::size_t>(size, 1), '\0');
    Handle mem(H5Tcopy(type.get()), H5Tclose);
    if (!mem.valid() || H5Aread(attr.get(), mem.get(), buf.data()) < 0) {
        throw InputError(path, field, "cannot read attribute: " + lastHdf5Error());
    }
    return fixedString(buf.data(), size, H5Tget_strpad(type.get()));
}

/// The components of a dataset name ("/nas//population" -> nas, population).
std::vector<std::string> nameParts(const std::string& name) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= name.size()) {
        const std::size_t next = std::min(name.find('/', pos), name.size());
        if (next > pos) {
            parts.push_back(name.substr(pos, next - pos));
        }
        pos = next + 1;
    }
    return parts;
}

/// Whether every component of `name` exists below the root (H5Lexists checks one link).
bool linkExists(hid_t file, const std::string& name) {
    std::string prefix;
    for (const std::string& part : nameParts(name)) {
        prefix += "/" + part;
        if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
            return false;
        }
    }
    return !prefix.empty();
}

/// The object type (H5I_DATASET, H5I_GROUP, ...) at an existing `name`, H5I_BADID if none.
H5I_type_t objectType(hid_t file, const std::string& name) {
    Handle obj(H5Oopen(file, name.c_str(), H5P_DEFAULT), H5Oclose);
    return obj.valid() ? H5Iget_type(obj.get()) : H5I_BADID;
}

// ---- record layout -------------------------------------------------------------------------

/// In-memory record layout of a table: member offsets and the record size.
struct Layout {
    std::vector<std::size_t> offsets;
    std::size_t size = 0;
};

/// C-struct layout of members of the given sizes and alignments.
Layout layoutOf(const std::vector<std::pair<std::size_t, std::size_t>>& sizeAndAlign) {
    Layout l;
    std::size_t maxAlign = 1;
    for (const auto& [size, align] : sizeAndAlign) {
        maxAlign = std::max(maxAlign, align);
        l.size = (l.size + align - 1) / align * align;
        l.offsets.push_back(l.size);
        l.size += size;
    }
    l.size = std::max<std::size_t>(1, (l.size + maxAlign - 1) / maxAlign * maxAlign);
    return l;
}

Layout layoutOf(const std::vector<ColumnDef>& cols) {
    std::vector<std::pair<std::size_t, std::size_t>> members;
    for (const ColumnDef& c : cols) {
        switch (c.kind) {
        case ColumnKind::Int: members.emplace_back(sizeof(int64_t), alignof(int64_t)); break;
        case ColumnKind::Double: members.emplace_back(sizeof(double), alignof(double)); break;
        case ColumnKind::String:
            if (c.fixedLength > 0) {
                members.emplace_back(c.fixedLength, 1);
            } else {
                members.emplace_back(sizeof(const char*), alignof(const char*));
            }
            break;
        }
    }
    return layoutOf(members);
}

/// The compound type of a table: `native` for the memory side of a write, otherwise the
/// little-endian file type (so files are byte-identical whatever host wrote them).
Handle compoundType(const std::vector<ColumnDef>& cols, const Layout& layout, bool native,
                    const std::string& path) {
    const std::string what = "creating compound type";
    Handle t(checkId(H5Tcreate(H5T_COMPOUND, layout.size), path, what), H5Tclose);
    Handle str = stringType(path);
    std::vector<Handle> fixed; // fixed-length string types, alive until inserted
    for (std::size_t k = 0; k < cols.size(); ++k) {
        hid_t member = str.get();
        if (cols[k].kind == ColumnKind::Int) {
            member = native ? H5T_NATIVE_INT64 : H5T_STD_I64LE;
        } else if (cols[k].kind == ColumnKind::Double) {
            member = native ? H5T_NATIVE_DOUBLE : H5T_IEEE_F64LE;
        } else if (cols[k].fixedLength > 0) {
            fixed.emplace_back(checkId(H5Tcopy(H5T_C_S1), path, what), H5Tclose);
            checkRc(H5Tset_size(fixed.back().get(), cols[k].fixedLength), path, what);
            checkRc(H5Tset_strpad(fixed.back().get(), H5T_STR_NULLPAD), path, what);
            checkRc(H5Tset_cset(fixed.back().get(), H5T_CSET_UTF8), path, what);
            member = fixed.back().get();
        }
        checkRc(H5Tinsert(t.get(), cols[k].name.c_str(), layout.offsets[k], member), path, what);
    }
    return t;
}

// ---- checks before writing -----------------------------------------------------------------

/// The canonical name of a table ("/nas//population" -> "nas/population").
std::string tableName(const std::string& dataset, const std::string& path) {
    const std::vector<std::string> parts = nameParts(dataset);
    if (parts.empty()) {
        badArgument(path, fmt::format("'{}' is not a dataset name", dataset));
    }
    std::string name;
    for (const std::string& part : parts) {
        if (part == "." || part == "..") {
            badArgument(path, fmt::format("'{}' is not a dataset name", dataset));
        }
        name += (name.empty() ? "" : "/") + part;
    }
    return name;
}

void checkColumns(const std::string& name, const std::vector<ColumnDef>& columns,
                  const std::string& path) {
    if (columns.empty()) {
        badArgument(path, fmt::format("/{}: a table needs at least one column", name));
    }
    std::set<std::string> seen;
    for (const ColumnDef& c : columns) {
        if (c.name.empty() || c.name.find('\0') != std::string::npos) {
            badArgument(path, fmt::format("/{}: '{}' is not a column name", name, c.name));
        }
        if (!seen.insert(c.name).second) {
            badArgument(path, fmt::format("/{}: column {} appears twice", name, c.name));
        }
        if (c.unit.find('\0') != std::string::npos) {
            badArgument(
                path, fmt::format("/{}: the unit of column {} contains a NUL byte", name, c.name));
        }
    }
}

/// Every row has one cell per column, of the column's kind. Strings must not contain NUL,
/// which a variable-length C string would silently cut off.
void checkRows(const std::string& name, const std::vector<ColumnDef>& columns,
               const std::vector<TableRow>& rows, const std::string& path) {
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].size() != columns.size()) {
            badArgument(path, fmt::format("/{}: row {} has {} cells for {} columns", name, r,
                                          rows[r].size(), columns.size()));
        }
        for (std::size_t k = 0; k < columns.size(); ++k) {
            const Cell& cell = rows[r][k];
            if (kindOf(cell) != columns[k].kind) {
                badArgument(path, fmt::format("/{}: row {}, column {}: {} cell in a {} column",
                                              name, r, columns[k].name, kindName(kindOf(cell)),
                                              kindName(columns[k].kind)));
            }
            if (const auto* s = std::get_if<std::string>(&cell);
                s != nullptr && s->find('\0') != std::string::npos) {
                badArgument(path, fmt::format("/{}: row {}, column {}: string contains a NUL byte",
                                              name, r, columns[k].name));
            }
            if (const auto* s = std::get_if<std::string>(&cell);
                s != nullptr && columns[k].fixedLength > 0 && s->size() > columns[k].fixedLength) {
                badArgument(path,
                            fmt::format("/{}: row {}, column {}: {} bytes do not fit its {}", name,
                                        r, columns[k].name, s->size(), columns[k].fixedLength));
            }
        }
    }
}

/// Throws std::invalid_argument naming the first difference in names or kinds.
void checkSameColumns(const std::string& name, const std::vector<ColumnDef>& inFile,
                      const std::vector<ColumnDef>& given, const std::string& path) {
    const std::size_t common = std::min(inFile.size(), given.size());
    for (std::size_t k = 0; k < common; ++k) {
        if (inFile[k].name != given[k].name || inFile[k].kind != given[k].kind) {
            badArgument(path, fmt::format("/{}: column {} is {} ({}) in the file but {} ({}) in "
                                          "the rows to append",
                                          name, k, inFile[k].name, kindName(inFile[k].kind),
                                          given[k].name, kindName(given[k].kind)));
        }
    }
    if (inFile.size() > common) {
        badArgument(path, fmt::format("/{}: column {} ({}) of the file is missing from the rows "
                                      "to append",
                                      name, common, inFile[common].name));
    }
    if (given.size() > common) {
        badArgument(path, fmt::format("/{}: column {} ({}) of the rows to append is not in the "
                                      "file",
                                      name, common, given[common].name));
    }
}

// ---- an open table -------------------------------------------------------------------------

/// One appendable table of the writer: created or found on first use, extended by appends.
struct OpenTable {
    Handle dataset;
    std::vector<ColumnDef> columns; ///< names and kinds as in the file
    Layout layout;
    Handle memType;
    hsize_t rows = 0;
};

/// Creates the groups above table `name` that do not exist yet, without timestamps.
void createParentGroups(hid_t file, const std::string& name, const std::string& path) {
    const std::vector<std::string> parts = nameParts(name);
    std::string prefix;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        prefix += "/" + parts[i];
        if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) > 0) {
            if (objectType(file, prefix) != H5I_GROUP) {
                badArgument(path, fmt::format("{} is not a group", prefix));
            }
            continue;
        }
        const std::string what = fmt::format("creating group {}", prefix);
        Handle gcpl(checkId(H5Pcreate(H5P_GROUP_CREATE), path, what), H5Pclose);
        checkRc(H5Pset_obj_track_times(gcpl.get(), 0), path, what);
        Handle group(checkId(H5Gcreate2(file, prefix.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                             path, what),
                     H5Gclose);
    }
}

/// Creates table `name` with its unit attributes, and no rows.
OpenTable createTable(hid_t file, const std::string& name, const std::vector<ColumnDef>& columns,
                      const std::string& path) {
    createParentGroups(file, name, path);
    const std::string what = fmt::format("creating dataset /{}", name);
    OpenTable t;
    t.columns = columns;
    t.layout = layoutOf(columns);
    t.memType = compoundType(columns, t.layout, true, path);
    Handle fileType = compoundType(columns, t.layout, false, path);
    const hsize_t zero = 0;
    const hsize_t unlimited = H5S_UNLIMITED;
    Handle space(checkId(H5Screate_simple(1, &zero, &unlimited), path, what), H5Sclose);
    Handle dcpl(checkId(H5Pcreate(H5P_DATASET_CREATE), path, what), H5Pclose);
    checkRc(H5Pset_chunk(dcpl.get(), 1, &kChunkRows), path, what);
    checkRc(H5Pset_obj_track_times(dcpl.get(), 0), path, what);
    const std::string absolute = "/" + name;
    t.dataset = Handle(checkId(H5Dcreate2(file, absolute.c_str(), fileType.get(), space.get(),
                                          H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                               path, what),
                       H5Dclose);
    for (const ColumnDef& c : columns) {
        writeStringAttribute(t.dataset.get(), c.name + "_unit", c.unit, path);
    }
    return t;
}

/// Opens the existing table `name` for appending; std::invalid_argument when it is not an
/// extendable 1-D table of integer, floating-point and variable-length string members.
OpenTable openTable(hid_t file, const std::string& name, const std::string& path) {
    const std::string absolute = "/" + name;
    if (objectType(file, absolute) != H5I_DATASET) {
        badArgument(path, fmt::format("{} exists and is not a dataset", absolute));
    }
    const std::string what = fmt::format("opening dataset {}", absolute);
    OpenTable t;
    t.dataset =
        Handle(checkId(H5Dopen2(file, absolute.c_str(), H5P_DEFAULT), path, what), H5Dclose);
    Handle type(checkId(H5Dget_type(t.dataset.get()), path, what), H5Tclose);
    Handle space(checkId(H5Dget_space(t.dataset.get()), path, what), H5Sclose);
    hsize_t dims = 0;
    hsize_t maxDims = 0;
    if (H5Tget_class(type.get()) != H5T_COMPOUND || H5Sget_simple_extent_ndims(space.get()) != 1 ||
        H5Sget_simple_extent_dims(space.get(), &dims, &maxDims) < 0 || maxDims != H5S_UNLIMITED) {
        badArgument(path,
                    fmt::format("{} is not an extendable table (1-D compound dataset)", absolute));
    }
    const int n = H5Tget_nmembers(type.get());
    for (int i = 0; i < n; ++i) {
        const auto index = static_cast<unsigned>(i);
        char* raw = H5Tget_member_name(type.get(), index);
        ColumnDef c;
        c.name = raw != nullptr ? raw : "";
        H5free_memory(raw);
        Handle member(checkId(H5Tget_member_type(type.get(), index), path, what), H5Tclose);
        switch (H5Tget_class(member.get())) {
        case H5T_INTEGER: c.kind = ColumnKind::Int; break;
        case H5T_FLOAT: c.kind = ColumnKind::Double; break;
        case H5T_STRING:
            c.kind = ColumnKind::String;
            if (H5Tis_variable_str(member.get()) <= 0) {
                c.fixedLength = H5Tget_size(member.get()); // appended as it is stored
            }
            break;
        default:
            badArgument(path, fmt::format("{}: column {} is not an integer, floating-point or "
                                          "string column",
                                          absolute, c.name));
        }
        t.columns.push_back(std::move(c));
    }
    t.layout = layoutOf(t.columns);
    t.memType = compoundType(t.columns, t.layout, true, path);
    t.rows = dims;
    return t;
}

/// Appends `rows` (already checked against the table's columns) with one H5Dwrite.
void writeRows(OpenTable& t, const std::string& name, const std::vector<TableRow>& rows,
               const std::string& path) {
    if (rows.empty()) {
        return;
    }
    // Pack the rows into native records; string members point into `rows`, which outlives
    // the write.
    const Layout& layout = t.layout;
    std::vector<unsigned char> buf(rows.size() * layout.size);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        unsigned char* rec = buf.data() + r * layout.size;
        for (std::size_t k = 0; k < t.columns.size(); ++k) {
            unsigned char* dst = rec + layout.offsets[k];
            const Cell& cell = rows[r][k];
            if (const auto* i = std::get_if<int64_t>(&cell)) {
                std::memcpy(dst, i, sizeof *i);
            } else if (const auto* d = std::get_if<double>(&cell)) {
                std::memcpy(dst, d, sizeof *d);
            } else if (t.columns[k].fixedLength > 0) {
                // The file's length decides (rows may be appended to a table written before);
                // nothing is written yet if a value does not fit. The rest stays NUL.
                const std::string& s = std::get<std::string>(cell);
                if (s.size() > t.columns[k].fixedLength) {
                    badArgument(path, fmt::format("/{}: row {}, column {}: {} bytes do not fit "
                                                  "its {}",
                                                  name, r, t.columns[k].name, s.size(),
                                                  t.columns[k].fixedLength));
                }
                std::memcpy(dst, s.data(), s.size());
            } else {
                const char* s = std::get<std::string>(cell).c_str();
                std::memcpy(dst, &s, sizeof s);
            }
        }
    }
    const std::string what = fmt::format("appending {} rows to /{}", rows.size(), name);
    const hsize_t start = t.rows;
    const hsize_t count = rows.size();
    const hsize_t newRows = start + count;
    checkRc(H5Dset_extent(t.dataset.get(), &newRows), path, what);
    Handle fileSpace(checkId(H5Dget_space(t.dataset.get()), path, what), H5Sclose);
    Handle memSpace(checkId(H5Screate_simple(1, &count, nullptr), path, what), H5Sclose);
    const bool written = H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, &start, nullptr,
                                             &count, nullptr) >= 0 &&
                         H5Dwrite(t.dataset.get(), t.memType.get(), memSpace.get(), fileSpace.get(),
                                  H5P_DEFAULT, buf.data()) >= 0;
    if (!written) {
        const std::string reason = lastHdf5Error();
        H5Dset_extent(t.dataset.get(), &start); // best effort: no half-written rows at the end
        throw std::runtime_error(fmt::format("results file {}: {}: {}", path, what, reason));
    }
    t.rows = newRows;
}

// ---- reading -------------------------------------------------------------------------------

/// Opens an existing results file read-only; InputError naming `path` when that fails.
Handle openForRead(const std::string& path) {
    silenceHdf5Errors();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw InputError(path, "", "no such results file");
    }
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        throw InputError(path, "", "not an HDF5 file");
    }
    checkReadableHdf5(path); // in a child process: corrupt files crash or hang libhdf5
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        throw InputError(path, "", "cannot open HDF5 file: " + systemReason(lastHdf5Error()));
    }
    return Handle(f, H5Fclose);
}

herr_t collectName(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* data) {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
}

Handle openDataset(hid_t file, const std::string& path, const std::string& dataset) {
    if (!linkExists(file, dataset)) {
        // Say what the file has (the tables at its root), so a wrong name is easy to mend.
        std::vector<std::string> names;
        hsize_t next = 0;
        H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, &next, collectName, &names);
        std::string have;
        for (const auto& n : names) {
            have += (have.empty() ? "" : ", ") + n;
        }
        throw InputError(path, dataset,
                         "no such dataset (the file has: " + (have.empty() ? "none" : have) + ")");
    }
    const hid_t d = H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
    if (d < 0) {
        throw InputError(path, dataset, "not a dataset: " + lastHdf5Error());
    }
    return Handle(d, H5Dclose);
}

/// One member of a table being read: what it holds and how it is stored.
struct Member {
    std::string name;
    std::optional<ColumnKind> kind; ///< nullopt: not an integer, float or string member
    Handle fileType;
    bool variable = false;       ///< a variable-length string
    std::size_t fixedLength = 0; ///< a fixed-length string's bytes
    H5T_str_t strpad = H5T_STR_NULLTERM;
};

/// An open table to read: a 1-D compound dataset and its members.
struct ReadTable {
    Handle dataset;
    std::vector<Member> members;
    hsize_t rows = 0;
};

ReadTable openTableForRead(hid_t file, const std::string& path, const std::string& dataset) {
    ReadTable t;
    t.dataset = openDataset(file, path, dataset);
    Handle type(H5Dget_type(t.dataset.get()), H5Tclose);
    if (!type.valid() || H5Tget_class(type.get()) != H5T_COMPOUND) {
        throw InputError(path, dataset, "not a table (compound dataset)");
    }
    Handle space(H5Dget_space(t.dataset.get()), H5Sclose);
    if (!space.valid() || H5Sget_simple_extent_ndims(space.get()) != 1) {
        throw InputError(path, dataset, "not a table (one-dimensional dataset)");
    }
    H5Sget_simple_extent_dims(space.get(), &t.rows, nullptr);
    const int n = H5Tget_nmembers(type.get());
    for (int i = 0; i < n; ++i) {
        const auto index = static_cast<unsigned>(i);
        Member m;
        char* raw = H5Tget_member_name(type.get(), index);
        m.name = raw != nullptr ? raw : "";
        H5free_memory(raw);
        m.fileType = Handle(H5Tget_member_type(type.get(), index), H5Tclose);
        if (!m.fileType.valid()) {
            throw InputError(path, dataset, "cannot read the table's type: " + lastHdf5Error());
        }
        switch (H5Tget_class(m.fileType.get())) {
        case H5T_INTEGER: m.kind = ColumnKind::Int; break;
        case H5T_FLOAT: m.kind = ColumnKind::Double; break;
        case H5T_STRING:
            m.kind = ColumnKind::String;
            m.variable = H5Tis_variable_str(m.fileType.get()) > 0;
            if (!m.variable) {
                m.fixedLength = H5Tget_size(m.fileType.get());
                m.strpad = H5Tget_strpad(m.fileType.get());
            }
            break;
        default: break;
        }
        t.members.push_back(std::move(m));
    }
    return t;
}

/// Frees the strings HDF5 allocated while reading records into `buf` (also after a failed
/// read: unread slots are null).
class VlenReclaimer {
public:
    VlenReclaimer(hid_t memType, hid_t memSpace, void* buf)
        : memType_(memType), memSpace_(memSpace), buf_(buf) {}
    ~VlenReclaimer() { H5Dvlen_reclaim(memType_, memSpace_, H5P_DEFAULT, buf_); }
    VlenReclaimer(const VlenReclaimer&) = delete;
    VlenReclaimer& operator=(const VlenReclaimer&) = delete;

private:
    hid_t memType_, memSpace_;
    void* buf_;
};

/// Reads the members `selected` (indices into t.members, all of a known kind) of every row,
/// in blocks of kReadBlockRows rows.
std::vector<TableRow> readRows(const ReadTable& t, const std::vector<std::size_t>& selected,
                               const std::string& path, const std::string& dataset) {
    std::vector<std::pair<std::size_t, std::size_t>> slots;
    for (std::size_t k : selected) {
        const Member& m = t.members[k];
        if (m.kind == ColumnKind::String && !m.variable) {
            slots.emplace_back(H5Tget_size(m.fileType.get()), 1);
        } else {
            slots.emplace_back(8, 8); // int64_t, double or char*
        }
    }
    const Layout layout = layoutOf(slots);
    Handle vlenString = stringType(path);
    Handle memType(H5Tcreate(H5T_COMPOUND, layout.size), H5Tclose);
    std::vector<Handle> fixedTypes; // memory types of string members: as in the file
    bool anyVariable = false;
    for (std::size_t j = 0; j < selected.size() && memType.valid(); ++j) {
        const Member& m = t.members[selected[j]];
        hid_t member = H5T_NATIVE_INT64;
        if (m.kind == ColumnKind::Double) {
            member = H5T_NATIVE_DOUBLE;
        } else if (m.kind == ColumnKind::String && m.variable) {
            // The file's character set: HDF5 does not convert ASCII to UTF-8 strings.
            fixedTypes.emplace_back(H5Tcopy(vlenString.get()), H5Tclose);
            H5Tset_cset(fixedTypes.back().get(), H5Tget_cset(m.fileType.get()));
            member = fixedTypes.back().get();
            anyVariable = true;
        } else if (m.kind == ColumnKind::String) {
            fixedTypes.emplace_back(H5Tcopy(m.fileType.get()), H5Tclose);
            member = fixedTypes.back().get();
        }
        if (member < 0 || H5Tinsert(memType.get(), m.name.c_str(), layout.offsets[j], member) < 0) {
            memType.reset();
        }
    }
    if (!memType.valid()) {
        throw InputError(path, dataset, "cannot build a read type: " + lastHdf5Error());
    }

    std::vector<TableRow> rows;
    rows.reserve(t.rows);
    Handle fileSpace(H5Dget_space(t.dataset.get()), H5Sclose);
    std::vector<unsigned char> buf;
    for (hsize_t start = 0; start < t.rows; start += kReadBlockRows) {
        const hsize_t count = std::min(kReadBlockRows, t.rows - start);
        buf.assign(count * layout.size, 0);
        Handle memSpace(H5Screate_simple(1, &count, nullptr), H5Sclose);
        if (!fileSpace.valid() || !memSpace.valid() ||
            H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) <
                0) {
            throw InputError(path, dataset, "cannot select rows: " + lastHdf5Error());
        }
        std::optional<VlenReclaimer> reclaim;
        if (anyVariable) {
            reclaim.emplace(memType.get(), memSpace.get(), buf.data());
        }
        if (H5Dread(t.dataset.get(), memType.get(), memSpace.get(), fileSpace.get(), H5P_DEFAULT,
                    buf.data()) < 0) {
            throw InputError(path, dataset, "cannot read rows: " + lastHdf5Error());
        }
        for (hsize_t r = 0; r < count; ++r) {
            const unsigned char* rec = buf.data() + r * layout.size;
            TableRow row;
            row.reserve(selected.size());
            for (std::size_t j = 0; j < selected.size(); ++j) {
                const Member& m = t.members[selected[j]];
                const unsigned char* src = rec + layout.offsets[j];
                if (m.kind == ColumnKind::Int) {
                    int64_t v = 0;
                    std::memcpy(&v, src, sizeof v);
                    row.emplace_back(v);
                } else if (m.kind == ColumnKind::Double) {
                    double v = 0.0;
                    std::memcpy(&v, src, sizeof v);
                    row.emplace_back(v);
                } else if (m.variable) {
                    const char* s = nullptr;
                    std::memcpy(&s, src, sizeof s);
                    row.emplace_back(std::string(s != nullptr ? s : ""));
                } else {
                    row.emplace_back(
                        fixedString(reinterpret_cast<const char*>(src), m.fixedLength, m.strpad));
                }
            }
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

/// The values of column `column` of `dataset`, which must be of kind `kind`.
template <typename T>
std::vector<T> readColumn(const std::string& path, const std::string& dataset,
                          const std::string& column, ColumnKind kind) {
    Handle file = openForRead(path);
    const ReadTable t = openTableForRead(file.get(), path, dataset);
    const std::string field = dataset + "." + column;
    const auto it = std::find_if(t.members.begin(), t.members.end(),
                                 [&](const Member& m) { return m.name == column; });
    if (it == t.members.end()) {
        throw InputError(path, field, "no such column");
    }
    if (it->kind != kind) {
        throw InputError(path, field,
                         fmt::format("column is not {} {} column",
                                     kind == ColumnKind::Int ? "an" : "a", kindName(kind)));
    }
    const std::vector<TableRow> rows =
        readRows(t, {static_cast<std::size_t>(it - t.members.begin())}, path, dataset);
    std::vector<T> out;
    out.reserve(rows.size());
    for (const TableRow& row : rows) {
        out.push_back(std::get<T>(row.front()));
    }
    return out;
}

} // namespace

// ---- ResultsFile ---------------------------------------------------------------------------

struct ResultsFile::Impl {
    Handle file; // declared first so the datasets below are closed before the file
    std::map<std::string, OpenTable> tables; ///< by canonical name, opened or created so far

    /// Table `name` ready for appending rows of `columns`: the one opened before, the one in
    /// the file (whose columns must match), or a new one.
    OpenTable& table(const std::string& name, const std::vector<ColumnDef>& columns,
                     const std::string& path) {
        auto it = tables.find(name);
        if (it == tables.end()) {
            const std::string absolute = "/" + name;
            OpenTable t = linkExists(file.get(), absolute)
                              ? openTable(file.get(), name, path)
                              : createTable(file.get(), name, columns, path);
            it = tables.emplace(name, std::move(t)).first;
        }
        checkSameColumns(name, it->second.columns, columns, path);
        return it->second;
    }
};

ResultsFile::ResultsFile(const std::string& path, std::unique_ptr<Impl> impl)
    : path_(path), impl_(std::move(impl)) {}

ResultsFile::ResultsFile(const std::string& path, const Provenance& provenance)
    : path_(path), impl_(std::make_unique<Impl>()) {
    silenceHdf5Errors();
    const char* const standard[] = {"edgesim_version", "created_utc", "command_line",
                                    "config_sha256", "seed"};
    std::set<std::string> names(std::begin(standard), std::end(standard));
    for (const auto& [name, value] : provenance.extra) {
        if (name.empty() || !names.insert(name).second) {
            badArgument(path, fmt::format("root attribute '{}' given twice or empty", name));
        }
    }
    // The root group keeps no timestamps either. (Groups in HDF5 1.10's default file format
    // store none anyway; with newer formats they would, unless told so.)
    Handle fcpl(checkId(H5Pcreate(H5P_FILE_CREATE), path, "creating file"), H5Pclose);
    checkRc(H5Pset_obj_track_times(fcpl.get(), 0), path, "creating file");
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT);
    if (f < 0) {
        throw InputError(path, "",
                         "cannot create HDF5 results file: " + systemReason(lastHdf5Error()));
    }
    impl_->file = Handle(f, H5Fclose);
    writeStringAttribute(f, "edgesim_version", provenance.version, path_);
    writeStringAttribute(f, "created_utc", provenance.createdUtc, path_);
    writeStringAttribute(f, "command_line", provenance.commandLine, path_);
    writeStringAttribute(f, "config_sha256", provenance.configSha256, path_);
    writeUint64Attribute(f, "seed", provenance.seed, path_);
    for (const auto& [name, value] : provenance.extra) {
        writeStringAttribute(f, name, value, path_);
    }
}

std::unique_ptr<ResultsFile> ResultsFile::openForAppend(const std::string& path) {
    silenceHdf5Errors();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw InputError(path, "", "no such results file");
    }
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        throw InputError(path, "", "not an HDF5 file");
    }
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) {
        throw InputError(path, "",
                         "cannot open HDF5 file for appending: " + systemReason(lastHdf5Error()));
    }
    auto impl = std::make_unique<Impl>();
    impl->file = Handle(f, H5Fclose);
    return std::unique_ptr<ResultsFile>(new ResultsFile(path, std::move(impl)));
}

ResultsFile::~ResultsFile() {
    if (impl_ && impl_->file.valid()) {
        H5Fflush(impl_->file.get(), H5F_SCOPE_GLOBAL); // errors dropped: never throw here
    }
    impl_.reset();
}

void ResultsFile::append(const std::string& dataset, const std::vector<ColumnDef>& columns,
                         const std::vector<TableRow>& rows) {
    silenceHdf5Errors();
    const std::string name = tableName(dataset, path_);
    checkColumns(name, columns, path_);
    checkRows(name, columns, rows, path_);
    writeRows(impl_->table(name, columns, path_), name, rows, path_);
}

void ResultsFile::replace(const std::string& dataset, const std::vector<ColumnDef>& columns,
                          const std::vector<TableRow>& rows) {
    silenceHdf5Errors();
    const std::string name = tableName(dataset, path_);
    checkColumns(name, columns, path_);
    checkRows(name, columns, rows, path_);
    const std::string absolute = "/" + name;
    const hid_t file = impl_->file.get();
    if (linkExists(file, absolute)) {
        if (objectType(file, absolute) != H5I_DATASET) {
            badArgument(path_, fmt::format("{} exists and is not a dataset", absolute));
        }
        impl_->tables.erase(name); // close it before unlinking
        checkRc(H5Ldelete(file, absolute.c_str(), H5P_DEFAULT), path_,
                fmt::format("deleting {}", absolute));
    }
    OpenTable& t =
        impl_->tables.emplace(name, createTable(file, name, columns, path_)).first->second;
    writeRows(t, name, rows, path_);
}

void ResultsFile::setAttribute(const std::string& object, const std::string& name,
                               const std::string& value) {
    silenceHdf5Errors();
    if (name.empty() || name.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
        badArgument(path_,
                    fmt::format("attribute '{}' of {}: empty name or NUL byte", name, object));
    }
    const std::vector<std::string> parts = nameParts(object);
    std::string absolute;
    for (const std::string& part : parts) {
        absolute += "/" + part;
    }
    if (absolute.empty()) {
        absolute = "/";
    } else if (!linkExists(impl_->file.get(), absolute)) {
        badArgument(path_,
                    fmt::format("cannot set attribute {} of {}: no such object", name, absolute));
    }
    const std::string what = fmt::format("setting attribute {} of {}", name, absolute);
    Handle obj(checkId(H5Oopen(impl_->file.get(), absolute.c_str(), H5P_DEFAULT), path_, what),
               H5Oclose);
    writeStringAttribute(obj.get(), name, value, path_);
}

int64_t ResultsFile::rowCount(const std::string& dataset) const {
    silenceHdf5Errors();
    const std::string name = tableName(dataset, path_);
    if (const auto it = impl_->tables.find(name); it != impl_->tables.end()) {
        return static_cast<int64_t>(it->second.rows);
    }
    const std::string absolute = "/" + name;
    if (!linkExists(impl_->file.get(), absolute)) {
        return 0;
    }
    if (objectType(impl_->file.get(), absolute) != H5I_DATASET) {
        badArgument(path_, fmt::format("{} is not a dataset", absolute));
    }
    const std::string what = fmt::format("counting rows of {}", absolute);
    Handle ds(checkId(H5Dopen2(impl_->file.get(), absolute.c_str(), H5P_DEFAULT), path_, what),
              H5Dclose);
    Handle space(checkId(H5Dget_space(ds.get()), path_, what), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0) {
        failWrite(path_, what);
    }
    return static_cast<int64_t>(n);
}

namespace {

/// The cells of typed rows (RunRow, LayerRow, ValidationRow).
template <typename Row> std::vector<TableRow> cellsOf(const std::vector<Row>& rows) {
    std::vector<TableRow> cells;
    cells.reserve(rows.size());
    for (const Row& r : rows) {
        cells.push_back(toCells(r));
    }
    return cells;
}

} // namespace

void ResultsFile::appendRuns(const std::vector<RunRow>& rows) {
    append("runs", runColumns(), cellsOf(rows));
}

void ResultsFile::appendLayers(const std::vector<LayerRow>& rows) {
    append("layers", layerColumns(), cellsOf(rows));
}

void ResultsFile::appendEnergy(const std::vector<EnergyRow>& rows) {
    append("energy", energyColumns(), cellsOf(rows));
}

void ResultsFile::appendLayerMemory(const std::vector<LayerMemoryRow>& rows) {
    append("layer_memory", layerMemoryColumns(), cellsOf(rows));
}

void ResultsFile::appendValidation(const std::vector<ValidationRow>& rows) {
    append("validation", validationColumns(), cellsOf(rows));
}

void ResultsFile::appendValidationFolds(const std::vector<ValidationFoldRow>& rows) {
    append("validation_folds", validationFoldColumns(), cellsOf(rows));
}

void ResultsFile::flush() {
    silenceHdf5Errors();
    checkRc(H5Fflush(impl_->file.get(), H5F_SCOPE_GLOBAL), path_, "flushing");
}

// ---- free functions ------------------------------------------------------------------------

void commitTemporary(const std::string& tmpPath, const std::string& finalPath) {
    std::error_code ec;
    std::filesystem::rename(tmpPath, finalPath, ec);
    if (ec) {
        throw InputError(finalPath, "",
                         fmt::format("cannot move {} into place: {}", tmpPath, ec.message()));
    }
}

void writeResultsFile(const std::string& output, const Provenance& provenance,
                      const std::function<void(ResultsFile&)>& fill) {
    const std::string path = outputTarget(output, "");
    const std::string tmp = path + ".tmp";
    try {
        ResultsFile file(tmp, provenance);
        fill(file);
        file.flush();
    } catch (...) {
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        throw;
    }
    commitTemporary(tmp, path);
}

void updateResultsFile(const std::string& output, const std::function<void(ResultsFile&)>& change) {
    namespace fs = std::filesystem;
    const std::string path = outputTarget(output, "");
    const std::string tmp = path + ".tmp";
    std::error_code ec;
    fs::copy_file(path, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw InputError(path, "", "cannot copy the file to " + tmp + ": " + ec.message());
    }
    try {
        // The copy keeps the file's mode; the writer of a read-only file may still replace it.
        fs::permissions(tmp, fs::perms::owner_write, fs::perm_options::add);
        {
            const auto file = ResultsFile::openForAppend(tmp);
            change(*file);
            file->flush();
        }
        commitTemporary(tmp, path);
    } catch (...) {
        fs::remove(tmp, ec);
        throw;
    }
}

int64_t countRows(const std::string& path, const std::string& dataset) {
    Handle file = openForRead(path);
    if (!linkExists(file.get(), dataset)) {
        return 0;
    }
    Handle ds = openDataset(file.get(), path, dataset);
    Handle space(H5Dget_space(ds.get()), H5Sclose);
    const hssize_t n = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (n < 0) {
        throw InputError(path, dataset, "cannot read dataset shape: " + lastHdf5Error());
    }
    return static_cast<int64_t>(n);
}

namespace {

/// The column definitions of the members of `t` (every member must be of a known kind).
std::vector<ColumnDef> columnDefsOf(const ReadTable& t, const std::string& path,
                                    const std::string& dataset) {
    std::vector<ColumnDef> defs;
    for (const Member& m : t.members) {
        if (!m.kind) {
            throw InputError(path, dataset,
                             fmt::format("column {} is not an integer, floating-point or string "
                                         "column",
                                         m.name));
        }
        bool notString = false;
        const std::optional<std::string> unit = readAttributeText(
            t.dataset.get(), m.name + "_unit", path, dataset + "." + m.name, &notString);
        defs.push_back(ColumnDef{m.name, *m.kind, unit.value_or(""), m.fixedLength});
    }
    return defs;
}

} // namespace

std::vector<ColumnDef> readTableColumns(const std::string& path, const std::string& dataset) {
    Handle file = openForRead(path);
    return columnDefsOf(openTableForRead(file.get(), path, dataset), path, dataset);
}

Table readTable(const std::string& path, const std::string& dataset,
                const std::vector<std::string>& columns) {
    Handle file = openForRead(path);
    const ReadTable t = openTableForRead(file.get(), path, dataset);
    const std::vector<ColumnDef> all = columnDefsOf(t, path, dataset);
    std::vector<std::size_t> selected;
    Table out;
    for (std::size_t k = 0; k < all.size(); ++k) {
        if (columns.empty()) {
            selected.push_back(k);
        }
    }
    for (const std::string& name : columns) {
        const auto it = std::find_if(all.begin(), all.end(),
                                     [&](const ColumnDef& c) { return c.name == name; });
        if (it == all.end()) {
            throw InputError(path, dataset + "." + name, "no such column");
        }
        selected.push_back(static_cast<std::size_t>(it - all.begin()));
    }
    for (std::size_t k : selected) {
        out.columns.push_back(all[k]);
    }
    out.rows = readRows(t, selected, path, dataset);
    return out;
}

std::optional<std::string> readStringAttribute(const std::string& path, const std::string& object,
                                               const std::string& name) {
    Handle file = openForRead(path);
    std::string absolute;
    for (const std::string& part : nameParts(object)) {
        absolute += "/" + part;
    }
    if (absolute.empty()) {
        absolute = "/";
    } else if (!linkExists(file.get(), absolute)) {
        throw InputError(path, object, "no such object");
    }
    Handle obj(H5Oopen(file.get(), absolute.c_str(), H5P_DEFAULT), H5Oclose);
    if (!obj.valid()) {
        throw InputError(path, object, "cannot open: " + lastHdf5Error());
    }
    const std::string field = absolute == "/" ? name : object + "." + name;
    bool notString = false;
    std::optional<std::string> value = readAttributeText(obj.get(), name, path, field, &notString);
    if (notString) {
        throw InputError(path, field, "attribute is not a string");
    }
    return value;
}

std::vector<std::string> readStringColumn(const std::string& path, const std::string& dataset,
                                          const std::string& column) {
    return readColumn<std::string>(path, dataset, column, ColumnKind::String);
}

std::vector<int64_t> readIntColumn(const std::string& path, const std::string& dataset,
                                   const std::string& column) {
    return readColumn<int64_t>(path, dataset, column, ColumnKind::Int);
}

std::vector<double> readDoubleColumn(const std::string& path, const std::string& dataset,
                                     const std::string& column) {
    return readColumn<double>(path, dataset, column, ColumnKind::Double);
}

} // namespace edgesim::explorer
