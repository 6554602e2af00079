// Compares tables read back from results files: equal cells, NaN equal to NaN (a metric not
// produced in both).
#pragma once

#include "explorer/results/ResultsFile.h"

#include <cmath>

namespace edgesim::test {

inline bool sameRows(const explorer::Table& a, const explorer::Table& b) {
    if (a.rows.size() != b.rows.size()) {
        return false;
    }
    for (std::size_t r = 0; r < a.rows.size(); ++r) {
        if (a.rows[r].size() != b.rows[r].size()) {
            return false;
        }
        for (std::size_t c = 0; c < a.rows[r].size(); ++c) {
            const auto* x = std::get_if<double>(&a.rows[r][c]);
            const auto* y = std::get_if<double>(&b.rows[r][c]);
            const bool bothNaN = x != nullptr && y != nullptr && std::isnan(*x) && std::isnan(*y);
            if (!bothNaN && a.rows[r][c] != b.rows[r][c]) {
                return false;
            }
        }
    }
    return true;
}

} // namespace edgesim::test
