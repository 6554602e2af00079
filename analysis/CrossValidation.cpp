#include "analysis/CrossValidation.h"

#include "common/Diagnostics.h"
#include "common/Strings.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace edgesim::analysis {

FoldKind parseFoldKind(const std::string& text, const std::string& field) {
    if (text == "board") {
        return FoldKind::Board;
    }
    if (text == "network") {
        return FoldKind::Network;
    }
    throw InputError("<command line>", field,
                     "'" + text + "' is not a fold kind (board or network)");
}

const char* toString(FoldKind kind) {
    return kind == FoldKind::Board ? "board" : "network";
}

std::vector<Fold> makeFolds(const std::vector<Measurement>& rows, FoldKind kind,
                            const std::string& file, const std::vector<std::string>& only,
                            const std::string& onlyField) {
    const auto keyOf = [kind](const Measurement& m) {
        return kind == FoldKind::Board ? m.platform : m.network;
    };
    std::map<std::string, std::vector<const Measurement*>> groups; // sorted by name
    for (const auto& m : rows) {
        groups[keyOf(m)].push_back(&m);
    }
    std::vector<std::string> names;
    for (const auto& [name, members] : groups) {
        names.push_back(name);
    }
    const std::string plural = kind == FoldKind::Board ? "boards" : "networks";
    if (groups.size() < 2) {
        throw InputError(file, "--cross-validate",
                         fmt::format("holding out one of the {} leaves no row to fit: the file "
                                     "has rows of {} {} ({})",
                                     plural, groups.size(), groups.size() == 1 ? "one" : "no",
                                     join(names, ", ")));
    }
    for (const auto& name : only) {
        if (groups.count(name) == 0) {
            throw InputError(file, onlyField,
                             fmt::format("fold '{}' has no rows (the {} in the file: {})", name,
                                         plural, join(names, ", ")));
        }
    }
    std::vector<Fold> folds;
    for (const auto& [name, members] : groups) {
        if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) {
            continue;
        }
        Fold f;
        f.name = name;
        f.heldOut = members;
        for (const auto& m : rows) {
            if (keyOf(m) != name) {
                f.training.push_back(&m);
            }
        }
        folds.push_back(std::move(f));
    }
    return folds;
}

MetricSummaries summarizeByMetric(const std::vector<ValidatedRow>& rows) {
    std::vector<Comparison> all, latency, energy;
    for (const auto& r : rows) {
        const Measurement& m = *r.measurement;
        const Comparison c{m.platform,         m.stack, m.network,
                           toString(m.metric), m.value, r.predicted};
        all.push_back(c);
        if (m.metric == Metric::Latency) {
            latency.push_back(c);
        } else if (m.metric == Metric::Energy) {
            energy.push_back(c);
        }
    }
    return {summarize(all).overall, summarize(latency).overall, summarize(energy).overall};
}

} // namespace edgesim::analysis
