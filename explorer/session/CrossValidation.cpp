#include "explorer/session/CrossValidation.h"

#include "common/Strings.h"
#include "explorer/results/RunRecords.h"
#include "explorer/session/Predictor.h"

#include <set>

namespace edgesim::explorer {

namespace {

/// The in-sample rows of `report` that are in `rows`.
std::vector<analysis::ValidatedRow>
rowsAmong(const analysis::ValidationReport& report,
          const std::vector<const analysis::Measurement*>& rows) {
    const std::set<const analysis::Measurement*> wanted(rows.begin(), rows.end());
    std::vector<analysis::ValidatedRow> out;
    for (const auto& r : report.rows) {
        if (wanted.count(r.measurement) != 0) {
            out.push_back(r);
        }
    }
    return out;
}

} // namespace

CrossValidation crossValidate(Session& session,
                              const std::vector<analysis::Measurement>& measurements,
                              const std::string& measurementsFile,
                              const CrossValidationRequest& request) {
    CrossValidation cv;
    cv.kind = request.kind;
    const std::vector<analysis::Fold> folds =
        analysis::makeFolds(measurements, request.kind, measurementsFile, request.folds);
    cv.set = loadCalibrationSet(request.set, session);
    const auto& parameters = cv.set.parameters;

    MeasurementPredictor predictor(session, request.fidelity, measurementsFile, request.overrides,
                                   request.quantize);
    predictor.prepare(measurements);
    const auto predict = [&predictor](const analysis::Measurement& m, std::string& why) {
        return predictor.predict(m, why);
    };
    cv.inSample = analysis::validate(measurements, predict);
    cv.inSampleSummary = analysis::summarizeByMetric(cv.inSample.rows);

    const SavedSpecs saved = saveSpecs(session, parameters);
    std::vector<analysis::ValidatedRow> allHeldOut;
    std::vector<const analysis::Measurement*> predicted;
    for (const analysis::Fold& fold : folds) {
        FoldResult f;
        f.name = fold.name;
        f.training = rowsMovedBy(parameters, fold.training, cv.set.metrics);
        // The fit starts from the a-priori values, never from the configs' (calibrated on
        // every row, held-out ones included), and sees the training rows only.
        f.fit = analysis::calibrate(fitParameters(parameters), f.training,
                                    calibrationCallbacks(session, predictor, parameters),
                                    request.maxEvaluations, cv.set.identifiability);
        for (std::size_t k = 0; k < parameters.size(); ++k) {
            FoldParameter p;
            p.identifiable = f.fit.identified.identifiable[k];
            p.why = f.fit.identified.why[k];
            for (double v : parameters[k].initial) {
                p.value.push_back(v * f.fit.fit.values[k]);
            }
            f.parameters.push_back(std::move(p));
        }
        f.heldOut = analysis::validate(fold.heldOut, predict);
        f.summary = analysis::summarizeByMetric(f.heldOut.rows);
        f.inSample = analysis::summarizeByMetric(rowsAmong(cv.inSample, fold.heldOut));
        restoreSpecs(session, saved);
        predictor.clear();
        allHeldOut.insert(allHeldOut.end(), f.heldOut.rows.begin(), f.heldOut.rows.end());
        for (const auto& r : f.heldOut.rows) {
            predicted.push_back(r.measurement);
        }
        cv.folds.push_back(std::move(f));
    }
    cv.summary = analysis::summarizeByMetric(allHeldOut);
    cv.inSampleOfHeldOut = analysis::summarizeByMetric(rowsAmong(cv.inSample, predicted));
    return cv;
}

std::string foldLabel(const CrossValidation& cv, const FoldResult& fold) {
    return std::string(analysis::toString(cv.kind)) + ":" + fold.name;
}

std::vector<std::string> notIdentified(const CrossValidation& cv, const FoldResult& fold) {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < fold.parameters.size(); ++k) {
        if (!fold.parameters[k].identifiable) {
            out.push_back(cv.set.parameters[k].text);
        }
    }
    return out;
}

std::vector<ValidationRow> validationRows(const CrossValidation& cv) {
    std::vector<ValidationRow> rows = validationRows(cv.inSample, "in-sample");
    for (const auto& f : cv.folds) {
        const auto foldRows = validationRows(f.heldOut, foldLabel(cv, f));
        rows.insert(rows.end(), foldRows.begin(), foldRows.end());
    }
    return rows;
}

std::vector<ValidationFoldRow> validationFoldRows(const CrossValidation& cv) {
    const auto row = [](std::string label, const analysis::MetricSummaries& s,
                        const analysis::MetricSummaries& in) {
        ValidationFoldRow r;
        r.fold = std::move(label);
        r.rows = s.all.rows;
        r.mapePct = s.all.mapePct;
        r.latencyMapePct = s.latency.mapePct;
        r.energyMapePct = s.energy.mapePct;
        r.inSampleMapePct = in.all.mapePct;
        r.inSampleLatencyMapePct = in.latency.mapePct;
        r.inSampleEnergyMapePct = in.energy.mapePct;
        return r;
    };
    std::vector<ValidationFoldRow> rows;
    for (const auto& f : cv.folds) {
        ValidationFoldRow r = row(foldLabel(cv, f), f.summary, f.inSample);
        r.trainingRows = static_cast<int64_t>(f.training.size());
        r.notIdentifiable = join(notIdentified(cv, f), " ");
        rows.push_back(std::move(r));
    }
    rows.push_back(
        row(std::string(analysis::toString(cv.kind)) + ":all", cv.summary, cv.inSampleOfHeldOut));
    return rows;
}

} // namespace edgesim::explorer
