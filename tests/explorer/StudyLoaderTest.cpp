// Loading and validating study specs, and the number of points a study expands to.
// Line numbers refer to the numbered lines of kStudy.
#include "explorer/StudyLoader.h"

#include "workloads/Strategy.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
    /* 10 */ "clock_hz: 80e6",
    /* 11 */ "clock_hz: 120e6",
    /* 12 */ "fidelity: ANALYTICAL",
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

TEST_F(StudyLoaderTest, ValidStudyLoadsAndCountsPoints) {
    write("sweep", edit(kStudy));
    const spec::StudySpec s = loadStudy("sweep", paths());
    EXPECT_EQ(s.name(), "sweep");
    EXPECT_THAT(s.networks(),
                ::testing::ElementsAre("mlperf_tiny/ic", "mlperf_tiny/kws", "mlperf_tiny/ad"));
    EXPECT_EQ(s.fidelity(), spec::ANALYTICAL);
    // 2 platforms x 1 stack x 3 networks x 1 strategy x 2 batch sizes x 2 clocks.
    EXPECT_EQ(studyPointCount(s), 24);
}

TEST_F(StudyLoaderTest, ValidStudyLoadsByPath) {
    const std::string path = write("sweep", edit(kStudy));
    EXPECT_EQ(loadStudy(path, ConfigPaths("/nonexistent")).name(), "sweep");
}

TEST_F(StudyLoaderTest, EmptyOptionalListsCountAsOne) {
    write("sweep", edit(kStudy, {{7, ""}, {8, ""}, {9, ""}, {10, ""}, {11, ""}}));
    const spec::StudySpec s = loadStudy("sweep", paths());
    EXPECT_EQ(s.strategies_size(), 0);
    EXPECT_EQ(s.batch_sizes_size(), 0);
    EXPECT_EQ(s.clock_hz_size(), 0);
    EXPECT_EQ(studyPointCount(s), 2 * 1 * 3);
}

TEST(StudyPointCountTest, ProductOfListSizes) {
    spec::StudySpec s;
    s.add_platforms("p");
    s.add_stacks("s1");
    s.add_stacks("s2");
    s.add_networks("n");
    EXPECT_EQ(studyPointCount(s), 2);
    s.add_batch_sizes(1);
    s.add_batch_sizes(2);
    s.add_batch_sizes(8);
    EXPECT_EQ(studyPointCount(s), 6);
    s.add_clock_hz(1e8);
    s.add_clock_hz(2e8);
    EXPECT_EQ(studyPointCount(s), 12);
    s.add_strategies("inference");
    EXPECT_EQ(studyPointCount(s), 12);
    s.clear_platforms();
    EXPECT_EQ(studyPointCount(s), 0);
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

TEST_F(StudyLoaderTest, UnknownStrategyReportedWithIndex) {
    ASSERT_TRUE(workloads::isKnownStrategy("inference"));
    ASSERT_FALSE(workloads::isKnownStrategy("backprop"))
        << "backprop is available now; use a strategy that is not";
    InputError e =
        errors(edit(kStudy, {{7, "strategies: \"inference\" strategies: \"backprop\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "strategies[1]");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 7);
    EXPECT_THAT(d.reason, HasSubstr("'backprop'"));
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
    InputError e = errors(edit(kStudy, {{10, "clock_hz: 120"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic d = only(e, "clock_hz[0]");
    EXPECT_EQ(d.file, file_);
    EXPECT_EQ(d.line, 10);
    EXPECT_THAT(d.reason, HasSubstr("MHz"));
}

TEST_F(StudyLoaderTest, ClockTooHighHasNoMHzHint) {
    InputError e = errors(edit(kStudy, {{11, "clock_hz: 120e12"}}));
    const Diagnostic d = only(e, "clock_hz[1]");
    EXPECT_EQ(d.line, 11);
    EXPECT_THAT(d.reason, ::testing::Not(HasSubstr("MHz")));
}

TEST_F(StudyLoaderTest, AllProblemsReportedTogether) {
    InputError e = errors(edit(
        kStudy,
        {{5, ""}, {7, "strategies: \"backprop\""}, {8, "batch_sizes: -2"}, {11, "clock_hz: 240"}}));
    EXPECT_EQ(e.diagnostics().size(), 4U) << e.formatAll();
    only(e, "stacks");
    EXPECT_EQ(only(e, "strategies[0]").line, 7);
    EXPECT_EQ(only(e, "batch_sizes[0]").line, 8);
    EXPECT_EQ(only(e, "clock_hz[1]").line, 11);
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
