#include "explorer/results/Provenance.h"

#include "common/Hash.h"
#include "common/Version.h"

#include <chrono>
#include <ctime>

namespace edgesim::explorer {

std::string utcNow() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return stamp;
}

Provenance makeProvenance(const std::string& commandLine, const std::string& configSha256,
                          uint64_t seed) {
    Provenance p;
    p.version = versionString();
    p.createdUtc = utcNow();
    p.commandLine = commandLine;
    p.configSha256 = configSha256;
    p.seed = seed;
    return p;
}

nlohmann::json provenanceJson(const Provenance& p, bool hasSeed) {
    nlohmann::json j = {{"edgesim_version", p.version},
                        {"created_utc", p.createdUtc},
                        {"command_line", p.commandLine},
                        {"config_sha256", p.configSha256}};
    j["seed"] = hasSeed ? nlohmann::json(p.seed) : nlohmann::json(nullptr);
    for (const auto& [name, value] : p.extra) {
        j[name] = value;
    }
    return j;
}

std::string combinedSha256(const std::vector<std::string>& hashes) {
    if (hashes.size() == 1) {
        return hashes.front();
    }
    std::string joined;
    for (const auto& h : hashes) {
        joined += h + "\n";
    }
    return sha256Hex(joined);
}

} // namespace edgesim::explorer
