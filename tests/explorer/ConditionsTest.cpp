// Measurement conditions (configs/measurements/, explorer/session/Conditions.h): the supply of
// published rows that do not state it, matched by source prefix; a row's own value wins; a
// bad file names every problem; and the supply changes the predicted energy as the platform's
// SupplyKind says (same binaries at 1.8 V and 3.0 V on the L4R5: MLPerf Tiny v1.0 / v1.1).
#include "explorer/session/Conditions.h"
#include "explorer/session/Predictor.h"
#include "explorer/session/Session.h"

#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>

#include <string>

namespace edgesim::explorer {
namespace {

const ConfigPaths kPaths(EDGESIM_SOURCE_DIR "/configs");

analysis::Measurement row(const std::string& platform, const std::string& source) {
    analysis::Measurement m;
    m.platform = platform;
    m.stack = "x-cube-ai-7.3";
    m.network = "mlperf_tiny/ic";
    m.strategy = "inference";
    m.metric = analysis::Metric::Energy;
    m.source = source;
    return m;
}

TEST(Conditions, CommittedFileFillsTheSupplyOfRowsThatLackIt) {
    const MeasurementConditions c = loadMeasurementConditions(kDefaultConditions, kPaths);
    ASSERT_FALSE(c.supplies.empty());
    for (const auto& s : c.supplies) {
        EXPECT_FALSE(s.evidence.empty()) << s.sourcePrefix;
    }
    std::vector<analysis::Measurement> rows = {
        row("nucleo-l4r5zi", "mlcommons/tiny_results_v1.0:closed/STMicroelectronics/results/"
                             "NUCLEO_L4R5ZI/ic/energy/results.txt"),
        row("nucleo-l4r5zi", "mlcommons/tiny_results_v1.1:closed/Krai/results/"
                             "NUCLEO-L4R5ZI_X-CUBE-AI-7.3/ic/energy/results.txt"),
        row("nucleo-l4r5zi", "my own bench"),
        row("nucleo-l4r5zi", "mlcommons/tiny_results_v1.0:closed/STMicroelectronics/results/"
                             "NUCLEO_L4R5ZI/kws/energy/results.txt")};
    rows[3].voltageV = 2.5; // stated in the row: kept
    EXPECT_EQ(applyConditions(rows, c), 2);
    EXPECT_EQ(rows[0].voltageV, 1.8);
    EXPECT_EQ(rows[1].voltageV, 3.0);
    EXPECT_FALSE(rows[2].voltageV.has_value());
    EXPECT_EQ(rows[3].voltageV, 2.5);
    // `none` applies nothing.
    std::vector<analysis::Measurement> untouched = {rows[2]};
    EXPECT_EQ(applyConditions(untouched, loadMeasurementConditions(kNoConditions, kPaths)), 0);
}

TEST(Conditions, LongestPrefixWins) {
    MeasurementConditions c;
    c.supplies = {{"lab/", 3.3, "a"}, {"lab/board-b/", 1.8, "b"}};
    std::vector<analysis::Measurement> rows = {row("nucleo-l4r5zi", "lab/board-b/run1"),
                                               row("nucleo-l4r5zi", "lab/board-a/run1")};
    EXPECT_EQ(applyConditions(rows, c), 2);
    EXPECT_EQ(rows[0].voltageV, 1.8);
    EXPECT_EQ(rows[1].voltageV, 3.3);
}

TEST(Conditions, BadFileReportsEveryProblem) {
    test::TempDir dir;
    const std::string file =
        dir.write("bad.textproto",
                  "supplies { source_prefix: \"a/\" voltage_v: 0 evidence: \"x\" }\n"
                  "supplies { source_prefix: \"a/\" voltage_v: 1.8 }\n"
                  "supplies { voltage_v: 33 evidence: \"y\" }\n")
            .string();
    const InputError e = test::expectInputError([&] { loadMeasurementConditions(file, kPaths); });
    const std::string all = e.formatAll();
    for (const char* part :
         {"supplies[0].voltage_v", "supplies[1].source_prefix", "repeats", "supplies[1].evidence",
          "supplies[2].source_prefix", "supplies[2].voltage_v"}) {
        EXPECT_NE(all.find(part), std::string::npos) << part << "\n" << all;
    }
    EXPECT_EQ(e.diagnostics().size(), 5U) << all;
    const InputError missing =
        test::expectInputError([&] { loadMeasurementConditions("no-such-set", kPaths); });
    EXPECT_NE(missing.formatAll().find("--conditions"), std::string::npos);
}

TEST(Conditions, SupplyMovesEnergyAsTheRegulatorDoes) {
    // The same network at 1.8 V and 3.0 V: timing identical; a linear regulator (L4R5) draws
    // the same current, so energy scales with the supply; an SMPS part (H7A3) draws the same
    // power, so energy stays.
    Session session{kPaths};
    for (const auto& [platform, expectedRatio] :
         {std::pair<std::string, double>{"nucleo-l4r5zi", 3.0 / 1.8},
          std::pair<std::string, double>{"nucleo-h7a3zi-q", 1.0}}) {
        analysis::Measurement low = row(platform, "test");
        low.voltageV = 1.8;
        analysis::Measurement high = low;
        high.voltageV = 3.0;
        const auto a = session.run(queryFor(low, sim::Fidelity::Tlm, {}, "test.csv")).result;
        const auto b = session.run(queryFor(high, sim::Fidelity::Tlm, {}, "test.csv")).result;
        ASSERT_EQ(a.status, sim::Status::Ok) << a.reason;
        ASSERT_EQ(b.status, sim::Status::Ok) << b.reason;
        EXPECT_EQ(a.latencyCycles, b.latencyCycles) << platform;
        EXPECT_NEAR(b.energyJ / a.energyJ, expectedRatio, 1e-9) << platform;
    }
}

} // namespace
} // namespace edgesim::explorer
