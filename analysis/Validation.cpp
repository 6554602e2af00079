#include "analysis/Validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace edgesim::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int sign(double v) {
    return (v > 0.0) - (v < 0.0);
}

/// Statistics of the rows `members` (indices into `rows`).
GroupSummary summarizeGroup(const std::vector<Comparison>& rows,
                            const std::vector<std::size_t>& members, std::string platform) {
    GroupSummary g;
    g.platform = std::move(platform);
    g.rows = static_cast<int>(members.size());
    if (members.empty()) {
        g.mapePct = g.medianAbsPct = g.maxAbsPct = g.kendallTau = kNaN;
        return g;
    }

    std::vector<double> absErr;
    absErr.reserve(members.size());
    for (std::size_t i : members) {
        absErr.push_back(std::abs(errorPct(rows[i].predicted, rows[i].measured)));
    }
    double sum = 0.0;
    for (double e : absErr) {
        sum += e;
    }
    g.mapePct = sum / static_cast<double>(absErr.size());
    g.maxAbsPct = *std::max_element(absErr.begin(), absErr.end());
    std::sort(absErr.begin(), absErr.end());
    const std::size_t mid = absErr.size() / 2;
    g.medianAbsPct = absErr.size() % 2 == 1 ? absErr[mid] : 0.5 * (absErr[mid - 1] + absErr[mid]);

    long concordant = 0;
    long discordant = 0;
    for (std::size_t a = 0; a < members.size(); ++a) {
        const Comparison& x = rows[members[a]];
        for (std::size_t b = a + 1; b < members.size(); ++b) {
            const Comparison& y = rows[members[b]];
            if (x.metric != y.metric) {
                continue;
            }
            const int s = sign(x.measured - y.measured) * sign(x.predicted - y.predicted);
            concordant += s > 0;
            discordant += s < 0;
        }
    }
    g.tauPairs = static_cast<int>(concordant + discordant);
    g.kendallTau = g.tauPairs == 0 ? kNaN
                                   : static_cast<double>(concordant - discordant) /
                                         static_cast<double>(g.tauPairs);
    return g;
}

std::string orNa(double v, const char* format) {
    return std::isnan(v) ? std::string("n/a") : fmt::format(fmt::runtime(format), v);
}

} // namespace

double errorPct(double predicted, double measured) {
    return 100.0 * (predicted - measured) / measured;
}

ValidationSummary summarize(const std::vector<Comparison>& rows) {
    std::map<std::string, std::vector<std::size_t>> byPlatform; // sorted by name
    std::vector<std::size_t> all;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Comparison& r = rows[i];
        if (!(std::isfinite(r.measured) && r.measured > 0.0 && std::isfinite(r.predicted) &&
              r.predicted > 0.0)) {
            throw std::invalid_argument(fmt::format(
                "validation row {} ({}, {}, {}, {}): measured {} and predicted {} must be finite "
                "and positive",
                i, r.platform, r.stack, r.network, r.metric, r.measured, r.predicted));
        }
        byPlatform[r.platform].push_back(i);
        all.push_back(i);
    }

    ValidationSummary s;
    for (const auto& [platform, members] : byPlatform) {
        s.perPlatform.push_back(summarizeGroup(rows, members, platform));
    }
    s.overall = summarizeGroup(rows, all, "");
    return s;
}

std::string summaryLine(const ValidationSummary& summary) {
    const GroupSummary& o = summary.overall;
    return fmt::format("validate: {} rows, MAPE {}, median {}, tau {}", o.rows,
                       orNa(o.mapePct, "{:.1f}%"), orNa(o.medianAbsPct, "{:.1f}%"),
                       orNa(o.kendallTau, "{:.2f}"));
}

ValidationReport validate(const std::vector<Measurement>& measurements, const Predictor& predict) {
    std::vector<const Measurement*> rows;
    rows.reserve(measurements.size());
    for (const auto& m : measurements) {
        rows.push_back(&m);
    }
    return validate(rows, predict);
}

ValidationReport validate(const std::vector<const Measurement*>& measurements,
                          const Predictor& predict) {
    ValidationReport report;
    std::vector<Comparison> comparisons;
    for (const Measurement* row : measurements) {
        const Measurement& m = *row;
        std::string why;
        const auto predicted = predict(m, why);
        if (!predicted) {
            report.skipped.emplace_back(&m, why);
            continue;
        }
        if (!(std::isfinite(*predicted) && *predicted > 0.0)) {
            // An error in percent of nothing means nothing (e.g. energy 0 once an override
            // zeroes every current): a skipped row, not a failed report.
            report.skipped.emplace_back(
                &m, fmt::format("the prediction ({}) is not finite and positive", *predicted));
            continue;
        }
        report.rows.push_back(
            {&m, *predicted, *predicted * (m.rawValue / m.value), errorPct(*predicted, m.value)});
        comparisons.push_back(
            {m.platform, m.stack, m.network, toString(m.metric), m.value, *predicted});
    }
    report.summary = summarize(comparisons);
    return report;
}

} // namespace edgesim::analysis
