// Cross-validation folds and the identifiability test of the calibration loop: folds partition
// the rows (each held out once, never in its own training rows), bad fold requests are input
// errors, per-metric summaries are NaN for a metric without rows, and parameters that the
// fitted rows cannot identify (no dependence, too small, collinear with one listed before)
// keep their initial values while the others are fitted (closed-form models, no simulator).
#include "analysis/CrossValidation.h"
#include "analysis/Calibration.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace edgesim::analysis {
namespace {

Measurement row(int line, std::string platform, std::string network, Metric metric,
                double value = 1.0) {
    Measurement m;
    m.line = line;
    m.platform = std::move(platform);
    m.stack = "s";
    m.network = std::move(network);
    m.metric = metric;
    m.value = value;
    m.rawValue = value;
    return m;
}

const std::vector<Measurement> kRows = {
    row(2, "b", "kws", Metric::Latency), row(3, "a", "ic", Metric::Energy),
    row(4, "c", "kws", Metric::Latency), row(5, "a", "kws", Metric::Latency),
    row(6, "b", "ad", Metric::Energy),
};

TEST(CrossValidation, BoardFoldsPartitionTheRows) {
    const auto folds = makeFolds(kRows, FoldKind::Board, "m.csv");
    ASSERT_EQ(folds.size(), 3U);
    EXPECT_EQ(folds[0].name, "a");
    EXPECT_EQ(folds[1].name, "b");
    EXPECT_EQ(folds[2].name, "c");
    std::multiset<const Measurement*> heldOnce;
    for (const auto& f : folds) {
        EXPECT_EQ(f.heldOut.size() + f.training.size(), kRows.size()) << f.name;
        for (const Measurement* m : f.heldOut) {
            EXPECT_EQ(m->platform, f.name);
            heldOnce.insert(m);
        }
        for (const Measurement* m : f.training) {
            EXPECT_NE(m->platform, f.name) << "a held-out row is among its fold's training rows";
        }
    }
    EXPECT_EQ(heldOnce.size(), kRows.size());
    for (const auto& m : kRows) {
        EXPECT_EQ(heldOnce.count(&m), 1U) << "line " << m.line;
    }
    // In file order within a fold.
    ASSERT_EQ(folds[0].heldOut.size(), 2U);
    EXPECT_EQ(folds[0].heldOut[0]->line, 3);
    EXPECT_EQ(folds[0].heldOut[1]->line, 5);
}

TEST(CrossValidation, NetworkFoldsAndSelectedFolds) {
    const auto folds = makeFolds(kRows, FoldKind::Network, "m.csv", {"kws"});
    ASSERT_EQ(folds.size(), 1U);
    EXPECT_EQ(folds[0].name, "kws");
    EXPECT_EQ(folds[0].heldOut.size(), 3U);
    EXPECT_EQ(folds[0].training.size(), 2U);
}

TEST(CrossValidation, BadFoldRequestsAreInputErrors) {
    const auto e1 = test::expectInputError([] { parseFoldKind("chip"); });
    EXPECT_NE(std::string(e1.what()).find("--cross-validate"), std::string::npos) << e1.what();
    const std::vector<Measurement> one = {row(2, "a", "kws", Metric::Latency),
                                          row(3, "a", "ic", Metric::Latency)};
    const auto e2 = test::expectInputError([&] { makeFolds(one, FoldKind::Board, "m.csv"); });
    EXPECT_NE(std::string(e2.what()).find("m.csv"), std::string::npos) << e2.what();
    const auto e3 =
        test::expectInputError([] { makeFolds(kRows, FoldKind::Board, "m.csv", {"zz"}); });
    EXPECT_NE(std::string(e3.what()).find("--fold"), std::string::npos) << e3.what();
    EXPECT_NE(std::string(e3.what()).find("zz"), std::string::npos) << e3.what();
}

TEST(CrossValidation, SummariesPerMetricAreNaNWithoutRows) {
    const Measurement lat = row(2, "a", "kws", Metric::Latency, 10.0);
    const std::vector<ValidatedRow> rows = {{&lat, 11.0, 11.0, 10.0}};
    const MetricSummaries s = summarizeByMetric(rows);
    EXPECT_DOUBLE_EQ(s.all.mapePct, 10.0);
    EXPECT_DOUBLE_EQ(s.latency.mapePct, 10.0);
    EXPECT_EQ(s.energy.rows, 0);
    EXPECT_TRUE(std::isnan(s.energy.mapePct));
}

TEST(Identifiability, DependenceSizeAndIndependenceDecide) {
    const Identifiability t{0.05, 0.2};
    // Columns: a (moves both rows), b (no row), c (tiny), d (= 2 a: collinear), e (independent).
    const std::vector<std::vector<double>> e = {{1.0, 0.0, 0.01, 2.0, 0.0},
                                                {0.5, 0.0, 0.02, 1.0, 0.7}};
    const auto r = identifiable(e, {"a", "b", "c", "d", "e"}, t);
    EXPECT_THAT(r.identifiable, testing::ElementsAre(true, false, false, false, true));
    EXPECT_TRUE(r.why[0].empty());
    EXPECT_NE(r.why[1].find("no fitted row"), std::string::npos) << r.why[1];
    EXPECT_NE(r.why[2].find("barely"), std::string::npos) << r.why[2];
    EXPECT_NE(r.why[3].find("cannot tell"), std::string::npos) << r.why[3];
    // Order decides which of two collinear parameters is fitted.
    const auto swapped = identifiable({{2.0, 1.0}, {1.0, 0.5}}, {"d", "a"}, t);
    EXPECT_THAT(swapped.identifiable, testing::ElementsAre(true, false));
    // No rows: nothing is identifiable.
    EXPECT_THAT(identifiable({}, {"a"}, t).identifiable, testing::ElementsAre(false));
}

TEST(Identifiability, CalibrateFitsOnlyWhatTheRowsIdentify) {
    // Rows predict a x c; parameter b moves nothing. The truth is a = 2.
    std::vector<Measurement> rows = {row(2, "x", "n", Metric::Latency, 2.0 * 3.0),
                                     row(3, "x", "n", Metric::Latency, 2.0 * 5.0)};
    const std::vector<double> c = {3.0, 5.0};
    std::vector<double> applied;
    CalibrationCallbacks cb;
    cb.apply = [&](const std::vector<double>& s) { applied = s; };
    cb.predict = [&](const Measurement& m) -> std::optional<double> {
        return applied.at(0) * c.at(static_cast<std::size_t>(m.line - 2));
    };
    const std::vector<FitParameter> params = {{"a", 1.0, 0.1, 10.0}, {"b", 1.0, 0.1, 10.0}};
    const CalibrationResult r =
        calibrate(params, {&rows[0], &rows[1]}, cb, 500, Identifiability{0.05, 0.2});
    EXPECT_THAT(r.identified.identifiable, testing::ElementsAre(true, false));
    EXPECT_NEAR(r.fit.values[0], 2.0, 1e-4);
    EXPECT_EQ(r.fit.values[1], 1.0); // kept exactly at its initial value
    // With no rows at all nothing moves.
    const CalibrationResult none = calibrate(params, {}, cb, 500, Identifiability{0.05, 0.2});
    EXPECT_THAT(none.identified.identifiable, testing::ElementsAre(false, false));
    EXPECT_EQ(none.fit.values, (std::vector<double>{1.0, 1.0}));
}

} // namespace
} // namespace edgesim::analysis
