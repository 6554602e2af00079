// NAS studies (explorer/spec/nas.proto, run by `edgesim nas`): loading, the checks that need
// no configs, and the metrics objectives and constraints may name. What needs the configs
// (platform, stack and override names, strategies lowering the seed) is checked by the
// runner before it writes anything.
#pragma once

#include "common/ConfigPaths.h"
#include "common/TextProto.h"
#include "explorer/nas/SearchSpace.h"
#include "explorer/session/Query.h"
#include "explorer/spec/nas.pb.h"

#include <memory>
#include <string>
#include <vector>

namespace edgesim::explorer::nas {

struct NasStudy {
    spec::NasStudySpec spec;
    std::string file;
    std::string sha256; ///< of its settings, comments and layout aside (a resume needs the same)
    std::shared_ptr<const TextLocations> locations;
    /// The seeds' genomes, in spec order.
    std::vector<Genome> seeds;
};

/// Metrics a target produces per candidate ("latency_s", "energy_j", ...), in column order.
const std::vector<std::string>& targetMetrics();
/// Metrics of the network itself ("params", "macs"), and "accuracy".
const std::vector<std::string>& networkMetrics();
inline constexpr const char* kAccuracy = "accuracy";

/// A target's name (its platform when unnamed).
std::string targetName(const spec::Target& target);

/// Whether an objective is maximised (its sense, or accuracy by default).
bool maximised(const spec::Objective& objective);

/// The effective algorithm settings of a study (its defaults filled in).
spec::Algorithm effectiveAlgorithm(const spec::NasStudySpec& s, std::size_t genes);

/// Checks one target without the configs (platform and stack given, strategy, overrides,
/// batch, mapper and operating point well formed), reporting through `at` (the target's field).
void validateTarget(const spec::Target& target, const FieldCursor& at);

/// The query `target` (the study field `field`, e.g. "targets[0]", of `file`) runs, its
/// network left empty; errors name the target's fields.
Query targetQuery(const spec::Target& target, const std::string& field, const std::string& file);

/// Checks a study without the configs, reporting every problem through `at`.
void validateNasStudy(const spec::NasStudySpec& s, const FieldCursor& at);

/// Loads configs/studies/<name>.textproto or a path, validates it and decodes its seeds,
/// checking each against its reference network (same MACs, parameters and operators); throws
/// InputError listing every problem.
NasStudy loadNasStudy(const std::string& nameOrPath, const ConfigPaths& paths);

} // namespace edgesim::explorer::nas
