// Reading silicon measurements from CSV: the real calibration file (published MLPerf Tiny
// results), column order, extra columns, unit conversion and error reporting with lines.
#include "analysis/Measurements.h"

#include "common/Diagnostics.h"
#include "common/TextProto.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include <string>
#include <vector>

namespace edgesim::analysis {
namespace {

using test::onLine;
using ::testing::HasSubstr;

constexpr const char* kCalibrationCsv = EDGESIM_TEST_DIR "/data/silicon/calibration.csv";
constexpr const char* kHeader =
    "platform,stack,network,strategy,metric,value,unit,clock_mhz,voltage_v,source\n";

/// Parses `text` as the CSV file `file` and returns the InputError it must raise.
InputError parseErrors(const std::string& text, const std::string& file = "m.csv") {
    return test::expectInputError([&] { parseMeasurements(text, file); }, " for:\n" + text);
}

// ---------------------------------------------------------------- the real calibration file

TEST(MeasurementsTest, FixtureCopyMatchesShared) {
    // tests/data/silicon/calibration.csv must stay a copy of the shared original.
    const std::string shared = EDGESIM_SOURCE_DIR "/../shared/data/silicon/calibration.csv";
    if (!std::filesystem::exists(shared)) {
        GTEST_SKIP() << "no shared/ beside the repository";
    }
    EXPECT_EQ(readFile(kCalibrationCsv), readFile(shared));
}

TEST(MeasurementsTest, LoadsCalibrationFile) {
    const auto ms = loadMeasurements(kCalibrationCsv);
    ASSERT_EQ(ms.size(), 20U);

    // Row 1: Nucleo-L4R5ZI, TFLM 2.3, image classification, 704.2254 ms at 120 MHz.
    const Measurement& first = ms[0];
    EXPECT_EQ(first.line, 2);
    EXPECT_EQ(first.platform, "nucleo-l4r5zi");
    EXPECT_EQ(first.stack, "tflm-2.3");
    EXPECT_EQ(first.network, "mlperf_tiny/ic");
    EXPECT_EQ(first.strategy, "inference");
    EXPECT_EQ(first.metric, Metric::Latency);
    EXPECT_DOUBLE_EQ(first.value, 0.7042254);
    EXPECT_EQ(first.siUnit, "s");
    EXPECT_EQ(first.unit, "ms");
    EXPECT_DOUBLE_EQ(first.rawValue, 704.2254);
    ASSERT_TRUE(first.clockMhz.has_value());
    EXPECT_DOUBLE_EQ(*first.clockMhz, 120.0);
    EXPECT_FALSE(first.voltageV.has_value());
    EXPECT_THAT(first.source, HasSubstr("tiny_results_v0.5"));
    EXPECT_TRUE(first.extra.empty());

    // Row 2: the matching energy, 29207.010 uJ.
    EXPECT_EQ(ms[1].metric, Metric::Energy);
    EXPECT_DOUBLE_EQ(ms[1].value, 29207.010e-6);
    EXPECT_EQ(ms[1].siUnit, "J");
    EXPECT_EQ(ms[1].line, 3);
}

TEST(MeasurementsTest, CalibrationFileInvariants) {
    const auto ms = loadMeasurements(kCalibrationCsv);
    int gap9 = 0;
    for (const auto& m : ms) {
        SCOPED_TRACE(m.line);
        EXPECT_EQ(m.strategy, "inference");
        ASSERT_TRUE(m.clockMhz.has_value());
        if (m.platform == "gap9-evk") {
            ++gap9;
            ASSERT_TRUE(m.voltageV.has_value());
            EXPECT_DOUBLE_EQ(*m.voltageV, 0.65);
            EXPECT_DOUBLE_EQ(*m.clockMhz, 240.0);
        } else {
            EXPECT_FALSE(m.voltageV.has_value()); // MCU boards: supply not given
        }
        // Every published MLPerf Tiny number here is under a second and under 0.1 J.
        if (m.metric == Metric::Latency) {
            EXPECT_EQ(m.siUnit, "s");
            EXPECT_GT(m.value, 0.0);
            EXPECT_LT(m.value, 1.0);
        } else {
            EXPECT_EQ(m.metric, Metric::Energy);
            EXPECT_EQ(m.siUnit, "J");
            EXPECT_GT(m.value, 0.0);
            EXPECT_LT(m.value, 0.1);
        }
    }
    EXPECT_EQ(gap9, 4);
    // Records keep their file lines, one per row after the header.
    EXPECT_EQ(ms.back().line, 21);
}

// ---------------------------------------------------------------- format

TEST(MeasurementsTest, ColumnsInAnyOrder) {
    const auto ms = parseMeasurements("value,unit,metric,source,network,stack,platform,strategy\n"
                                      "12.5,ms,latency,paper,net,stk,board,inference\n",
                                      "m.csv");
    ASSERT_EQ(ms.size(), 1U);
    EXPECT_EQ(ms[0].platform, "board");
    EXPECT_EQ(ms[0].stack, "stk");
    EXPECT_EQ(ms[0].network, "net");
    EXPECT_EQ(ms[0].strategy, "inference");
    EXPECT_EQ(ms[0].source, "paper");
    EXPECT_EQ(ms[0].metric, Metric::Latency);
    EXPECT_DOUBLE_EQ(ms[0].value, 0.0125);
    EXPECT_FALSE(ms[0].clockMhz.has_value());
    EXPECT_FALSE(ms[0].voltageV.has_value());
}

TEST(MeasurementsTest, ExtraColumnsAreKept) {
    const auto ms = parseMeasurements(
        "board_rev,platform,stack,network,strategy,metric,value,unit,source,notes\n"
        "C-02,b,s,n,inference,energy,3,mJ,lab,\"warm, 25 C\"\n",
        "m.csv");
    ASSERT_EQ(ms.size(), 1U);
    EXPECT_THAT(ms[0].extra,
                ::testing::UnorderedElementsAre(::testing::Pair("board_rev", "C-02"),
                                                ::testing::Pair("notes", "warm, 25 C")));
    EXPECT_DOUBLE_EQ(ms[0].value, 3e-3);
}

TEST(MeasurementsTest, EveryUnitIsConvertedToSi) {
    struct Case {
        const char* metric;
        const char* value;
        const char* unit;
        double si;
        const char* siUnit;
    };
    const std::vector<Case> cases = {
        {"latency", "1.5", "s", 1.5, "s"},
        {"latency", "1.5", "ms", 1.5e-3, "s"},
        {"latency", "1.5", "us", 1.5e-6, "s"},
        {"latency", "1000", "cycles", 1000.0, "cycles"},
        {"energy", "2", "J", 2.0, "J"},
        {"energy", "2", "mJ", 2e-3, "J"},
        {"energy", "2", "uJ", 2e-6, "J"},
        {"peak_memory", "100", "B", 100.0, "B"},
        {"peak_memory", "2", "KiB", 2048.0, "B"},
        {"peak_memory", "3", "MiB", 3.0 * 1024 * 1024, "B"},
        {"traffic", "5", "KiB", 5120.0, "B"},
        {"macs", "12345", "", 12345.0, ""},
    };
    std::string text = kHeader;
    for (const auto& c : cases) {
        text +=
            std::string("b,s,n,inference,") + c.metric + "," + c.value + "," + c.unit + ",,,src\n";
    }
    const auto ms = parseMeasurements(text, "units.csv");
    ASSERT_EQ(ms.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].unit);
        EXPECT_EQ(toString(ms[i].metric), cases[i].metric);
        EXPECT_DOUBLE_EQ(ms[i].value, cases[i].si);
        EXPECT_EQ(ms[i].siUnit, cases[i].siUnit);
        EXPECT_EQ(ms[i].unit, cases[i].unit);
        EXPECT_EQ(ms[i].line, static_cast<int>(i) + 2);
    }
}

