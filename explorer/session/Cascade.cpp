#include "explorer/session/Cascade.h"

#include "common/Diagnostics.h"

#include <algorithm>
#include <cmath>

namespace edgesim::explorer {

Query cascadeQuery(const Query& little, const std::string& bigNetwork, double bigShare,
                   const std::string& field) {
    if (!std::isfinite(bigShare) || bigShare < 0 || bigShare > 1) {
        throw InputError(little.source, "--cascade-share",
                         "the share of samples running the big network must be in [0, 1]");
    }
    Query big = little;
    big.network = bigNetwork;
    big.networkField = field;
    return big;
}

CascadeResult runCascade(Session& session, const Query& little,
                         const sim::SimResult& littleResult, const std::string& bigNetwork,
                         double bigShare, const std::string& field) {
    CascadeResult c;
    c.big = session.run(cascadeQuery(little, bigNetwork, bigShare, field)).result;
    c.bigShare = bigShare;
    if (!sim::ran(littleResult.status) || !sim::ran(c.big.status)) {
        const bool littleFailed = !sim::ran(littleResult.status);
        c.status = littleFailed ? littleResult.status : c.big.status;
        c.reason = littleFailed ? "little network: " + littleResult.reason
                                : "big network: " + c.big.reason;
    }
    c.expectedLatencyS = littleResult.latencyS + bigShare * c.big.latencyS;
    c.expectedEnergyJ = littleResult.energyJ + bigShare * c.big.energyJ;
    c.worstLatencyS = littleResult.latencyS + c.big.latencyS;
    c.worstEnergyJ = littleResult.energyJ + c.big.energyJ;
    c.peakRamBytes = std::max(littleResult.peakRamBytes, c.big.peakRamBytes);
    c.flashBytes = littleResult.flashBytes + c.big.flashBytes -
                   session.specs(little).stack.runtime_flash_bytes();
    return c;
}

} // namespace edgesim::explorer
