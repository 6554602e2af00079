// Calibration fitter of `edgesim calibrate`: finds positive model parameters that minimise the
// sum of squared log errors log(predicted / measured). Derivative-free (NLopt BOBYQA) because
// each evaluation runs the simulator; works on log-parameters so that scale does not matter.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace edgesim::analysis {

/// A parameter to fit: starts at `initial`, stays within [lower, upper]. All > 0.
/// lower == upper fixes the parameter.
struct FitParameter {
    std::string name;
    double initial = 1.0;
    double lower = 1.0;
    double upper = 1.0;
};

struct FitResult {
    std::vector<double> values; ///< best parameters found, in FitParameter order
    double initialCost = 0.0;   ///< sum of squared residuals at the initial values
    double finalCost = 0.0;     ///< sum of squared residuals at `values` (<= initialCost)
    int evaluations = 0;        ///< calls of `residuals`, including the initial one
    bool converged = false;     ///< stopped on the tolerance, not on maxEvaluations or failure
    std::string message;        ///< why the optimiser stopped, for the report
};

/// Residual function: one residual per measurement, each log(predicted / measured). Must
/// return the same number of residuals on every call.
using ResidualFunction = std::function<std::vector<double>(const std::vector<double>&)>;

/// Minimises sum_i residuals(x)_i^2 over x within the bounds with NLopt LN_BOBYQA in the space
/// of log(x). Stops when a step changes every parameter by less than a relative 1e-6 (i.e. an
/// absolute 1e-6 on log x; on log x itself NLopt's xtol_rel would depend on the unit) or after
/// `maxEvaluations` calls. Deterministic. Where a residual is not finite (say the simulator
/// cannot run there) the optimiser sees a large penalty and steers away; such points are never
/// returned (if no point was finite: the initial values, infinite costs, converged = false).
/// Exceptions thrown by `residuals` stop the fit and propagate unchanged.
/// Throws InputError (file "<fit parameters>", field = parameter name; all bad parameters at
/// once) for a bound or initial value that is not positive and finite, lower > upper or initial
/// outside [lower, upper]; std::invalid_argument for no parameters or maxEvaluations < 1.
FitResult fitLogLeastSquares(const std::vector<FitParameter>& parameters,
                             const ResidualFunction& residuals, int maxEvaluations = 2000);

} // namespace edgesim::analysis
