// The HDF5 results writer: what it writes is checked by reading the file back with the plain
// HDF5 C API (the way h5py sees it: member names, types, values, unit attributes),
// independently of the library's own read helpers, which are tested separately.
#include "explorer/results/ResultsFile.h"
#include "explorer/results/Hdf5Check.h"

#include "common/Diagnostics.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace edgesim::explorer {
namespace {

using test::expectInputError;
using test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- reading with the raw C API ------------------------------------------------------------

/// An open read-only file (closed at scope end).
struct RawFile {
    explicit RawFile(const std::filesystem::path& p)
        : id(H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {}
    ~RawFile() {
        if (id >= 0) {
            H5Fclose(id);
        }
    }
    RawFile(const RawFile&) = delete;
    RawFile& operator=(const RawFile&) = delete;
    hid_t id;
};

hsize_t rawRowCount(hid_t file, const char* name) {
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    EXPECT_GE(ds, 0) << name;
    const hid_t space = H5Dget_space(ds);
    hsize_t dims = 0;
    EXPECT_EQ(H5Sget_simple_extent_ndims(space), 1);
    H5Sget_simple_extent_dims(space, &dims, nullptr);
    H5Sclose(space);
    H5Dclose(ds);
    return dims;
}

std::vector<std::string> rawMemberNames(hid_t file, const char* name) {
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t type = H5Dget_type(ds);
    std::vector<std::string> names;
    EXPECT_EQ(H5Tget_class(type), H5T_COMPOUND);
    const int n = H5Tget_nmembers(type);
    for (int i = 0; i < n; ++i) {
        char* s = H5Tget_member_name(type, static_cast<unsigned>(i));
        names.emplace_back(s);
        H5free_memory(s);
    }
    H5Tclose(type);
    H5Dclose(ds);
    return names;
}

/// The type of member `member` of table `name` (a copy of a char type if it is missing).
hid_t rawMemberType(hid_t file, const char* name, const char* member) {
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t type = H5Dget_type(ds);
    const int index = H5Tget_member_index(type, member);
    EXPECT_GE(index, 0) << name << "." << member;
    const hid_t out = index < 0 ? H5Tcopy(H5T_NATIVE_CHAR)
                                : H5Tget_member_type(type, static_cast<unsigned>(index));
    H5Tclose(type);
    H5Dclose(ds);
    return out;
}

/// Reads one numeric member of every row through a one-member compound memory type.
template <typename T>
std::vector<T> rawNumbers(hid_t file, const char* name, const char* member, hid_t nativeType) {
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    const hsize_t n = rawRowCount(file, name);
    std::vector<T> out(n);
    const hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(T));
    H5Tinsert(mem, member, 0, nativeType);
    EXPECT_GE(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0) << member;
    H5Tclose(mem);
    H5Dclose(ds);
    return out;
}

std::vector<int64_t> rawInts(hid_t file, const char* name, const char* member) {
    return rawNumbers<int64_t>(file, name, member, H5T_NATIVE_INT64);
}

std::vector<double> rawDoubles(hid_t file, const char* name, const char* member) {
    return rawNumbers<double>(file, name, member, H5T_NATIVE_DOUBLE);
}

std::vector<std::string> rawStrings(hid_t file, const char* name, const char* member) {
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t space = H5Dget_space(ds);
    const hsize_t n = rawRowCount(file, name);
    std::vector<char*> raw(n, nullptr);
    const hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    H5Tset_cset(str, H5T_CSET_UTF8);
    const hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(char*));
    H5Tinsert(mem, member, 0, str);
    EXPECT_GE(H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), 0) << member;
    std::vector<std::string> out;
    out.reserve(raw.size());
    for (const char* s : raw) {
        out.emplace_back(s != nullptr ? s : "<null>");
    }
    H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw.data());
    H5Tclose(mem);
    H5Tclose(str);
    H5Sclose(space);
    H5Dclose(ds);
    return out;
}

/// A scalar variable-length UTF-8 string attribute of `loc` (the file for root attributes).
std::string rawStringAttribute(hid_t loc, const char* name) {
    const hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    EXPECT_GE(attr, 0) << name;
    if (attr < 0) {
        return "<missing>";
    }
    const hid_t type = H5Aget_type(attr);
    EXPECT_EQ(H5Tget_class(type), H5T_STRING) << name;
    EXPECT_GT(H5Tis_variable_str(type), 0) << name;
    EXPECT_EQ(H5Tget_cset(type), H5T_CSET_UTF8) << name;
    char* s = nullptr;
    H5Aread(attr, type, &s);
    std::string out = s != nullptr ? s : "<null>";
    H5free_memory(s);
    H5Tclose(type);
    H5Aclose(attr);
    return out;
}

/// A string attribute of object `object` (a dataset or group path).
std::string rawObjectAttribute(hid_t file, const char* object, const char* name) {
    const hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
    EXPECT_GE(obj, 0) << object;
    std::string out = rawStringAttribute(obj, name);
    H5Oclose(obj);
    return out;
}

int rawAttributeCount(hid_t file, const char* object) {
    const hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
    H5O_info_t info{};
    H5Oget_info2(obj, &info, H5O_INFO_NUM_ATTRS);
    H5Oclose(obj);
    return static_cast<int>(info.num_attrs);
}

bool rawExists(hid_t file, const char* name) {
    return H5Lexists(file, name, H5P_DEFAULT) > 0;
}

H5O_type_t rawObjectType(hid_t file, const char* name) {
    H5O_info_t info{};
    EXPECT_GE(H5Oget_info_by_name2(file, name, &info, H5O_INFO_BASIC, H5P_DEFAULT), 0) << name;
    return info.type;
}

std::string fileBytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

// ---- fixtures ------------------------------------------------------------------------------

Provenance provenance() {
    Provenance p;
    p.version = "0.1.0+abc123";
    p.createdUtc = "2024-05-01T12:00:00Z";
    p.commandLine = "edgesim simulate --platform gap9-evk --network mlperf_tiny/kws";
    p.configSha256 = std::string(64, 'e');
    p.seed = 18446744073709551557ULL; // largest 64-bit prime: catches a signed or 32-bit seed
    return p;
}

RunRow run(int64_t id, const std::string& platform, double energyJ) {
    RunRow r;
    r.runId = id;
    r.platform = platform;
    r.stack = "cmsis-nn";
    r.network = "mlperf_tiny/kws";
    r.strategy = "inference";
    r.batch = 1;
    r.fidelity = "tlm";
    r.mapping = id % 2 == 0 ? "host-only" : "greedy-latency";
    r.operatingPoint = "default";
    r.clockHz = 240e6;
    r.voltageV = 0.8;
    r.status = "ok";
    r.latencyCycles = static_cast<double>(1000000 * id + 7);
    r.latencyS = 0.0125 * static_cast<double>(id);
    r.energyJ = energyJ;
    r.peakRamBytes = 65536;
    r.flashBytes = 1 << 20;
    r.macs = 2656768;
    r.bytesFlash = static_cast<double>(100 + id);
    r.bytesSram = static_cast<double>(200 + id);
    r.bytesTcm = static_cast<double>(300 + id);
    r.bytesExternal = static_cast<double>((int64_t{1} << 40) + id); // beyond 32 bits, exact
    r.simWallS = 0.25;
    r.configSha256 = "sha-" + std::to_string(id);
    r.seed = 40 + id;
    return r;
}

/// A column schema: name, HDF5 type class, unit.
using Schema = std::vector<std::tuple<std::string, H5T_class_t, std::string>>;

/// The /runs columns of DESIGN.md §3 with their type class and unit, in file order.
const Schema kRunSchema = {
    {"run_id", H5T_INTEGER, ""},         {"platform", H5T_STRING, ""},
    {"stack", H5T_STRING, ""},           {"network", H5T_STRING, ""},
    {"strategy", H5T_STRING, ""},        {"batch", H5T_INTEGER, "1"},
    {"fidelity", H5T_STRING, ""},        {"mapping", H5T_STRING, ""},
    {"operating_point", H5T_STRING, ""}, {"clock_hz", H5T_FLOAT, "Hz"},
    {"voltage_v", H5T_FLOAT, "V"},       {"status", H5T_STRING, ""},
    {"reason", H5T_STRING, ""},          {"latency_cycles", H5T_FLOAT, "cycles"},
    {"latency_s", H5T_FLOAT, "s"},       {"energy_j", H5T_FLOAT, "J"},
    {"peak_ram_bytes", H5T_FLOAT, "B"},  {"flash_bytes", H5T_FLOAT, "B"},
    {"macs", H5T_FLOAT, "MAC"},          {"bytes_flash", H5T_FLOAT, "B"},
    {"bytes_sram", H5T_FLOAT, "B"},      {"bytes_tcm", H5T_FLOAT, "B"},
    {"bytes_external", H5T_FLOAT, "B"},  {"sim_wall_s", H5T_FLOAT, "s"},
    {"config_sha256", H5T_STRING, ""},   {"seed", H5T_INTEGER, ""},
};