TEST(MeasurementsTest, QuotedFieldsWithCommasAndNewlines) {
    const std::string text =
        std::string(kHeader) +
        "b,s,n,inference,latency,1,ms,,,\"Table 3, row 2\"\n"               // 2
        "b,s,n,inference,latency,2,ms,,,\"two\nlines, quoted \"\"x\"\"\"\n" // 3-4
        "b,s,n,inference,latency,3,ms,,,plain\n";                           // 5
    const auto ms = parseMeasurements(text, "q.csv");
    ASSERT_EQ(ms.size(), 3U);
    EXPECT_EQ(ms[0].source, "Table 3, row 2");
    EXPECT_EQ(ms[1].source, "two\nlines, quoted \"x\"");
    EXPECT_EQ(ms[1].line, 3);
    EXPECT_EQ(ms[2].line, 5);
}

TEST(MeasurementsTest, WindowsLineEndings) {
    const std::string text = "platform,stack,network,strategy,metric,value,unit,source\r\n"
                             "b,s,n,inference,latency,4,ms,src\r\n"
                             "b,s,n,inference,energy,5,uJ,src\r\n";
    const auto ms = parseMeasurements(text, "crlf.csv");
    ASSERT_EQ(ms.size(), 2U);
    EXPECT_EQ(ms[1].source, "src");
    EXPECT_EQ(ms[1].line, 3);
    EXPECT_DOUBLE_EQ(ms[1].value, 5e-6);
}

