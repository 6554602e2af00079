// Operating point resolution: the platform's default (or a named) clock and supply, optionally
// overridden (--clock-mhz, --voltage-v), checked against what the silicon allows (core maximum
// clock, flash wait-state tables, supply range). Pure functions over the platform spec.
#pragma once

#include "common/Diagnostics.h"
#include "platforms/spec/platform.pb.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace edgesim::sim {

struct OperatingPointOverride {
    std::string name;              ///< a named operating point of the platform; empty = its default
    std::optional<double> clockHz; ///< replaces the named point's clock
    std::optional<double> voltageV; ///< replaces the named point's supply
    /// How errors name the three inputs (the CLI's options, or a study's fields).
    std::string nameField = "--operating-point";
    std::string clockField = "--clock-mhz";
    std::string voltageField = "--voltage-v";
};

/// The name of an operating point whose clock or supply was set rather than named.
constexpr const char* kCustomOperatingPoint = "custom";

struct ResolvedOperatingPoint {
    std::string name; ///< the platform's point, or kCustomOperatingPoint when overridden
    double clockHz = 0;
    double voltageV = 0;
    /// Memories read at another bandwidth at this point (from the named point it derives from).
    std::vector<std::pair<std::string, double>> memoryReadBytesPerS;
};

/// Core cycles one read access of `memory` takes at `op` when the memory has a fixed
/// bandwidth in its own clock domain (read_bytes_per_s, or the point's replacement); 0 when
/// its timing is given in wait states.
double readCyclesPerAccessAt(const platforms::spec::MemorySpec& memory,
                             const ResolvedOperatingPoint& op);

/// Throws InputError naming `source` (the config file or the CLI option) when the point is
/// impossible: clock above the core's maximum or a memory's wait-state table, supply outside
/// the platform's range.
ResolvedOperatingPoint resolveOperatingPoint(const platforms::spec::PlatformSpec& platform,
                                             const OperatingPointOverride& override,
                                             const std::string& source);

/// The same checks without throwing (for callers that skip bad rows in a loop): the problem,
/// or nullopt and the resolved point in `resolved` (may be null).
std::optional<Diagnostic> checkOperatingPoint(const platforms::spec::PlatformSpec& platform,
                                              const OperatingPointOverride& override,
                                              const std::string& source,
                                              ResolvedOperatingPoint* resolved = nullptr);

/// The platform's default operating point as its config declares it, not checked (for what
/// does not depend on the clock, such as whether a stack can be deployed on the platform).
ResolvedOperatingPoint declaredOperatingPoint(const platforms::spec::PlatformSpec& platform);

/// The supply the platform's energy figures are quoted at: energy_reference_voltage_v, else
/// its default operating point's voltage.
double energyReferenceVoltage(const platforms::spec::PlatformSpec& platform);

/// Read wait states of `memory` at `clockHz` (its table if it has one, else its fixed value);
/// -1 when the clock is above the table.
int readWaitStatesAt(const platforms::spec::MemorySpec& memory, double clockHz);

} // namespace edgesim::sim
