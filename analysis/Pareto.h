// Pareto fronts of result tables (`edgesim pareto`, NAS populations): which points no other
// point beats in every objective. Pure functions over numbers; NaN means "not produced".
#pragma once

#include <cstddef>
#include <vector>

namespace edgesim::analysis {

enum class Sense { Minimize, Maximize };

/// Indices (ascending) of the non-dominated points of `points` (one row per point, one value
/// per objective, `senses` giving each objective's direction). Point a dominates b when a is at
/// least as good in every objective and strictly better in one; points with equal values in
/// every objective do not dominate each other, so all copies of a front point are kept. A
/// point with a NaN in any objective is never in the front and never dominates. Works for
/// any number of objectives; 1 and 2 objectives in O(n log n). Throws std::invalid_argument
/// when senses is empty or a row's size differs from senses.size().
std::vector<std::size_t> paretoFront(const std::vector<std::vector<double>>& points,
                                     const std::vector<Sense>& senses);

} // namespace edgesim::analysis
