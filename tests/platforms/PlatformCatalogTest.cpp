// Loading and validating platform and stack configs. Each test writes a small config into a
// fresh temp directory laid out like configs/ (platforms/, stacks/) and checks that every
// problem is reported with the file, the line and the field path where it was written.
// Line numbers refer to the numbered lines of kPlatform / kStack below.
#include "platforms/PlatformCatalog.h"

#include "tests/util/TestUtil.h"
#include "workloads/NetworkSource.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace edgesim::platforms {
namespace {

using test::edit;
using test::expectInputError;
using test::only;
using test::TempDir;
using ::testing::HasSubstr;

// A valid platform, one field per line where the tests need to tell lines apart.
const std::vector<std::string> kPlatform = {
    /*  1 */ "name: \"test-board\"",
    /*  2 */ "description: \"A small test board\"",
    /*  3 */ "operating_points { name: \"run\" clock_hz: 80e6 voltage_v: 1.2 }",
    /*  4 */ "operating_points {",
    /*  5 */ "  name: \"boost\"",
    /*  6 */ "  clock_hz: 120e6",
    /*  7 */ "  voltage_v: 1.3",
    /*  8 */ "}",
    /*  9 */ "default_operating_point: \"boost\"",
    /* 10 */ "cores { name: \"cpu\" isa: CORTEX_M4 max_clock_hz: 120e6 cycle_scale: 1 }",
    /* 11 */ "memories { name: \"flash\" kind: FLASH size_bytes: 1048576 width_bits: 128 }",
    /* 12 */ "memories {",
    /* 13 */ "  name: \"sram\"",
    /* 14 */ "  kind: SRAM",
    /* 15 */ "  size_bytes: 655360",
    /* 16 */ "  width_bits: 32",
    /* 17 */ "  read_energy_pj_per_byte: 5",
    /* 18 */ "}",
    /* 19 */ "buses {",
    /* 20 */ "  name: \"ahb\"",
    /* 21 */ "  width_bits: 32",
    /* 22 */ "  masters: \"cpu\"",
    /* 23 */ "  slaves: \"flash\"",
    /* 24 */ "  slaves: \"sram\"",
    /* 25 */ "}",
    /* 26 */ "static_power_w: 0.001",
    /* 27 */
    "placement { weights_memory: \"flash\" activations_memory: \"sram\" "
    "code_memory: \"flash\" }",
};

const std::vector<std::string> kStack = {
    /* 1 */ "name: \"test-stack\"",
    /* 2 */ "description: \"A small test stack\"",
    /* 3 */ "kernels { op: \"conv2d\" cycles_per_mac: 1.5 overhead_cycles: 200 }",
    /* 4 */ "kernels { op: \"dense\" cycles_per_mac: 1.2 overhead_cycles: 100 }",
    /* 5 */ "kernels { op: \"depthwise_conv2d\" cycles_per_mac: 3 cycles_per_output: 2 }",
    /* 6 */ "per_inference_overhead_cycles: 5000",
    /* 7 */ "placement { weights: COPY_TO_RAM }",
};

// A valid SoC with engines: a host on the SoC bus, a cluster bus bridged to it (L1 for the
// engines) and an I/O bus with L3 reachable only by its own DMA (staging through L2).
const std::vector<std::string> kSoc = {
    /*  1 */ "name: \"test-soc\"",
    /*  2 */ "operating_points { name: \"run\" clock_hz: 100e6 voltage_v: 0.8 }",
    /*  3 */ "cores { name: \"host\" isa: RISCV32 max_clock_hz: 100e6 cycle_scale: 1 }",
    /*  4 */ "memories { name: \"l2\" kind: SRAM size_bytes: 524288 width_bits: 64 }",
    /*  5 */ "memories { name: \"l1\" kind: SRAM size_bytes: 65536 width_bits: 32 }",
    /*  6 */ "memories { name: \"l3\" kind: EXTERNAL_RAM size_bytes: 8388608 width_bits: 8 }",
    /*  7 */ "buses { name: \"soc\" width_bits: 64 masters: \"host\" slaves: \"l2\" }",
    /*  8 */
    "buses { name: \"cl\" width_bits: 64 masters: \"cl_dma\" slaves: \"l1\" "
    "bridges: \"soc\" }",
    /*  9 */
    "buses { name: \"io\" width_bits: 32 masters: \"udma\" slaves: \"l3\" "
    "bridges: \"soc\" }",
    /* 10 */ "dmas { name: \"cl_dma\" channels: 2 burst_bytes: 256 setup_cycles: 10 }",
    /* 11 */ "dmas { name: \"udma\" channels: 1 burst_bytes: 256 }",
    /* 12 */
    "placement { weights_memory: \"l2\" activations_memory: \"l2\" "
    "code_memory: \"l2\" }",
    /* 13 */ "engines {",
    /* 14 */ "  name: \"cluster\"",
    /* 15 */ "  kind: CLUSTER",
    /* 16 */ "  local_memory: \"l1\"",
    /* 17 */ "  dma: \"cl_dma\"",
    /* 18 */ "  reserved_local_bytes: 4096",
    /* 19 */ "  cluster { cores: 8 l1_banks: 16 barrier_cycles: 20 }",
    /* 20 */ "  busy_capacitance_pf: 100",
    /* 21 */ "}",
    /* 22 */ "engines {",
    /* 23 */ "  name: \"npu\"",
    /* 24 */ "  kind: NPU",
    /* 25 */ "  local_memory: \"l1\"",
    /* 26 */ "  dma: \"cl_dma\"",
    /* 27 */ "  npu {",
    /* 28 */ "    unroll { dim: OX size: 16 }",
    /* 29 */ "    unroll { dim: K size: 16 }",
    /* 30 */ "    ops: [\"conv2d\", \"dense\"]",
    /* 31 */ "  }",
    /* 32 */ "}",
    /* 33 */ "engines {",
    /* 34 */ "  name: \"aimc\"",
    /* 35 */ "  kind: AIMC",
    /* 36 */ "  local_memory: \"l1\"",
    /* 37 */ "  dma: \"cl_dma\"",
    /* 38 */ "  aimc {",
    /* 39 */ "    rows: 1152",
    /* 40 */ "    columns: 512",
    /* 41 */ "    mvm_latency_s: 70e-9",
    /* 42 */ "    weight_bits: 2",
    /* 43 */ "    activation_bits: 7",
    /* 44 */ "    ops: [\"conv2d\"]",
    /* 45 */ "  }",
    /* 46 */ "}",
};

class PlatformCatalogTest : public ::testing::Test {
protected:
    /// Writes platforms/board.textproto and expects loading it to fail.
    InputError platformErrors(const std::string& text) {
        file_ = dir_.write("platforms/board.textproto", text).string();
        return expectInputError([&] { loadPlatform("board", paths()); });
    }
    InputError stackErrors(const std::string& text) {
        file_ = dir_.write("stacks/stack.textproto", text).string();
        return expectInputError([&] { loadStack("stack", paths()); });
    }
    ConfigPaths paths() const { return ConfigPaths(dir_.path().string()); }

