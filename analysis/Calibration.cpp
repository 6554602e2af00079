#include "analysis/Calibration.h"

#include <cmath>

namespace edgesim::analysis {

CalibrationResult calibrate(const std::vector<FitParameter>& parameters,
                            const std::vector<const Measurement*>& rows,
                            const CalibrationCallbacks& callbacks, int maxEvaluations) {
    const auto residualsOf = [&](const std::vector<double>& scales,
                                 const std::vector<const Measurement*>& which) {
        callbacks.apply(scales);
        std::vector<double> r;
        r.reserve(which.size());
        for (const Measurement* m : which) {
            const auto p = callbacks.predict(*m);
            r.push_back(p ? std::log(*p / m->value) : std::nan(""));
        }
        return r;
    };
    CalibrationResult out;
    std::vector<double> initial;
    for (const auto& p : parameters) {
        initial.push_back(p.initial);
    }
    out.before = residualsOf(initial, rows);
    // Rows the model cannot predict at the initial values take no part in the fit (one NaN
    // would make every evaluation unusable); they are still reported, NaN or not, after it.
    std::vector<const Measurement*> fitted;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (std::isfinite(out.before[i])) {
            fitted.push_back(rows[i]);
        }
    }
    out.fit = fitLogLeastSquares(
        parameters, [&](const std::vector<double>& x) { return residualsOf(x, fitted); },
        maxEvaluations);
    out.after = residualsOf(out.fit.values, rows);
    return out;
}

double rms(const std::vector<double>& residuals) {
    double s = 0;
    for (double x : residuals) {
        s += x * x;
    }
    return residuals.empty() ? 0.0 : std::sqrt(s / static_cast<double>(residuals.size()));
}

} // namespace edgesim::analysis
