// The calibration loop (analysis/Calibration.h) on synthetic models whose true parameters are
// known: it recovers them, reports the log errors before and after, leaves the fitted values
// applied, copes with rows the model cannot predict, and passes callback exceptions through.
// No simulator: the callbacks are closed forms.
#include "analysis/Calibration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgesim::analysis {
namespace {

/// A model of two parameters a and b: group-A rows predict a^2 x c, group-B rows b x c (c is a
/// per-row constant). The "silicon" measured it with a = kA, b = kB.
struct SyntheticModel {
    static constexpr double kA = 1.5;
    static constexpr double kB = 0.7;

    struct Row {
        bool groupA;
        double c;
    };
    std::vector<Row> rowSpecs = {{true, 2.0},   {true, 5e-3}, {false, 3.0},
                                 {false, 40.0}, {true, 0.25}, {false, 1e-6}};
    std::vector<Measurement> rows;

    std::vector<double> applied; ///< the scales last applied
    std::vector<std::vector<double>> applyCalls;
    int predictions = 0;

    SyntheticModel() {
        for (std::size_t i = 0; i < rowSpecs.size(); ++i) {
            Measurement m;
            m.line = static_cast<int>(i) + 2;
            m.metric = Metric::Latency;
            m.siUnit = "s";
            m.value = truth(rowSpecs[i], kA, kB);
            rows.push_back(m);
        }
    }

    static double truth(const Row& r, double a, double b) {
        return r.groupA ? a * a * r.c : b * r.c;
    }

    const Row& specOf(const Measurement& m) const {
        return rowSpecs.at(static_cast<std::size_t>(m.line - 2));
    }

    std::vector<const Measurement*> pointers() const {
        std::vector<const Measurement*> out;
        for (const auto& m : rows) {
            out.push_back(&m);
        }
        return out;
    }

    CalibrationCallbacks callbacks() {
        CalibrationCallbacks c;
        c.apply = [this](const std::vector<double>& scales) {
            applied = scales;
            applyCalls.push_back(scales);
        };
        c.predict = [this](const Measurement& m) -> std::optional<double> {
            ++predictions;
            return truth(specOf(m), applied.at(0), applied.at(1));
        };
        return c;
    }
};

const std::vector<FitParameter> kParameters = {{"a", 1.0, 0.1, 10.0}, {"b", 1.0, 0.1, 10.0}};

TEST(CalibrateTest, RecoversKnownParameters) {
    SyntheticModel model;
    const CalibrationResult r = calibrate(kParameters, model.pointers(), model.callbacks(), 500);
    ASSERT_EQ(r.fit.values.size(), 2U);
    EXPECT_NEAR(r.fit.values[0], SyntheticModel::kA, 1e-4 * SyntheticModel::kA) << r.fit.message;
    EXPECT_NEAR(r.fit.values[1], SyntheticModel::kB, 1e-4 * SyntheticModel::kB) << r.fit.message;
    EXPECT_TRUE(r.fit.converged) << r.fit.message;
    EXPECT_LT(r.fit.finalCost, 1e-10);
    EXPECT_LE(r.fit.evaluations, 500);
}

TEST(CalibrateTest, BeforeAndAfterAreTheLogErrorsOfEachRow) {
    SyntheticModel model;
    const CalibrationResult r = calibrate(kParameters, model.pointers(), model.callbacks(), 500);
    ASSERT_EQ(r.before.size(), model.rows.size());
    ASSERT_EQ(r.after.size(), model.rows.size());
    for (std::size_t i = 0; i < model.rows.size(); ++i) {
        SCOPED_TRACE(i);
        const auto& spec = model.rowSpecs[i];
        // At the initial values (a = b = 1): log(c / (kA^2 c)) = -2 log kA, or -log kB.
        const double expectedBefore =
            spec.groupA ? -2.0 * std::log(SyntheticModel::kA) : -std::log(SyntheticModel::kB);
        EXPECT_NEAR(r.before[i], expectedBefore, 1e-12);
        // At the fitted values: the log error of what the model predicts there.
        const double predicted = SyntheticModel::truth(spec, r.fit.values[0], r.fit.values[1]);
        EXPECT_DOUBLE_EQ(r.after[i], std::log(predicted / model.rows[i].value));
        EXPECT_LT(std::fabs(r.after[i]), 1e-4);
    }
    // The fit's initial cost is the sum of squares of `before`.
    double cost = 0;
    for (double x : r.before) {
        cost += x * x;
    }
    EXPECT_NEAR(r.fit.initialCost, cost, 1e-12 * cost);
}

TEST(CalibrateTest, LeavesTheFittedValuesApplied) {
    SyntheticModel model;
    const CalibrationResult r = calibrate(kParameters, model.pointers(), model.callbacks(), 500);
    ASSERT_GE(model.applyCalls.size(), 3U); // initial, the search, the fitted values
    EXPECT_EQ(model.applyCalls.front(), (std::vector<double>{1.0, 1.0}));
    EXPECT_EQ(model.applied, r.fit.values);
    EXPECT_EQ(model.applyCalls.back(), r.fit.values);
    // Each apply is followed by one prediction per row.
    EXPECT_EQ(model.predictions, static_cast<int>(model.applyCalls.size() * model.rows.size()));
}

TEST(CalibrateTest, KeepsTheEvaluationBudget) {
    SyntheticModel model;
    const CalibrationResult r = calibrate(kParameters, model.pointers(), model.callbacks(), 5);
    EXPECT_LE(r.fit.evaluations, 5);
    EXPECT_FALSE(r.fit.converged);
    // The budget counts the fit's evaluations; before and after add one each at most.
    EXPECT_LE(model.applyCalls.size(), 7U);
    EXPECT_LE(r.fit.finalCost, r.fit.initialCost);
}

TEST(CalibrateTest, FixedParameterStaysAtItsInitialValue) {
    SyntheticModel model;
    const std::vector<FitParameter> params = {{"a", 1.5, 1.5, 1.5}, {"b", 1.0, 0.1, 10.0}};
    const CalibrationResult r = calibrate(params, model.pointers(), model.callbacks(), 500);
    EXPECT_EQ(r.fit.values[0], 1.5);
    EXPECT_NEAR(r.fit.values[1], SyntheticModel::kB, 1e-4);
    for (const auto& call : model.applyCalls) {
        EXPECT_EQ(call[0], 1.5);
    }
}

/// A row the model can never predict (say its network does not fit) gives NaN residuals
/// before and after; the other rows still determine the parameters.
TEST(CalibrateTest, UnpredictableRowIsNaNAndTheRestIsStillFitted) {
    SyntheticModel model;
    Measurement never;
    never.line = 100;
    never.metric = Metric::Latency;
    never.siUnit = "s";
    never.value = 1.0;
    std::vector<const Measurement*> rows = model.pointers();
    rows.insert(rows.begin() + 2, &never);
    CalibrationCallbacks c = model.callbacks();
    const auto inner = c.predict;
    c.predict = [&](const Measurement& m) -> std::optional<double> {
        if (&m == &never) {
            return std::nullopt;
        }
        return inner(m);
    };
    const CalibrationResult r = calibrate(kParameters, rows, c, 500);
    ASSERT_EQ(r.before.size(), rows.size());
    ASSERT_EQ(r.after.size(), rows.size());
    EXPECT_TRUE(std::isnan(r.before[2]));
    EXPECT_TRUE(std::isnan(r.after[2]));
    EXPECT_TRUE(std::isnan(rms(r.after)));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i != 2) {
            EXPECT_TRUE(std::isfinite(r.before[i])) << i;
        }
    }
    EXPECT_NEAR(r.fit.values[0], SyntheticModel::kA, 1e-3) << r.fit.message;
    EXPECT_NEAR(r.fit.values[1], SyntheticModel::kB, 1e-3) << r.fit.message;
}

