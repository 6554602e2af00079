// Loading and validating platform and stack configs. Each test writes a small config into a
// fresh temp directory laid out like configs/ (platforms/, stacks/) and checks that every
// problem is reported with the file, the line and the field path where it was written.
// Line numbers refer to the numbered lines of kPlatform / kStack below.
#include "platforms/PlatformCatalog.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
    /* 27 */ "placement { weights_memory: \"flash\" activations_memory: \"sram\" "
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
    EXPECT_EQ(loadPlatform(path, ConfigPaths("/nonexistent")).name(), "test-board");
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

TEST_F(PlatformCatalogTest, UnknownStackNameListsKnownOnes) {
    dir_.write("stacks/tflm.textproto", edit(kStack));
    InputError e = expectInputError([&] { loadStack("cmsis", paths()); });
    EXPECT_EQ(e.diagnostics().at(0).field, "--stack");
    EXPECT_THAT(std::string(e.what()), HasSubstr("known: tflm"));
}

} // namespace
} // namespace edgesim::platforms
