// The calibration loop of `edgesim calibrate`: scale factors of a few model parameters fitted so
// that predictions match measurements (least squares on log error, Fit.h). The simulator sits
// behind two callbacks, so analysis never runs it (DESIGN.md §1).
#pragma once

#include "analysis/Fit.h"
#include "analysis/Measurements.h"

#include <functional>
#include <optional>
#include <vector>

namespace edgesim::analysis {

struct CalibrationCallbacks {
    /// Sets the model parameters to `scales` (one per fitted parameter; 1 = the initial
    /// values) before predictions are asked for.
    std::function<void(const std::vector<double>& scales)> apply;
    /// The prediction for `row` in its SI unit under the parameters last applied; nullopt
    /// when the model cannot predict it there.
    std::function<std::optional<double>(const Measurement& row)> predict;
};

struct CalibrationResult {
    FitResult fit;
    std::vector<double> before; ///< log(predicted / measured) per row at the initial values
    std::vector<double> after;  ///< the same at the fitted values (NaN where unpredictable)
};

/// Fits `parameters` (scale factors, FitParameter bounds) to `rows` with at most
/// `maxEvaluations` evaluations, then leaves the fitted values applied. Rows the model cannot
/// predict at the initial values are left out of the fit (their residuals are reported, NaN
/// or not). Exceptions from the callbacks propagate.
CalibrationResult calibrate(const std::vector<FitParameter>& parameters,
                            const std::vector<const Measurement*>& rows,
                            const CalibrationCallbacks& callbacks, int maxEvaluations);

/// Root mean square of `residuals` (NaN entries included: the result is then NaN).
double rms(const std::vector<double>& residuals);

} // namespace edgesim::analysis
