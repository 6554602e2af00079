// Study specs (configs/studies/<name>.textproto, explorer/spec/study.proto): loading and the
// checks that need no configs (lists, values, ranges, samplers, column names). What needs the
// configs (names, parameter paths, each value on each platform) is checked when the study is
// expanded into a SweepPlan, with the same file and line numbers.
#pragma once

#include "common/ConfigPaths.h"
#include "common/TextProto.h"
#include "explorer/spec/study.pb.h"

#include <memory>
#include <string>

namespace edgesim::explorer {

/// A loaded study: the spec, where it came from (for diagnostics) and its content hash.
struct Study {
    spec::StudySpec spec;
    std::string file;   ///< the file it was read from
    std::string sha256; ///< of the file's bytes (a resumed sweep must have the same)
    std::shared_ptr<const TextLocations> locations; ///< where each field was written
};

/// The path prefix of a parameter axis on the run's operating point rather than a config.
inline constexpr const char* kOperatingPointPrefix = "operating_point.";

/// Checks a study without the configs: required lists, strategies, batch sizes, operating
/// points, parameter axes (a path with a known prefix, exactly one of values / labels /
/// range, finite values, ranges, unique columns), the sampler, and `set` overrides' syntax.
void validateStudy(const spec::StudySpec& s, const FieldCursor& at);

/// Loads configs/studies/<name>.textproto or a path; throws InputError listing every problem.
Study loadStudy(const std::string& nameOrPath, const ConfigPaths& paths);

/// Which command a study file is for, by which spec its text parses as: a sweep
/// (`edgesim sweep`), a NAS study (`edgesim nas`), or neither.
enum class StudyKind { Sweep, Nas, Dnas, Neither };
StudyKind studyKind(const std::string& text);

/// The description of study `name` (a sweep's or a NAS study's) and its kind.
std::pair<StudyKind, std::string> describeStudy(const std::string& nameOrPath,
                                                const ConfigPaths& paths);

/// Column names of /sweep that a parameter axis may not take.
bool isReservedColumn(const std::string& name);

} // namespace edgesim::explorer