const Schema kLayerSchema = {
    {"run_id", H5T_INTEGER, ""},
    {"layer_index", H5T_INTEGER, ""},
    {"layer_name", H5T_STRING, ""},
    {"op", H5T_STRING, ""},
    {"engine", H5T_STRING, ""},
    {"fallback", H5T_INTEGER, "1"},
    {"start_cycle", H5T_INTEGER, "cycles"},
    {"end_cycle", H5T_INTEGER, "cycles"},
    {"cycles", H5T_INTEGER, "cycles"},
    {"energy_j", H5T_FLOAT, "J"},
    {"macs", H5T_INTEGER, "MAC"},
    {"tiles", H5T_INTEGER, "1"},
    {"bytes_flash", H5T_INTEGER, "B"},
    {"bytes_sram", H5T_INTEGER, "B"},
    {"bytes_tcm", H5T_INTEGER, "B"},
    {"bytes_external", H5T_INTEGER, "B"},
    {"dma_bytes_flash", H5T_INTEGER, "B"},
    {"dma_bytes_sram", H5T_INTEGER, "B"},
    {"dma_bytes_tcm", H5T_INTEGER, "B"},
    {"dma_bytes_external", H5T_INTEGER, "B"},
    {"dma_cycles", H5T_INTEGER, "cycles"},
    {"hidden_cycles", H5T_INTEGER, "cycles"},
    {"overlap", H5T_FLOAT, "1"},
    {"weight_stall_cycles", H5T_INTEGER, "cycles"},
};

const Schema kValidationSchema = {
    {"fold", H5T_STRING, ""},    {"line", H5T_INTEGER, ""},    {"platform", H5T_STRING, ""},
    {"stack", H5T_STRING, ""},   {"network", H5T_STRING, ""},  {"strategy", H5T_STRING, ""},
    {"metric", H5T_STRING, ""},  {"unit", H5T_STRING, ""},     {"source", H5T_STRING, ""},
    {"measured", H5T_FLOAT, ""}, {"predicted", H5T_FLOAT, ""}, {"error_pct", H5T_FLOAT, "%"},
};

const Schema kValidationFoldSchema = {
    {"fold", H5T_STRING, ""},
    {"rows", H5T_INTEGER, "1"},
    {"training_rows", H5T_INTEGER, "1"},
    {"mape_pct", H5T_FLOAT, "%"},
    {"latency_mape_pct", H5T_FLOAT, "%"},
    {"energy_mape_pct", H5T_FLOAT, "%"},
    {"in_sample_mape_pct", H5T_FLOAT, "%"},
    {"in_sample_latency_mape_pct", H5T_FLOAT, "%"},
    {"in_sample_energy_mape_pct", H5T_FLOAT, "%"},
    {"not_identifiable", H5T_STRING, ""},
};

std::vector<std::string> namesOf(const Schema& schema) {
    std::vector<std::string> names;
    names.reserve(schema.size());
    for (const auto& column : schema) {
        names.push_back(std::get<0>(column));
    }
    return names;
}

/// A generic table of each kind of column, as a sweep or NAS search would write.
const std::vector<ColumnDef> kPointColumns = {
    {"point", ColumnKind::Int, ""},
    {"label", ColumnKind::String, ""},
    {"latency_s", ColumnKind::Double, "s"},
};

TableRow point(int64_t index, const std::string& label, double latencyS) {
    return {index, label, latencyS};
}

class ResultsFileTest : public ::testing::Test {
protected:
    TempDir dir{"edgesim-results"};
    std::filesystem::path file = dir.path() / "results.h5";
};

// ---- the fixed tables ----------------------------------------------------------------------

TEST_F(ResultsFileTest, RunsAppendedInTwoBatchesReadBackExactly) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({run(1, "gap9-evk", 1.5e-4), run(2, "nucleo-l4r5zi", 0.1)});
        out.appendRuns({run(3, "diana", 3.0e-7)});
    }
    RawFile f(file);
    ASSERT_GE(f.id, 0);
    EXPECT_EQ(rawRowCount(f.id, "/runs"), 3U);
    EXPECT_EQ(rawMemberNames(f.id, "/runs"), namesOf(kRunSchema));
    EXPECT_THAT(rawStrings(f.id, "/runs", "platform"),
                ElementsAre("gap9-evk", "nucleo-l4r5zi", "diana"));
    EXPECT_THAT(rawDoubles(f.id, "/runs", "latency_cycles"),
                ElementsAre(1000007.0, 2000007.0, 3000007.0));
    EXPECT_THAT(rawDoubles(f.id, "/runs", "bytes_external"),
                ElementsAre(1099511627777.0, 1099511627778.0, 1099511627779.0));
    // Exact equality: doubles are stored as IEEE binary64, no text round trip.
    EXPECT_THAT(rawDoubles(f.id, "/runs", "energy_j"), ElementsAre(1.5e-4, 0.1, 3.0e-7));
    EXPECT_THAT(rawDoubles(f.id, "/runs", "clock_hz"), ElementsAre(240e6, 240e6, 240e6));
    EXPECT_THAT(rawDoubles(f.id, "/runs", "voltage_v"), ElementsAre(0.8, 0.8, 0.8));
    EXPECT_THAT(rawStrings(f.id, "/runs", "config_sha256"), ElementsAre("sha-1", "sha-2", "sha-3"));
    EXPECT_THAT(rawStrings(f.id, "/runs", "mapping"),
                ElementsAre("greedy-latency", "host-only", "greedy-latency"));
    EXPECT_THAT(rawStrings(f.id, "/runs", "operating_point"),
                ElementsAre("default", "default", "default"));
    EXPECT_THAT(rawStrings(f.id, "/runs", "reason"), ElementsAre("", "", ""));
    EXPECT_THAT(rawInts(f.id, "/runs", "seed"), ElementsAre(41, 42, 43));
    EXPECT_THAT(rawInts(f.id, "/runs", "batch"), ElementsAre(1, 1, 1));
    EXPECT_FALSE(rawExists(f.id, "/layers")) << "tables are created on first append only";
    EXPECT_FALSE(rawExists(f.id, "/validation"));
}

TEST_F(ResultsFileTest, RunsDatasetIsChunkedAndUnlimitedWithPortableMemberTypes) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({run(1, "gap8", 1.0)});
    }
    RawFile f(file);
    const hid_t ds = H5Dopen2(f.id, "/runs", H5P_DEFAULT);
    const hid_t dcpl = H5Dget_create_plist(ds);
    EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED);
    hsize_t chunk = 0;
    EXPECT_EQ(H5Pget_chunk(dcpl, 1, &chunk), 1);
    EXPECT_EQ(chunk, 256U);
    EXPECT_EQ(H5Pget_nfilters(dcpl), 0) << "no filters: any HDF5 reader can open the file";
    const hid_t space = H5Dget_space(ds);
    hsize_t dims = 0;
    hsize_t maxDims = 0;
    H5Sget_simple_extent_dims(space, &dims, &maxDims);
    EXPECT_EQ(maxDims, H5S_UNLIMITED);
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Dclose(ds);
    for (const auto& [name, cls, unit] : kRunSchema) {
        const hid_t t = rawMemberType(f.id, "/runs", name.c_str());
        EXPECT_EQ(H5Tget_class(t), cls) << name;
        if (cls == H5T_INTEGER) {
            EXPECT_GT(H5Tequal(t, H5T_STD_I64LE), 0) << name;
        } else if (cls == H5T_FLOAT) {
            EXPECT_GT(H5Tequal(t, H5T_IEEE_F64LE), 0) << name;
        } else {
            EXPECT_GT(H5Tis_variable_str(t), 0) << name;
            EXPECT_EQ(H5Tget_cset(t), H5T_CSET_UTF8) << name;
        }
        H5Tclose(t);
    }
}

