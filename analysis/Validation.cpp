#include "analysis/Validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>

namespace edgesim::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Pairs of equal elements in a sorted sequence (runs of equal values).
template <typename T> int64_t tiedPairs(const std::vector<T>& sorted) {
    int64_t pairs = 0;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j < sorted.size() && sorted[j] == sorted[i]) {
            ++j;
        }
        const auto run = static_cast<int64_t>(j - i);
        pairs += run * (run - 1) / 2;
        i = j;
    }
    return pairs;
}

/// Inversions (i < j with v[i] > v[j]) of `v`, which it sorts; `scratch` is a buffer.
int64_t sortCountingInversions(std::vector<double>& v, std::vector<double>& scratch) {
    int64_t inversions = 0;
    const std::size_t n = v.size();
    if (scratch.size() < n) {
        // (not resize(): GCC 12 at -O2 reports a null dereference inside it, a false positive)
        scratch = std::vector<double>(n);
    }
    for (std::size_t width = 1; width < n; width *= 2) {
        for (std::size_t lo = 0; lo < n; lo += 2 * width) {
            const std::size_t mid = std::min(lo + width, n);
            const std::size_t hi = std::min(lo + 2 * width, n);
            std::size_t a = lo;
            std::size_t b = mid;
            std::size_t out = lo;
            while (a < mid && b < hi) {
                if (v[b] < v[a]) {
                    inversions += static_cast<int64_t>(mid - a);
                    scratch[out++] = v[b++];
                } else {
                    scratch[out++] = v[a++];
                }
            }
            while (a < mid) {
                scratch[out++] = v[a++];
            }
            while (b < hi) {
                scratch[out++] = v[b++];
            }
        }
        v.swap(scratch);
    }
    return inversions;
}

struct PairCounts {
    int64_t concordant = 0;
    int64_t discordant = 0;
};

/// Concordant and discordant pairs of (measured, predicted) points, ties excluded.
PairCounts kendallCounts(std::vector<std::pair<double, double>>& points) {
    std::sort(points.begin(), points.end());
    const auto n = static_cast<int64_t>(points.size());
    const int64_t all = n * (n - 1) / 2;
    // Tied in measured, and tied in both (runs of equal points, as sorted).
    std::vector<double> measured;
    measured.reserve(points.size());
    const int64_t tiedBoth = tiedPairs(points);
    std::vector<double> predicted;
    predicted.reserve(points.size());
    for (const auto& [m, p] : points) {
        measured.push_back(m);
        predicted.push_back(p);
    }
    const int64_t tiedMeasured = tiedPairs(measured);
    std::vector<double> scratch;
    PairCounts c;
    c.discordant = sortCountingInversions(predicted, scratch);
    const int64_t tiedPredicted = tiedPairs(predicted); // sorted now
    c.concordant = all - tiedMeasured - tiedPredicted + tiedBoth - c.discordant;
    return c;
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

    // Kendall's concordant and discordant pair counts in O(n log n) per metric (Knight 1966):
    // sort by (measured, predicted); discordant pairs are then the inversions of the predicted
    // sequence, counted by a merge sort; pairs tied in either value are neither.
    std::map<std::string, std::vector<std::pair<double, double>>> byMetric;
    for (std::size_t i : members) {
        byMetric[rows[i].metric].emplace_back(rows[i].measured, rows[i].predicted);
    }
    int64_t concordant = 0;
    int64_t discordant = 0;
    for (auto& [metric, pairs] : byMetric) {
        const PairCounts c = kendallCounts(pairs);
        concordant += c.concordant;
        discordant += c.discordant;
    }
    g.tauPairs = concordant + discordant;
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
