#include "explorer/results/ResultsFile.h"

#include "common/Diagnostics.h"

#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace edgesim::explorer {
namespace {

/// Rows per chunk: large enough that appending a sweep is not dominated by chunk overhead,
/// small enough that a file with one run (a few dozen layers) stays small.
constexpr hsize_t kChunkRows = 256;

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

/// A variable-length UTF-8 string type (h5py reads it as str / bytes without a custom dtype).
Handle stringType(const std::string& path) {
    Handle t(checkId(H5Tcopy(H5T_C_S1), path, "creating string type"), H5Tclose);
    checkRc(H5Tset_size(t.get(), H5T_VARIABLE), path, "creating string type");
    checkRc(H5Tset_cset(t.get(), H5T_CSET_UTF8), path, "creating string type");
    return t;
}

void writeStringAttribute(hid_t loc, const char* name, const std::string& value,
                          const std::string& path) {
    const std::string what = fmt::format("writing attribute {}", name);
    Handle type = stringType(path);
    Handle space(checkId(H5Screate(H5S_SCALAR), path, what), H5Sclose);
    Handle attr(checkId(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
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

// ---- table schemas -------------------------------------------------------------------------

enum class Kind { Int, Double, String };

/// One compound member: its name in the file and the row field it comes from.
template <typename Row> struct Column {
    Column(const char* n, int64_t Row::*m) : name(n), kind(Kind::Int), i(m) {}
    Column(const char* n, double Row::*m) : name(n), kind(Kind::Double), d(m) {}
    Column(const char* n, std::string Row::*m) : name(n), kind(Kind::String), s(m) {}

    const char* name;
    Kind kind;
    int64_t Row::*i = nullptr;
    double Row::*d = nullptr;
    std::string Row::*s = nullptr;
};

const std::vector<Column<RunRow>>& runColumns() {
    static const std::vector<Column<RunRow>> cols = {
        {"run_id", &RunRow::runId},
        {"platform", &RunRow::platform},
        {"stack", &RunRow::stack},
        {"network", &RunRow::network},
        {"strategy", &RunRow::strategy},
        {"batch", &RunRow::batch},
        {"fidelity", &RunRow::fidelity},
        {"mapping", &RunRow::mapping},
        {"status", &RunRow::status},
        {"latency_cycles", &RunRow::latencyCycles},
        {"latency_s", &RunRow::latencyS},
        {"energy_j", &RunRow::energyJ},
        {"peak_ram_bytes", &RunRow::peakRamBytes},
        {"flash_bytes", &RunRow::flashBytes},
        {"macs", &RunRow::macs},
        {"bytes_flash", &RunRow::bytesFlash},
        {"bytes_sram", &RunRow::bytesSram},
        {"bytes_tcm", &RunRow::bytesTcm},
        {"bytes_external", &RunRow::bytesExternal},
        {"sim_wall_s", &RunRow::simWallS},
        {"config_sha256", &RunRow::configSha256},
    };
    return cols;
}

const std::vector<Column<LayerRow>>& layerColumns() {
    static const std::vector<Column<LayerRow>> cols = {
        {"run_id", &LayerRow::runId},
        {"layer_index", &LayerRow::layerIndex},
        {"layer_name", &LayerRow::layerName},
        {"op", &LayerRow::op},
        {"engine", &LayerRow::engine},
        {"fallback", &LayerRow::fallback},
        {"start_cycle", &LayerRow::startCycle},
        {"end_cycle", &LayerRow::endCycle},
        {"cycles", &LayerRow::cycles},
        {"energy_j", &LayerRow::energyJ},
        {"macs", &LayerRow::macs},
        {"tiles", &LayerRow::tiles},
        {"bytes_flash", &LayerRow::bytesFlash},
        {"bytes_sram", &LayerRow::bytesSram},
        {"bytes_tcm", &LayerRow::bytesTcm},
        {"bytes_external", &LayerRow::bytesExternal},
        {"dma_bytes_flash", &LayerRow::dmaBytesFlash},
        {"dma_bytes_sram", &LayerRow::dmaBytesSram},
        {"dma_bytes_tcm", &LayerRow::dmaBytesTcm},
        {"dma_bytes_external", &LayerRow::dmaBytesExternal},
        {"dma_cycles", &LayerRow::dmaCycles},
        {"hidden_cycles", &LayerRow::hiddenCycles},
        {"overlap", &LayerRow::overlap},
    };
    return cols;
}

const std::vector<Column<ValidationRow>>& validationColumns() {
    static const std::vector<Column<ValidationRow>> cols = {
        {"platform", &ValidationRow::platform},   {"stack", &ValidationRow::stack},
        {"network", &ValidationRow::network},     {"strategy", &ValidationRow::strategy},
        {"metric", &ValidationRow::metric},       {"unit", &ValidationRow::unit},
        {"source", &ValidationRow::source},       {"measured", &ValidationRow::measured},
        {"predicted", &ValidationRow::predicted}, {"error_pct", &ValidationRow::errorPct},
    };
    return cols;
}

std::size_t sizeOf(Kind k) {
    switch (k) {
    case Kind::Int: return sizeof(int64_t);
    case Kind::Double: return sizeof(double);
    case Kind::String: return sizeof(const char*);
    }
    return 0;
}

std::size_t alignOf(Kind k) {
    switch (k) {
    case Kind::Int: return alignof(int64_t);
    case Kind::Double: return alignof(double);
    case Kind::String: return alignof(const char*);
    }
    return 1;
}

/// In-memory record layout of a table: member offsets and the record size.
struct Layout {
    std::vector<std::size_t> offsets;
    std::size_t size = 0;
};

template <typename Row> Layout layoutOf(const std::vector<Column<Row>>& cols) {
    Layout l;
    std::size_t maxAlign = 1;
    for (const auto& c : cols) {
        const std::size_t a = alignOf(c.kind);
        maxAlign = std::max(maxAlign, a);
        l.size = (l.size + a - 1) / a * a;
        l.offsets.push_back(l.size);
        l.size += sizeOf(c.kind);
    }
    l.size = (l.size + maxAlign - 1) / maxAlign * maxAlign;
    return l;
}

/// The compound type of a table: `native` for the memory side of a write, otherwise the
/// little-endian file type (so files are byte-identical whatever host wrote them).
template <typename Row>
Handle compoundType(const std::vector<Column<Row>>& cols, const Layout& layout, bool native,
                    const std::string& path) {
    const std::string what = "creating compound type";
    Handle t(checkId(H5Tcreate(H5T_COMPOUND, layout.size), path, what), H5Tclose);
    Handle str = stringType(path);
    for (std::size_t k = 0; k < cols.size(); ++k) {
        hid_t member = str.get();
        if (cols[k].kind == Kind::Int) {
            member = native ? H5T_NATIVE_INT64 : H5T_STD_I64LE;
        } else if (cols[k].kind == Kind::Double) {
            member = native ? H5T_NATIVE_DOUBLE : H5T_IEEE_F64LE;
        }
        checkRc(H5Tinsert(t.get(), cols[k].name, layout.offsets[k], member), path, what);
    }
    return t;
}

/// One appendable table: created on first append, extended by each later one.
class Table {
public:
    explicit Table(std::string name) : name_(std::move(name)) {}

    template <typename Row>
    void append(hid_t file, const std::string& path, const std::vector<Column<Row>>& cols,
                const std::vector<Row>& rows) {
        const Layout layout = layoutOf(cols);
        if (!dataset_.valid()) {
            create(file, path, cols, layout);
        }
        if (rows.empty()) {
            return;
        }
        // Pack the rows into native records; string members point into `rows`, which
        // outlives the write.
        std::vector<unsigned char> buf(rows.size() * layout.size);
        for (std::size_t r = 0; r < rows.size(); ++r) {
            unsigned char* rec = buf.data() + r * layout.size;
            for (std::size_t k = 0; k < cols.size(); ++k) {
                unsigned char* dst = rec + layout.offsets[k];
                const Column<Row>& c = cols[k];
                if (c.kind == Kind::Int) {
                    const int64_t v = rows[r].*c.i;
                    std::memcpy(dst, &v, sizeof v);
                } else if (c.kind == Kind::Double) {
                    const double v = rows[r].*c.d;
                    std::memcpy(dst, &v, sizeof v);
                } else {
                    const char* v = (rows[r].*c.s).c_str();
                    std::memcpy(dst, &v, sizeof v);
                }
            }
        }
        const std::string what = fmt::format("appending {} rows to /{}", rows.size(), name_);
        const hsize_t start = rows_;
        const hsize_t count = rows.size();
        const hsize_t newRows = start + count;
        checkRc(H5Dset_extent(dataset_.get(), &newRows), path, what);
        Handle fileSpace(checkId(H5Dget_space(dataset_.get()), path, what), H5Sclose);
        checkRc(
            H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
            path, what);
        Handle memSpace(checkId(H5Screate_simple(1, &count, nullptr), path, what), H5Sclose);
        checkRc(H5Dwrite(dataset_.get(), memType_.get(), memSpace.get(), fileSpace.get(),
                         H5P_DEFAULT, buf.data()),
                path, what);
        rows_ = newRows;
    }

private:
    template <typename Row>
    void create(hid_t file, const std::string& path, const std::vector<Column<Row>>& cols,
                const Layout& layout) {
        const std::string what = fmt::format("creating dataset /{}", name_);
        memType_ = compoundType(cols, layout, true, path);
        Handle fileType = compoundType(cols, layout, false, path);
        const hsize_t zero = 0;
        const hsize_t unlimited = H5S_UNLIMITED;
        Handle space(checkId(H5Screate_simple(1, &zero, &unlimited), path, what), H5Sclose);
        Handle dcpl(checkId(H5Pcreate(H5P_DATASET_CREATE), path, what), H5Pclose);
        checkRc(H5Pset_chunk(dcpl.get(), 1, &kChunkRows), path, what);
        dataset_ = Handle(checkId(H5Dcreate2(file, name_.c_str(), fileType.get(), space.get(),
                                             H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                                  path, what),
                          H5Dclose);
        rows_ = 0;
    }

    std::string name_;
    Handle dataset_;
    Handle memType_;
    hsize_t rows_ = 0;
};

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
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        throw InputError(path, "", "cannot open HDF5 file: " + systemReason(lastHdf5Error()));
    }
    return Handle(f, H5Fclose);
}

/// Whether every component of `dataset` exists below the root.
bool linkExists(hid_t file, const std::string& dataset) {
    std::string prefix;
    std::size_t pos = 0;
    while (pos <= dataset.size()) {
        const std::size_t next = std::min(dataset.find('/', pos), dataset.size());
        const std::string part = dataset.substr(pos, next - pos);
        pos = next + 1;
        if (part.empty()) {
            continue;
        }
        prefix += "/" + part;
        if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
            return false;
        }
    }
    return !prefix.empty();
}

Handle openDataset(hid_t file, const std::string& path, const std::string& dataset) {
    if (!linkExists(file, dataset)) {
        throw InputError(path, dataset, "no such dataset");
    }
    const hid_t d = H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
    if (d < 0) {
        throw InputError(path, dataset, "not a dataset: " + lastHdf5Error());
    }
    return Handle(d, H5Dclose);
}

/// Reads member `column` of `dataset` as `memberType` into `out` (one element per row),
/// after checking that the member exists and is of class `cls`.
template <typename T>
void readMember(const std::string& path, const std::string& dataset, const std::string& column,
                H5T_class_t cls, hid_t memberType, std::vector<T>& out, Handle& space) {
    Handle file = openForRead(path);
    Handle ds = openDataset(file.get(), path, dataset);
    const std::string field = dataset + "." + column;
    Handle type(H5Dget_type(ds.get()), H5Tclose);
    if (!type.valid() || H5Tget_class(type.get()) != H5T_COMPOUND) {
        throw InputError(path, dataset, "not a table (compound dataset)");
    }
    const int index = H5Tget_member_index(type.get(), column.c_str());
    if (index < 0) {
        throw InputError(path, field, "no such column");
    }
    const auto member = static_cast<unsigned>(index);
    Handle memberFileType(H5Tget_member_type(type.get(), member), H5Tclose);
    bool ok = H5Tget_member_class(type.get(), member) == cls;
    if (ok && cls == H5T_STRING) {
        ok = H5Tis_variable_str(memberFileType.get()) > 0;
    }
    if (!ok) {
        const char* wanted = cls == H5T_INTEGER ? "an integer"
                             : cls == H5T_FLOAT ? "a floating-point"
                                                : "a variable-length string";
        throw InputError(path, field, fmt::format("column is not {} column", wanted));
    }
    space = Handle(H5Dget_space(ds.get()), H5Sclose);
    const hssize_t n = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (n < 0) {
        throw InputError(path, dataset, "cannot read dataset shape: " + lastHdf5Error());
    }
    out.resize(static_cast<std::size_t>(n));
    if (n == 0) {
        return;
    }
    Handle memType(H5Tcreate(H5T_COMPOUND, sizeof(T)), H5Tclose);
    if (!memType.valid() || H5Tinsert(memType.get(), column.c_str(), 0, memberType) < 0 ||
        H5Dread(ds.get(), memType.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
        throw InputError(path, field, "cannot read column: " + lastHdf5Error());
    }
}

} // namespace

// ---- ResultsFile ---------------------------------------------------------------------------

struct ResultsFile::Impl {
    Handle file; // declared first so the datasets below are closed before the file
    Table runs{"runs"};
    Table layers{"layers"};
    Table validation{"validation"};
};

ResultsFile::ResultsFile(const std::string& path, const Provenance& provenance)
    : path_(path), impl_(std::make_unique<Impl>()) {
    silenceHdf5Errors();
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
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
}

ResultsFile::~ResultsFile() {
    if (impl_ && impl_->file.valid()) {
        H5Fflush(impl_->file.get(), H5F_SCOPE_GLOBAL); // errors dropped: never throw here
    }
    impl_.reset();
}

void ResultsFile::appendRuns(const std::vector<RunRow>& rows) {
    silenceHdf5Errors();
    impl_->runs.append(impl_->file.get(), path_, runColumns(), rows);
}

void ResultsFile::appendLayers(const std::vector<LayerRow>& rows) {
    silenceHdf5Errors();
    impl_->layers.append(impl_->file.get(), path_, layerColumns(), rows);
}

void ResultsFile::appendValidation(const std::vector<ValidationRow>& rows) {
    silenceHdf5Errors();
    impl_->validation.append(impl_->file.get(), path_, validationColumns(), rows);
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

std::vector<std::string> readStringColumn(const std::string& path, const std::string& dataset,
                                          const std::string& column) {
    Handle str = stringType(path);
    std::vector<char*> raw;
    Handle space;
    readMember(path, dataset, column, H5T_STRING, str.get(), raw, space);
    std::vector<std::string> out;
    out.reserve(raw.size());
    for (const char* s : raw) {
        out.emplace_back(s != nullptr ? s : "");
    }
    if (!raw.empty()) {
        // Frees the strings HDF5 allocated; the type must be the one-member read type.
        Handle memType(H5Tcreate(H5T_COMPOUND, sizeof(char*)), H5Tclose);
        H5Tinsert(memType.get(), column.c_str(), 0, str.get());
        H5Dvlen_reclaim(memType.get(), space.get(), H5P_DEFAULT, raw.data());
    }
    return out;
}

std::vector<int64_t> readIntColumn(const std::string& path, const std::string& dataset,
                                   const std::string& column) {
    std::vector<int64_t> out;
    Handle space;
    readMember(path, dataset, column, H5T_INTEGER, H5T_NATIVE_INT64, out, space);
    return out;
}

std::vector<double> readDoubleColumn(const std::string& path, const std::string& dataset,
                                     const std::string& column) {
    std::vector<double> out;
    Handle space;
    readMember(path, dataset, column, H5T_FLOAT, H5T_NATIVE_DOUBLE, out, space);
    return out;
}

} // namespace edgesim::explorer