TEST_F(ResultsFileTest, RootAttributesHoldTheProvenance) {
    Provenance p = provenance();
    p.extra = {{"study_name", "clock-sweep"}, {"study_sha256", std::string(64, 'a')}};
    { ResultsFile out(file.string(), p); }
    RawFile f(file);
    ASSERT_GE(f.id, 0);
    EXPECT_EQ(rawStringAttribute(f.id, "edgesim_version"), "0.1.0+abc123");
    EXPECT_EQ(rawStringAttribute(f.id, "created_utc"), "2024-05-01T12:00:00Z");
    EXPECT_EQ(rawStringAttribute(f.id, "command_line"),
              "edgesim simulate --platform gap9-evk --network mlperf_tiny/kws");
    EXPECT_EQ(rawStringAttribute(f.id, "config_sha256"), std::string(64, 'e'));
    EXPECT_EQ(rawStringAttribute(f.id, "study_name"), "clock-sweep");
    EXPECT_EQ(rawStringAttribute(f.id, "study_sha256"), std::string(64, 'a'));
    EXPECT_EQ(rawAttributeCount(f.id, "/"), 7);
    const hid_t attr = H5Aopen(f.id, "seed", H5P_DEFAULT);
    ASSERT_GE(attr, 0);
    const hid_t type = H5Aget_type(attr);
    EXPECT_GT(H5Tequal(type, H5T_STD_U64LE), 0);
    uint64_t seed = 0;
    H5Aread(attr, H5T_NATIVE_UINT64, &seed);
    EXPECT_EQ(seed, 18446744073709551557ULL);
    H5Tclose(type);
    H5Aclose(attr);
    EXPECT_FALSE(rawExists(f.id, "/runs")) << "no append, no table";
}

TEST_F(ResultsFileTest, ExtraRootAttributeMustNotRepeatAName) {
    Provenance p = provenance();
    p.extra = {{"seed", "7"}};
    EXPECT_THROW({ ResultsFile out(file.string(), p); }, std::invalid_argument);
    p.extra = {{"study_name", "a"}, {"study_name", "b"}};
    EXPECT_THROW({ ResultsFile out(file.string(), p); }, std::invalid_argument);
    EXPECT_FALSE(std::filesystem::exists(file)) << "checked before the file is created";
}

TEST_F(ResultsFileTest, LayersTable) {
    std::vector<LayerRow> layers;
    for (int64_t i = 0; i < 3; ++i) {
        LayerRow l;
        l.runId = 7;
        l.layerIndex = i;
        l.layerName = "conv" + std::to_string(i);
        l.op = i == 2 ? "fully_connected" : "conv2d";
        l.engine = i == 0 ? "cluster" : i == 1 ? "digital+aimc" : "fc";
        l.fallback = i == 2 ? 1 : 0;
        l.startCycle = 100 * i;
        l.endCycle = 100 * i + 90;
        l.cycles = 90;
        l.energyJ = 1e-6 * static_cast<double>(i + 1);
        l.macs = 1000 * i;
        l.bytesFlash = 1;
        l.bytesSram = 2;
        l.bytesTcm = 3;
        l.bytesExternal = 4 + i;
        l.tiles = 1 + 3 * i;
        l.dmaBytesFlash = 10 * i;
        l.dmaBytesSram = 20 * i;
        l.dmaBytesTcm = 30 * i;
        l.dmaBytesExternal = (int64_t{1} << 36) * i; // beyond 32 bits
        l.dmaCycles = i == 2 ? 0 : 80;
        l.hiddenCycles = i == 2 ? 0 : 20 * (i + 1);
        l.overlap = i == 2 ? 1.0 : static_cast<double>(l.hiddenCycles) / 80.0;
        layers.push_back(l);
    }
    {
        ResultsFile out(file.string(), provenance());
        out.appendLayers(layers);
        out.appendLayers({layers[0]});
    }
    RawFile f(file);
    EXPECT_EQ(rawRowCount(f.id, "/layers"), 4U);
    EXPECT_EQ(rawMemberNames(f.id, "/layers"), namesOf(kLayerSchema));
    EXPECT_THAT(rawStrings(f.id, "/layers", "engine"),
                ElementsAre("cluster", "digital+aimc", "fc", "cluster"));
    EXPECT_THAT(rawInts(f.id, "/layers", "fallback"), ElementsAre(0, 0, 1, 0));
    EXPECT_THAT(rawInts(f.id, "/layers", "tiles"), ElementsAre(1, 4, 7, 1));
    EXPECT_THAT(rawInts(f.id, "/layers", "dma_bytes_sram"), ElementsAre(0, 20, 40, 0));
    EXPECT_THAT(rawInts(f.id, "/layers", "dma_bytes_external"),
                ElementsAre(0, int64_t{1} << 36, int64_t{1} << 37, 0));
    EXPECT_THAT(rawInts(f.id, "/layers", "dma_cycles"), ElementsAre(80, 80, 0, 80));
    EXPECT_THAT(rawInts(f.id, "/layers", "hidden_cycles"), ElementsAre(20, 40, 0, 20));
    EXPECT_THAT(rawDoubles(f.id, "/layers", "overlap"), ElementsAre(0.25, 0.5, 1.0, 0.25));
    EXPECT_THAT(rawStrings(f.id, "/layers", "layer_name"),
                ElementsAre("conv0", "conv1", "conv2", "conv0"));
    EXPECT_THAT(rawStrings(f.id, "/layers", "op"),
                ElementsAre("conv2d", "conv2d", "fully_connected", "conv2d"));
    EXPECT_THAT(rawInts(f.id, "/layers", "end_cycle"), ElementsAre(90, 190, 290, 90));
    EXPECT_THAT(rawInts(f.id, "/layers", "bytes_external"), ElementsAre(4, 5, 6, 4));
    EXPECT_THAT(rawDoubles(f.id, "/layers", "energy_j"), ElementsAre(1e-6, 2e-6, 3e-6, 1e-6));
    EXPECT_FALSE(rawExists(f.id, "/runs"));
}

TEST_F(ResultsFileTest, LayerColumnsHavePortableTypes) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendLayers({LayerRow{}});
    }
    RawFile f(file);
    for (const auto& [name, cls, unit] : kLayerSchema) {
        const hid_t t = rawMemberType(f.id, "/layers", name.c_str());
        EXPECT_EQ(H5Tget_class(t), cls) << name;
        if (cls == H5T_INTEGER) {
            EXPECT_GT(H5Tequal(t, H5T_STD_I64LE), 0) << name;
        } else if (cls == H5T_FLOAT) {
            EXPECT_GT(H5Tequal(t, H5T_IEEE_F64LE), 0) << name;
        } else {
            EXPECT_GT(H5Tis_variable_str(t), 0) << name;
        }
        H5Tclose(t);
    }
    // A default row: no DMA, nothing to hide.
    EXPECT_THAT(rawDoubles(f.id, "/layers", "overlap"), ElementsAre(1.0));
    EXPECT_THAT(rawInts(f.id, "/layers", "fallback"), ElementsAre(0));
}

TEST_F(ResultsFileTest, ValidationTableKeepsUtf8) {
    ValidationRow v;
    v.fold = "board:nucleo-l4r5zi";
    v.line = 7;
    v.platform = "nucleo-l4r5zi";
    v.stack = "x-cube-ai";
    v.network = "mlperf_tiny/ic";
    v.strategy = "inference";
    v.metric = "energy";
    v.unit = "µJ"; // two-byte UTF-8 sequence must come back unchanged
    v.source = "MLPerf Tiny v1.0";
    v.measured = 112.5;
    v.predicted = 120.0;
    v.errorPct = 6.666666666666667;
    {
        ResultsFile out(file.string(), provenance());
        out.appendValidation({v});
    }
    RawFile f(file);
    EXPECT_EQ(rawRowCount(f.id, "/validation"), 1U);
    EXPECT_EQ(rawMemberNames(f.id, "/validation"), namesOf(kValidationSchema));
    EXPECT_THAT(rawStrings(f.id, "/validation", "unit"), ElementsAre("µJ"));
    EXPECT_THAT(rawStrings(f.id, "/validation", "source"), ElementsAre("MLPerf Tiny v1.0"));
    EXPECT_THAT(rawDoubles(f.id, "/validation", "measured"), ElementsAre(112.5));
    EXPECT_THAT(rawDoubles(f.id, "/validation", "error_pct"), ElementsAre(6.666666666666667));
    EXPECT_THAT(rawStrings(f.id, "/validation", "fold"), ElementsAre("board:nucleo-l4r5zi"));
    EXPECT_THAT(rawInts(f.id, "/validation", "line"), ElementsAre(7));
    EXPECT_FALSE(rawExists(f.id, "/runs"));
    EXPECT_FALSE(rawExists(f.id, "/layers"));
}

