// The HDF5 results writer: what it writes is checked by reading the file back with the plain
// HDF5 C API (the way h5py sees it: member names, types, values), independently of the
// library's own read helpers, which are tested separately.
#include "explorer/results/ResultsFile.h"

#include "common/Diagnostics.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <string>
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

std::string rawStringAttribute(hid_t file, const char* name) {
    const hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
    EXPECT_GE(attr, 0) << name;
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

bool rawExists(hid_t file, const char* name) {
    return H5Lexists(file, name, H5P_DEFAULT) > 0;
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
    r.status = "ok";
    r.latencyCycles = 1000000 * id + 7;
    r.latencyS = 0.0125 * static_cast<double>(id);
    r.energyJ = energyJ;
    r.peakRamBytes = 65536;
    r.flashBytes = 1 << 20;
    r.macs = 2656768;
    r.bytesFlash = 100 + id;
    r.bytesSram = 200 + id;
    r.bytesTcm = 300 + id;
    r.bytesExternal = (int64_t{1} << 40) + id; // beyond 32 bits
    r.simWallS = 0.25;
    r.configSha256 = "sha-" + std::to_string(id);
    return r;
}

const std::vector<std::string> kRunColumns = {
    "run_id",         "platform",    "stack",        "network",        "strategy",   "batch",
    "fidelity",       "mapping",     "status",       "latency_cycles", "latency_s",  "energy_j",
    "peak_ram_bytes", "flash_bytes", "macs",         "bytes_flash",    "bytes_sram", "bytes_tcm",
    "bytes_external", "sim_wall_s",  "config_sha256"};

class ResultsFileTest : public ::testing::Test {
protected:
    TempDir dir{"edgesim-results"};
    std::filesystem::path file = dir.path() / "results.h5";
};

// ---- tests ---------------------------------------------------------------------------------

TEST_F(ResultsFileTest, RunsAppendedInTwoBatchesReadBackExactly) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({run(1, "gap9-evk", 1.5e-4), run(2, "nucleo-l4r5zi", 0.1)});
        out.appendRuns({run(3, "diana", 3.0e-7)});
    }
    RawFile f(file);
    ASSERT_GE(f.id, 0);
    EXPECT_EQ(rawRowCount(f.id, "/runs"), 3U);
    EXPECT_EQ(rawMemberNames(f.id, "/runs"), kRunColumns);
    EXPECT_THAT(rawStrings(f.id, "/runs", "platform"),
                ElementsAre("gap9-evk", "nucleo-l4r5zi", "diana"));
    EXPECT_THAT(rawInts(f.id, "/runs", "latency_cycles"), ElementsAre(1000007, 2000007, 3000007));
    EXPECT_THAT(
        rawInts(f.id, "/runs", "bytes_external"),
        ElementsAre((int64_t{1} << 40) + 1, (int64_t{1} << 40) + 2, (int64_t{1} << 40) + 3));
    // Exact equality: doubles are stored as IEEE binary64, no text round trip.
    EXPECT_THAT(rawDoubles(f.id, "/runs", "energy_j"), ElementsAre(1.5e-4, 0.1, 3.0e-7));
    EXPECT_THAT(rawStrings(f.id, "/runs", "config_sha256"), ElementsAre("sha-1", "sha-2", "sha-3"));
    EXPECT_THAT(rawStrings(f.id, "/runs", "mapping"),
                ElementsAre("greedy-latency", "host-only", "greedy-latency"));
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
    EXPECT_EQ(H5Pget_nfilters(dcpl), 0) << "no filters: any HDF5 reader can open the file";
    const hid_t space = H5Dget_space(ds);
    hsize_t dims = 0;
    hsize_t maxDims = 0;
    H5Sget_simple_extent_dims(space, &dims, &maxDims);
    EXPECT_EQ(maxDims, H5S_UNLIMITED);
    const hid_t type = H5Dget_type(ds);
    const auto member = [&](const char* name) {
        return H5Tget_member_type(type, static_cast<unsigned>(H5Tget_member_index(type, name)));
    };
    const hid_t id = member("run_id");
    const hid_t energy = member("energy_j");
    const hid_t platform = member("platform");
    EXPECT_GT(H5Tequal(id, H5T_STD_I64LE), 0);
    EXPECT_GT(H5Tequal(energy, H5T_IEEE_F64LE), 0);
    EXPECT_EQ(H5Tget_class(platform), H5T_STRING);
    EXPECT_GT(H5Tis_variable_str(platform), 0);
    EXPECT_EQ(H5Tget_cset(platform), H5T_CSET_UTF8);
    for (hid_t t : {id, energy, platform, type}) {
        H5Tclose(t);
    }
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Dclose(ds);
}

