// Build identity recorded in every output (provenance).
#pragma once

#include <string>

namespace edgesim {

/// "<major.minor.patch>+<git describe>" of the build.
const std::string& versionString();

} // namespace edgesim