TEST_F(ResultsFileTest, EveryColumnHasItsUnitAttribute) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({});
        out.appendLayers({});
        out.appendValidation({});
        out.appendValidationFolds({});
    }
    RawFile f(file);
    const auto check = [&](const char* table, const auto& schema) {
        for (const auto& [name, cls, unit] : schema) {
            EXPECT_EQ(rawObjectAttribute(f.id, table, (name + "_unit").c_str()), unit)
                << table << "." << name;
        }
        EXPECT_EQ(rawAttributeCount(f.id, table), static_cast<int>(schema.size()))
            << table << ": one unit attribute per column, nothing else";
    };
    check("/runs", kRunSchema);
    check("/layers", kLayerSchema);
    check("/validation", kValidationSchema);
    check("/validation_folds", kValidationFoldSchema);
}

TEST_F(ResultsFileTest, MetricsARunDidNotProduceAreNaN) {
    RunRow r;
    r.runId = 5;
    r.platform = "gap8";
    r.status = "invalid";
    r.reason = "clock_hz above the board's maximum";
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({r});
    }
    RawFile f(file);
    for (const auto& [name, cls, unit] : kRunSchema) {
        if (cls == H5T_FLOAT) {
            const std::vector<double> v = rawDoubles(f.id, "/runs", name.c_str());
            ASSERT_EQ(v.size(), 1U);
            EXPECT_TRUE(std::isnan(v[0])) << name << " = " << v[0];
        }
    }
    EXPECT_THAT(rawStrings(f.id, "/runs", "reason"),
                ElementsAre("clock_hz above the board's maximum"));
    EXPECT_TRUE(std::isnan(readDoubleColumn(file.string(), "runs", "latency_s").at(0)));
    const Table t = readTable(file.string(), "runs");
    ASSERT_EQ(t.rows.size(), 1U);
    EXPECT_TRUE(std::isnan(std::get<double>(t.rows[0].at(t.column("energy_j")))));
}

TEST_F(ResultsFileTest, EmptyAppendCreatesAnEmptyTable) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendValidation({});
        EXPECT_EQ(out.rowCount("validation"), 0);
    }
    EXPECT_EQ(countRows(file.string(), "validation"), 0);
    RawFile f(file);
    EXPECT_TRUE(rawExists(f.id, "/validation"));
    EXPECT_EQ(rawMemberNames(f.id, "/validation").size(), kValidationSchema.size());
}

TEST_F(ResultsFileTest, CreatingTruncatesAnExistingFile) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({run(1, "gap8", 1.0)});
    }
    { ResultsFile out(file.string(), provenance()); }
    EXPECT_EQ(countRows(file.string(), "runs"), 0);
}

TEST_F(ResultsFileTest, UncreatableFileThrowsInputErrorNamingIt) {
    const std::string bad = (dir.path() / "no-such-dir" / "results.h5").string();
    const InputError e =
        expectInputError([&] { ResultsFile out(bad, provenance()); }, " for " + bad);
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].file, bad);
    EXPECT_THAT(e.what(), HasSubstr(bad));
    EXPECT_THAT(e.what(), HasSubstr("cannot create"));
    EXPECT_FALSE(std::filesystem::exists(bad));
}

// ---- generic tables ------------------------------------------------------------------------

TEST_F(ResultsFileTest, GenericTableRoundTripsEveryKind) {
    const double denormal = std::numeric_limits<double>::denorm_min();
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<TableRow> first = {
        point(std::numeric_limits<int64_t>::min(), "", -0.0),
        point(std::numeric_limits<int64_t>::max(), "µs – 測試 🙂", denormal),
    };
    const std::vector<TableRow> second = {point(0, "plain", inf), point(-1, " ", kNotProduced)};
    {
        ResultsFile out(file.string(), provenance());
        out.append("sweep", kPointColumns, first);
        out.append("/sweep", kPointColumns, second); // the same table
        EXPECT_EQ(out.rowCount("sweep"), 4);
    }
    {
        RawFile f(file);
        EXPECT_THAT(rawMemberNames(f.id, "/sweep"), ElementsAre("point", "label", "latency_s"));
        EXPECT_THAT(rawInts(f.id, "/sweep", "point"),
                    ElementsAre(std::numeric_limits<int64_t>::min(),
                                std::numeric_limits<int64_t>::max(), 0, -1));
        EXPECT_THAT(rawStrings(f.id, "/sweep", "label"),
                    ElementsAre("", "µs – 測試 🙂", "plain", " "));
        const std::vector<double> latency = rawDoubles(f.id, "/sweep", "latency_s");
        ASSERT_EQ(latency.size(), 4U);
        EXPECT_EQ(latency[0], 0.0);
        EXPECT_TRUE(std::signbit(latency[0])) << "-0.0 keeps its sign";
        EXPECT_EQ(latency[1], denormal);
        EXPECT_EQ(latency[2], inf);
        EXPECT_TRUE(std::isnan(latency[3]));
        EXPECT_EQ(rawObjectAttribute(f.id, "/sweep", "point_unit"), "");
        EXPECT_EQ(rawObjectAttribute(f.id, "/sweep", "label_unit"), "");
        EXPECT_EQ(rawObjectAttribute(f.id, "/sweep", "latency_s_unit"), "s");
    }
    const Table t = readTable(file.string(), "sweep");
    EXPECT_EQ(t.columns, kPointColumns) << "names, kinds and units come back";
    EXPECT_EQ(t.column("label"), 1);
    EXPECT_EQ(t.column("nope"), -1);
    ASSERT_EQ(t.rows.size(), 4U);
    for (std::size_t r = 0; r < 3; ++r) { // NaN != NaN: the last row is checked apart
        const TableRow& want = r < 2 ? first[r] : second[r - 2];
        EXPECT_EQ(t.rows[r], want) << "row " << r;
    }
    EXPECT_TRUE(std::signbit(std::get<double>(t.rows[0][2])));
    EXPECT_EQ(std::get<int64_t>(t.rows[3][0]), -1);
    EXPECT_EQ(std::get<std::string>(t.rows[3][1]), " ");
    EXPECT_TRUE(std::isnan(std::get<double>(t.rows[3][2])));
}

