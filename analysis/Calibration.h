// The calibration loop of `edgesim calibrate` and of each fold of `edgesim validate
// --cross-validate`: scale factors of a few model parameters fitted so that predictions match
// measurements (least squares on log error, Fit.h), fitting only the parameters the rows can
// identify. The simulator sits behind two callbacks, so analysis never runs it (DESIGN.md §1).
#pragma once

#include "analysis/Fit.h"
#include "analysis/Measurements.h"

#include <functional>
#include <optional>
#include <string>
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

/// When the rows of a fit identify a parameter (explorer/spec/calibration.proto). Both 0: every
/// parameter is fitted.
struct Identifiability {
    double minElasticity = 0.0;   ///< some |d log prediction / d log parameter| must reach it
    double minIndependence = 0.0; ///< share of the elasticity column not explained by those before
};

/// Which parameters the rows identify. `elasticity[r][k]` is d log(prediction of row r) /
/// d log(parameter k). In parameter order, k is identifiable when max_r |elasticity[r][k]| >=
/// minElasticity and the norm of column k's component orthogonal to the identifiable columns
/// before it is at least minIndependence x its norm (so collinear parameters, or more
/// parameters than independent rows, leave the later ones unfitted). `why` is empty for an
/// identifiable parameter, else says which test failed. Throws std::invalid_argument when a
/// row has not one entry per name.
struct IdentifiabilityResult {
    std::vector<bool> identifiable;
    std::vector<std::string> why;
};
IdentifiabilityResult identifiable(const std::vector<std::vector<double>>& elasticity,
                                   const std::vector<std::string>& names,
                                   const Identifiability& thresholds);

struct CalibrationResult {
    FitResult fit;
    std::vector<double> before; ///< log(predicted / measured) per row at the initial values
    std::vector<double> after;  ///< the same at the fitted values (NaN where unpredictable)
    /// Per parameter: fitted (true) or kept at its initial value because the fitted rows do not
    /// identify it (false, with the reason in `why`).
    IdentifiabilityResult identified;
};

/// Fits `parameters` (scale factors, FitParameter bounds) to `rows` with at most
/// `maxEvaluations` evaluations, then leaves the fitted values applied. Rows the model cannot
/// predict at the initial values are left out of the fit (their residuals are reported, NaN
/// or not). With `thresholds`, parameters the fitted rows do not identify (identifiable(),
/// elasticities by finite differences at the initial values) keep their initial values; with
/// no fitted row at all nothing is fitted. Exceptions from the callbacks propagate.
CalibrationResult calibrate(const std::vector<FitParameter>& parameters,
                            const std::vector<const Measurement*>& rows,
                            const CalibrationCallbacks& callbacks, int maxEvaluations,
                            const std::optional<Identifiability>& thresholds = std::nullopt);

/// Root mean square of `residuals` (NaN entries included: the result is then NaN).
double rms(const std::vector<double>& residuals);

} // namespace edgesim::analysis
