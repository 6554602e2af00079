// The calibration fitter on synthetic models whose true parameters are known: recovers them
// from exact data, stays within bounds when the optimum lies outside, never ends worse than it
// started, reports bad parameters and passes residual-function exceptions through.
#include "analysis/Fit.h"

#include "common/Diagnostics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace edgesim::analysis {
namespace {

using ::testing::HasSubstr;

/// "Measurements" of predicted = a * x^b at x = 1..8 with a = 3.5e-3, b = 1.7.
struct PowerLaw {
    static constexpr double kA = 3.5e-3;
    static constexpr double kB = 1.7;
    std::vector<double> xs{1, 2, 3, 4, 5, 6, 7, 8};

    static double model(double a, double b, double x) { return a * std::pow(x, b); }

    ResidualFunction residuals() const {
        return [this](const std::vector<double>& p) {
            std::vector<double> r;
            for (double x : xs) {
                r.push_back(std::log(model(p[0], p[1], x) / model(kA, kB, x)));
            }
            return r;
        };
    }
};

TEST(FitLogLeastSquaresTest, RecoversPowerLawParameters) {
    const PowerLaw law;
    const std::vector<FitParameter> params = {{"a", 1e-2, 1e-5, 1.0}, {"b", 1.0, 0.5, 3.0}};
    const FitResult fit = fitLogLeastSquares(params, law.residuals());
    ASSERT_EQ(fit.values.size(), 2U);
    EXPECT_NEAR(fit.values[0] / PowerLaw::kA, 1.0, 1e-4) << fit.message;
    EXPECT_NEAR(fit.values[1] / PowerLaw::kB, 1.0, 1e-4) << fit.message;
    EXPECT_TRUE(fit.converged) << fit.message;
    EXPECT_GT(fit.initialCost, 1.0);
    EXPECT_LT(fit.finalCost, 1e-10);
    EXPECT_GT(fit.evaluations, 2);
    EXPECT_LE(fit.evaluations, 2000);
}

TEST(FitLogLeastSquaresTest, IsDeterministic) {
    const PowerLaw law;
    const std::vector<FitParameter> params = {{"a", 1e-2, 1e-5, 1.0}, {"b", 1.0, 0.5, 3.0}};
    const FitResult first = fitLogLeastSquares(params, law.residuals());
    const FitResult second = fitLogLeastSquares(params, law.residuals());
    EXPECT_EQ(first.values, second.values);
    EXPECT_EQ(first.evaluations, second.evaluations);
}

TEST(FitLogLeastSquaresTest, RecoversASingleParameter) {
    // predicted = s * measured_true: the fitted scale is the true one, 0.37.
    const ResidualFunction residuals = [](const std::vector<double>& p) {
        return std::vector<double>{std::log(p[0] / 0.37), std::log(2.0 * p[0] / (2.0 * 0.37))};
    };
    const FitResult fit = fitLogLeastSquares({{"scale", 1.0, 0.01, 100.0}}, residuals);
    ASSERT_EQ(fit.values.size(), 1U);
    EXPECT_NEAR(fit.values[0] / 0.37, 1.0, 1e-4) << fit.message;
}

TEST(FitLogLeastSquaresTest, StaysWithinBoundsWhenTheOptimumIsOutside) {
    // True b = 1.7 but b may not exceed 1.5: b ends on its bound, every evaluated point
    // respects the bounds, and a compensates as well as it can.
    const PowerLaw law;
    const std::vector<FitParameter> params = {{"a", 1e-2, 1e-5, 1.0}, {"b", 1.0, 0.5, 1.5}};
    bool outside = false;
    const ResidualFunction inner = law.residuals();
    const ResidualFunction checked = [&](const std::vector<double>& p) {
        outside = outside || p[0] < 1e-5 || p[0] > 1.0 || p[1] < 0.5 || p[1] > 1.5;
        return inner(p);
    };
    const FitResult fit = fitLogLeastSquares(params, checked);
    EXPECT_FALSE(outside);
    EXPECT_LE(fit.values[1], 1.5);
    EXPECT_NEAR(fit.values[1], 1.5, 1e-6);
    EXPECT_GE(fit.values[0], 1e-5);
    EXPECT_LE(fit.values[0], 1.0);
    // With b fixed at 1.5 the best a solves mean(log a + 1.5 log x - log a0 - 1.7 log x) = 0.
    double meanLogX = 0.0;
    for (double x : law.xs) {
        meanLogX += std::log(x) / static_cast<double>(law.xs.size());
    }
    const double bestA = PowerLaw::kA * std::exp(0.2 * meanLogX);
    EXPECT_NEAR(fit.values[0] / bestA, 1.0, 1e-4);
    EXPECT_GT(fit.finalCost, 0.0);
    EXPECT_LT(fit.finalCost, fit.initialCost);
}

TEST(FitLogLeastSquaresTest, CostNeverIncreasesAndEvaluationLimitIsHonoured) {
    const PowerLaw law;
    const std::vector<FitParameter> params = {{"a", 1e-2, 1e-5, 1.0}, {"b", 1.0, 0.5, 3.0}};
    int calls = 0;
    const ResidualFunction inner = law.residuals();
    const ResidualFunction counted = [&](const std::vector<double>& p) {
        ++calls;
        return inner(p);
    };
    const FitResult fit = fitLogLeastSquares(params, counted, 10);
    EXPECT_EQ(calls, fit.evaluations);
    EXPECT_LE(fit.evaluations, 10);
    EXPECT_FALSE(fit.converged);
    EXPECT_THAT(fit.message, HasSubstr("limit"));
    EXPECT_LE(fit.finalCost, fit.initialCost);
}

TEST(FitLogLeastSquaresTest, FixedParameterKeepsItsValue) {
    const PowerLaw law;
    const std::vector<FitParameter> params = {{"a", 2e-3, 2e-3, 2e-3}, {"b", 1.0, 0.5, 3.0}};
    bool moved = false;
    const ResidualFunction inner = law.residuals();
    const FitResult fit = fitLogLeastSquares(params, [&](const std::vector<double>& p) {
        moved = moved || p[0] != 2e-3;
        return inner(p);
    });
    EXPECT_FALSE(moved);
    EXPECT_EQ(fit.values[0], 2e-3);
    EXPECT_LT(fit.finalCost, fit.initialCost);
}

TEST(FitLogLeastSquaresTest, AlreadyOptimalStartStaysThere) {
    const PowerLaw law;
    const std::vector<FitParameter> params = {{"a", PowerLaw::kA, 1e-5, 1.0},
                                              {"b", PowerLaw::kB, 0.5, 3.0}};
    const FitResult fit = fitLogLeastSquares(params, law.residuals());
    EXPECT_EQ(fit.initialCost, 0.0);
    EXPECT_EQ(fit.finalCost, 0.0);
    EXPECT_EQ(fit.values[0], PowerLaw::kA);
    EXPECT_EQ(fit.values[1], PowerLaw::kB);
}

TEST(FitLogLeastSquaresTest, NonFiniteResidualsAreAvoidedOrReported) {
    // The model "fails" (NaN) above p = 2: the fit stays below and still finds p = 1.5.
    const ResidualFunction partlyNan = [](const std::vector<double>& p) {
        return std::vector<double>{p[0] > 2.0 ? std::nan("") : std::log(p[0] / 1.5)};
    };
    const FitResult fit = fitLogLeastSquares({{"p", 1.0, 0.1, 10.0}}, partlyNan);
    EXPECT_NEAR(fit.values[0] / 1.5, 1.0, 1e-4) << fit.message;

    const ResidualFunction allNan = [](const std::vector<double>&) {
        return std::vector<double>{std::nan("")};
    };
    const FitResult hopeless = fitLogLeastSquares({{"p", 1.0, 0.1, 10.0}}, allNan);
    EXPECT_FALSE(hopeless.converged);
    EXPECT_EQ(hopeless.values[0], 1.0);
    EXPECT_TRUE(std::isinf(hopeless.initialCost));
    EXPECT_TRUE(std::isinf(hopeless.finalCost));
    EXPECT_THAT(hopeless.message, HasSubstr("finite"));
}

TEST(FitLogLeastSquaresTest, BadParametersAreReportedByName) {
    const PowerLaw law;
    auto fitWith = [&](const std::vector<FitParameter>& params) {
        fitLogLeastSquares(params, law.residuals());
    };
    try {
        fitWith({{"a", 1.0, 0.0, 2.0}, {"b", 5.0, 1.0, 2.0}, {"c", 1.0, 3.0, 2.0}});
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        ASSERT_EQ(e.diagnostics().size(), 3U);
        EXPECT_EQ(e.diagnostics()[0].field, "a");
        EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("> 0"));
        EXPECT_EQ(e.diagnostics()[1].field, "b");
        EXPECT_THAT(e.diagnostics()[1].reason, HasSubstr("outside"));
        EXPECT_EQ(e.diagnostics()[2].field, "c");
        EXPECT_THAT(e.diagnostics()[2].reason, HasSubstr("above"));
    }
    EXPECT_THROW(fitWith({{"a", -1.0, 1.0, 2.0}}), InputError);
    EXPECT_THROW(fitWith({}), std::invalid_argument);
}

TEST(FitLogLeastSquaresTest, ResidualExceptionsPropagateUnchanged) {
    struct SimulatorFailed : std::runtime_error {
        SimulatorFailed() : std::runtime_error("simulator failed") {}
    };
    int calls = 0;
    const ResidualFunction failing = [&](const std::vector<double>& p) {
        if (++calls == 5) {
            throw SimulatorFailed();
        }
        return std::vector<double>{std::log(p[0]), std::log(p[1])};
    };
    EXPECT_THROW(fitLogLeastSquares({{"a", 2.0, 0.1, 10.0}, {"b", 2.0, 0.1, 10.0}}, failing),
                 SimulatorFailed);
}

} // namespace
} // namespace edgesim::analysis