TEST_F(ResultsFileTest, AppendWithOtherColumnsThrowsAndLeavesTheFileUnchanged) {
    ResultsFile out(file.string(), provenance());
    out.append("sweep", kPointColumns, {point(1, "a", 1.0)});
    out.flush();
    const std::string before = fileBytes(file);

    std::vector<ColumnDef> renamed = kPointColumns;
    renamed[1].name = "tag";
    std::vector<ColumnDef> retyped = kPointColumns;
    retyped[0].kind = ColumnKind::Double;
    std::vector<ColumnDef> longer = kPointColumns;
    longer.push_back({"energy_j", ColumnKind::Double, "J"});
    const std::vector<ColumnDef> shorter(kPointColumns.begin(), kPointColumns.begin() + 2);
    const auto message = [&](const std::vector<ColumnDef>& columns, const TableRow& row) {
        try {
            out.append("sweep", columns, {row});
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        ADD_FAILURE() << "expected std::invalid_argument";
        return std::string();
    };
    EXPECT_THAT(message(renamed, point(2, "b", 2.0)), HasSubstr("tag"));
    EXPECT_THAT(message(retyped, TableRow{2.0, std::string("b"), 2.0}), HasSubstr("point"));
    EXPECT_THAT(message(longer, TableRow{int64_t{2}, std::string("b"), 2.0, 3.0}),
                HasSubstr("energy_j"));
    EXPECT_THAT(message(shorter, TableRow{int64_t{2}, std::string("b")}), HasSubstr("latency_s"));
    EXPECT_THAT(message(renamed, point(2, "b", 2.0)), HasSubstr(file.string()));
    // A changed unit alone is not a different table: names and kinds decide.
    std::vector<ColumnDef> otherUnit = kPointColumns;
    otherUnit[2].unit = "ms";

    out.flush();
    EXPECT_EQ(fileBytes(file), before) << "a refused append writes nothing";
    EXPECT_EQ(out.rowCount("sweep"), 1);
    out.append("sweep", otherUnit, {point(2, "b", 2.0)});
    EXPECT_EQ(out.rowCount("sweep"), 2);
}

TEST_F(ResultsFileTest, RowWithAWrongCellThrowsAndWritesNothing) {
    ResultsFile out(file.string(), provenance());
    const std::vector<TableRow> wrongKind = {point(1, "a", 1.0),
                                             TableRow{int64_t{2}, std::string("b"), int64_t{3}}};
    const std::vector<TableRow> tooShort = {point(1, "a", 1.0), TableRow{int64_t{2}}};
    const std::vector<TableRow> withNul = {point(1, std::string("a\0b", 3), 1.0)};
    EXPECT_THROW(out.append("sweep", kPointColumns, wrongKind), std::invalid_argument);
    EXPECT_THROW(out.append("sweep", kPointColumns, tooShort), std::invalid_argument);
    EXPECT_THROW(out.append("sweep", kPointColumns, withNul), std::invalid_argument);
    EXPECT_THROW(out.replace("pareto", kPointColumns, wrongKind), std::invalid_argument);
    EXPECT_EQ(out.rowCount("sweep"), 0) << "not even created";
    EXPECT_EQ(out.rowCount("pareto"), 0);

    out.append("sweep", kPointColumns, {point(1, "a", 1.0)});
    out.flush();
    const std::string before = fileBytes(file);
    try {
        out.append("sweep", kPointColumns, wrongKind);
        ADD_FAILURE() << "expected std::invalid_argument";
    } catch (const std::invalid_argument& e) {
        EXPECT_THAT(e.what(), HasSubstr("row 1"));
        EXPECT_THAT(e.what(), HasSubstr("latency_s"));
    }
    out.flush();
    EXPECT_EQ(fileBytes(file), before);
    EXPECT_EQ(out.rowCount("sweep"), 1);

    EXPECT_THROW(out.append("sweep", {}, {}), std::invalid_argument) << "no columns";
    EXPECT_THROW(out.append("dup", {kPointColumns[0], kPointColumns[0]}, {}),
                 std::invalid_argument);
    EXPECT_THROW(out.append("/", kPointColumns, {}), std::invalid_argument) << "no name";
}

TEST_F(ResultsFileTest, FixedLengthStringColumnsRoundTripAndRefuseLongerValues) {
    std::vector<ColumnDef> fixed = kPointColumns;
    fixed[1].fixedLength = 8;
    // "µs–ab" is 8 bytes of UTF-8: a value filling the whole field has no terminator.
    const std::vector<TableRow> rows = {point(1, "", 1.0), point(2, "µs–ab", 2.0),
                                        point(3, "abc", 3.0)};
    {
        ResultsFile out(file.string(), provenance());
        out.append("sweep", fixed, rows);
        const std::vector<TableRow> tooLong = {point(4, "ok", 4.0), point(5, "123456789", 5.0)};
        out.flush();
        const std::string before = fileBytes(file);
        try {
            out.append("sweep", fixed, tooLong);
            ADD_FAILURE() << "expected std::invalid_argument";
        } catch (const std::invalid_argument& e) {
            EXPECT_THAT(e.what(), HasSubstr("row 1"));
            EXPECT_THAT(e.what(), HasSubstr("label"));
            EXPECT_THAT(e.what(), HasSubstr("9 bytes"));
        }
        out.flush();
        EXPECT_EQ(fileBytes(file), before) << "nothing of a refused batch is written";
        EXPECT_EQ(out.rowCount("sweep"), 3);
    }
    {
        RawFile f(file);
        const hid_t ds = H5Dopen2(f.id, "/sweep", H5P_DEFAULT);
        const hid_t type = H5Dget_type(ds);
        const hid_t label = H5Tget_member_type(type, 1);
        EXPECT_EQ(H5Tis_variable_str(label), 0);
        EXPECT_EQ(H5Tget_size(label), 8U);
        EXPECT_EQ(H5Tget_cset(label), H5T_CSET_UTF8);
        H5Tclose(label);
        H5Tclose(type);
        H5Dclose(ds);
    }
    {
        // Reopened, the file's length decides even if the writer declares variable length.
        const std::unique_ptr<ResultsFile> out = ResultsFile::openForAppend(file.string());
        out->append("sweep", kPointColumns, {point(6, "12345678", 6.0)});
        EXPECT_THROW(out->append("sweep", kPointColumns, {point(7, "123456789", 7.0)}),
                     std::invalid_argument);
        EXPECT_EQ(out->rowCount("sweep"), 4);
    }
    const Table t = readTable(file.string(), "sweep");
    ASSERT_EQ(t.rows.size(), 4U);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        EXPECT_EQ(t.rows[r], rows[r]) << "row " << r;
    }
    EXPECT_EQ(std::get<std::string>(t.rows[3][1]), "12345678");
    EXPECT_EQ(t.columns, fixed) << "the length comes back with the column";
    EXPECT_EQ(readTableColumns(file.string(), "sweep"), fixed);
}

TEST_F(ResultsFileTest, ReadTableReadsTheColumnsAskedForInTheirOrder) {
    {
        ResultsFile out(file.string(), provenance());
        out.append("sweep", kPointColumns, {point(1, "a", 1.5), point(2, "b", 2.5)});
    }
    const Table t = readTable(file.string(), "sweep", {"latency_s", "point"});
    EXPECT_EQ(t.columns, (std::vector<ColumnDef>{kPointColumns[2], kPointColumns[0]}));
    ASSERT_EQ(t.rows.size(), 2U);
    EXPECT_EQ(t.rows[1], (TableRow{2.5, int64_t{2}}));
    const InputError e = expectInputError([&] {
        readTable(file.string(), "sweep", {"point", "nope"});
    });
    EXPECT_EQ(e.diagnostics().at(0).field, "sweep.nope");
    EXPECT_EQ(readTableColumns(file.string(), "sweep"), kPointColumns);
}

TEST_F(ResultsFileTest, UpdateChangesACopyAndLeavesTheFileAsItWasWhenItFails) {
    {
        ResultsFile out(file.string(), provenance());
        out.append("sweep", kPointColumns, {point(1, "a", 1.0)});
    }
    updateResultsFile(file.string(), [](ResultsFile& f) {
        f.append("sweep", kPointColumns, {point(2, "b", 2.0)});
    });
    EXPECT_EQ(countRows(file.string(), "sweep"), 2);
    EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));

    const std::string before = fileBytes(file);
    EXPECT_THROW(updateResultsFile(file.string(),
                                   [](ResultsFile& f) {
                                       f.append("sweep", kPointColumns, {point(3, "c", 3.0)});
                                       throw std::runtime_error("stopped halfway");
                                   }),
                 std::runtime_error);
    EXPECT_EQ(fileBytes(file), before);
    EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));

    // A read-only file is replaced by its writer all the same (the copy is made writable).
    std::filesystem::permissions(file, std::filesystem::perms::owner_read,
                                 std::filesystem::perm_options::replace);
    updateResultsFile(file.string(), [](ResultsFile& f) {
        f.append("sweep", kPointColumns, {point(3, "c", 3.0)});
    });
    EXPECT_EQ(countRows(file.string(), "sweep"), 3);

    const std::string missing = (dir.path() / "missing.h5").string();
    expectInputError([&] { updateResultsFile(missing, [](ResultsFile&) {}); });
    EXPECT_FALSE(std::filesystem::exists(missing + ".tmp"));
}

TEST_F(ResultsFileTest, TablesInGroups) {
    {
        ResultsFile out(file.string(), provenance());
        out.append("nas/population", kPointColumns, {point(1, "a", 1.0)});
        out.append("nas/pareto", kPointColumns, {point(2, "b", 2.0), point(3, "c", 3.0)});
        out.append("/dnas/epochs", kPointColumns, {});
        EXPECT_EQ(out.rowCount("nas/pareto"), 2);
        EXPECT_EQ(out.rowCount("/nas/population"), 1);
        EXPECT_EQ(out.rowCount("nas/missing"), 0);
        EXPECT_THROW(out.append("nas/population/x", kPointColumns, {}), std::invalid_argument)
            << "a dataset is no group";
        EXPECT_THROW(out.append("nas", kPointColumns, {}), std::invalid_argument)
            << "a group is no table";
    }
    RawFile f(file);
    EXPECT_EQ(rawObjectType(f.id, "/nas"), H5O_TYPE_GROUP);
    EXPECT_EQ(rawObjectType(f.id, "/dnas"), H5O_TYPE_GROUP);
    EXPECT_EQ(rawObjectType(f.id, "/nas/population"), H5O_TYPE_DATASET);
    EXPECT_THAT(rawInts(f.id, "/nas/pareto", "point"), ElementsAre(2, 3));
    EXPECT_EQ(rawRowCount(f.id, "/dnas/epochs"), 0U);
    EXPECT_EQ(countRows(file.string(), "nas/pareto"), 2);
    EXPECT_THAT(readStringColumn(file.string(), "nas/population", "label"), ElementsAre("a"));
}

