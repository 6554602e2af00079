// Statistics of `edgesim validate`: how far predictions are from silicon measurements
// (signed error %, MAPE, median and max |error|) and whether they rank configurations in the
// measured order (Kendall tau), per platform and overall.
#pragma once

#include "analysis/Measurements.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace edgesim::analysis {

/// One measurement next to the simulator's prediction for it.
struct Comparison {
    std::string platform;
    std::string stack;
    std::string network;
    std::string metric;     ///< "latency", "energy", … (only rows of equal metric are ranked)
    double measured = 0.0;  ///< SI units, > 0
    double predicted = 0.0; ///< same unit as `measured`, > 0
};

struct GroupSummary {
    std::string platform; ///< empty for the overall summary
    int rows = 0;
    double mapePct = 0.0;      ///< mean |error| in %; NaN when rows == 0
    double medianAbsPct = 0.0; ///< median |error| in % (mean of the middle two if even)
    double maxAbsPct = 0.0;    ///< largest |error| in %
    double kendallTau = 0.0;   ///< (C - D) / (C + D) over same-metric pairs; NaN if tauPairs == 0
    int64_t tauPairs = 0;      ///< C + D: same-metric pairs without a tie in either value
};

struct ValidationSummary {
    std::vector<GroupSummary> perPlatform; ///< sorted by platform name
    GroupSummary overall;                  ///< all rows together
};

/// Signed relative error in percent: 100 * (predicted - measured) / measured.
double errorPct(double predicted, double measured);

/// Summarises `rows` per platform and overall. Kendall tau only compares rows of the same
/// metric (a latency is never ranked against an energy); pairs tied in the measured or in
/// the predicted value count as neither concordant nor discordant. Throws
/// std::invalid_argument if a measured or predicted value is not finite and positive.
ValidationSummary summarize(const std::vector<Comparison>& rows);

/// The last line of `edgesim validate`:
/// "validate: N rows, MAPE X.X%, median Y.Y%, tau Z.ZZ" (each statistic "n/a" when NaN).
std::string summaryLine(const ValidationSummary& summary);

/// The prediction for a measurement row in its SI unit, or nullopt with the reason in `why`
/// (the callback behind which the simulator sits).
using Predictor = std::function<std::optional<double>(const Measurement& row, std::string& why)>;

/// One measurement row next to its prediction.
struct ValidatedRow {
    const Measurement* measurement = nullptr;
    double predicted = 0.0;    ///< SI unit
    double predictedRaw = 0.0; ///< in the unit the row was written in
    double errorPct = 0.0;
};

struct ValidationReport {
    std::vector<ValidatedRow> rows;
    std::vector<std::pair<const Measurement*, std::string>> skipped; ///< row and why
    ValidationSummary summary;
};

/// Predicts every row of `measurements` (in order) and summarises the errors. Rows the
/// predictor cannot predict are skipped with its reason.
ValidationReport validate(const std::vector<Measurement>& measurements, const Predictor& predict);
/// The same for the rows `measurements` points at.
ValidationReport validate(const std::vector<const Measurement*>& measurements,
                          const Predictor& predict);

} // namespace edgesim::analysis
