// What a simulation asks for as its layer-to-engine mapping, and the one rule that turns the
// request into a mapper or a mapping file: a mapping .textproto, a built-in mapper by name,
// or, when the request names neither, the stack's default_mapper (host-only when the stack
// has none or the platform has no engines). Simulator::mappingFor applies it; front ends
// (CLI flags, study fields, Python) only fill the request.
#pragma once

#include "platforms/spec/platform.pb.h"
#include "platforms/spec/stack.pb.h"
#include "sim/mapping/Mapper.h"
#include "sim/mapping/Mapping.h"

#include <memory>
#include <optional>
#include <string>

namespace edgesim::sim {

struct MappingRequest {
    /// Empty: the stack's default; a built-in mapper name; or the path of a mapping
    /// .textproto (platforms/spec/mapping.proto).
    std::string mapping;
    std::optional<Objective> objective;   ///< exhaustive only
    std::optional<double> latencyBudgetS; ///< exhaustive with Objective::Energy only
    /// A mapping given as a value (one choice per schedule kernel): used as is, whatever
    /// `mapping` says (e.g. the analytical half of `--fidelity both` reuses the TLM mapping).
    std::shared_ptr<const Mapping> fixed;
    /// How errors name the three inputs (CLI options or study fields).
    std::string mappingField = "--mapping";
    std::string objectiveField = "--objective";
    std::string budgetField = "--latency-budget-ms";
};

/// "latency" | "energy" | "edp"; nullopt for anything else.
std::optional<Objective> parseObjective(const std::string& text);
const char* toString(Objective objective);

/// Whether `mapping` names a mapping file: a path ending in .textproto, or an existing file
/// that is not a mapper name.
bool isMappingFile(const std::string& mapping);

/// The mapper `request` runs on `platform` with `stack`: the named one, else the stack's
/// default_mapper, else host-only; host-only whatever was asked on a platform without
/// engines. Empty when the request names a mapping file or holds a fixed mapping.
std::string mapperName(const MappingRequest& request, const platforms::spec::PlatformSpec& platform,
                       const platforms::spec::StackSpec& stack);

/// Checks the request before anything runs: a known mapper or an existing file, an objective
/// or budget only with the exhaustive mapper (not with a file), a budget > 0 only with the
/// energy objective. Throws InputError naming `source` and the offending field.
void checkMappingRequest(const MappingRequest& request, const platforms::spec::StackSpec& stack,
                         const std::string& source);

/// The MapperOptions the request sets (objective, budget; defaults otherwise).
MapperOptions mapperOptions(const MappingRequest& request);

/// A canonical text of the request, a key for the mapping it gives: a fixed mapping by its
/// name and choices, a file by its path (a file without a name gives the mapping its path)
/// and the SHA-256 of its bytes, a mapper by its resolved name and options.
std::string canonicalText(const MappingRequest& request,
                          const platforms::spec::PlatformSpec& platform,
                          const platforms::spec::StackSpec& stack);

/// A canonical text of a mapping: its name and every layer's choice (split fractions exact).
std::string canonicalText(const Mapping& mapping);
/// The same without the name: what the mapping does, for content hashes.
std::string canonicalChoices(const Mapping& mapping);

} // namespace edgesim::sim