TEST_F(ResultsFileTest, ReplaceTwiceLeavesOnlyTheLastContent) {
    const std::vector<ColumnDef> front = {{"point", ColumnKind::Int, ""},
                                          {"energy_j", ColumnKind::Double, "J"}};
    {
        ResultsFile out(file.string(), provenance());
        out.replace("pareto", kPointColumns, {point(1, "a", 1.0), point(2, "b", 2.0)});
        out.setAttribute("pareto", "x_metric", "latency_s");
        out.replace("pareto", front, {TableRow{int64_t{7}, 0.5}});
        EXPECT_EQ(out.rowCount("pareto"), 1);
        out.append("pareto", front, {TableRow{int64_t{8}, 0.25}}); // appends to the new one
        out.replace("nas/pareto", front, {});
        out.replace("nas/pareto", front, {TableRow{int64_t{9}, 0.125}});
    }
    RawFile f(file);
    EXPECT_THAT(rawMemberNames(f.id, "/pareto"), ElementsAre("point", "energy_j"));
    EXPECT_THAT(rawInts(f.id, "/pareto", "point"), ElementsAre(7, 8));
    EXPECT_THAT(rawDoubles(f.id, "/pareto", "energy_j"), ElementsAre(0.5, 0.25));
    EXPECT_EQ(rawObjectAttribute(f.id, "/pareto", "energy_j_unit"), "J");
    EXPECT_EQ(rawAttributeCount(f.id, "/pareto"), 2) << "the old table's attributes are gone";
    EXPECT_THAT(rawInts(f.id, "/nas/pareto", "point"), ElementsAre(9));
}

TEST_F(ResultsFileTest, SetAttributeOnRootAndOnADatasetOverwrites) {
    {
        ResultsFile out(file.string(), provenance());
        out.append("pareto", kPointColumns, {point(1, "a", 1.0)});
        out.setAttribute("/", "study_name", "first");
        out.setAttribute("/", "study_name", "second");
        out.setAttribute("/", "created_utc", "2025-01-01T00:00:00Z");
        out.setAttribute("/", "seed", "now a string"); // replaces the uint64 attribute
        out.setAttribute("pareto", "x_metric", "latency_s");
        out.setAttribute("/pareto", "x_metric", "energy_j");
        out.setAttribute("pareto", "latency_s_unit", "ms");
        EXPECT_THROW(out.setAttribute("missing", "x", "y"), std::invalid_argument);
        EXPECT_THROW(out.setAttribute("/", "", "y"), std::invalid_argument);
    }
    {
        RawFile f(file);
        EXPECT_EQ(rawStringAttribute(f.id, "study_name"), "second");
        EXPECT_EQ(rawStringAttribute(f.id, "created_utc"), "2025-01-01T00:00:00Z");
        EXPECT_EQ(rawStringAttribute(f.id, "seed"), "now a string");
        EXPECT_EQ(rawAttributeCount(f.id, "/"), 6);
        EXPECT_EQ(rawObjectAttribute(f.id, "/pareto", "x_metric"), "energy_j");
        EXPECT_EQ(rawObjectAttribute(f.id, "/pareto", "latency_s_unit"), "ms");
        EXPECT_EQ(rawAttributeCount(f.id, "/pareto"), 4);
    }
    const std::string p = file.string();
    EXPECT_EQ(readStringAttribute(p, "/", "study_name"), "second");
    EXPECT_EQ(readStringAttribute(p, "pareto", "x_metric"), "energy_j");
    EXPECT_EQ(readStringAttribute(p, "pareto", "absent"), std::nullopt);
    EXPECT_EQ(readTable(p, "pareto").columns[2].unit, "ms");
}

TEST_F(ResultsFileTest, ReadStringAttributeRejectsMissingObjectsAndOtherTypes) {
    { ResultsFile out(file.string(), provenance()); }
    const std::string p = file.string();
    EXPECT_EQ(readStringAttribute(p, "/", "edgesim_version"), "0.1.0+abc123");
    const InputError noObject = expectInputError([&] { readStringAttribute(p, "runs", "x"); });
    EXPECT_EQ(noObject.diagnostics()[0].file, p);
    EXPECT_THAT(noObject.what(), HasSubstr("no such object"));
    EXPECT_THAT(expectInputError([&] { readStringAttribute(p, "/", "seed"); }).what(),
                HasSubstr("not a string"));
    const std::string missing = (dir.path() / "missing.h5").string();
    EXPECT_EQ(
        expectInputError([&] { readStringAttribute(missing, "/", "x"); }).diagnostics()[0].file,
        missing);
}

// ---- reopening -----------------------------------------------------------------------------

TEST_F(ResultsFileTest, OpenForAppendContinuesRunsAndAGenericTable) {
    Provenance p = provenance();
    p.extra = {{"study_name", "resume"}};
    {
        ResultsFile out(file.string(), p);
        out.appendRuns({run(1, "gap8", 1.0), run(2, "gap8", 2.0)});
        out.append("nas/population", kPointColumns, {point(10, "first", 1.0)});
    }
    {
        const std::unique_ptr<ResultsFile> out = ResultsFile::openForAppend(file.string());
        EXPECT_EQ(out->path(), file.string());
        EXPECT_EQ(out->rowCount("runs"), 2);
        EXPECT_EQ(out->rowCount("nas/population"), 1);
        EXPECT_EQ(out->rowCount("layers"), 0);
        out->appendRuns({run(3, "diana", 3.0)});
        out->append("nas/population", kPointColumns,
                    {point(11, "second", 2.0), point(12, "", 3.0)});
        out->appendLayers({LayerRow{}}); // a table the first writer never made
        EXPECT_EQ(out->rowCount("runs"), 3);
        // The reopened table's columns are checked against what the file holds.
        std::vector<ColumnDef> other = kPointColumns;
        other[2].kind = ColumnKind::String;
        EXPECT_THROW(out->append("nas/population", other, {}), std::invalid_argument);
    }
    {
        const std::unique_ptr<ResultsFile> out = ResultsFile::openForAppend(file.string());
        EXPECT_THROW(out->append("runs", kPointColumns, {}), std::invalid_argument)
            << "columns are checked on first use of a table found in the file";
        out->appendRuns({run(4, "gap9-evk", 4.0)});
    }
    RawFile f(file);
    EXPECT_THAT(rawInts(f.id, "/runs", "run_id"), ElementsAre(1, 2, 3, 4));
    EXPECT_THAT(rawStrings(f.id, "/runs", "platform"),
                ElementsAre("gap8", "gap8", "diana", "gap9-evk"));
    EXPECT_THAT(rawDoubles(f.id, "/runs", "energy_j"), ElementsAre(1.0, 2.0, 3.0, 4.0));
    EXPECT_THAT(rawInts(f.id, "/nas/population", "point"), ElementsAre(10, 11, 12));
    EXPECT_THAT(rawStrings(f.id, "/nas/population", "label"), ElementsAre("first", "second", ""));
    EXPECT_EQ(rawRowCount(f.id, "/layers"), 1U);
    EXPECT_EQ(rawStringAttribute(f.id, "study_name"), "resume") << "provenance is kept";
    EXPECT_EQ(rawObjectAttribute(f.id, "/runs", "latency_s_unit"), "s");
    EXPECT_EQ(rawAttributeCount(f.id, "/runs"), static_cast<int>(kRunSchema.size()));
}

TEST_F(ResultsFileTest, OpenForAppendRejectsMissingOrForeignFiles) {
    const std::string missing = (dir.path() / "missing.h5").string();
    const InputError e = expectInputError([&] { ResultsFile::openForAppend(missing); });
    EXPECT_EQ(e.diagnostics()[0].file, missing);
    EXPECT_FALSE(std::filesystem::exists(missing)) << "opening creates nothing";
    const std::string text = dir.write("notes.txt", "not hdf5\n").string();
    EXPECT_THAT(expectInputError([&] { ResultsFile::openForAppend(text); }).what(),
                HasSubstr("not an HDF5 file"));
}

// ---- durability ----------------------------------------------------------------------------

