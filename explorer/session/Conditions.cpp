#include "explorer/session/Conditions.h"

#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "explorer/spec/conditions.pb.h"

#include <fmt/format.h>

#include <map>

namespace edgesim::explorer {

MeasurementConditions loadMeasurementConditions(const std::string& nameOrPath,
                                                const ConfigPaths& paths,
                                                const std::string& field) {
    MeasurementConditions out;
    if (nameOrPath == kNoConditions) {
        return out;
    }
    out.file = paths.locate("measurements", nameOrPath, field);
    spec::MeasurementConditionsSpec s;
    const auto locations = loadTextProto(out.file, s);
    Diagnostics diags(out.file);
    const FieldCursor at(diags, locations.get());
    std::map<std::string, int> seen;
    for (int i = 0; i < s.supplies_size(); ++i) {
        const auto& sc = s.supplies(i);
        const FieldCursor c = at.child(s, "supplies", i);
        if (sc.source_prefix().empty()) {
            c.error(sc, "source_prefix", "missing required field");
        } else if (const auto [it, fresh] = seen.emplace(sc.source_prefix(), i); !fresh) {
            c.error(sc, "source_prefix", fmt::format("repeats supplies[{}]", it->second));
        }
        if (!(sc.voltage_v() > 0.0 && sc.voltage_v() <= 5.0)) {
            c.error(sc, "voltage_v", fmt::format("{:g} is out of range (0, 5] V", sc.voltage_v()));
        }
        if (sc.evidence().empty()) {
            c.error(sc, "evidence", "missing required field: say where the supply is stated");
        }
        out.supplies.push_back({sc.source_prefix(), sc.voltage_v(), sc.evidence()});
    }
    diags.throwIfAny();
    return out;
}

int applyConditions(std::vector<analysis::Measurement>& rows, const MeasurementConditions& c) {
    int filled = 0;
    for (auto& row : rows) {
        if (row.voltageV) {
            continue; // the row's own value wins
        }
        const SupplyCondition* best = nullptr;
        for (const auto& s : c.supplies) {
            if (row.source.compare(0, s.sourcePrefix.size(), s.sourcePrefix) == 0 &&
                (best == nullptr || s.sourcePrefix.size() > best->sourcePrefix.size())) {
                best = &s;
            }
        }
        if (best != nullptr) {
            row.voltageV = best->voltageV;
            ++filled;
        }
    }
    return filled;
}

std::vector<analysis::Measurement> loadMeasurementsUnder(const std::string& csv,
                                                         const std::string& conditions,
                                                         const ConfigPaths& paths) {
    auto rows = analysis::loadMeasurements(csv);
    applyConditions(rows, loadMeasurementConditions(conditions, paths));
    return rows;
}

} // namespace edgesim::explorer
