#include "analysis/Calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace edgesim::analysis {

namespace {

/// Step in log(parameter) of the finite differences behind the elasticities: large enough
/// that the simulator's integer cycle counts do not make them noisy, small enough that the
/// predictions stay close to linear in it (a numerical choice, not a model constant).
constexpr double kElasticityStepLog = 0.05;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        s += a[i] * b[i];
    }
    return s;
}

} // namespace

IdentifiabilityResult identifiable(const std::vector<std::vector<double>>& elasticity,
                                   const std::vector<std::string>& names,
                                   const Identifiability& thresholds) {
    const std::size_t n = names.size();
    for (const auto& row : elasticity) {
        if (row.size() != n) {
            throw std::invalid_argument(fmt::format(
                "identifiable: an elasticity row has {} entries for {} parameters", row.size(), n));
        }
    }
    IdentifiabilityResult out;
    std::vector<std::vector<double>> basis; // orthonormal columns of the accepted parameters
    for (std::size_t k = 0; k < n; ++k) {
        std::vector<double> column;
        double largest = 0.0;
        for (const auto& row : elasticity) {
            column.push_back(row[k]);
            largest = std::max(largest, std::abs(row[k]));
        }
        if (elasticity.empty() || largest == 0.0) {
            out.identifiable.push_back(false);
            out.why.push_back("no fitted row depends on it");
            continue;
        }
        if (largest < thresholds.minElasticity) {
            out.identifiable.push_back(false);
            out.why.push_back(fmt::format("the fitted rows barely depend on it (largest "
                                          "elasticity {:.3f} < {:g})",
                                          largest, thresholds.minElasticity));
            continue;
        }
        const double norm = std::sqrt(dot(column, column));
        std::vector<double> rest = column;
        for (const auto& q : basis) {
            const double c = dot(rest, q);
            for (std::size_t i = 0; i < rest.size(); ++i) {
                rest[i] -= c * q[i];
            }
        }
        const double restNorm = std::sqrt(dot(rest, rest));
        if (restNorm < thresholds.minIndependence * norm || restNorm == 0.0) {
            out.identifiable.push_back(false);
            out.why.push_back(fmt::format("the fitted rows cannot tell it from the parameters "
                                          "before it ({:.0f}% of its effect independent, < "
                                          "{:g}%)",
                                          100.0 * restNorm / norm,
                                          100.0 * thresholds.minIndependence));
            continue;
        }
        for (double& v : rest) {
            v /= restNorm;
        }
        basis.push_back(std::move(rest));
        out.identifiable.push_back(true);
        out.why.emplace_back();
    }
    return out;
}

CalibrationResult calibrate(const std::vector<FitParameter>& parameters,
                            const std::vector<const Measurement*>& rows,
                            const CalibrationCallbacks& callbacks, int maxEvaluations,
                            const std::optional<Identifiability>& thresholds) {
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
    std::vector<std::string> names;
    for (const auto& p : parameters) {
        initial.push_back(p.initial);
        names.push_back(p.name);
    }
    out.before = residualsOf(initial, rows);
    // Rows the model cannot predict at the initial values take no part in the fit (one NaN
    // would make every evaluation unusable); they are still reported, NaN or not, after it.
    std::vector<const Measurement*> fitted;
    std::vector<double> fittedBefore;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (std::isfinite(out.before[i])) {
            fitted.push_back(rows[i]);
            fittedBefore.push_back(out.before[i]);
        }
    }

    std::vector<FitParameter> free = parameters;
    if (thresholds) {
        std::vector<std::vector<double>> elasticity(fitted.size(),
                                                    std::vector<double>(parameters.size(), 0.0));
        for (std::size_t k = 0; k < parameters.size() && !fitted.empty(); ++k) {
            std::vector<double> x = initial;
            x[k] *= std::exp(kElasticityStepLog);
            const std::vector<double> r = residualsOf(x, fitted);
            for (std::size_t i = 0; i < fitted.size(); ++i) {
                const double e = (r[i] - fittedBefore[i]) / kElasticityStepLog;
                elasticity[i][k] = std::isfinite(e) ? e : 0.0;
            }
        }
        out.identified = identifiable(elasticity, names, *thresholds);
        for (std::size_t k = 0; k < free.size(); ++k) {
            if (!out.identified.identifiable[k]) {
                free[k].lower = free[k].upper = free[k].initial;
            }
        }
    } else {
        out.identified.identifiable.assign(parameters.size(), true);
        out.identified.why.assign(parameters.size(), std::string());
    }
    out.fit = fitLogLeastSquares(
        free, [&](const std::vector<double>& x) { return residualsOf(x, fitted); }, maxEvaluations);
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
