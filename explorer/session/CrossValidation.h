// `edgesim validate --cross-validate board|network`: for each board (network) of a measurements
// file, the calibration set's parameters are refitted from their a-priori values on the other
// rows only (explorer::calibrate's loop; parameters those rows do not identify stay a priori)
// and the held-out rows are predicted. The in-sample report (the configs as they are) comes
// alongside, so that the two can be compared row by row.
#pragma once

#include "analysis/CrossValidation.h"
#include "explorer/results/ResultsFile.h"
#include "explorer/session/Calibration.h"

#include <string>
#include <vector>

namespace edgesim::explorer {

struct CrossValidationRequest {
    analysis::FoldKind kind = analysis::FoldKind::Board;
    std::vector<std::string> folds;           ///< only these folds (names); empty = all
    std::string set = kDefaultCalibrationSet; ///< the calibration set (loadCalibrationSet)
    sim::Fidelity fidelity = sim::Fidelity::Tlm;
    std::vector<Override> overrides; ///< applied to every prediction, in-sample and folds
    std::string quantize;            ///< deployment precision of every row (--quantize)
    int maxEvaluations = 2000;       ///< per fold
};

/// One parameter in one fold.
struct FoldParameter {
    bool identifiable = false;
    std::string why;           ///< why not, when not identifiable
    std::vector<double> value; ///< per field: the fitted value, or the a-priori one
};

struct FoldResult {
    std::string name;                                   ///< the held-out board or network
    std::vector<const analysis::Measurement*> training; ///< the rows fitted
    analysis::CalibrationResult fit;                    ///< over `training`
    std::vector<FoldParameter> parameters;              ///< CalibrationSet order
    analysis::ValidationReport heldOut;                 ///< predictions of the held-out rows
    analysis::MetricSummaries summary;                  ///< of heldOut.rows
    analysis::MetricSummaries inSample;                 ///< the same rows, in-sample
};

struct CrossValidation {
    analysis::FoldKind kind = analysis::FoldKind::Board;
    CalibrationSet set;
    analysis::ValidationReport inSample;       ///< every row, with the configs as they are
    analysis::MetricSummaries inSampleSummary; ///< of inSample.rows
    std::vector<FoldResult> folds;
    analysis::MetricSummaries summary;           ///< every held-out prediction of every fold
    analysis::MetricSummaries inSampleOfHeldOut; ///< in-sample, the rows the folds predicted
};

/// Runs the cross-validation `request` asks for on `measurements` (read from
/// `measurementsFile`). Deterministic. The session's specs are as before when it returns
/// (each fold starts from them and puts them back). InputError for a bad request or set,
/// fewer than two folds' worth of rows, or a requested fold without rows.
CrossValidation crossValidate(Session& session,
                              const std::vector<analysis::Measurement>& measurements,
                              const std::string& measurementsFile,
                              const CrossValidationRequest& request);

/// "<kind>:<name>", the /validation fold label of a fold ("board:nucleo-l4r5zi").
std::string foldLabel(const CrossValidation& cv, const FoldResult& fold);

/// The parameters (their set text) a fold did not identify, in set order.
std::vector<std::string> notIdentified(const CrossValidation& cv, const FoldResult& fold);

/// The /validation rows of `cv` (in-sample rows labelled "in-sample", then each fold's held-out
/// rows) and its /validation_folds rows (one per fold, then "<kind>:all" over every fold).
std::vector<ValidationRow> validationRows(const CrossValidation& cv);
std::vector<ValidationFoldRow> validationFoldRows(const CrossValidation& cv);

} // namespace edgesim::explorer