TEST_F(ResultsFileTest, RootAttributesHoldTheProvenance) {
    { ResultsFile out(file.string(), provenance()); }
    RawFile f(file);
    ASSERT_GE(f.id, 0);
    EXPECT_EQ(rawStringAttribute(f.id, "edgesim_version"), "0.1.0+abc123");
    EXPECT_EQ(rawStringAttribute(f.id, "created_utc"), "2024-05-01T12:00:00Z");
    EXPECT_EQ(rawStringAttribute(f.id, "command_line"),
              "edgesim simulate --platform gap9-evk --network mlperf_tiny/kws");
    EXPECT_EQ(rawStringAttribute(f.id, "config_sha256"), std::string(64, 'e'));
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
    EXPECT_THAT(rawMemberNames(f.id, "/layers"),
                ElementsAre("run_id", "layer_index", "layer_name", "op", "engine", "fallback",
                            "start_cycle", "end_cycle", "cycles", "energy_j", "macs", "tiles",
                            "bytes_flash", "bytes_sram", "bytes_tcm", "bytes_external",
                            "dma_bytes_flash", "dma_bytes_sram", "dma_bytes_tcm",
                            "dma_bytes_external", "dma_cycles", "hidden_cycles", "overlap"));
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

TEST_F(ResultsFileTest, MappingAndEngineColumnsHavePortableTypes) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendRuns({run(1, "gap9-evk", 1.0)});
        out.appendLayers({LayerRow{}});
    }
    RawFile f(file);
    const auto memberType = [&](const char* table, const char* name) {
        const hid_t ds = H5Dopen2(f.id, table, H5P_DEFAULT);
        const hid_t type = H5Dget_type(ds);
        const int index = H5Tget_member_index(type, name);
        EXPECT_GE(index, 0) << table << "." << name;
        const hid_t member = index < 0 ? H5Tcopy(H5T_NATIVE_CHAR)
                                       : H5Tget_member_type(type, static_cast<unsigned>(index));
        H5Tclose(type);
        H5Dclose(ds);
        return member;
    };
    const hid_t mapping = memberType("/runs", "mapping");
    EXPECT_EQ(H5Tget_class(mapping), H5T_STRING);
    EXPECT_GT(H5Tis_variable_str(mapping), 0);
    H5Tclose(mapping);
    for (const char* name :
         {"fallback", "tiles", "dma_bytes_flash", "dma_bytes_sram", "dma_bytes_tcm",
          "dma_bytes_external", "dma_cycles", "hidden_cycles"}) {
        const hid_t t = memberType("/layers", name);
        EXPECT_GT(H5Tequal(t, H5T_STD_I64LE), 0) << name;
        H5Tclose(t);
    }
    const hid_t overlap = memberType("/layers", "overlap");
    EXPECT_GT(H5Tequal(overlap, H5T_IEEE_F64LE), 0);
    H5Tclose(overlap);
    // A default row: no DMA, nothing to hide.
    EXPECT_THAT(rawDoubles(f.id, "/layers", "overlap"), ElementsAre(1.0));
    EXPECT_THAT(rawInts(f.id, "/layers", "fallback"), ElementsAre(0));
}

TEST_F(ResultsFileTest, ValidationTableKeepsUtf8) {
    ValidationRow v;
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
    EXPECT_THAT(rawMemberNames(f.id, "/validation"),
                ElementsAre("platform", "stack", "network", "strategy", "metric", "unit", "source",
                            "measured", "predicted", "error_pct"));
    EXPECT_THAT(rawStrings(f.id, "/validation", "unit"), ElementsAre("µJ"));
    EXPECT_THAT(rawStrings(f.id, "/validation", "source"), ElementsAre("MLPerf Tiny v1.0"));
    EXPECT_THAT(rawDoubles(f.id, "/validation", "measured"), ElementsAre(112.5));
    EXPECT_THAT(rawDoubles(f.id, "/validation", "error_pct"), ElementsAre(6.666666666666667));
    EXPECT_FALSE(rawExists(f.id, "/runs"));
    EXPECT_FALSE(rawExists(f.id, "/layers"));
}

TEST_F(ResultsFileTest, EmptyAppendCreatesAnEmptyTable) {
    {
        ResultsFile out(file.string(), provenance());
        out.appendValidation({});
    }
    EXPECT_EQ(countRows(file.string(), "validation"), 0);
    RawFile f(file);
    EXPECT_TRUE(rawExists(f.id, "/validation"));
    EXPECT_EQ(rawMemberNames(f.id, "/validation").size(), 10U);
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
    EXPECT_THAT(readIntColumn(p, "runs", "macs"), ElementsAre(2656768, 2656768));
    EXPECT_THAT(readDoubleColumn(p, "runs", "energy_j"), ElementsAre(0.5, 0.25));
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
    EXPECT_THAT(expectInputError([&] { readStringColumn(p, "runs", "run_id"); }).what(),
                HasSubstr("not a variable-length string column"));
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
