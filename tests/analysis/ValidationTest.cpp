// Validation statistics against hand-computed values: signed error, MAPE, median and max
// |error|, Kendall tau restricted to same-metric pairs, grouping by platform, summary line.
#include "analysis/Validation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgesim::analysis {
namespace {

Comparison row(const std::string& platform, const std::string& metric, double measured,
               double predicted) {
    return Comparison{platform, "stack", "net", metric, measured, predicted};
}

TEST(ErrorPctTest, IsSignedAndRelativeToTheMeasurement) {
    EXPECT_DOUBLE_EQ(errorPct(110.0, 100.0), 10.0);
    EXPECT_DOUBLE_EQ(errorPct(0.5, 1.0), -50.0);
    EXPECT_DOUBLE_EQ(errorPct(2e-3, 1e-3), 100.0);
}

TEST(SummarizeTest, ThreeRowsWithKnownErrors) {
    // errors: +10 %, -20 %, +40 % -> |e| = 10, 20, 40.
    const std::vector<Comparison> rows = {
        row("p", "latency", 1.0, 1.1),
        row("p", "latency", 2.0, 1.6),
        row("p", "latency", 5.0, 7.0),
    };
    const ValidationSummary s = summarize(rows);
    ASSERT_EQ(s.perPlatform.size(), 1U);
    const GroupSummary& g = s.overall;
    EXPECT_EQ(g.rows, 3);
    EXPECT_NEAR(g.mapePct, 70.0 / 3.0, 1e-9);
    EXPECT_NEAR(g.medianAbsPct, 20.0, 1e-9);
    EXPECT_NEAR(g.maxAbsPct, 40.0, 1e-9);
    // measured 1 < 2 < 5 and predicted 1.1 < 1.6 < 7: all 3 pairs concordant.
    EXPECT_EQ(g.tauPairs, 3);
    EXPECT_DOUBLE_EQ(g.kendallTau, 1.0);
    EXPECT_EQ(s.perPlatform[0].platform, "p");
    EXPECT_EQ(s.perPlatform[0].rows, 3);
    EXPECT_DOUBLE_EQ(s.perPlatform[0].mapePct, g.mapePct);
}

TEST(SummarizeTest, MedianOfAnEvenCountIsTheMeanOfTheMiddleTwo) {
    const std::vector<Comparison> rows = {
        row("p", "latency", 1.0, 1.1), // 10
        row("p", "latency", 1.0, 0.7), // 30
        row("p", "latency", 1.0, 1.5), // 50
        row("p", "latency", 1.0, 1.2), // 20
    };
    EXPECT_NEAR(summarize(rows).overall.medianAbsPct, 25.0, 1e-9);
}

TEST(SummarizeTest, ReversedOrderGivesTauMinusOne) {
    const std::vector<Comparison> rows = {
        row("p", "energy", 1.0, 3.0),
        row("p", "energy", 2.0, 2.0),
        row("p", "energy", 3.0, 1.0),
    };
    const GroupSummary g = summarize(rows).overall;
    EXPECT_EQ(g.tauPairs, 3);
    EXPECT_DOUBLE_EQ(g.kendallTau, -1.0);
}

TEST(SummarizeTest, MixedOrderAndTiesByHand) {
    // measured 1,2,3,4; predicted 1,3,2,3.
    // pairs (0,1)+ (0,2)+ (0,3)+ (1,2)- (1,3) tie in predicted (2,3)+  -> C=4, D=1.
    const std::vector<Comparison> rows = {
        row("p", "latency", 1.0, 1.0),
        row("p", "latency", 2.0, 3.0),
        row("p", "latency", 3.0, 2.0),
        row("p", "latency", 4.0, 3.0),
    };
    const GroupSummary g = summarize(rows).overall;
    EXPECT_EQ(g.tauPairs, 5);
    EXPECT_DOUBLE_EQ(g.kendallTau, 3.0 / 5.0);
}

TEST(SummarizeTest, DifferentMetricsFormNoPairs) {
    // Predicted energy would rank "wrong" against the latency if they were compared.
    const std::vector<Comparison> rows = {
        row("p", "latency", 1e-3, 1e-3),
        row("p", "energy", 5e-6, 1e-4),
    };
    const GroupSummary g = summarize(rows).overall;
    EXPECT_EQ(g.tauPairs, 0);
    EXPECT_TRUE(std::isnan(g.kendallTau));
}

TEST(SummarizeTest, PairsOnlyWithinTheSameMetric) {
    // Two latencies concordant, two energies discordant, cross pairs ignored.
    const std::vector<Comparison> rows = {
        row("p", "latency", 1.0, 1.0),
        row("p", "energy", 1.0, 2.0),
        row("p", "latency", 2.0, 2.0),
        row("p", "energy", 2.0, 1.0),
    };
    const GroupSummary g = summarize(rows).overall;
    EXPECT_EQ(g.tauPairs, 2);
    EXPECT_DOUBLE_EQ(g.kendallTau, 0.0);
}

TEST(SummarizeTest, GroupsByPlatformSortedByNameAndOverallPairsAcrossPlatforms) {
    const std::vector<Comparison> rows = {
        row("stm32", "latency", 2.0, 2.2), // +10
        row("esp32", "latency", 1.0, 0.5), // -50
        row("stm32", "latency", 4.0, 4.0), //   0
        row("esp32", "latency", 3.0, 3.3), // +10
    };
    const ValidationSummary s = summarize(rows);
    ASSERT_EQ(s.perPlatform.size(), 2U);
    EXPECT_EQ(s.perPlatform[0].platform, "esp32");
    EXPECT_EQ(s.perPlatform[0].rows, 2);
    EXPECT_NEAR(s.perPlatform[0].mapePct, 30.0, 1e-9);
    EXPECT_NEAR(s.perPlatform[0].maxAbsPct, 50.0, 1e-9);
    EXPECT_EQ(s.perPlatform[0].tauPairs, 1);
    EXPECT_EQ(s.perPlatform[1].platform, "stm32");
    EXPECT_NEAR(s.perPlatform[1].mapePct, 5.0, 1e-9);
    EXPECT_EQ(s.perPlatform[1].tauPairs, 1);

    // Overall: measured 2,1,4,3 vs predicted 2.2,0.5,4,3.3 -> same order, all 6 concordant.
    EXPECT_EQ(s.overall.rows, 4);
    EXPECT_TRUE(s.overall.platform.empty());
    EXPECT_NEAR(s.overall.mapePct, 17.5, 1e-9);
    EXPECT_NEAR(s.overall.medianAbsPct, 10.0, 1e-9);
    EXPECT_EQ(s.overall.tauPairs, 6);
    EXPECT_DOUBLE_EQ(s.overall.kendallTau, 1.0);
}

// The O(n log n) pair count against the definition, pair by pair, on random rows with many
// ties in either value and two metrics.
TEST(SummarizeTest, TauMatchesPairByPairCountWithTies) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> level(1, 12);
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<Comparison> rows;
        for (int i = 0; i < 200; ++i) {
            rows.push_back(row("p", i % 3 == 0 ? "energy" : "latency", level(rng), level(rng)));
        }
        int64_t c = 0;
        int64_t d = 0;
        for (std::size_t a = 0; a < rows.size(); ++a) {
            for (std::size_t b = a + 1; b < rows.size(); ++b) {
                if (rows[a].metric != rows[b].metric) {
                    continue;
                }
                const double s =
                    (rows[a].measured - rows[b].measured) * (rows[a].predicted - rows[b].predicted);
                c += s > 0;
                d += s < 0;
            }
        }
        const GroupSummary g = summarize(rows).overall;
        ASSERT_EQ(g.tauPairs, c + d) << "trial " << trial;
        EXPECT_DOUBLE_EQ(g.kendallTau, static_cast<double>(c - d) / static_cast<double>(c + d));
    }
}

