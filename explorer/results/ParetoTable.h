// Pareto fronts of a results table (`edgesim pareto`): the rows of /sweep (or another table)
// that no other row beats in every objective (analysis/Pareto.h), after filters, written back
// as /pareto.
#pragma once

#include "analysis/Pareto.h"
#include "explorer/results/ResultsFile.h"

#include <string>
#include <utility>
#include <vector>

namespace edgesim::explorer {

struct Objective {
    std::string column;
    analysis::Sense sense = analysis::Sense::Minimize;
    std::string field; ///< the option that gave it ("--x"), for errors
};

/// "latency_s" (minimised) or "max:accuracy"; InputError naming `field` when empty.
Objective parseObjective(const std::string& text, const std::string& field);

struct ParetoRequest {
    std::string dataset = "sweep";
    std::vector<Objective> objectives;
    /// Filters "column=value", all of which a row must pass: text columns compare as text,
    /// numeric ones as numbers.
    std::vector<std::string> where;
};

struct ParetoFront {
    Table rows; ///< the front: every column of the table, best first by the first objective
    int64_t considered = 0; ///< rows that passed the filters
    int64_t withNaN = 0;    ///< of which had a NaN objective (never in a front)
};

/// The front of `table` (read from `file`, named in errors): InputError naming the file and
/// the option for an unknown column, a text column as an objective, or a malformed filter.
ParetoFront paretoFront(const Table& table, const ParetoRequest& request, const std::string& file);

/// Replaces /pareto in the results file `path` by `front` (with the objectives and filters as
/// attributes), through a copy renamed over the file so it is never left half-written.
/// InputError when another writer (a running sweep) holds the file.
void writePareto(const std::string& path, const ParetoFront& front, const ParetoRequest& request);

} // namespace edgesim::explorer
