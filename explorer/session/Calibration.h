// The model side of `edgesim calibrate`: which config fields a fitted parameter scales
// (`platform/<name>:<path>` or `stack/<name>:<path>`, common/ProtoPath.h; a path selecting
// several fields scales all of them by one factor, keeping their ratios), which measurement
// rows they move, applying scale factors to a Session's specs, and writing fitted values back
// into the config files with a `calibrated from` comment. The loop itself is
// analysis/Calibration.h.
#pragma once

#include "analysis/Calibration.h"
#include "common/ProtoPath.h"
#include "explorer/session/Predictor.h"
#include "explorer/session/Session.h"

#include <string>
#include <vector>

namespace edgesim::explorer {

struct CalibrationParameter {
    std::string text;     ///< as given
    bool platform = true; ///< else a stack parameter
    std::string name;     ///< config name
    std::string file;     ///< config file
    std::vector<ProtoPath> paths;
    std::vector<double> initial; ///< per path, > 0
};

/// Parses "platform/<name>:<path>" or "stack/<name>:<path>"; InputError naming --fit (or the
/// config file and field for a field whose value is not positive).
CalibrationParameter parseCalibrationParameter(const std::string& text, Session& session);

/// The rows of `measurements` whose metric is one of `metrics` and whose platform or stack a
/// parameter belongs to.
std::vector<const analysis::Measurement*>
rowsMovedBy(const std::vector<CalibrationParameter>& parameters,
            const std::vector<analysis::Measurement>& measurements,
            const std::vector<std::string>& metrics);

/// Sets every parameter's fields to initial x scale in the session's specs.
void applyScales(Session& session, const std::vector<CalibrationParameter>& parameters,
                 const std::vector<double>& scales);

/// The analysis callbacks of a calibration through `session` and `predictor`.
analysis::CalibrationCallbacks
calibrationCallbacks(Session& session, MeasurementPredictor& predictor,
                     const std::vector<CalibrationParameter>& parameters);

/// Writes initial x scale of every parameter into its config file, keeping every comment and
/// adding `calibrated from <measurementsFile> (<rows> rows; edgesim calibrate --fit ...)`.
void writeCalibration(const std::vector<CalibrationParameter>& parameters,
                      const std::vector<double>& scales, const std::string& measurementsFile,
                      int rows);

/// What `edgesim calibrate` asks for.
struct CalibrationRequest {
    std::vector<std::string> fit; ///< parameters (parseCalibrationParameter), at least one
    std::vector<std::string> metrics = {"latency", "energy"};
    sim::Fidelity fidelity = sim::Fidelity::Tlm;
    int maxEvaluations = 2000;
    double range = 10;  ///< each scale stays in [1 / range, range]; > 1
    bool write = false; ///< write the fitted values into the configs
};

struct Calibration {
    std::vector<CalibrationParameter> parameters;
    std::vector<const analysis::Measurement*> rows; ///< fitted, in file order
    std::vector<std::string> skipped;               ///< "file:line: why" of rows not predicted
    analysis::CalibrationResult result;             ///< scales (fit.values), errors before/after
};

/// Fits the request's parameters to the rows of `measurements` (read from `measurementsFile`)
/// that they move and the simulator predicts, and writes the fitted values when asked.
/// InputError for a bad request, or when no row depends on the parameters.
Calibration calibrate(Session& session, const std::vector<analysis::Measurement>& measurements,
                      const std::string& measurementsFile, const CalibrationRequest& request);

} // namespace edgesim::explorer