    TempDir dir_{"edgesim-platform-test"};
    std::string file_;
};

// ---------------------------------------------------------------- platforms

TEST_F(PlatformCatalogTest, ValidPlatformLoads) {
    dir_.write("platforms/board.textproto", edit(kPlatform));
    const spec::PlatformSpec p = loadPlatform("board", paths());
    EXPECT_EQ(p.name(), "test-board");
    ASSERT_EQ(p.operating_points_size(), 2);
    EXPECT_DOUBLE_EQ(p.operating_points(0).clock_hz(), 80e6);
    EXPECT_DOUBLE_EQ(p.operating_points(1).voltage_v(), 1.3);
    EXPECT_EQ(p.cores(0).isa(), spec::CORTEX_M4);
    ASSERT_EQ(p.memories_size(), 2);
    EXPECT_EQ(p.memories(1).size_bytes(), 640 * 1024);
    EXPECT_THAT(p.buses(0).slaves(), ::testing::ElementsAre("flash", "sram"));
}

TEST_F(PlatformCatalogTest, ValidPlatformLoadsByPath) {
    const std::string path = dir_.write("elsewhere/my-board.textproto", edit(kPlatform)).string();
    const auto empty = std::filesystem::path(path).parent_path().string(); // no platforms/
    EXPECT_EQ(loadPlatform(path, ConfigPaths(empty)).name(), "test-board");
}

TEST_F(PlatformCatalogTest, UnknownFieldIsAParseErrorWithLine) {
    InputError e = platformErrors(edit(kPlatform, {{6, "  clock_mhz: 120"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 6);
    EXPECT_GT(d.column, 0);
    EXPECT_THAT(d.reason, HasSubstr("clock_mhz"));
}

TEST_F(PlatformCatalogTest, MissingPlatformName) {
    InputError e = platformErrors(edit(kPlatform, {{1, "# no name"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].file, file_);
    EXPECT_EQ(e.diagnostics()[0].field, "name");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("missing"));
}

TEST_F(PlatformCatalogTest, MissingMemoryNameIsReportedAtTheMemory) {
    InputError e = platformErrors(edit(kPlatform, {{13, "  # no name"}, {24, ""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "memories[1].name");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 12);
    EXPECT_THAT(d.reason, HasSubstr("missing"));
}

TEST_F(PlatformCatalogTest, NoOperatingPoints) {
    InputError e = platformErrors(
        edit(kPlatform, {{3, ""}, {4, ""}, {5, ""}, {6, ""}, {7, ""}, {8, ""}, {9, ""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].file, file_);
    EXPECT_EQ(e.diagnostics()[0].field, "operating_points");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("at least one operating point"));
}

TEST_F(PlatformCatalogTest, ClockGivenInMHz) {
    InputError e = platformErrors(edit(kPlatform, {{6, "  clock_hz: 120"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "operating_points[1].clock_hz");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 6);
    EXPECT_THAT(d.reason, HasSubstr("MHz"));
}

TEST_F(PlatformCatalogTest, VoltageGivenInMillivolts) {
    InputError e = platformErrors(edit(kPlatform, {{7, "  voltage_v: 3300"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "operating_points[1].voltage_v");
    EXPECT_EQ(d.line, 7);
    EXPECT_THAT(d.reason, HasSubstr("mV"));
}

TEST_F(PlatformCatalogTest, MissingVoltageHasNoUnitHint) {
    InputError e = platformErrors(edit(kPlatform, {{7, ""}}));
    const Diagnostic d = only(e, "operating_points[1].voltage_v");
    EXPECT_EQ(d.line, 4); // not written: the operating point's own line
    EXPECT_THAT(d.reason, ::testing::Not(HasSubstr("mV")));
}

TEST_F(PlatformCatalogTest, MemorySizeGivenInKiB) {
    InputError e = platformErrors(edit(kPlatform, {{15, "  size_bytes: 640"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "memories[1].size_bytes");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 15);
    EXPECT_THAT(d.reason, HasSubstr("KiB"));
    // 2 is no size in KiB either: out of range, without the hint.
    const InputError tiny = platformErrors(edit(kPlatform, {{15, "  size_bytes: 2"}}));
    const Diagnostic t = only(tiny, "memories[1].size_bytes");
    EXPECT_THAT(t.reason, ::testing::Not(HasSubstr("KiB")));
}

TEST_F(PlatformCatalogTest, BusNamingUnknownMemory) {
    InputError e = platformErrors(edit(kPlatform, {{24, "  slaves: \"sram2\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "buses[0].slaves[1]");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 24);
    EXPECT_THAT(d.reason, HasSubstr("'sram2'"));
}

TEST_F(PlatformCatalogTest, BusNamingUnknownCore) {
    InputError e = platformErrors(edit(kPlatform, {{22, "  masters: \"dma\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "buses[0].masters[0]");
    EXPECT_EQ(d.line, 22);
    EXPECT_THAT(d.reason, HasSubstr("'dma'"));
}

// Repeated fields may also be written as a list; the element is then found on the list's line.
TEST_F(PlatformCatalogTest, BusListSyntaxReportsTheListLine) {
    InputError e =
        platformErrors(edit(kPlatform, {{23, "  slaves: [\"flash\", \"sram2\"]"}, {24, ""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "buses[0].slaves[1]");
    EXPECT_EQ(d.line, 23);
}

TEST_F(PlatformCatalogTest, UnknownDefaultOperatingPoint) {
    InputError e = platformErrors(edit(kPlatform, {{9, "default_operating_point: \"turbo\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "default_operating_point");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 9);
    EXPECT_THAT(d.reason, HasSubstr("'turbo'"));
}

TEST_F(PlatformCatalogTest, MemoryBandwidthsAreCheckedWhereWritten) {
    InputError e = platformErrors(
        edit(kPlatform,
             {{8, "  memory_read_bandwidth { memory: \"qspi\" read_bytes_per_s: 0 } }"},
              {11, "memories { name: \"flash\" kind: FLASH size_bytes: 1048576 width_bits: 128 "
                   "read_bytes_per_s: 1e8 read_wait_states_by_clock { max_clock_hz: 1e8 } }"}}));
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    EXPECT_EQ(only(e, "operating_points[1].memory_read_bandwidth[0].memory").line, 8);
    EXPECT_THAT(only(e, "operating_points[1].memory_read_bandwidth[0].memory").reason,
                HasSubstr("'qspi'"));
    EXPECT_EQ(only(e, "operating_points[1].memory_read_bandwidth[0].read_bytes_per_s").line, 8);
    EXPECT_THAT(only(e, "memories[0].read_bytes_per_s").reason, HasSubstr("not both"));
}

TEST_F(PlatformCatalogTest, DuplicateMemoryName) {
    InputError e = platformErrors(edit(kPlatform, {{13, "  name: \"flash\""}, {24, ""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "memories[1].name");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 13);
    EXPECT_THAT(d.reason, HasSubstr("duplicate"));
    EXPECT_THAT(d.reason, HasSubstr("'flash'"));
}

TEST_F(PlatformCatalogTest, NegativeCostsAndPowers) {
    InputError e = platformErrors(edit(
        kPlatform, {{10, "cores { name: \"cpu\" isa: CORTEX_M4 max_clock_hz: 120e6 cycle_scale: 1 "
                         "run_current_ua_per_mhz: -100 }"},
                    {17, "  read_energy_pj_per_byte: -5"},
                    {26, "static_power_w: -0.001"}}));
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    EXPECT_EQ(only(e, "cores[0].run_current_ua_per_mhz").line, 10);
    EXPECT_EQ(only(e, "memories[1]").line, 12);
    EXPECT_EQ(only(e, "static_power_w").line, 26);
}

TEST_F(PlatformCatalogTest, AllProblemsOfAFileAreReportedTogether) {
    InputError e = platformErrors(edit(kPlatform, {{1, ""},
                                                   {6, "  clock_hz: 120"},
                                                   {3, "operating_points { name: \"run\" "
                                                       "clock_hz: 80e6 voltage_v: 3300 }"},
                                                   {9, "default_operating_point: \"turbo\""},
                                                   {15, "  size_bytes: 640"},
                                                   {22, "  masters: \"dma\""},
                                                   {24, "  slaves: \"sram2\""}}));
    EXPECT_EQ(e.diagnostics().size(), 7U) << e.formatAll();
    only(e, "name");
    EXPECT_EQ(only(e, "operating_points[1].clock_hz").line, 6);
    EXPECT_EQ(only(e, "operating_points[0].voltage_v").line, 3);
    EXPECT_EQ(only(e, "default_operating_point").line, 9);
    EXPECT_EQ(only(e, "memories[1].size_bytes").line, 15);
    EXPECT_EQ(only(e, "buses[0].masters[0]").line, 22);
    EXPECT_EQ(only(e, "buses[0].slaves[1]").line, 24);
    for (const auto& d : e.diagnostics()) {
        EXPECT_EQ(d.file, file_);
    }
    EXPECT_THAT(std::string(e.what()), HasSubstr("(and 6 more problems)"));
}

TEST_F(PlatformCatalogTest, UnknownPlatformNameListsKnownOnes) {
    dir_.write("platforms/alpha-board.textproto", edit(kPlatform));
    dir_.write("platforms/vendor/beta-board.textproto", edit(kPlatform));
    InputError e = expectInputError([&] { loadPlatform("gamma-board", paths()); });
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].field, "--platform");
    EXPECT_THAT(std::string(e.what()), HasSubstr("gamma-board"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("alpha-board, vendor/beta-board"));
}

TEST_F(PlatformCatalogTest, ListPlatformsWithoutPlatformsFolderIsEmpty) {
    dir_.write("stacks/stack.textproto", edit(kStack));
    EXPECT_TRUE(listPlatforms(paths()).empty());
}

TEST_F(PlatformCatalogTest, ListPlatformsGivesNamesAndDescriptions) {
    dir_.write("platforms/b.textproto", edit(kPlatform));
    dir_.write("platforms/a.textproto", edit(kPlatform, {{2, "description: \"Board A\""}}));
    const auto entries = listPlatforms(paths());
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[0].name, "a");
    EXPECT_EQ(entries[0].description, "Board A");
    EXPECT_EQ(entries[1].name, "b");
    EXPECT_EQ(entries[1].description, "A small test board");
}

TEST_F(PlatformCatalogTest, ListPlatformsNamesTheInvalidFile) {
    dir_.write("platforms/good.textproto", edit(kPlatform));
    const std::string bad =
        dir_.write("platforms/bad.textproto", edit(kPlatform, {{6, "  clock_hz: 120"}})).string();
    InputError e = expectInputError([&] { listPlatforms(paths()); });
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].file, bad);
}

// ---------------------------------------------------------------- buses with bridges, engines

TEST_F(PlatformCatalogTest, ValidSocWithEnginesLoads) {
    dir_.write("platforms/soc.textproto", edit(kSoc));
    const spec::PlatformSpec p = loadPlatform("soc", paths());
    ASSERT_EQ(p.engines_size(), 3);
    EXPECT_EQ(p.engines(0).cluster().cores(), 8);
    EXPECT_EQ(p.engines(1).npu().unroll(1).dim(), spec::K);
    EXPECT_DOUBLE_EQ(p.engines(2).aimc().mvm_latency_s(), 70e-9);
    EXPECT_THAT(p.buses(1).bridges(), ::testing::ElementsAre("soc"));
    EXPECT_EQ(p.dmas(0).setup_cycles(), 10);
}

// Weights in L3 reach L1 through two DMAs (udma: L3 -> L2, cl_dma: L2 -> L1).
TEST_F(PlatformCatalogTest, DataBehindAnotherDmaIsStaged) {
    dir_.write("platforms/soc.textproto",
               edit(kSoc, {{12, "placement { weights_memory: \"l3\" activations_memory: \"l2\" "
                                "code_memory: \"l2\" }"}}));
    EXPECT_EQ(loadPlatform("soc", paths()).placement().weights_memory(), "l3");
}

// Weight streaming: L3 ("l3", behind the I/O DMA) holds the weights that do not fit in L2.
std::string streamingPlacement(const std::string& fields) {
    return "placement { weights_memory: \"l2\" activations_memory: \"l2\" code_memory: "
           "\"l2\" " +
           fields + " }";
}

TEST_F(PlatformCatalogTest, WeightsStreamFromL3) {
    dir_.write("platforms/soc.textproto",
               edit(kSoc, {{12, streamingPlacement("weights_stream_memory: \"l3\" "
                                                   "weights_stream_buffers: 2")}}));
    const spec::PlatformSpec p = loadPlatform("soc", paths());
    EXPECT_EQ(p.placement().weights_stream_memory(), "l3");
    EXPECT_EQ(p.placement().weights_stream_buffers(), 2);
}

TEST_F(PlatformCatalogTest, WeightStreamingNeedsAnL3ABufferAndADmaChain) {
    const auto error = [&](const std::string& fields, const std::string& field,
                           const std::string& reason,
                           std::vector<std::pair<int, std::string>> more = {}) {
        more.emplace_back(12, streamingPlacement(fields));
        InputError e = platformErrors(edit(kSoc, more));
        ASSERT_EQ(e.diagnostics().size(), 1U) << fields << "\n" << e.formatAll();
        const Diagnostic d = only(e, field);
        EXPECT_EQ(d.file, file_);
        EXPECT_EQ(d.line, 12) << fields;
        EXPECT_THAT(d.reason, HasSubstr(reason)) << fields;
    };
    error("weights_stream_memory: \"flash\" weights_stream_buffers: 2",
          "placement.weights_stream_memory", "unknown memory 'flash'");
    error("weights_stream_memory: \"l3\"", "placement.weights_stream_buffers",
          "must be >= 1 when weights_stream_memory is set");
    error("weights_stream_buffers: -1", "placement.weights_stream_buffers", "must be >= 0");
    error("weights_stream_memory: \"l2\" weights_stream_buffers: 2",
          "placement.weights_stream_memory", "is the weights memory itself");
    // The I/O bus without its bridge to the SoC bus: nothing moves data from L3 to L2.
    error("weights_stream_memory: \"l3\" weights_stream_buffers: 2",
          "placement.weights_stream_memory",
          "no DMA (or chain of DMAs) moves data from 'l3' to 'l2'",
          {{9, "buses { name: \"io\" width_bits: 32 masters: \"udma\" slaves: \"l3\" }"}});
}

TEST_F(PlatformCatalogTest, WeightStreamingNeedsTheWeightsBesideTheActivations) {
    InputError e = platformErrors(
        edit(kSoc, {{12, "placement { weights_memory: \"l2\" activations_memory: \"l1\" "
                         "code_memory: \"l2\" weights_stream_memory: \"l3\" "
                         "weights_stream_buffers: 2 }"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_THAT(only(e, "placement.weights_stream_memory").reason,
                HasSubstr("weights_memory to be the activations memory"));
}

TEST_F(PlatformCatalogTest, BridgeToUnknownBus) {
    InputError e = platformErrors(
        edit(kSoc, {{8, "buses { name: \"cl\" width_bits: 64 masters: \"cl_dma\" slaves: \"l1\" "
                        "bridges: \"sock\" }"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "buses[1].bridges[0]");
    EXPECT_EQ(d.line, 8);
    EXPECT_THAT(d.reason, HasSubstr("unknown bus 'sock'"));
}

TEST_F(PlatformCatalogTest, BridgeToItself) {
    InputError e = platformErrors(
        edit(kSoc, {{8, "buses { name: \"cl\" width_bits: 64 masters: \"cl_dma\" slaves: \"l1\" "
                        "bridges: [\"soc\", \"cl\"] }"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_THAT(only(e, "buses[1].bridges[1]").reason, HasSubstr("itself"));
}

TEST_F(PlatformCatalogTest, BridgeCycle) {
    InputError e = platformErrors(
        edit(kSoc, {{7, "buses { name: \"soc\" width_bits: 64 masters: \"host\" slaves: \"l2\" "
                        "bridges: \"io\" }"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "buses[2].bridges[0]");
    EXPECT_EQ(d.line, 9);
    EXPECT_THAT(d.reason, HasSubstr("cycle: soc -> io -> soc"));
}

TEST_F(PlatformCatalogTest, NegativeDmaSetupSyncAndIdleCurrent) {
    InputError e = platformErrors(
        edit(kSoc, {{3, "cores { name: \"host\" isa: RISCV32 max_clock_hz: 100e6 cycle_scale: 1 "
                        "idle_current_ua_per_mhz: -2 }"},
                    {10, "dmas { name: \"cl_dma\" channels: 2 burst_bytes: 256 "
                         "setup_cycles: -10 bursts_per_sync: -1 }"}}));
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    EXPECT_EQ(only(e, "cores[0].idle_current_ua_per_mhz").line, 3);
    EXPECT_EQ(only(e, "dmas[0].setup_cycles").line, 10);
    EXPECT_EQ(only(e, "dmas[0].bursts_per_sync").line, 10);
}

TEST_F(PlatformCatalogTest, NpuFilterLimitsMustNameItsOpsAndSizes) {
    // Line 30 lists the NPU's ops; the limits follow on the same line (one line per entry
    // would shift the rest of kSoc).
    InputError e = platformErrors(
        edit(kSoc, {{30, "    ops: [\"conv2d\", \"dense\"] "
                         "filter_limits { op: \"conv2d\" sizes: [\"1x1\", \"3by3\"] } "
                         "filter_limits { op: \"pool\" sizes: [\"3x3\"] } "
                         "filter_limits { op: \"dense\" }"}}));
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    const Diagnostic size = only(e, "engines[1].npu.filter_limits[0].sizes[1]");
    EXPECT_THAT(size.reason, HasSubstr("'3by3' is not a filter size"));
    EXPECT_EQ(size.line, 30);
    EXPECT_THAT(only(e, "engines[1].npu.filter_limits[1].op").reason,
                HasSubstr("'pool' is not in this engine's ops"));
    EXPECT_THAT(only(e, "engines[1].npu.filter_limits[2].sizes").reason,
                HasSubstr("at least one filter size"));
}

TEST_F(PlatformCatalogTest, EngineNameClashesWithMemoryBusOrEngine) {
    InputError e = platformErrors(
        edit(kSoc, {{14, "  name: \"l1\""}, {23, "  name: \"io\""}, {34, "  name: \"cl_dma\""}}));
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    const Diagnostic clash = only(e, "engines[0].name");
    EXPECT_EQ(clash.line, 14);
    EXPECT_THAT(clash.reason, HasSubstr("'l1' is already used"));
    EXPECT_THAT(only(e, "engines[1].name").reason, HasSubstr("'io' is already used"));
    EXPECT_THAT(only(e, "engines[2].name").reason, HasSubstr("'cl_dma' is already used"));
}

TEST_F(PlatformCatalogTest, DuplicateEngineName) {
    InputError e = platformErrors(edit(kSoc, {{34, "  name: \"npu\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic dup = only(e, "engines[2].name");
    EXPECT_EQ(dup.line, 34);
    EXPECT_THAT(dup.reason, HasSubstr("duplicate name 'npu'"));
}

TEST_F(PlatformCatalogTest, EngineWithoutKind) {
    InputError e = platformErrors(edit(kSoc, {{15, ""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "engines[0].kind");
    EXPECT_EQ(d.line, 13);
    EXPECT_THAT(d.reason, HasSubstr("missing"));
}

TEST_F(PlatformCatalogTest, EngineKindWithoutItsBlock) {
    InputError e = platformErrors(edit(kSoc, {{19, ""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "engines[0].kind");
    EXPECT_EQ(d.line, 15);
    EXPECT_THAT(d.reason, HasSubstr("`cluster { ... }`"));
}

TEST_F(PlatformCatalogTest, EngineBlockNotMatchingKind) {
    InputError e = platformErrors(edit(kSoc, {{24, "  kind: AIMC"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "engines[1].npu");
    EXPECT_EQ(d.line, 27);
    EXPECT_THAT(d.reason, HasSubstr("does not match kind AIMC"));
}

TEST_F(PlatformCatalogTest, EngineWithUnknownLocalMemoryAndDma) {
    InputError e =
        platformErrors(edit(kSoc, {{16, "  local_memory: \"l0\""}, {26, "  dma: \"dma9\""}}));
    ASSERT_EQ(e.diagnostics().size(), 2U) << e.formatAll();
    EXPECT_THAT(only(e, "engines[0].local_memory").reason, HasSubstr("unknown memory 'l0'"));
    EXPECT_THAT(only(e, "engines[1].dma").reason, HasSubstr("unknown DMA 'dma9'"));
}

TEST_F(PlatformCatalogTest, EngineDmaMustReachLocalMemory) {
    InputError e = platformErrors(edit(kSoc, {{37, "  dma: \"udma\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "engines[2].local_memory");
    EXPECT_EQ(d.line, 36);
    EXPECT_THAT(d.reason, HasSubstr("DMA 'udma' cannot reach memory 'l1'"));
}

// Without the cluster-to-SoC bridge no DMA chain moves the activations from L2 into L1.
TEST_F(PlatformCatalogTest, EngineLocalMemoryUnreachableFromTheData) {
    InputError e = platformErrors(edit(
        kSoc, {{8, "buses { name: \"cl\" width_bits: 64 masters: \"cl_dma\" slaves: \"l1\" }"}}));
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    for (const char* field : {"engines[0].dma", "engines[1].dma", "engines[2].dma"}) {
        EXPECT_THAT(only(e, field).reason, HasSubstr("from 'l2' to 'l1'")) << field;
    }
}

TEST_F(PlatformCatalogTest, ReservedLocalBytesLeaveNothing) {
    InputError e = platformErrors(edit(kSoc, {{18, "  reserved_local_bytes: 65536"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "engines[0].reserved_local_bytes");
    EXPECT_EQ(d.line, 18);
    EXPECT_THAT(d.reason, HasSubstr("65536 bytes of 'l1'"));
}

TEST_F(PlatformCatalogTest, EngineSizesMustBePositive) {
    InputError e = platformErrors(edit(kSoc, {{19, "  cluster { cores: 0 l1_banks: 16 }"},
                                              {28, "    unroll { dim: OX size: 0 }"},
                                              {39, "    rows: 0"},
                                              {40, "    columns: -512"}}));
    ASSERT_EQ(e.diagnostics().size(), 4U) << e.formatAll();
    EXPECT_EQ(only(e, "engines[0].cluster.cores").line, 19);
    EXPECT_EQ(only(e, "engines[1].npu.unroll[0].size").line, 28);
    EXPECT_EQ(only(e, "engines[2].aimc.rows").line, 39);
    EXPECT_EQ(only(e, "engines[2].aimc.columns").line, 40);
}

TEST_F(PlatformCatalogTest, NpuUnrollsADimensionTwiceAndNamesAnUnknownOp) {
    InputError e = platformErrors(edit(
        kSoc, {{29, "    unroll { dim: OX size: 4 }"}, {30, "    ops: [\"conv2d\", \"conv3d\"]"}}));
    ASSERT_EQ(e.diagnostics().size(), 2U) << e.formatAll();
    EXPECT_THAT(only(e, "engines[1].npu.unroll[1].dim").reason, HasSubstr("OX"));
    const Diagnostic op = only(e, "engines[1].npu.ops[1]");
    EXPECT_EQ(op.line, 30);
    EXPECT_THAT(op.reason, HasSubstr("'conv3d'"));
}

TEST_F(PlatformCatalogTest, MvmLatencyGivenInNanoseconds) {
    InputError e = platformErrors(edit(kSoc, {{41, "    mvm_latency_s: 70"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "engines[2].aimc.mvm_latency_s");
    EXPECT_EQ(d.line, 41);
    EXPECT_THAT(d.reason, HasSubstr("looks like ns"));
}

TEST_F(PlatformCatalogTest, MissingMvmLatencyHasNoUnitHint) {
    InputError e = platformErrors(edit(kSoc, {{41, ""}}));
    const Diagnostic d = only(e, "engines[2].aimc.mvm_latency_s");
    EXPECT_EQ(d.line, 38);
    EXPECT_THAT(d.reason, ::testing::Not(HasSubstr("looks like")));
}

// ---------------------------------------------------------------- stacks

TEST_F(PlatformCatalogTest, ValidStackLoads) {
    dir_.write("stacks/stack.textproto", edit(kStack));
    const spec::StackSpec s = loadStack("stack", paths());
    EXPECT_EQ(s.name(), "test-stack");
    ASSERT_EQ(s.kernels_size(), 3);
    EXPECT_EQ(s.kernels(2).op(), "depthwise_conv2d");
    EXPECT_DOUBLE_EQ(s.per_inference_overhead_cycles(), 5000);
    EXPECT_EQ(s.placement().weights(), spec::COPY_TO_RAM);
}

TEST_F(PlatformCatalogTest, StackWithUnknownKernelOp) {
    InputError e = stackErrors(edit(kStack, {{4, "kernels { op: \"conv3d\" cycles_per_mac: 1 }"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "kernels[1].op");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 4);
    EXPECT_THAT(d.reason, HasSubstr("'conv3d'"));
}

TEST_F(PlatformCatalogTest, StackWithDuplicateOp) {
    InputError e = stackErrors(edit(kStack, {{5, "kernels { op: \"conv2d\" cycles_per_mac: 2 }"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "kernels[2].op");
    EXPECT_EQ(d.line, 5);
    EXPECT_THAT(d.reason, HasSubstr("duplicate"));
    EXPECT_THAT(d.reason, HasSubstr("'conv2d'"));
}

TEST_F(PlatformCatalogTest, StackWithNegativeCosts) {
    InputError e = stackErrors(edit(kStack, {{3, "kernels { op: \"conv2d\" cycles_per_mac: -1.5 }"},
                                             {5, "kernels { op: \"depthwise_conv2d\" "
                                                 "cycles_per_output: -2 }"},
                                             {6, "per_inference_overhead_cycles: -5000"}}));
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    EXPECT_EQ(only(e, "kernels[0]").line, 3);
    EXPECT_EQ(only(e, "kernels[2]").line, 5);
    EXPECT_EQ(only(e, "per_inference_overhead_cycles").line, 6);
    for (const auto& d : e.diagnostics()) {
        EXPECT_EQ(d.file, file_);
    }
}

// The same op and type may have one kernel per engine; the duplicate key is (engine, op, dtype).
TEST_F(PlatformCatalogTest, StackKernelsPerEngine) {
    dir_.write("stacks/stack.textproto",
               edit(kStack, {{7, "kernels { op: \"conv2d\" engine: \"npu\" overhead_cycles: 300 "
                                 "cycles_per_tile: 50 array_efficiency: 0.8 }\n"
                                 "engine_buffers: 2\ndefault_mapper: \"greedy-latency\""}}));
    const spec::StackSpec s = loadStack("stack", paths());
    ASSERT_EQ(s.kernels_size(), 4);
    EXPECT_EQ(s.kernels(3).engine(), "npu");
    EXPECT_EQ(s.engine_buffers(), 2);
}

TEST_F(PlatformCatalogTest, StackWithDuplicateEngineKernel) {
    InputError e = stackErrors(
        edit(kStack, {{6, "kernels { op: \"dense\" engine: \"npu\" }"},
                      {7, "kernels { op: \"dense\" engine: \"npu\" cycles_per_tile: 10 }"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "kernels[4].op");
    EXPECT_EQ(d.line, 7);
    EXPECT_THAT(d.reason, HasSubstr("engine 'npu'"));
}

TEST_F(PlatformCatalogTest, StackWithBadEngineKernelCosts) {
    InputError e = stackErrors(
        edit(kStack, {{6, "kernels { op: \"dense\" engine: \"npu\" cycles_per_tile: -50 }"},
                      {7, "kernels { op: \"conv2d\" engine: \"npu\" array_efficiency: 1.5 }"}}));
    ASSERT_EQ(e.diagnostics().size(), 2U) << e.formatAll();
    EXPECT_EQ(only(e, "kernels[3].cycles_per_tile").line, 6);
    EXPECT_EQ(only(e, "kernels[4].array_efficiency").line, 7);
}

TEST_F(PlatformCatalogTest, StackWithBadEngineBuffersAndMapper) {
    InputError e =
        stackErrors(edit(kStack, {{6, "engine_buffers: 3"}, {7, "default_mapper: \"fastest\""}}));
    ASSERT_EQ(e.diagnostics().size(), 2U) << e.formatAll();
    EXPECT_EQ(only(e, "engine_buffers").line, 6);
    const Diagnostic d = only(e, "default_mapper");
    EXPECT_EQ(d.line, 7);
    EXPECT_THAT(d.reason, HasSubstr("'fastest'"));
    EXPECT_THAT(d.reason, HasSubstr("greedy-latency"));
}

// ---------------------------------------------------------------- the shipped configs

ConfigPaths shippedConfigs() {
    return ConfigPaths(EDGESIM_SOURCE_DIR "/configs");
}

TEST(ShippedConfigs, EveryPlatformAndStackLoads) {
    const auto platforms = listPlatforms(shippedConfigs());
    const auto stacks = listStacks(shippedConfigs());
    std::set<std::string> names;
    for (const auto& e : platforms) {
        names.insert(e.name);
        EXPECT_FALSE(e.description.empty()) << e.name;
    }
    for (const auto& e : stacks) {
        names.insert(e.name);
        EXPECT_FALSE(e.description.empty()) << e.name;
    }
    for (const char* n : {"nucleo-l4r5zi", "gap8", "gap9-evk", "corstone-300-ethos-u55",
                          "corstone-300-ethos-u55-256", "stm32n6570-dk", "diana", "tflm-2.3",
                          "gap-flow", "vela", "stedge-ai", "htvm"}) {
        EXPECT_EQ(names.count(n), 1U) << n;
    }
}

// The SoC flows price fallback layers on their host cores with CMSIS-NN-class kernels, copied
// from tflm-cmsis-nn by scripts/sync_host_kernels.py (scripts/calibrate.sh --write runs it):
// every copy must equal the source, or the host costs have drifted from the counted and
// calibrated values.
TEST(ShippedConfigs, SocStacksCarryTflmCmsisNnHostKernels) {
    const spec::StackSpec source = loadStack("tflm-cmsis-nn", shippedConfigs());
    const auto keyOf = [](const spec::KernelSpec& k) {
        return k.engine() + "/" + k.op() + "/" + (k.dtype().empty() ? "int8" : k.dtype()) + "/" +
               k.when().ShortDebugString();
    };
    for (const char* name : {"gap-flow", "htvm", "stedge-ai", "vela"}) {
        const spec::StackSpec stack = loadStack(name, shippedConfigs());
        std::map<std::string, const spec::KernelSpec*> byKey;
        for (const auto& k : stack.kernels()) {
            byKey[keyOf(k)] = &k;
        }
        for (const auto& k : source.kernels()) {
            if (!k.engine().empty()) {
                continue;
            }
            const auto it = byKey.find(keyOf(k));
            ASSERT_NE(it, byKey.end()) << name << " lacks " << keyOf(k);
            EXPECT_EQ(it->second->SerializeAsString(), k.SerializeAsString())
                << name << ": " << keyOf(k)
                << " differs from tflm-cmsis-nn (run scripts/sync_host_kernels.py)";
        }
    }
}

// The GAP SoCs stream weights that do not fit in L2 from their external HyperBus memory,
// double-buffered; DIANA has no L3 (configs/platforms/README.md, "Weight streaming").
TEST(ShippedConfigs, GapSocsStreamWeightsFromL3) {
    for (const char* name : {"gap8", "gap9-evk"}) {
        const spec::PlatformSpec p = loadPlatform(name, shippedConfigs());
        EXPECT_EQ(p.placement().weights_stream_memory(), "hyperram") << name;
        EXPECT_EQ(p.placement().weights_stream_buffers(), 2) << name;
    }
    EXPECT_TRUE(
        loadPlatform("diana", shippedConfigs()).placement().weights_stream_memory().empty());
}

// An off-chip memory sits in its own clock domain (its SPI/HyperBus interface clock), so it
// reads at a fixed rate whatever the core clock (read_bytes_per_s), not in core-cycle wait
// states that would make a clock sweep scale its bandwidth with the core (issue 11: memory
// timing follows the clock).
TEST(ShippedConfigs, OffChipMemoriesReadAtTheirOwnRate) {
    int offChip = 0;
    for (const auto& e : listPlatforms(shippedConfigs())) {
        const spec::PlatformSpec p = loadPlatform(e.name, shippedConfigs());
        for (const auto& m : p.memories()) {
            if (m.kind() != spec::EXTERNAL_RAM && m.kind() != spec::EXTERNAL_FLASH) {
                continue;
            }
            ++offChip;
            bool perPoint = true; // or every operating point names its rate
            for (const auto& op : p.operating_points()) {
                bool named = false;
                for (const auto& b : op.memory_read_bandwidth()) {
                    named = named || b.memory() == m.name();
                }
                perPoint = perPoint && named;
            }
            EXPECT_TRUE(m.read_bytes_per_s() > 0 || perPoint) << e.name << ": " << m.name();
        }
    }
    EXPECT_GE(offChip, 4); // N6 octoflash and psram, GAP8 and GAP9 HyperRAM
}

// Every stack runs every op of the MLPerf Tiny networks on the host core, so any layer an
// engine does not take falls back.
TEST(ShippedConfigs, EveryStackHasHostKernelsForMlperfTiny) {
    const ConfigPaths paths = shippedConfigs();
    std::set<std::string> ops;
    for (const char* net :
         {"mlperf_tiny/kws", "mlperf_tiny/vww", "mlperf_tiny/ic", "mlperf_tiny/ad"}) {
        const auto loaded = workloads::loadNetwork(net, paths);
        for (workloads::Network::LayerId v = 0; v < loaded.network.size(); ++v) {
            const auto op = loaded.network.layer(v).op;
            if (op != workloads::OpKind::Input) {
                ops.insert(std::string(workloads::toString(op)));
            }
        }
    }
    ASSERT_GT(ops.size(), 4U);
    for (const auto& entry : listStacks(paths)) {
        const spec::StackSpec s = loadStack(entry.name, paths);
        std::set<std::string> host(s.free_ops().begin(), s.free_ops().end());
        for (const auto& k : s.kernels()) {
            if (k.engine().empty()) {
                host.insert(k.op());
            }
        }
        for (const auto& op : ops) {
            EXPECT_EQ(host.count(op), 1U) << entry.name << " has no host kernel for " << op;
        }
    }
}

// Platforms and the stack they ship with agree on engine names: every engine has kernels,
// every engine the stack names exists on one of its platforms, and each op an NPU or AIMC
// executes has a kernel for it (and no kernel names an op the hardware lacks).
TEST(ShippedConfigs, EngineNamesMatchBetweenPlatformsAndStacks) {
    const ConfigPaths paths = shippedConfigs();
    const std::map<std::string, std::vector<std::string>> kPlatformsOfStack = {
        {"gap-flow", {"gap8", "gap9-evk"}},
        {"vela", {"corstone-300-ethos-u55", "corstone-300-ethos-u55-256"}},
        {"stedge-ai", {"stm32n6570-dk"}},
        {"htvm", {"diana"}},
    };
    for (const auto& [stackName, platformNames] : kPlatformsOfStack) {
        const spec::StackSpec s = loadStack(stackName, paths);
        std::map<std::string, std::set<std::string>> kernelOps; // engine -> ops
        for (const auto& k : s.kernels()) {
            if (!k.engine().empty()) {
                kernelOps[k.engine()].insert(k.op());
            }
        }
        std::set<std::string> engines;
        for (const auto& platformName : platformNames) {
            const spec::PlatformSpec p = loadPlatform(platformName, paths);
            for (const auto& e : p.engines()) {
                SCOPED_TRACE(platformName + " engine " + e.name());
                engines.insert(e.name());
                ASSERT_EQ(kernelOps.count(e.name()), 1U) << "no kernels in " << stackName;
                const auto& hwOps = e.has_npu() ? e.npu().ops() : e.aimc().ops();
                if (e.has_npu() || e.has_aimc()) {
                    for (const auto& op : hwOps) {
                        EXPECT_EQ(kernelOps[e.name()].count(op), 1U) << "no kernel for " << op;
                    }
                    for (const auto& op : kernelOps[e.name()]) {
                        EXPECT_NE(std::find(hwOps.begin(), hwOps.end(), op), hwOps.end())
                            << "kernel for " << op << " which the hardware does not run";
                    }
                }
            }
        }
        for (const auto& [engine, ops] : kernelOps) {
            EXPECT_EQ(engines.count(engine), 1U)
                << stackName << " names engine '" << engine << "' that none of its platforms has";
        }
    }
}

TEST_F(PlatformCatalogTest, UnknownStackNameListsKnownOnes) {
    dir_.write("stacks/tflm.textproto", edit(kStack));
    InputError e = expectInputError([&] { loadStack("cmsis", paths()); });
    EXPECT_EQ(e.diagnostics().at(0).field, "--stack");
    EXPECT_THAT(std::string(e.what()), HasSubstr("known: tflm"));
}

} // namespace
} // namespace edgesim::platforms
