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

/// The front of table `request.dataset` of the results file `path`; with `write`, it also
/// replaces /pareto by it (with the objectives and filters as attributes), holding the file's
/// lock from the read to the write, through a copy renamed over the file so it is never left
/// half-written. InputError when another writer (a running sweep) holds the file, or as
/// readTable and paretoFront.
ParetoFront paretoOfFile(const std::string& path, const ParetoRequest& request, bool write);

} // namespace edgesim::explorer
