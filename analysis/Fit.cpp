#include "analysis/Fit.h"

#include "common/Diagnostics.h"

#include <fmt/format.h>
#include <nlopt.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>

namespace edgesim::analysis {

namespace {

constexpr double kXtolLog = 1e-6;   ///< absolute on log x = relative on x
constexpr double kMaxLogStep = 1.0; ///< initial step at most a factor e per parameter
/// What the optimiser sees for non-finite residuals (or 10x the worst finite cost if higher).
constexpr double kFailurePenalty = 1e10;

void checkParameters(const std::vector<FitParameter>& parameters) {
    Diagnostics diags("<fit parameters>");
    auto positive = [](double v) { return std::isfinite(v) && v > 0.0; };
    for (const FitParameter& p : parameters) {
        if (!positive(p.lower) || !positive(p.upper) || !positive(p.initial)) {
            diags.error(p.name,
                        fmt::format("initial {}, lower {} and upper {} must be finite and > 0",
                                    p.initial, p.lower, p.upper));
        } else if (p.lower > p.upper) {
            diags.error(p.name,
                        fmt::format("lower bound {} is above upper bound {}", p.lower, p.upper));
        } else if (p.initial < p.lower || p.initial > p.upper) {
            diags.error(p.name, fmt::format("initial value {} is outside [{}, {}]", p.initial,
                                            p.lower, p.upper));
        }
    }
    diags.throwIfAny();
}

/// Evaluates the cost of full parameter vectors, counting calls and keeping the best point.
class Objective {
public:
    explicit Objective(const ResidualFunction& residuals) : residuals_(residuals) {}

    double operator()(const std::vector<double>& x) {
        ++evaluations_;
        const std::vector<double> r = residuals_(x);
        if (residualCount_ < 0) {
            residualCount_ = static_cast<long>(r.size());
        } else if (static_cast<long>(r.size()) != residualCount_) {
            throw std::logic_error(fmt::format("fit: residual function returned {} residuals, "
                                               "{} before",
                                               r.size(), residualCount_));
        }
        double cost = 0.0;
        for (double v : r) {
            cost += v * v;
        }
        if (best_.empty()) {
            best_ = x; // the initial point, until a finite cost is seen
        }
        if (!std::isfinite(cost)) {
            // BOBYQA fits quadratic models through the points it evaluates: an infinite value
            // wrecks them, a large finite one just steers away from the failing region.
            return std::max(kFailurePenalty, 10.0 * worstCost_);
        }
        worstCost_ = std::max(worstCost_, cost);
        if (cost < bestCost_) {
            bestCost_ = cost;
            best_ = x;
        }
        return cost;
    }

    int evaluations() const { return evaluations_; }
    const std::vector<double>& best() const { return best_; }
    double bestCost() const { return bestCost_; }

private:
    const ResidualFunction& residuals_;
    long residualCount_ = -1;
    int evaluations_ = 0;
    std::vector<double> best_;
    double bestCost_ = std::numeric_limits<double>::infinity(); ///< lowest finite cost
    double worstCost_ = 0.0;                                    ///< highest finite cost
};

/// What NLopt's C callback needs: maps the free log-parameters back to the full vector.
struct Callback {
    Objective* objective;
    const std::vector<FitParameter>* parameters;
    const std::vector<std::size_t>* freeIndex;
    nlopt::opt* optimizer;
    std::exception_ptr error; ///< first exception thrown by the residual function
};

double nloptObjective(unsigned n, const double* logX, double* /*grad: BOBYQA has none*/,
                      void* data) {
    auto* cb = static_cast<Callback*>(data);
    std::vector<double> x;
    x.reserve(cb->parameters->size());
    for (const FitParameter& p : *cb->parameters) {
        x.push_back(p.initial); // fixed parameters keep their value
    }
    for (unsigned k = 0; k < n; ++k) {
        // exp(log(upper)) may exceed upper by an ulp: clamp so the bounds hold exactly.
        const FitParameter& p = (*cb->parameters)[(*cb->freeIndex)[k]];
        x[(*cb->freeIndex)[k]] = std::min(std::max(std::exp(logX[k]), p.lower), p.upper);
    }
    try {
        return (*cb->objective)(x);
    } catch (...) {
        // NLopt's C++ wrapper would replace the exception with a generic one: keep the
        // original and rethrow it once the optimiser has stopped.
        cb->error = std::current_exception();
        cb->optimizer->force_stop();
        return std::numeric_limits<double>::infinity();
    }
}

} // namespace

FitResult fitLogLeastSquares(const std::vector<FitParameter>& parameters,
                             const ResidualFunction& residuals, int maxEvaluations) {
    if (parameters.empty()) {
        throw std::invalid_argument("fit: no parameters to fit");
    }
    if (maxEvaluations < 1) {
        throw std::invalid_argument("fit: maxEvaluations must be at least 1");
    }
    checkParameters(parameters);

    Objective objective(residuals);
    std::vector<double> initial;
    std::vector<std::size_t> freeIndex;
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        initial.push_back(parameters[i].initial);
        if (parameters[i].lower < parameters[i].upper) {
            freeIndex.push_back(i);
        }
    }

