// Loading study specs and the checks that need no configs (explorer/sweep/Study.h). Line
// numbers refer to the numbered lines of kStudy.
#include "explorer/sweep/Study.h"

#include "workloads/strategy/Strategy.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include <string>
#include <vector>

namespace edgesim::explorer {
namespace {

using test::edit;
using test::expectInputError;
using test::only;
using test::TempDir;
using ::testing::HasSubstr;

const std::vector<std::string> kStudy = {
    /*  1 */ "name: \"sweep\"",
    /*  2 */ "description: \"two boards, three networks\"",
    /*  3 */ "platforms: \"board-a\"",
    /*  4 */ "platforms: \"board-b\"",
    /*  5 */ "stacks: \"tflm\"",
    /*  6 */ "networks: [\"mlperf_tiny/ic\", \"mlperf_tiny/kws\", \"mlperf_tiny/ad\"]",
    /*  7 */ "strategies: \"inference\"",
    /*  8 */ "batch_sizes: 1",
    /*  9 */ "batch_sizes: 4",
    /* 10 */ "operating_points { points { clock_hz: 80e6 }",
    /* 11 */ "                   points { clock_hz: 120e6 voltage_v: 3.3 } }",
    /* 12 */ "fidelity: ANALYTICAL",
    /* 13 */ "parameters { path: \"platform.memories[name=sram1].size_bytes\"",
    /* 14 */ "             values: [65536, 131072] }",
    /* 15 */ "parameters { path: \"stack.tile_bytes\" column: \"tile\"",
    /* 16 */ "             range { min: 256 max: 4096 scale: LOG steps: 5 } }",
    /* 17 */ "sampler { kind: \"grid\" }",
};

class StudyLoaderTest : public ::testing::Test {
protected:
    /// Writes studies/<name>.textproto and returns its path.
    std::string write(const std::string& name, const std::string& text) const {
        return dir_.write("studies/" + name + ".textproto", text).string();
    }
    ConfigPaths paths() const { return ConfigPaths(dir_.path().string()); }

    /// Loads `text` as studies/bad.textproto and returns the InputError it must raise.
    InputError errors(const std::string& text) {
        file_ = write("bad", text);
        return expectInputError([&] { loadStudy("bad", paths()); });
    }