TEST(MeasurementsTest, BlankLinesAreSkipped) {
    const auto ms = parseMeasurements(
        std::string(kHeader) + "\n" + "b,s,n,inference,macs,10,,,,src\n\n", "m.csv");
    ASSERT_EQ(ms.size(), 1U);
    EXPECT_EQ(ms[0].line, 3);
}

// ---------------------------------------------------------------- errors

TEST(MeasurementsErrorsTest, UnknownMetric) {
    InputError e = parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,ms,,,src\n"
                                                      "b,s,n,inference,throughput,1,ms,,,src\n");
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, "m.csv");
    EXPECT_EQ(d.line, 3);
    EXPECT_EQ(d.field, "metric");
    EXPECT_THAT(d.reason, HasSubstr("'throughput'"));
}

TEST(MeasurementsErrorsTest, UnknownUnit) {
    InputError e = parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,h,,,src\n");
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].line, 2);
    EXPECT_EQ(e.diagnostics()[0].field, "unit");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("'h'"));
}

TEST(MeasurementsErrorsTest, UnitNotFittingMetric) {
    InputError e = parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,mJ,,,src\n"
                                                      "b,s,n,inference,energy,1,ms,,,src\n"
                                                      "b,s,n,inference,macs,1,B,,,src\n"
                                                      "b,s,n,inference,peak_memory,1,,,,src\n");
    ASSERT_EQ(e.diagnostics().size(), 4U) << e.formatAll();
    for (int line = 2; line <= 5; ++line) {
        const Diagnostic d = onLine(e, line);
        EXPECT_EQ(d.field, "unit");
        EXPECT_THAT(d.reason, HasSubstr("does not fit"));
    }
    EXPECT_THAT(onLine(e, 2).reason, HasSubstr("'mJ'"));
    EXPECT_THAT(onLine(e, 2).reason, HasSubstr("'latency'"));
}

TEST(MeasurementsErrorsTest, NonNumericNonPositiveOrOutOfRangeValue) {
    InputError e =
        parseErrors(std::string(kHeader) + "b,s,n,inference,latency,fast,ms,,,src\n"
                                           "b,s,n,inference,latency,12ms,ms,,,src\n"
                                           "b,s,n,inference,latency,-3,ms,,,src\n"
                                           "b,s,n,inference,latency,,ms,,,src\n"
                                           "b,s,n,inference,latency,0,ms,,,src\n"
                                           "b,s,n,inference,latency,nan,ms,,,src\n"
                                           "b,s,n,inference,latency,inf,ms,,,src\n"
                                           "b,s,n,inference,peak_memory,1e308,MiB,,,src\n");
    ASSERT_EQ(e.diagnostics().size(), 8U) << e.formatAll();
    for (int line = 2; line <= 9; ++line) {
        EXPECT_EQ(onLine(e, line).field, "value");
    }
    EXPECT_THAT(onLine(e, 2).reason, HasSubstr("'fast'"));
}

TEST(MeasurementsErrorsTest, BadClockOrVoltage) {
    InputError e = parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,ms,fast,,src\n"
                                                      "b,s,n,inference,latency,1,ms,120,0,src\n");
    ASSERT_EQ(e.diagnostics().size(), 2U) << e.formatAll();
    EXPECT_EQ(onLine(e, 2).field, "clock_mhz");
    EXPECT_EQ(onLine(e, 3).field, "voltage_v");
}

TEST(MeasurementsErrorsTest, EmptyIdentifyingField) {
    InputError e = parseErrors(std::string(kHeader) + ",s,n,inference,latency,1,ms,,,src\n");
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].field, "platform");
    EXPECT_EQ(e.diagnostics()[0].line, 2);
}

TEST(MeasurementsErrorsTest, RowWithWrongFieldCount) {
    InputError e = parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,ms,,,src\n"
                                                      "b,s,n,inference,latency,1,ms\n"
                                                      "b,s,n,inference,latency,1,ms,,,src,extra\n");
    ASSERT_EQ(e.diagnostics().size(), 2U) << e.formatAll();
    EXPECT_THAT(onLine(e, 3).reason, HasSubstr("7 fields"));
    EXPECT_THAT(onLine(e, 3).reason, HasSubstr("10"));
    EXPECT_THAT(onLine(e, 4).reason, HasSubstr("11 fields"));
}