TEST_F(ResultsFileTest, FlushedBatchesAreOnDiskWhileTheWriterIsStillOpen) {
    ResultsFile out(file.string(), provenance());
    out.appendRuns({run(1, "gap8", 1.0), run(2, "gap8", 2.0)});
    out.appendLayers({LayerRow{}});
    out.flush();
    // A byte copy of the file as it is on disk now is what a killed process would leave.
    const std::filesystem::path copy = dir.path() / "snapshot.h5";
    std::filesystem::copy_file(file, copy);
    EXPECT_EQ(countRows(copy.string(), "runs"), 2);
    EXPECT_EQ(countRows(copy.string(), "layers"), 1);
    EXPECT_THAT(readDoubleColumn(copy.string(), "runs", "energy_j"), ElementsAre(1.0, 2.0));
}

TEST_F(ResultsFileTest, KilledWriterKeepsEveryFlushedBatch) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The child never returns into GoogleTest: it is killed, or exits 1 on an exception.
        try {
            ResultsFile out(file.string(), provenance());
            out.appendRuns({run(1, "gap8", 1.0)});
            out.flush();
            out.appendRuns({run(2, "gap8", 2.0), run(3, "gap8", 3.0)});
            out.flush();
            std::raise(SIGKILL);
        } catch (...) {
        }
        ::_exit(1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child did not die by the signal";
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    EXPECT_EQ(countRows(file.string(), "runs"), 3);
    EXPECT_THAT(readIntColumn(file.string(), "runs", "run_id"), ElementsAre(1, 2, 3));
}

TEST_F(ResultsFileTest, KilledWriterFileIsResumedWhereItsFlushedRowsEnd) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // _exit skips every destructor, so nothing is written after the flush.
        try {
            ResultsFile out(file.string(), provenance());
            out.append("sweep", kPointColumns, {point(0, "p0", 0.5), point(1, "p1", 1.5)});
            out.flush();
            ::_exit(0);
        } catch (...) {
        }
        ::_exit(1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    {
        const std::unique_ptr<ResultsFile> out = ResultsFile::openForAppend(file.string());
        EXPECT_EQ(out->rowCount("sweep"), 2);
        out->append("sweep", kPointColumns, {point(2, "p2", 2.5)});
    }
    const Table t = readTable(file.string(), "sweep");
    ASSERT_EQ(t.rows.size(), 3U);
    EXPECT_EQ(t.rows[0], point(0, "p0", 0.5));
    EXPECT_EQ(t.rows[1], point(1, "p1", 1.5));
    EXPECT_EQ(t.rows[2], point(2, "p2", 2.5));
}

TEST_F(ResultsFileTest, SameContentGivesByteIdenticalFiles) {
    const auto write = [&](const std::filesystem::path& p) {
        Provenance prov = provenance();
        prov.extra = {{"study_name", "determinism"}};
        ResultsFile out(p.string(), prov);
        out.appendRuns({run(1, "gap8", 1.0), run(2, "diana", 2.0)});
        out.appendLayers({LayerRow{}, LayerRow{}});
        out.append("nas/population", kPointColumns, {point(1, "µ", 1.0)});
        out.replace("pareto", kPointColumns, {point(1, "a", 1.0)});
        out.replace("pareto", kPointColumns, {point(2, "b", 2.0)});
        out.setAttribute("pareto", "x_metric", "latency_s");
        out.setAttribute("/", "study_sha256", "abc");
    };
    const std::filesystem::path a = dir.path() / "a.h5";
    const std::filesystem::path b = dir.path() / "b.h5";
    write(a);
    // Let the wall clock move to the next second (the resolution of HDF5 object times), and
    // dirty freed heap memory, so timestamps or uninitialised bytes would differ.
    const std::time_t start = std::time(nullptr);
    while (std::time(nullptr) == start) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    {
        std::vector<std::unique_ptr<char[]>> junk;
        for (std::size_t i = 0; i < 64; ++i) {
            const std::size_t size = std::size_t{4096} * (1 + i % 4);
            junk.emplace_back(new char[size]);
            std::memset(junk.back().get(), 0xa5, size);
        }
    }
    write(b);
    const std::string bytesA = fileBytes(a);
    ASSERT_FALSE(bytesA.empty());
    EXPECT_TRUE(bytesA == fileBytes(b)) << "files differ";

    RawFile f(a);
    for (const char* object : {"/", "/runs", "/layers", "/nas", "/nas/population", "/pareto"}) {
        H5O_info_t info{};
        ASSERT_GE(H5Oget_info_by_name2(f.id, object, &info, H5O_INFO_TIME, H5P_DEFAULT), 0);
        EXPECT_EQ(info.mtime, 0) << object << " records a modification time";
        EXPECT_EQ(info.ctime, 0) << object;
    }
}

// ---- reading helpers -----------------------------------------------------------------------

TEST_F(ResultsFileTest, ReadHelpersReturnWhatWasWritten) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({run(1, "gap8", 0.5), run(2, "", 0.25)}); // an empty string too
    }
    const std::string p = file.string();
    EXPECT_EQ(countRows(p, "runs"), 2);
    EXPECT_EQ(countRows(p, "/runs"), 2);
    EXPECT_EQ(countRows(p, "layers"), 0) << "absent table counts as empty";
    EXPECT_EQ(countRows(p, "nas/population"), 0) << "absent group counts as empty";
    EXPECT_THAT(readStringColumn(p, "runs", "platform"), ElementsAre("gap8", ""));
    EXPECT_THAT(readStringColumn(p, "runs", "config_sha256"), ElementsAre("sha-1", "sha-2"));
    EXPECT_THAT(readIntColumn(p, "runs", "run_id"), ElementsAre(1, 2));
    EXPECT_THAT(readDoubleColumn(p, "runs", "macs"), ElementsAre(2656768.0, 2656768.0));
    EXPECT_THAT(readDoubleColumn(p, "runs", "latency_cycles"), ElementsAre(1000007.0, 2000007.0));
    EXPECT_THAT(readDoubleColumn(p, "runs", "energy_j"), ElementsAre(0.5, 0.25));

    const Table t = readTable(p, "/runs");
    ASSERT_EQ(t.columns.size(), kRunSchema.size());
    for (std::size_t k = 0; k < kRunSchema.size(); ++k) {
        const auto& [name, cls, unit] = kRunSchema[k];
        EXPECT_EQ(t.columns[k].name, name);
        EXPECT_EQ(t.columns[k].unit, unit) << name;
    }
    EXPECT_EQ(t.columns, runColumns());
    ASSERT_EQ(t.rows.size(), 2U);
    EXPECT_EQ(t.rows[1], toCells(run(2, "", 0.25)));
}

TEST_F(ResultsFileTest, ReadTableReadsForeignMemberTypes) {
    // A table as another tool might write it: 32-bit members, fixed-length strings padded
    // three ways, an ASCII variable-length string and a fixed-length unit attribute.
    struct Record {
        int32_t id;
        float value;
        char nullPad[6];
        char spacePad[6];
        char nullTerm[6];
        const char* ascii;
    };
    {
        const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        const auto fixed = [](H5T_str_t pad) {
            const hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, 6);
            H5Tset_strpad(t, pad);
            return t;
        };
        const hid_t nullPad = fixed(H5T_STR_NULLPAD);
        const hid_t spacePad = fixed(H5T_STR_SPACEPAD);
        const hid_t nullTerm = fixed(H5T_STR_NULLTERM);
        const hid_t ascii = H5Tcopy(H5T_C_S1);
        H5Tset_size(ascii, H5T_VARIABLE);
        const hid_t type = H5Tcreate(H5T_COMPOUND, sizeof(Record));
        H5Tinsert(type, "id", offsetof(Record, id), H5T_NATIVE_INT32);
        H5Tinsert(type, "value", offsetof(Record, value), H5T_NATIVE_FLOAT);
        H5Tinsert(type, "null_pad", offsetof(Record, nullPad), nullPad);
        H5Tinsert(type, "space_pad", offsetof(Record, spacePad), spacePad);
        H5Tinsert(type, "null_term", offsetof(Record, nullTerm), nullTerm);
        H5Tinsert(type, "ascii", offsetof(Record, ascii), ascii);
        Record records[2] = {{-3,
                              0.5F,
                              {'a', 'b', 0, 0, 0, 0},
                              {'x', ' ', ' ', ' ', ' ', ' '},
                              {'q', 0, 'z', 0, 0, 0},
                              "hello"},
                             {7,
                              1.25F,
                              {'a', 'b', 'c', 'd', 'e', 'f'},
                              {' ', ' ', ' ', ' ', ' ', ' '},
                              {'r', 's', 0, 0, 0, 0},
                              ""}};
        const hsize_t n = 2;
        const hid_t space = H5Screate_simple(1, &n, nullptr);
        const hid_t ds =
            H5Dcreate2(f, "foreign", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, records);
        const hid_t scalar = H5Screate(H5S_SCALAR);
        const hid_t unitType = fixed(H5T_STR_NULLPAD);
        H5Tset_size(unitType, 2);
        const hid_t attr = H5Acreate2(ds, "value_unit", unitType, scalar, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(attr, unitType, "ms");
        for (const hid_t t : {nullPad, spacePad, nullTerm, ascii, type, unitType}) {
            H5Tclose(t);
        }
        H5Aclose(attr);
        H5Sclose(scalar);
        H5Dclose(ds);
        H5Sclose(space);
        H5Fclose(f);
    }
    const Table t = readTable(file.string(), "foreign");
    ASSERT_EQ(t.columns.size(), 6U);
    EXPECT_EQ(t.columns[0], (ColumnDef{"id", ColumnKind::Int, ""}));
    EXPECT_EQ(t.columns[1], (ColumnDef{"value", ColumnKind::Double, "ms"}));
    EXPECT_EQ(t.columns[2].kind, ColumnKind::String);
    EXPECT_EQ(t.columns[5].kind, ColumnKind::String);
    ASSERT_EQ(t.rows.size(), 2U);
    EXPECT_EQ(t.rows[0], (TableRow{int64_t{-3}, 0.5, std::string("ab"), std::string("x"),
                                   std::string("q"), std::string("hello")}));
    EXPECT_EQ(t.rows[1], (TableRow{int64_t{7}, 1.25, std::string("abcdef"), std::string(""),
                                   std::string("rs"), std::string("")}));
    EXPECT_THAT(readStringColumn(file.string(), "foreign", "null_pad"),
                ElementsAre("ab", "abcdef"));
    EXPECT_THAT(readIntColumn(file.string(), "foreign", "id"), ElementsAre(-3, 7));
    // Not extendable (fixed size, no chunks): appending to it is refused, not attempted.
    const std::unique_ptr<ResultsFile> out = ResultsFile::openForAppend(file.string());
    EXPECT_THROW(out->append("foreign", {{"id", ColumnKind::Int, ""}}, {}), std::invalid_argument);
}

