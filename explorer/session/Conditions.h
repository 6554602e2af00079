// Measurement conditions (explorer/spec/conditions.proto): the supply of published
// measurements whose CSV rows do not state it, filled in before they are predicted.
#pragma once

#include "analysis/Measurements.h"
#include "common/ConfigPaths.h"

#include <string>
#include <vector>

namespace edgesim::explorer {

/// The conditions `validate` and `calibrate` apply unless told otherwise.
inline constexpr const char* kDefaultConditions = "mlperf-tiny";
/// The --conditions value that applies none.
inline constexpr const char* kNoConditions = "none";

struct SupplyCondition {
    std::string sourcePrefix;
    double voltageV = 0;
    std::string evidence;
};

struct MeasurementConditions {
    std::string file; ///< empty for `none`
    std::vector<SupplyCondition> supplies;
};

/// Loads configs/measurements/<nameOrPath>.textproto (or a .textproto path; `none`: no
/// conditions). Throws InputError naming `field`, or the file, line and field of every
/// problem (empty or repeated prefix, voltage not > 0, missing evidence).
MeasurementConditions loadMeasurementConditions(const std::string& nameOrPath,
                                                const ConfigPaths& paths,
                                                const std::string& field = "--conditions");

/// Fills the voltage of every row that has none from the condition with the longest prefix of
/// its source. Returns how many rows it filled.
int applyConditions(std::vector<analysis::Measurement>& rows, const MeasurementConditions& c);

/// analysis::loadMeasurements(csv), then the conditions `conditions` names applied.
std::vector<analysis::Measurement> loadMeasurementsUnder(const std::string& csv,
                                                         const std::string& conditions,
                                                         const ConfigPaths& paths);

} // namespace edgesim::explorer