/// A row the model cannot predict for part of the parameter space (a > 1.6 here, where the
/// true a = 1.5 still lies): the fit steers away from that region and still finds the truth.
TEST(CalibrateTest, RowUnpredictableInARegionIsAvoided) {
    SyntheticModel model;
    CalibrationCallbacks c = model.callbacks();
    const auto inner = c.predict;
    c.predict = [&](const Measurement& m) -> std::optional<double> {
        if (m.line == 2 && model.applied.at(0) > 1.6) {
            return std::nullopt;
        }
        return inner(m);
    };
    const std::vector<FitParameter> params = {{"a", 1.0, 0.1, 4.0}, {"b", 1.0, 0.1, 10.0}};
    const CalibrationResult r = calibrate(params, model.pointers(), c, 1000);
    EXPECT_NEAR(r.fit.values[0], SyntheticModel::kA, 1e-3) << r.fit.message;
    EXPECT_NEAR(r.fit.values[1], SyntheticModel::kB, 1e-3) << r.fit.message;
    for (double x : r.after) {
        EXPECT_TRUE(std::isfinite(x));
    }
    EXPECT_LE(model.applied.at(0), 1.6);
}

TEST(CalibrateTest, CallbackExceptionsPropagate) {
    SyntheticModel model;
    CalibrationCallbacks c = model.callbacks();
    int calls = 0;
    c.predict = [&](const Measurement&) -> std::optional<double> {
        if (++calls == 20) {
            throw std::runtime_error("simulator exploded");
        }
        return 1.0;
    };
    EXPECT_THROW(
        {
            try {
                calibrate(kParameters, model.pointers(), c, 500);
            } catch (const std::runtime_error& e) {
                EXPECT_STREQ(e.what(), "simulator exploded");
                throw;
            }
        },
        std::runtime_error);
    EXPECT_EQ(calls, 20);
}

TEST(RmsTest, IsTheRootMeanSquare) {
    EXPECT_DOUBLE_EQ(rms({3.0, -4.0}), std::sqrt(12.5));
    EXPECT_DOUBLE_EQ(rms({-2.0}), 2.0);
    EXPECT_DOUBLE_EQ(rms({1.0, 1.0, 1.0, -1.0}), 1.0);
    EXPECT_EQ(rms({}), 0.0);
    EXPECT_TRUE(std::isnan(rms({1.0, std::numeric_limits<double>::quiet_NaN()})));
}

} // namespace
} // namespace edgesim::analysis