// 1e5 rows have ~5e9 pairs, more than an int holds (tau came out as -1.08), and a pair-by-pair
// count took minutes.
TEST(SummarizeTest, HundredThousandRowsGiveExactTau) {
    constexpr int64_t kRows = 100000;
    std::vector<Comparison> rows;
    for (int64_t i = 0; i < kRows; ++i) {
        // predicted = measured except one adjacent swap: exactly one discordant pair
        const double predicted = i == 10 ? 12.0 : i == 11 ? 11.0 : static_cast<double>(i + 1);
        rows.push_back(row("p", "latency", static_cast<double>(i + 1), predicted));
    }
    const GroupSummary g = summarize(rows).overall;
    EXPECT_EQ(g.tauPairs, kRows * (kRows - 1) / 2);
    EXPECT_DOUBLE_EQ(g.kendallTau,
                     static_cast<double>(g.tauPairs - 2) / static_cast<double>(g.tauPairs));
}

TEST(SummarizeTest, RejectsNonPositiveValues) {
    EXPECT_THROW(summarize({row("p", "latency", 0.0, 1.0)}), std::invalid_argument);
    EXPECT_THROW(summarize({row("p", "latency", 1.0, -1.0)}), std::invalid_argument);
    EXPECT_THROW(summarize({row("p", "latency", 1.0, std::nan(""))}), std::invalid_argument);
}

