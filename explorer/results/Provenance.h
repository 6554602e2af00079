// Where an output came from (DESIGN.md §3): the edgesim version, when, the command line, the
// content hash of the inputs and the seed. Recorded as root attributes of every HDF5 file and
// as the "provenance" block of every JSON output.
#pragma once

#include "explorer/results/ResultsFile.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace edgesim::explorer {

/// The current UTC time as ISO 8601 ("2026-11-30T21:55:40Z").
std::string utcNow();

/// Provenance of an output made now by this build.
Provenance makeProvenance(const std::string& commandLine, const std::string& configSha256,
                          uint64_t seed = 0);

/// The JSON provenance block: edgesim_version, created_utc, command_line, config_sha256,
/// seed (null when `seed` is nullopt: the command uses no randomness, e.g. inspect).
nlohmann::json provenanceJson(const Provenance& provenance, bool hasSeed = true);

/// The content hash of several query hashes (an invocation that ran more than one query):
/// the hash itself for one, else the SHA-256 of them joined by newlines, in run order.
std::string combinedSha256(const std::vector<std::string>& hashes);

} // namespace edgesim::explorer
