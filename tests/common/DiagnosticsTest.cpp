// Diagnostic formatting, collection and the InputError summary.
#include "common/Diagnostics.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgesim {
namespace {

TEST(DiagnosticTest, FormatWithEveryPart) {
    Diagnostic d{"cfg/a.textproto", 12, 7, "layers[3].conv2d.stride", "must be >= 1"};
    EXPECT_EQ(d.format(), "cfg/a.textproto:12:7: layers[3].conv2d.stride: must be >= 1");
}

TEST(DiagnosticTest, FormatWithoutColumn) {
    Diagnostic d{"a.textproto", 4, 0, "name", "missing required field"};
    EXPECT_EQ(d.format(), "a.textproto:4: name: missing required field");
}

TEST(DiagnosticTest, ColumnIsDroppedWhenLineIsUnknown) {
    // A column without a line means nothing to a reader; both are left out.
    Diagnostic d{"a.textproto", 0, 9, "name", "bad"};
    EXPECT_EQ(d.format(), "a.textproto: name: bad");
}

TEST(DiagnosticTest, FormatWithoutField) {
    Diagnostic d{"m.csv", 3, 0, "", "row has 2 fields, the header has 10"};
    EXPECT_EQ(d.format(), "m.csv:3: row has 2 fields, the header has 10");
}

TEST(DiagnosticTest, FormatWithoutFileUsesPlaceholder) {
    Diagnostic d{"", 0, 0, "", "something is wrong"};
    EXPECT_EQ(d.format(), "<input>: something is wrong");
}

TEST(DiagnosticsTest, StartsEmptyAndThrowIfAnyDoesNothing) {
    Diagnostics diags("x.textproto");
    EXPECT_TRUE(diags.empty());
    EXPECT_TRUE(diags.items().empty());
    EXPECT_EQ(diags.file(), "x.textproto");
    EXPECT_NO_THROW(diags.throwIfAny());
}

TEST(DiagnosticsTest, ErrorRecordsFileLineColumnFieldReason) {
    Diagnostics diags("x.textproto");
    diags.error("cores[0].isa", "missing required field", 8, 3);
    ASSERT_EQ(diags.items().size(), 1U);
    const Diagnostic& d = diags.items()[0];
    EXPECT_EQ(d.file, "x.textproto");
    EXPECT_EQ(d.line, 8);
    EXPECT_EQ(d.column, 3);
    EXPECT_EQ(d.field, "cores[0].isa");
    EXPECT_EQ(d.reason, "missing required field");
    EXPECT_FALSE(diags.empty());
}

TEST(DiagnosticsTest, AddKeepsTheDiagnosticsOwnFile) {
    Diagnostics diags("x.textproto");
    diags.add(Diagnostic{"other.textproto", 2, 0, "name", "duplicate"});
    ASSERT_EQ(diags.items().size(), 1U);
    EXPECT_EQ(diags.items()[0].file, "other.textproto");
}

TEST(DiagnosticsTest, ThrowIfAnyThrowsEveryDiagnosticInOrder) {
    Diagnostics diags("p.textproto");
    diags.error("name", "missing required field", 1);
    diags.error("operating_points", "a platform needs at least one operating point", 2);
    diags.error("cores", "a platform needs at least one core", 0);
    try {
        diags.throwIfAny();
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        ASSERT_EQ(e.diagnostics().size(), 3U);
        EXPECT_EQ(e.diagnostics()[0].field, "name");
        EXPECT_EQ(e.diagnostics()[1].field, "operating_points");
        EXPECT_EQ(e.diagnostics()[2].field, "cores");
        EXPECT_EQ(e.formatAll(), "p.textproto:1: name: missing required field\n"
                                 "p.textproto:2: operating_points: a platform needs at least "
                                 "one operating point\n"
                                 "p.textproto: cores: a platform needs at least one core\n");
    }
}

TEST(InputErrorTest, WhatOfASingleProblemIsThatProblem) {
    InputError e(std::vector<Diagnostic>{{"f.csv", 5, 0, "unit", "unknown unit 'h'"}});
    EXPECT_EQ(std::string(e.what()), "f.csv:5: unit: unknown unit 'h'");
}

TEST(InputErrorTest, WhatCountsTheOtherProblemsSingular) {
    InputError e(std::vector<Diagnostic>{{"f.csv", 5, 0, "unit", "unknown unit 'h'"},
                                         {"f.csv", 6, 0, "value", "not a number"}});
    EXPECT_EQ(std::string(e.what()), "f.csv:5: unit: unknown unit 'h' (and 1 more problem)");
}

TEST(InputErrorTest, WhatCountsTheOtherProblemsPlural) {
    std::vector<Diagnostic> ds;
    for (int i = 1; i <= 4; ++i) {
        ds.push_back({"f.csv", i, 0, "", "bad row"});
    }
    InputError e(ds);
    EXPECT_EQ(std::string(e.what()), "f.csv:1: bad row (and 3 more problems)");
    EXPECT_EQ(e.formatAll(), "f.csv:1: bad row\nf.csv:2: bad row\nf.csv:3: bad row\n"
                             "f.csv:4: bad row\n");
}

TEST(InputErrorTest, EmptyListStillHasAMessage) {
    InputError e(std::vector<Diagnostic>{});
    EXPECT_EQ(std::string(e.what()), "invalid input");
    EXPECT_TRUE(e.diagnostics().empty());
    EXPECT_EQ(e.formatAll(), "");
}

TEST(InputErrorTest, ConvenienceConstructorHasNoPosition) {
    InputError e("<command line>", "--platform", "unknown platform 'foo'");
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].line, 0);
    EXPECT_EQ(e.diagnostics()[0].column, 0);
    EXPECT_EQ(std::string(e.what()), "<command line>: --platform: unknown platform 'foo'");
}

TEST(InputErrorTest, IsARuntimeError) {
    try {
        throw InputError("a", "", "b");
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "a: b");
    }
}

} // namespace
} // namespace edgesim