TEST(SummaryLineTest, HasTheExactFormat) {
    const std::vector<Comparison> rows = {
        row("p", "latency", 1.0, 1.1),
        row("p", "latency", 2.0, 1.6),
        row("p", "latency", 5.0, 7.0),
    };
    EXPECT_EQ(summaryLine(summarize(rows)), "validate: 3 rows, MAPE 23.3%, median 20.0%, tau 1.00");
}

TEST(SummaryLineTest, TauNotAvailableWithoutPairs) {
    EXPECT_EQ(summaryLine(summarize({row("p", "latency", 4.0, 5.0)})),
              "validate: 1 rows, MAPE 25.0%, median 25.0%, tau n/a");
}

TEST(SummaryLineTest, NoRows) {
    const ValidationSummary s = summarize({});
    EXPECT_TRUE(s.perPlatform.empty());
    EXPECT_EQ(s.overall.rows, 0);
    EXPECT_EQ(summaryLine(s), "validate: 0 rows, MAPE n/a, median n/a, tau n/a");
}

TEST(ValidateTest, RowsWithoutAUsablePredictionAreSkippedWithTheirReason) {
    std::vector<Measurement> ms(4);
    for (std::size_t i = 0; i < ms.size(); ++i) {
        ms[i].platform = "p";
        ms[i].network = "n" + std::to_string(i);
        ms[i].value = 1.0 + static_cast<double>(i);
        ms[i].rawValue = 1000.0 * ms[i].value; // written in milli-units
    }
    const ValidationReport report =
        validate(ms, [](const Measurement& m, std::string& why) -> std::optional<double> {
            if (m.network == "n1") {
                why = "not predictable";
                return std::nullopt;
            }
            if (m.network == "n2") {
                return 0.0; // e.g. an energy with every current overridden to 0
            }
            return 1.1 * m.value;
        });
    ASSERT_EQ(report.rows.size(), 2U);
    EXPECT_EQ(report.rows[0].measurement, &ms[0]);
    EXPECT_EQ(report.rows[1].measurement, &ms[3]);
    EXPECT_NEAR(report.rows[1].errorPct, 10.0, 1e-9);
    EXPECT_NEAR(report.rows[1].predictedRaw, 1100.0 * ms[3].value, 1e-9);
    ASSERT_EQ(report.skipped.size(), 2U);
    EXPECT_EQ(report.skipped[0].first, &ms[1]);
    EXPECT_EQ(report.skipped[0].second, "not predictable");
    EXPECT_EQ(report.skipped[1].first, &ms[2]);
    EXPECT_NE(report.skipped[1].second.find("not finite and positive"), std::string::npos);
    EXPECT_EQ(report.summary.overall.rows, 2);
}

} // namespace
} // namespace edgesim::analysis