TEST(MeasurementsErrorsTest, MissingRequiredColumns) {
    InputError e = parseErrors("platform,stack,network,metric,value\n"
                               "b,s,n,latency,1\n");
    // strategy, unit and source are missing: all three are named.
    ASSERT_EQ(e.diagnostics().size(), 3U) << e.formatAll();
    std::string all = e.formatAll();
    for (const char* col : {"'strategy'", "'unit'", "'source'"}) {
        EXPECT_THAT(all, HasSubstr(col));
    }
    for (const auto& d : e.diagnostics()) {
        EXPECT_EQ(d.line, 1);
        EXPECT_EQ(d.field, "header");
    }
}

TEST(MeasurementsErrorsTest, DuplicateColumn) {
    InputError e = parseErrors("platform,stack,network,strategy,metric,value,unit,source,"
                               "unit\n");
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("'unit'"));
}

// An opening quote without its closing quote is reported at the line where it opens. It must
// not be accepted as one field running to the end of the file (which would silently swallow
// the rows after it into the `source` of the broken row).
TEST(MeasurementsErrorsTest, UnterminatedQuoteInTheMiddle) {
    InputError e = parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,ms,,,src\n"
                                                      "b,s,n,inference,latency,1,ms,,,\"open\n"
                                                      "b,s,n,inference,latency,1,ms,,,src\n");
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_EQ(e.diagnostics()[0].line, 3) << e.formatAll();
}

TEST(MeasurementsErrorsTest, UnterminatedQuoteAtEndOfFile) {
    InputError e = parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,ms,,,src\n"
                                                      "b,s,n,inference,latency,1,ms,,,\"open\n");
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_EQ(e.diagnostics()[0].line, 3) << e.formatAll();
}

TEST(MeasurementsErrorsTest, TextAfterClosingQuote) {
    InputError e =
        parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,ms,,,\"quoted\"tail\n");
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].line, 2);
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("malformed CSV"));
}

TEST(MeasurementsErrorsTest, EmptyFile) {
    InputError e = parseErrors("", "empty.csv");
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].file, "empty.csv");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("empty"));
}

TEST(MeasurementsErrorsTest, AHeaderWithoutRowsIsAnError) {
    InputError e = parseErrors(kHeader, "header-only.csv");
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].line, 1);
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("no measurement rows"));
}

TEST(MeasurementsTest, AByteOrderMarkIsNotPartOfTheFirstColumnName) {
    // Spreadsheets' "CSV UTF-8" starts the file with EF BB BF.
    const auto ms = parseMeasurements(std::string("\xEF\xBB\xBF") + kHeader +
                                          "b,s,n,inference,latency,1.5,ms,,,src\n",
                                      "bom.csv");
    ASSERT_EQ(ms.size(), 1U);
    EXPECT_EQ(ms[0].platform, "b");
    EXPECT_EQ(ms[0].line, 2);
}

TEST(MeasurementsErrorsTest, MissingFileNamesThePath) {
    const std::string path = EDGESIM_TEST_DIR "/analysis/no-such-file.csv";
    try {
        loadMeasurements(path);
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        EXPECT_EQ(e.diagnostics().at(0).file, path);
    }
}

TEST(MeasurementsErrorsTest, AllProblemsOfAFileAreReportedTogether) {
    InputError e = parseErrors(std::string(kHeader) + "b,s,n,inference,latency,1,ms,,,src\n" // 2 ok
                                                      "b,s,n,inference,throughput,1,ms,,,src\n" // 3
                                                      "b,s,n,inference,latency,1,h,,,src\n"     // 4
                                                      "b,s,n,inference,latency,1,mJ,,,src\n"    // 5
                                                      "b,s,n,inference,latency,fast,ms,,,src\n" // 6
                                                      "b,s,n,inference,latency,1\n"             // 7
                                                      "b,s,n,inference,energy,1,uJ,,,src\n", // 8 ok
                               "all.csv");
    EXPECT_EQ(e.diagnostics().size(), 5U) << e.formatAll();
    EXPECT_EQ(onLine(e, 3).field, "metric");
    EXPECT_EQ(onLine(e, 4).field, "unit");
    EXPECT_EQ(onLine(e, 5).field, "unit");
    EXPECT_EQ(onLine(e, 6).field, "value");
    EXPECT_EQ(onLine(e, 7).field, "");
    for (const auto& d : e.diagnostics()) {
        EXPECT_EQ(d.file, "all.csv");
    }
    EXPECT_THAT(std::string(e.what()), HasSubstr("(and 4 more problems)"));
}

TEST(MeasurementsErrorsTest, SeveralProblemsInOneRowAreAllReported) {
    InputError e = parseErrors(std::string(kHeader) + ",s,n,inference,speed,x,h,,,src\n");
    EXPECT_EQ(e.diagnostics().size(), 4U) << e.formatAll(); // platform, metric, value, unit
}

} // namespace
} // namespace edgesim::analysis
