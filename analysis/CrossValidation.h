// Folds of `edgesim validate --cross-validate`: the measurement rows grouped by board or by
// network, each group held out once while the others are fitted, and the error statistics of
// the held-out predictions per metric. The refit itself is explorer::crossValidate.
#pragma once

#include "analysis/Measurements.h"
#include "analysis/Validation.h"

#include <string>
#include <vector>

namespace edgesim::analysis {

enum class FoldKind { Board, Network };

/// "board" or "network"; InputError naming `field` otherwise.
FoldKind parseFoldKind(const std::string& text, const std::string& field = "--cross-validate");
const char* toString(FoldKind kind);

/// One fold: the rows of one board (network) held out, every other row available to the fit.
struct Fold {
    std::string name; ///< the held-out board (platform name) or network
    std::vector<const Measurement*> heldOut;
    std::vector<const Measurement*> training;
};

/// One fold per board (network) of `rows`, sorted by name, rows in file order; only the folds
/// named in `only` when it is not empty (in their sorted place). InputError naming `file`
/// when the rows hold fewer than two boards (networks: nothing would be left to fit) or a
/// name of `only` has no row (field `onlyField`).
std::vector<Fold> makeFolds(const std::vector<Measurement>& rows, FoldKind kind,
                            const std::string& file, const std::vector<std::string>& only = {},
                            const std::string& onlyField = "--fold");

/// Statistics of predicted rows: all of them, the latency rows and the energy rows (a group
/// without rows has rows == 0 and NaN statistics).
struct MetricSummaries {
    GroupSummary all, latency, energy;
};
MetricSummaries summarizeByMetric(const std::vector<ValidatedRow>& rows);

} // namespace edgesim::analysis
