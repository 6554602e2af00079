#include "analysis/Calibration.h"

#include <cmath>

namespace edgesim::analysis {

CalibrationResult calibrate(const std::vector<FitParameter>& parameters,
                            const std::vector<const Measurement*>& rows,
                            const CalibrationCallbacks& callbacks, int maxEvaluations) {
    const auto residuals = [&](const std::vector<double>& scales) {
        callbacks.apply(scales);
        std::vector<double> r;
        r.reserve(rows.size());
        for (const Measurement* m : rows) {
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
    out.before = residuals(initial);
    out.fit = fitLogLeastSquares(parameters, residuals, maxEvaluations);
    out.after = residuals(out.fit.values);
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
