// What an accuracy evaluator (or the libtorch plugin) says of one candidate.
#pragma once

#include <limits>
#include <string>

namespace edgesim::explorer::nas {

struct AccuracyResult {
    double accuracy = std::numeric_limits<double>::quiet_NaN(); ///< fraction in [0, 1]
    double seconds = 0;                                          ///< wall time it took
    std::string error; ///< why there is no accuracy (empty when there is)
};

} // namespace edgesim::explorer::nas