    FitResult result;
    objective(initial);
    result.initialCost = objective.bestCost(); // infinite if not finite
    auto finish = [&](bool converged, std::string message) {
        result.values = objective.best();
        result.finalCost = objective.bestCost();
        result.evaluations = objective.evaluations();
        result.converged = converged;
        result.message = std::move(message);
        return result;
    };
    if (freeIndex.empty()) {
        return finish(true, "every parameter is fixed (lower == upper)");
    }
    if (maxEvaluations == 1) {
        return finish(false, "evaluation limit reached");
    }

    const auto n = static_cast<unsigned>(freeIndex.size());
    nlopt::opt optimizer(nlopt::LN_BOBYQA, n);
    std::vector<double> lower(n), upper(n), y(n), step(n);
    for (unsigned k = 0; k < n; ++k) {
        const FitParameter& p = parameters[freeIndex[k]];
        lower[k] = std::log(p.lower);
        upper[k] = std::log(p.upper);
        y[k] = std::min(std::max(std::log(p.initial), lower[k]), upper[k]);
        step[k] = std::min(0.25 * (upper[k] - lower[k]), kMaxLogStep);
    }
    optimizer.set_lower_bounds(lower);
    optimizer.set_upper_bounds(upper);
    optimizer.set_initial_step(step);
    optimizer.set_xtol_abs(kXtolLog);
    optimizer.set_maxeval(maxEvaluations - 1); // the initial evaluation above counts

    Callback cb{&objective, &parameters, &freeIndex, &optimizer, nullptr};
    optimizer.set_min_objective(nloptObjective, &cb);

    double cost = 0.0;
    nlopt::result status = nlopt::FAILURE;
    std::string failure;
    try {
        status = optimizer.optimize(y, cost);
    } catch (const nlopt::roundoff_limited&) {
        status = nlopt::ROUNDOFF_LIMITED;
    } catch (const nlopt::forced_stop&) {
        status = nlopt::FORCED_STOP;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (cb.error) {
        std::rethrow_exception(cb.error);
    }
    if (!std::isfinite(objective.bestCost())) {
        return finish(false, "no evaluated point gave finite residuals");
    }

    switch (status) {
    case nlopt::SUCCESS:
    case nlopt::STOPVAL_REACHED:
    case nlopt::FTOL_REACHED:
    case nlopt::XTOL_REACHED:
        return finish(true,
                      fmt::format("converged: parameters stable to a relative {:g}", kXtolLog));
    case nlopt::ROUNDOFF_LIMITED:
        return finish(true, "converged: round-off limits further progress");
    case nlopt::MAXEVAL_REACHED:
        return finish(false, fmt::format("evaluation limit ({}) reached", maxEvaluations));
    default:
        return finish(false, "optimiser failed: " + (failure.empty() ? "nlopt error" : failure));
    }
}

} // namespace edgesim::analysis