    TempDir dir_{"edgesim-study-test"};
    std::string file_;
};

TEST_F(StudyLoaderTest, ValidStudyLoads) {
    write("sweep", edit(kStudy));
    const Study study = loadStudy("sweep", paths());
    const spec::StudySpec& s = study.spec;
    EXPECT_EQ(s.name(), "sweep");
    EXPECT_THAT(s.networks(),
                ::testing::ElementsAre("mlperf_tiny/ic", "mlperf_tiny/kws", "mlperf_tiny/ad"));
    EXPECT_EQ(s.fidelity(), spec::ANALYTICAL);
    EXPECT_EQ(s.operating_points().points_size(), 2);
    ASSERT_EQ(s.parameters_size(), 2);
    EXPECT_EQ(s.parameters(1).range().steps(), 5);
    EXPECT_EQ(study.sha256.size(), 64U);
    EXPECT_EQ(study.file, file_.empty() ? dir_.file("studies/sweep.textproto") : file_);
}

TEST_F(StudyLoaderTest, ValidStudyLoadsByPath) {
    const std::string path = write("sweep", edit(kStudy));
    const std::string empty = dir_.file("empty-configs");
    std::filesystem::create_directory(empty); // a config dir without the study in it
    EXPECT_EQ(loadStudy(path, ConfigPaths(empty)).spec.name(), "sweep");
}

TEST_F(StudyLoaderTest, HashFollowsTheBytes) {
    const std::string a = loadStudy(write("a", edit(kStudy)), paths()).sha256;
    const std::string b =
        loadStudy(write("b", edit(kStudy, {{2, "description: \"x\""}})), paths()).sha256;
    EXPECT_NE(a, b);
    EXPECT_EQ(a, loadStudy(write("c", edit(kStudy)), paths()).sha256);
}

TEST_F(StudyLoaderTest, MissingRequiredListsAreAllReported) {
    InputError e = errors(edit(kStudy, {{3, ""}, {4, ""}, {5, ""}, {6, ""}}));
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    for (const char* field : {"platforms", "stacks", "networks"}) {
        const Diagnostic d = only(e, field);
        EXPECT_EQ(d.file, file_);
        EXPECT_THAT(d.reason, HasSubstr("at least one"));
    }
}

TEST_F(StudyLoaderTest, MissingName) {
    InputError e = errors(edit(kStudy, {{1, ""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].field, "name");
}

TEST_F(StudyLoaderTest, StrategiesCarryTheirParameters) {
    // Variants of one strategy sweep its parameters; each is checked as --strategy-param is.
    write("sweep", edit(kStudy, {{7, "strategies: [\"inference\", \"sparse-backprop "
                                     "channel_ratio=0.25 weight_layers=3\", \"backprop "
                                     "dtype=int8\"]"}}));
    EXPECT_EQ(loadStudy("sweep", paths()).spec.strategies_size(), 3);
    const auto c = workloads::parseStrategyChoice("sparse-backprop  channel_ratio=0.25 x=1");
    EXPECT_EQ(c.name, "sparse-backprop");
    EXPECT_EQ(c.params, (std::vector<std::string>{"channel_ratio=0.25", "x=1"}));

    InputError e = errors(
        edit(kStudy, {{7, "strategies: \"inference\" strategies: \"backprop dtype=fp16\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "strategies[1]");
    EXPECT_EQ(d.line, 7);
    EXPECT_THAT(d.reason, HasSubstr("fp16"));
    EXPECT_THAT(d.reason, HasSubstr("int8"));
    InputError unknown =
        errors(edit(kStudy, {{7, "strategies: \"zeroth-order directions=2 lowest_layer=1\""}}));
    EXPECT_THAT(only(unknown, "strategies[0]").reason, HasSubstr("lowest_layer"));
    // The same variant spelled twice (0.25 and 0.250; a default given explicitly).
    InputError twice = errors(
        edit(kStudy, {{7, "strategies: [\"sparse-backprop channel_ratio=0.25\", \"backprop\", "
                          "\"sparse-backprop channel_ratio=0.25 dtype=fp32\"]"}}));
    EXPECT_THAT(only(twice, "strategies[2]").reason, HasSubstr("strategies[0]"));
}

TEST_F(StudyLoaderTest, UnknownStrategyReportedWithIndex) {
    ASSERT_TRUE(workloads::isKnownStrategy("inference"));
    ASSERT_FALSE(workloads::isKnownStrategy("teleport"))
        << "teleport is available now; use a strategy that is not";
    InputError e =
        errors(edit(kStudy, {{7, "strategies: \"inference\" strategies: \"teleport\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "strategies[1]");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 7);
    EXPECT_THAT(d.reason, HasSubstr("'teleport'"));
}

TEST_F(StudyLoaderTest, BatchSizeAboveTheLimitReportedWithIndex) {
    InputError e = errors(edit(kStudy, {{9, "batch_sizes: 1000000000"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "batch_sizes[1]");
    EXPECT_EQ(d.line, 9);
    EXPECT_THAT(d.reason, HasSubstr("above the limit of 1024"));
}

TEST_F(StudyLoaderTest, BatchSizeZeroReportedWithIndex) {
    InputError e = errors(edit(kStudy, {{9, "batch_sizes: 0"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "batch_sizes[1]");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 9);
    EXPECT_THAT(d.reason, HasSubstr(">= 1"));
}

TEST_F(StudyLoaderTest, ClockInMHzReported) {
    InputError e = errors(edit(kStudy, {{10, "operating_points { points { clock_hz: 120 }"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "operating_points.points[0].clock_hz");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 10);
    EXPECT_THAT(d.reason, HasSubstr("MHz"));
}

TEST_F(StudyLoaderTest, ClockTooHighHasNoMHzHint) {
    InputError e = errors(edit(kStudy, {{11, "points { clock_hz: 120e12 } }"}}));
    const Diagnostic d = only(e, "operating_points.points[1].clock_hz");
    EXPECT_EQ(d.line, 11);
    EXPECT_THAT(d.reason, ::testing::Not(HasSubstr("MHz")));
}

TEST_F(StudyLoaderTest, OperatingPointsNeedANameOrAClockAndNotBoth) {
    InputError e = errors(edit(kStudy, {{10, "operating_points { points { name: \"boost\" "
                                             "clock_hz: 1e8 } points { } "
                                             "points { platform: \"board-z\" name: \"x\" } }"},
                                        {11, ""}}));
    EXPECT_THAT(only(e, "operating_points.points[0].name").reason, HasSubstr("no clock_hz"));
    EXPECT_THAT(only(e, "operating_points.points[1]").reason, HasSubstr("give a name"));
    EXPECT_THAT(only(e, "operating_points.points[2].platform").reason,
                HasSubstr("not one of the study's platforms"));
}

TEST_F(StudyLoaderTest, ParameterAxesAreChecked) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"parameters { path: \"memories[0].size_bytes\" values: 1 }", "must start with"},
        {"parameters { path: \"platform.memories[0].size_bytes\" }", "give the axis values"},
        {"parameters { path: \"platform.memories[0].size_bytes\" values: 1 labels: \"a\" }",
         "only one of"},
        {"parameters { path: \"platform.memories[0].name\" labels: \"a\" }", "cannot be swept"},
        {"parameters { path: \"operating_point.clock\" values: 1e8 }", "clock_hz"},
        {"parameters { path: \"operating_point.clock_hz\" labels: \"fast\" }", "are numbers"},
        {"parameters { path: \"stack.tile_bytes\" range { min: 5 max: 1 steps: 3 } }", "min < max"},
        {"parameters { path: \"stack.tile_bytes\" range { min: 0 max: 1 scale: LOG steps: 3 } }",
         "LOG range needs min > 0"},
        {"parameters { path: \"stack.tile_bytes\" range { min: 1 max: 9 steps: 1 } }",
         "steps must be"},
        {"parameters { path: \"stack.tile_bytes\" range { min: 1 max: 9 } }",
         "grid sampler needs steps"},
        {"parameters { path: \"stack.tile_bytes\" column: \"latency_s\" values: 1 }",
         "is a column of /sweep"},
        {"parameters { path: \"stack.tile_bytes\" column: \"tile\" values: 1 }",
         "duplicate column 'tile'"},
    };
    for (const auto& [axis, reason] : cases) {
        SCOPED_TRACE(axis);
        // (without operating points, which a clock axis would contradict)
        InputError e = errors(edit(kStudy, {{10, ""}, {11, ""}, {13, axis}, {14, ""}}));
        ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
        // The duplicate is reported on the second axis with the column (line 15).
        const int line = reason.rfind("duplicate", 0) == 0 ? 15 : 13;
        EXPECT_EQ(e.diagnostics()[0].line, line) << e.formatAll();
        EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr(reason));
    }
}

TEST_F(StudyLoaderTest, ClockAxisAndOperatingPointsExcludeEachOther) {
    InputError e = errors(edit(
        kStudy, {{13, "parameters { path: \"operating_point.clock_hz\" values: 1e8 }"}, {14, ""}}));
    EXPECT_THAT(only(e, "operating_points").reason, HasSubstr("both set the clock"));
}

TEST_F(StudyLoaderTest, SamplerIsChecked) {
    EXPECT_THAT(errors(edit(kStudy, {{17, "sampler { kind: \"sobol\" }"}})).formatAll(),
                HasSubstr("unknown sampler 'sobol'"));
    EXPECT_THAT(errors(edit(kStudy, {{17, "sampler { kind: \"random\" }"}})).formatAll(),
                HasSubstr("needs a number of points"));
    EXPECT_THAT(errors(edit(kStudy, {{17, "sampler { points: 10 }"}})).formatAll(),
                HasSubstr("enumerates every point"));
    write("lhs", edit(kStudy, {{16, "range { min: 256 max: 4096 } }"},
                               {17, "sampler { kind: \"latin-hypercube\" points: 50 }"}}));
    EXPECT_EQ(loadStudy("lhs", paths()).spec.sampler().points(), 50);
}

TEST_F(StudyLoaderTest, SetOverridesAndMappingAreChecked) {
    InputError e = errors(edit(kStudy, {{12, "set: \"memories[0].size_bytes=1\" "
                                             "set: \"platform.x\" mapping: \"fastest\""}}));
    EXPECT_THAT(only(e, "set[0]").reason, HasSubstr("must start with 'platform.'"));
    EXPECT_THAT(only(e, "set[1]").reason, HasSubstr("expected platform.<field path>=<value>"));
    EXPECT_THAT(only(e, "mapping").reason, HasSubstr("unknown mapper 'fastest'"));
}

TEST_F(StudyLoaderTest, AllProblemsReportedTogether) {
    InputError e = errors(edit(kStudy, {{5, ""},
                                        {7, "strategies: \"teleport\""},
                                        {8, "batch_sizes: -2"},
                                        {11, "points { clock_hz: 240 } }"}}));
    EXPECT_EQ(e.diagnostics().size(), 4U) << e.formatAll();
    only(e, "stacks");
    EXPECT_EQ(only(e, "strategies[0]").line, 7);
    EXPECT_EQ(only(e, "batch_sizes[0]").line, 8);
    EXPECT_EQ(only(e, "operating_points.points[1].clock_hz").line, 11);
}

TEST_F(StudyLoaderTest, SyntaxErrorIsReportedWithLine) {
    InputError e = errors(edit(kStudy, {{8, "batch_sizes: four"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].file, file_);
    EXPECT_EQ(e.diagnostics()[0].line, 8);
}

TEST_F(StudyLoaderTest, UnknownStudyNameListsKnownOnes) {
    write("sweep", edit(kStudy));
    try {
        loadStudy("sweeep", paths());
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        EXPECT_EQ(e.diagnostics().at(0).field, "--study");
        EXPECT_THAT(std::string(e.what()), HasSubstr("known: sweep"));
    }
}

} // namespace
} // namespace edgesim::explorer
