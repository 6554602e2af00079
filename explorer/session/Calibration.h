// The model side of `edgesim calibrate`: which config fields a fitted parameter scales
// (`platform/<name>:<path>` or `stack/<name>:<path>`, common/ProtoPath.h; a path selecting
// several fields scales all of them by one factor, keeping their ratios), the calibration set
// that lists them with their a-priori values and sources (configs/calibration/, shared with
// `validate --cross-validate`), which measurement rows they move, applying scale factors to a
// Session's specs, and writing fitted values back into the config files with a `calibrated
// from` comment. The loop itself is analysis/Calibration.h.
#pragma once

#include "analysis/Calibration.h"
#include "common/ProtoPath.h"
#include "explorer/session/Predictor.h"
#include "explorer/session/Session.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgesim::explorer {

struct CalibrationParameter {
    std::string text;     ///< as given
    bool platform = true; ///< else a stack parameter
    std::string name;     ///< config name
    std::string file;     ///< config file
    std::vector<ProtoPath> paths;
    /// Per path, > 0: where the fit starts and what the fields keep when the rows do not
    /// identify the parameter (the a-priori values of a calibration set; the config's current
    /// values for a parameter given with --fit).
    std::vector<double> initial;
    double minScale = 0.1; ///< fitted values stay within initial x [minScale, maxScale]
    double maxScale = 10;
    std::string source; ///< where `initial` comes from
};

/// Parses "platform/<name>:<path>" or "stack/<name>:<path>"; InputError naming `field` (or
/// the config file and field for a field whose value is not positive).
CalibrationParameter parseCalibrationParameter(const std::string& text, Session& session,
                                               const std::string& field = "--fit");

/// A calibration set (explorer/spec/calibration.proto): the parameters with their a-priori
/// values, and when the rows of a fit identify them.
struct CalibrationSet {
    std::string file;
    std::string description;
    std::vector<CalibrationParameter> parameters;
    analysis::Identifiability identifiability;
    std::vector<std::string> metrics; ///< metrics whose rows are fitted
};

/// Loads configs/calibration/<nameOrPath>.textproto (or the file `nameOrPath`): every problem
/// (unknown config or field, a prior that is not positive or does not match the fields the
/// path selects, bounds, thresholds, metrics) in one InputError naming the file, line and field.
CalibrationSet loadCalibrationSet(const std::string& nameOrPath, Session& session);

/// The rows of `measurements` whose metric is one of `metrics` and whose platform or stack a
/// parameter belongs to.
std::vector<const analysis::Measurement*>
rowsMovedBy(const std::vector<CalibrationParameter>& parameters,
            const std::vector<const analysis::Measurement*>& measurements,
            const std::vector<std::string>& metrics);

/// The analysis parameters of `parameters`: scale factors starting at 1 within their bounds.
std::vector<analysis::FitParameter>
fitParameters(const std::vector<CalibrationParameter>& parameters);

/// Copies of the specs `parameters` change, to put back after a fit (restoreSpecs).
struct SavedSpecs {
    std::map<std::string, platforms::spec::PlatformSpec> platforms;
    std::map<std::string, platforms::spec::StackSpec> stacks;
};
SavedSpecs saveSpecs(Session& session, const std::vector<CalibrationParameter>& parameters);
void restoreSpecs(Session& session, const SavedSpecs& saved);

/// Sets every parameter's fields to initial x scale in the session's specs.
void applyScales(Session& session, const std::vector<CalibrationParameter>& parameters,
                 const std::vector<double>& scales);

/// The analysis callbacks of a calibration through `session` and `predictor`.
analysis::CalibrationCallbacks
calibrationCallbacks(Session& session, MeasurementPredictor& predictor,
                     const std::vector<CalibrationParameter>& parameters);

/// Writes initial x fitted scale of every parameter into its config file, keeping every
/// comment and adding `calibrated from <measurementsFile> (<rows> rows; edgesim calibrate
/// --fit ...)` (`--parameters <setName>` for a calibration set), or for a parameter the rows
/// did not identify `a priori: <source> (...)`.
void writeCalibration(const std::vector<CalibrationParameter>& parameters,
                      const analysis::CalibrationResult& result,
                      const std::string& measurementsFile, int rows,
                      const std::string& setName = {});

/// The calibration set a request names when it gives no --fit.
inline constexpr const char* kDefaultCalibrationSet = "mlperf-tiny";

/// What `edgesim calibrate` asks for.
struct CalibrationRequest {
    /// Parameters (parseCalibrationParameter) starting from the configs' current values,
    /// every one fitted; empty = the calibration set `set`.
    std::vector<std::string> fit;
    std::string set = kDefaultCalibrationSet; ///< loadCalibrationSet, when `fit` is empty
    std::vector<std::string> metrics;         ///< empty = the set's (latency and energy for --fit)
    sim::Fidelity fidelity = sim::Fidelity::Tlm;
    int maxEvaluations = 2000;
    double range = 10;  ///< --fit: each scale stays in [1 / range, range]; > 1
    bool write = false; ///< write the fitted values into the configs
};

/// The parameters a request fits, from its --fit or its calibration set; whether the rows must
/// identify them (a set) or all are fitted (--fit).
struct RequestedParameters {
    std::vector<CalibrationParameter> parameters;
    std::optional<analysis::Identifiability> identifiability;
    std::vector<std::string> metrics;
    std::string setFile; ///< empty for --fit
};
RequestedParameters requestedParameters(Session& session, const CalibrationRequest& request);

struct Calibration {
    std::vector<CalibrationParameter> parameters;
    std::string setFile;                            ///< the calibration set; empty for --fit
    std::vector<const analysis::Measurement*> rows; ///< fitted, in file order
    std::vector<std::string> skipped;               ///< "file:line: why" of rows not predicted
    analysis::CalibrationResult result; ///< scales (fit.values), identified, errors before/after
};

/// Fits the request's parameters to the rows of `measurements` (read from `measurementsFile`)
/// that they move and the simulator predicts, starting from their initial (a-priori) values
/// and, for a calibration set, fitting only those the rows identify; writes the fitted values
/// when asked. InputError for a bad request, or when no row depends on the parameters.
Calibration calibrate(Session& session, const std::vector<analysis::Measurement>& measurements,
                      const std::string& measurementsFile, const CalibrationRequest& request);

} // namespace edgesim::explorer
