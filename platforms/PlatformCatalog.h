// Loading and validating platform and stack specs (before anything is elaborated).
#pragma once

#include "common/ConfigPaths.h"
#include "common/TextProto.h"
#include "platforms/spec/platform.pb.h"
#include "platforms/spec/stack.pb.h"

#include <string>
#include <vector>

namespace edgesim::platforms {

/// Validates a platform spec; every problem goes to `diags` with field path and line.
void validatePlatform(const spec::PlatformSpec& p, const FieldCursor& at);
/// Validates a stack spec.
void validateStack(const spec::StackSpec& s, const FieldCursor& at);

/// Loads and validates configs/platforms/<name>.textproto (or a path ending in .textproto);
/// throws InputError listing every problem.
spec::PlatformSpec loadPlatform(const std::string& nameOrPath, const ConfigPaths& paths);
spec::StackSpec loadStack(const std::string& nameOrPath, const ConfigPaths& paths);

/// Empty when `stack` targets `platform` (StackSpec.target_platforms / target_isas), else the
/// reason it does not, naming both and what the stack targets.
/// The type a stack's kernels are looked up by: `dtype` ("" = int8) for activations of 8 bits
/// or more, "<dtype>/<activations>" for sub-byte input activations ("int8/int4": int8
/// weights reading int4 activations; ops without weights: "int8/<activations>").
std::string kernelTypeKey(const std::string& dtype, const std::string& activationDtype);
std::string kernelTypeKey(const spec::KernelSpec& kernel);
/// A kernel type key for messages: "int8" as is, "int2/int4" as "int2 weights, int4
/// activations" (`weights` false, an op without weights: "int4 activations").
std::string kernelTypeText(const std::string& key, bool weights = true);

std::string incompatibility(const spec::PlatformSpec& platform, const spec::StackSpec& stack);

/// What a stack targets, for listings: "nucleo-*, disco-*", "Cortex-M cores", "any platform".
std::string targetsText(const spec::StackSpec& stack);

struct CatalogEntry {
    std::string name;
    std::string description;
    std::string targets;   ///< stacks: targetsText(); empty for platforms
    std::string precision; ///< stacks: default_precision ("" = as stored)
};
/// Every platform / stack config, validated (an invalid one throws, naming its file).
std::vector<CatalogEntry> listPlatforms(const ConfigPaths& paths);
std::vector<CatalogEntry> listStacks(const ConfigPaths& paths);

} // namespace edgesim::platforms
