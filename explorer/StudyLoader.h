// Loading and validating study specs (sweeps); points are expanded by the sweep runner.
#pragma once

#include "common/ConfigPaths.h"
#include "common/TextProto.h"
#include "explorer/spec/study.pb.h"

#include <string>

namespace edgesim::explorer {

/// Checks a study for missing lists, bad values and unknown strategies.
void validateStudy(const spec::StudySpec& s, const FieldCursor& at);

/// Loads configs/studies/<name>.textproto or a path; throws InputError listing every problem.
spec::StudySpec loadStudy(const std::string& nameOrPath, const ConfigPaths& paths);

/// Number of simulation points the study expands to (product of the list sizes).
int64_t studyPointCount(const spec::StudySpec& s);

} // namespace edgesim::explorer