TEST_F(ResultsFileTest, ReadTableRejectsMissingDatasetsAndNonTables) {
    {
        ResultsFile out(file.string(), provenance());
        out.append("nas/population", kPointColumns, {point(1, "a", 1.0)});
    }
    {
        // A plain 2-D integer dataset and a compound with a member of another class.
        const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        const hsize_t dims[2] = {2, 2};
        const hid_t space2 = H5Screate_simple(2, dims, nullptr);
        const hid_t matrix =
            H5Dcreate2(f, "matrix", H5T_STD_I64LE, space2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const hid_t arrayType = H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, dims);
        const hid_t type = H5Tcreate(H5T_COMPOUND, 2 * sizeof(double));
        H5Tinsert(type, "pair", 0, arrayType);
        const hsize_t one = 1;
        const hid_t space1 = H5Screate_simple(1, &one, nullptr);
        const hid_t pairs =
            H5Dcreate2(f, "pairs", type, space1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        for (const hid_t d : {matrix, pairs}) {
            H5Dclose(d);
        }
        for (const hid_t s : {space2, space1}) {
            H5Sclose(s);
        }
        H5Tclose(type);
        H5Tclose(arrayType);
        H5Fclose(f);
    }
    const std::string p = file.string();
    const auto reason = [&](const std::string& dataset) {
        const InputError e = expectInputError([&] { readTable(p, dataset); }, " for " + dataset);
        EXPECT_EQ(e.diagnostics().at(0).file, p) << dataset;
        EXPECT_THAT(e.what(), HasSubstr(p));
        return std::string(e.what());
    };
    EXPECT_THAT(reason("runs"), HasSubstr("no such dataset"));
    EXPECT_THAT(reason("nas/missing"), HasSubstr("no such dataset"));
    EXPECT_THAT(reason("nas"), HasSubstr("not a dataset"));
    EXPECT_THAT(reason("matrix"), HasSubstr("not a table"));
    EXPECT_THAT(reason("pairs"), HasSubstr("pair"));
    const std::string missing = (dir.path() / "missing.h5").string();
    EXPECT_EQ(expectInputError([&] { readTable(missing, "runs"); }).diagnostics()[0].file, missing);
}

TEST_F(ResultsFileTest, ReadHelpersRejectMissingOrMistypedInput) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({run(1, "gap8", 0.5)});
    }
    const std::string p = file.string();
    const std::string missing = (dir.path() / "missing.h5").string();
    EXPECT_EQ(expectInputError([&] { countRows(missing, "runs"); }).diagnostics()[0].file, missing);
    const std::string text = dir.write("notes.txt", "not hdf5\n").string();
    EXPECT_THAT(expectInputError([&] { countRows(text, "runs"); }).what(),
                HasSubstr("not an HDF5 file"));
    const InputError noColumn = expectInputError([&] { readIntColumn(p, "runs", "nope"); });
    EXPECT_EQ(noColumn.diagnostics()[0].field, "runs.nope");
    EXPECT_THAT(noColumn.what(), HasSubstr(p));
    EXPECT_THAT(expectInputError([&] { readIntColumn(p, "runs", "platform"); }).what(),
                HasSubstr("not an integer column"));
    EXPECT_THAT(expectInputError([&] { readIntColumn(p, "runs", "latency_cycles"); }).what(),
                HasSubstr("not an integer column"));
    EXPECT_THAT(expectInputError([&] { readStringColumn(p, "runs", "run_id"); }).what(),
                HasSubstr("not a string column"));
    EXPECT_THAT(expectInputError([&] { readDoubleColumn(p, "runs", "seed"); }).what(),
                HasSubstr("not a floating-point column"));
    EXPECT_THAT(expectInputError([&] { readDoubleColumn(p, "layers", "energy_j"); }).what(),
                HasSubstr("no such dataset"));
}

TEST_F(ResultsFileTest, CommitTemporaryMovesTheFileIntoPlace) {
    const std::string tmp = file.string() + ".tmp";
    {
        ResultsFile out(file.string(), provenance()); // an older complete file in place
        out.appendRuns({run(1, "gap8", 1.0)});
    }
    {
        ResultsFile out(tmp, provenance());
        out.appendRuns({run(1, "gap8", 1.0), run(2, "gap8", 2.0)});
    }
    commitTemporary(tmp, file.string());
    EXPECT_FALSE(std::filesystem::exists(tmp));
    EXPECT_EQ(countRows(file.string(), "runs"), 2) << "the new file replaced the old one";

    const InputError e = expectInputError([&] { commitTemporary(tmp, file.string()); });
    EXPECT_EQ(e.diagnostics()[0].file, file.string());
    EXPECT_THAT(e.what(), HasSubstr(tmp));
    EXPECT_EQ(countRows(file.string(), "runs"), 2) << "a failed commit leaves the file alone";
}

} // namespace
} // namespace edgesim::explorer

namespace edgesim::explorer {
namespace {

// Sweep files with bytes flipped in a global heap (where variable-length strings live), from
// the bad-input corpus: reading them crashed libhdf5 (SIGSEGV in H5HG_read) or made it spin
// forever. Both are bad input now, found by a child process that reads the file first.
TEST(ResultsFileCorruptionTest, FilesThatCrashOrHangTheHdf5LibraryAreBadInput) {
    for (const std::string name : {"corrupt_global_heap.h5", "looping_global_heap.h5"}) {
        TempDir dir{"edgesim-corrupt"};
        const std::string copy = dir.file(name);
        std::filesystem::copy_file(std::string(EDGESIM_TEST_DIR) + "/data/bad_input/" + name, copy);
        const auto started = std::chrono::steady_clock::now();
        const InputError e = expectInputError([&] { readTable(copy, "runs"); });
        EXPECT_EQ(e.diagnostics().at(0).file, copy);
        EXPECT_THAT(e.diagnostics().at(0).reason, HasSubstr("corrupt"));
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15)) << name;
    }
}

TEST(ResultsFileCorruptionTest, AnIntactFileIsCheckedOnceAndReadsBack) {
    TempDir dir{"edgesim-intact"};
    const std::string path = dir.file("r.h5");
    writeResultsFile(path, Provenance{}, [](ResultsFile&) {});
    checkReadableHdf5(path);
    checkReadableHdf5(path); // cached: same file, unchanged
    EXPECT_EQ(countRows(path, "runs"), 0);
}

} // namespace
} // namespace edgesim::explorer
