// Big/little cascades (dynamic inference): a little network runs on every sample and a big
// one on the share of samples the little one is not confident about. Both are simulated on
// the same platform and stack; the cascade's cost is their combination.
#pragma once

#include "explorer/session/Session.h"

#include <string>

namespace edgesim::explorer {

struct CascadeResult {
    sim::SimResult big;  ///< the big network's run (the little one is the caller's)
    double bigShare = 0; ///< share of samples that also run the big network
    sim::Status status = sim::Status::Ok; ///< ok when both ran
    std::string reason;
    double expectedLatencyS = 0; ///< little + share x big
    double expectedEnergyJ = 0;
    double worstLatencyS = 0; ///< little + big
    double worstEnergyJ = 0;
    int64_t peakRamBytes = 0; ///< one after the other in the same RAM: the larger
    int64_t flashBytes = 0;   ///< both networks' weights, the runtime once
};

/// The big network's query: `little` with `bigNetwork`. InputError for a share outside
/// [0, 1]. (Session::hash of it checks the network before anything runs.)
Query cascadeQuery(const Query& little, const std::string& bigNetwork, double bigShare,
                   const std::string& field = "--cascade-big");

/// `little` (already run: `littleResult`) cascaded with `bigNetwork` for `bigShare` of the
/// samples, the big network simulated with the same platform, stack, strategy and options.
/// InputError (naming `field`) for a share outside [0, 1] or a big network that cannot load.
CascadeResult runCascade(Session& session, const Query& little, const sim::SimResult& littleResult,
                         const std::string& bigNetwork, double bigShare,
                         const std::string& field = "--cascade-big");

} // namespace edgesim::explorer
