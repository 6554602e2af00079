#include "explorer/sweep/Study.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/Strings.h"
#include "explorer/session/Query.h"
#include "explorer/spec/dnas.pb.h"
#include "explorer/spec/nas.pb.h"
#include "explorer/sweep/Sampler.h"
#include "sim/mapping/Mapper.h"
#include "workloads/schedule/Schedule.h"
#include "workloads/strategy/Strategy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace edgesim::explorer {

namespace {

namespace pb = google::protobuf;

void validateOperatingPoints(const spec::StudySpec& s, const FieldCursor& at) {
    const auto& ops = s.operating_points();
    const FieldCursor opsAt = at.child(s, "operating_points");
    for (int i = 0; i < ops.points_size(); ++i) {
        const auto& p = ops.points(i);
        const FieldCursor c = opsAt.child(ops, "points", i);
        if (!p.name().empty() && (p.clock_hz() != 0 || p.voltage_v() != 0)) {
            c.error(p, "name", "a named operating point takes no clock_hz or voltage_v");
        }
        if (p.name().empty() && p.clock_hz() == 0 && p.voltage_v() == 0) {
            c.error("give a name, or a clock_hz and/or voltage_v");
        }
        if (p.clock_hz() != 0 && !(p.clock_hz() >= 1e5 && p.clock_hz() <= 1e10)) {
            c.error(p, "clock_hz",
                    fmt::format("{:g} Hz is out of range [1e5, 1e10]{}", p.clock_hz(),
                                p.clock_hz() > 0 && p.clock_hz() < 1e5
                                    ? " (looks like MHz; the field is in Hz)"
                                    : ""));
        }
        if (p.voltage_v() != 0 && !(p.voltage_v() > 0 && p.voltage_v() <= 100)) {
            c.error(p, "voltage_v", fmt::format("{:g} V is out of range (0, 100]", p.voltage_v()));
        }
        if (!p.platform().empty() && std::find(s.platforms().begin(), s.platforms().end(),
                                               p.platform()) == s.platforms().end()) {
            c.error(p, "platform", "'" + p.platform() + "' is not one of the study's platforms");
        }
    }
}

bool finite(double v) {
    return std::isfinite(v);
}

void validateParameters(const spec::StudySpec& s, const FieldCursor& at, bool grid) {
    std::set<std::string> columns;
    bool clockAxis = false;
    for (int i = 0; i < s.parameters_size(); ++i) {
        const auto& a = s.parameters(i);
        const FieldCursor c = at.child(s, "parameters", i);
        const bool op = a.path().rfind(kOperatingPointPrefix, 0) == 0;
        if (a.path().empty()) {
            if (a.labels_size() == 0 || a.linked_size() == 0) {
                c.error(a, "path",
                        "missing required field (an axis without a path needs labels naming its "
                        "levels and linked fields that set the configs)");
            } else if (a.column().empty()) {
                c.error(a, "column", "an axis without a path needs a column name");
            }
        } else if (op) {
            const std::string field = a.path().substr(std::string(kOperatingPointPrefix).size());
            if (field != "clock_hz" && field != "voltage_v") {
                c.error(a, "path",
                        "'" + a.path() + "': the operating point's axes are " +
                            kOperatingPointPrefix + "clock_hz and " + kOperatingPointPrefix +
                            "voltage_v");
            }
            clockAxis = clockAxis || field == "clock_hz";
        } else if (a.path().rfind("platform.", 0) != 0 && a.path().rfind("stack.", 0) != 0) {
            c.error(a, "path",
                    "'" + a.path() + "' must start with platform., stack. or " +
                        kOperatingPointPrefix);
        } else {
            const std::string last = a.path().substr(a.path().find_last_of('.') + 1);
            if (last == "name") {
                c.error(a, "path",
                        "names identify configs and their elements; they cannot be swept");
            }
        }
        const int kinds =
            (a.values_size() > 0 ? 1 : 0) + (a.labels_size() > 0 ? 1 : 0) + (a.has_range() ? 1 : 0);
        if (kinds != 1) {
            c.error(kinds == 0 ? "give the axis values, labels or a range"
                               : "give only one of values, labels and range");
        }
        for (int v = 0; v < a.values_size(); ++v) {
            if (!finite(a.values(v))) {
                c.error(a, "values", "values must be finite numbers", v);
            }
        }
        if (op && a.labels_size() > 0) {
            c.error(a, "labels", "the operating point's axes are numbers: use values or range");
        }
        if (a.has_range()) {
            const auto& r = a.range();
            const FieldCursor rc = c.child(a, "range");
            if (!finite(r.min()) || !finite(r.max()) || !(r.min() < r.max())) {
                rc.error(r, "max",
                         fmt::format("the range needs finite min < max (got {:g} .. {:g})", r.min(),
                                     r.max()));
            }
            if (r.scale() == spec::LOG && !(r.min() > 0)) {
                rc.error(r, "min", "a LOG range needs min > 0");
            }
            if (r.steps() < 0 || r.steps() == 1) {
                rc.error(r, "steps", "steps must be 0 (continuous) or >= 2 (both ends included)");
            }
            if (grid && r.steps() == 0) {
                rc.error(r, "steps",
                         "the grid sampler needs steps >= 2 (random and latin-hypercube sampling "
                         "can draw from the continuous range)");
            }
        }
        const auto checkColumn = [&](const pb::Message& m, const FieldCursor& mc,
                                     const std::string& path, const std::string& given) {
            const std::string column = given.empty() ? path : given;
            if (column.empty()) {
                return;
            }
            if (isReservedColumn(column) || column.rfind("bytes_", 0) == 0) {
                mc.error(m, given.empty() ? "path" : "column",
                         "'" + column + "' is a column of /sweep already: give another column");
            } else if (!columns.insert(column).second) {
                mc.error(m, given.empty() ? "path" : "column", "duplicate column '" + column + "'");
            }
        };
        checkColumn(a, c, a.path(), a.column());
        // Linked fields: a config field each, one value per level of a discrete axis.
        const int levels =
            a.has_range() ? a.range().steps() : std::max(a.values_size(), a.labels_size());
        for (int l = 0; l < a.linked_size(); ++l) {
            const auto& lf = a.linked(l);
            const FieldCursor lc = c.child(a, "linked", l);
            if (lf.path().rfind("platform.", 0) != 0 && lf.path().rfind("stack.", 0) != 0) {
                lc.error(lf, "path", "'" + lf.path() + "' must start with platform. or stack.");
            } else if (lf.path().substr(lf.path().find_last_of('.') + 1) == "name") {
                lc.error(lf, "path",
                         "names identify configs and their elements; they cannot be "
                         "swept");
            }
            const int n = lf.values_size() + lf.labels_size();
            if (lf.values_size() > 0 && lf.labels_size() > 0) {
                lc.error("give values or labels, not both");
            } else if (levels == 0) {
                lc.error("a linked field needs an axis of discrete levels (values, labels or a "
                         "range with steps)");
            } else if (n != levels) {
                lc.error(fmt::format("{} values for an axis of {} levels: give one per level", n,
                                     levels));
            }
            for (int v = 0; v < lf.values_size(); ++v) {
                if (!finite(lf.values(v))) {
                    lc.error(lf, "values", "values must be finite numbers", v);
                }
            }
            checkColumn(lf, lc, lf.path(), lf.column());
        }
    }
    if (clockAxis && s.operating_points().points_size() + s.operating_points().all_named() > 0) {
        at.error(s, "operating_points",
                 "operating_points and an operating_point.clock_hz axis would both set the clock");
    }
}

} // namespace

bool isReservedColumn(const std::string& name) {
    static const std::set<std::string> kColumns = {
        "point_index", "platform",        "stack",       "network", "strategy",       "batch",
        "quantize",    "operating_point", "status",      "reason",  "latency_cycles", "latency_s",
        "energy_j",    "peak_ram_bytes",  "flash_bytes", "macs",    "clock_hz",       "voltage_v",
        "mapping",     "config_sha256",   "sim_wall_s"};
    return kColumns.count(name) != 0;
}

void validateStudy(const spec::StudySpec& s, const FieldCursor& at) {
    if (s.name().empty()) {
        at.error(s, "name", "missing required field");
    }
    for (const char* list : {"platforms", "stacks", "networks"}) {
        const auto* fd = s.GetDescriptor()->FindFieldByName(list);
        if (s.GetReflection()->FieldSize(s, fd) == 0) {
            at.error(s, list, "at least one entry is required");
        }
    }
    std::map<std::string, int> seenStrategies;
    for (int i = 0; i < s.strategies_size(); ++i) {
        // "name key=value ...": the strategy and its parameters.
        const workloads::StrategyChoice c = workloads::parseStrategyChoice(s.strategies(i));
        if (!workloads::isKnownStrategy(c.name)) {
            at.error(s, "strategies", "unknown strategy '" + c.name + "'", i);
            continue;
        }
        try {
            // The same strategy and effective values twice would run the same points twice.
            const std::string key =
                c.name + "|" + workloads::resolveStrategyOptions(c.name, c.params).canonical();
            if (const auto it = seenStrategies.find(key); it != seenStrategies.end()) {
                at.error(s, "strategies",
                         "the same strategy and parameter values as strategies[" +
                             std::to_string(it->second) + "]",
                         i);
            }
            seenStrategies.emplace(key, i);
        } catch (const InputError& e) {
            at.error(s, "strategies", e.diagnostics().front().reason, i);
        }
    }
    for (int i = 0; i < s.batch_sizes_size(); ++i) {
        if (const std::string problem = workloads::batchProblem(s.batch_sizes(i));
            !problem.empty()) {
            at.error(s, "batch_sizes", problem, i);
        }
    }
    validateOperatingPoints(s, at);
    const std::string kind = s.sampler().kind().empty() ? "grid" : s.sampler().kind();
    const auto sampler = makeSampler(kind);
    const FieldCursor samplerAt = at.child(s, "sampler");
    if (!sampler) {
        samplerAt.error(s.sampler(), "kind",
                        "unknown sampler '" + kind + "' (known: " + join(samplerNames()) + ")");
    } else if (sampler->needsCount() && s.sampler().points() < 1) {
        samplerAt.error(s.sampler(), "points",
                        "the " + kind + " sampler needs a number of points >= 1");
    } else if (!sampler->needsCount() && s.sampler().points() != 0) {
        samplerAt.error(s.sampler(), "points",
                        "the " + kind +
                            " sampler enumerates every point; points applies to "
                            "random and latin-hypercube");
    }
    validateParameters(s, at, sampler && !sampler->needsCount());
    for (int i = 0; i < s.set_size(); ++i) {
        try {
            parseOverride(s.set(i), "", "set");
        } catch (const InputError& e) {
            at.error(s, "set", e.diagnostics().front().reason, i);
        }
    }
    const auto mappers = sim::mapperNames();
    if (!s.mapping().empty() && !sim::isMappingFile(s.mapping()) &&
        std::find(mappers.begin(), mappers.end(), s.mapping()) == mappers.end()) {
        at.error(s, "mapping",
                 "unknown mapper '" + s.mapping() + "' (built-in: " + join(mappers) +
                     "; or a mapping .textproto file)");
    }
}

StudyKind studyKind(const std::string& text) {
    const auto parses = [&](google::protobuf::Message& m) {
        try {
            parseTextProto(text, "", m);
            return true;
        } catch (const InputError&) {
            return false;
        }
    };
    spec::StudySpec sweep;
    spec::NasStudySpec nas;
    spec::DnasStudySpec dnas;
    return parses(sweep)  ? StudyKind::Sweep
           : parses(nas)  ? StudyKind::Nas
           : parses(dnas) ? StudyKind::Dnas
                          : StudyKind::Neither;
}

std::pair<StudyKind, std::string> describeStudy(const std::string& nameOrPath,
                                                const ConfigPaths& paths) {
    const std::string file = paths.locate("studies", nameOrPath, "--study");
    const std::string bytes = readFile(file);
    spec::StudySpec sweep;
    spec::NasStudySpec nas;
    spec::DnasStudySpec dnas;
    switch (studyKind(bytes)) {
    case StudyKind::Sweep:
        parseTextProto(bytes, file, sweep);
        return {StudyKind::Sweep, sweep.description()};
    case StudyKind::Nas:
        parseTextProto(bytes, file, nas);
        return {StudyKind::Nas, nas.description()};
    case StudyKind::Dnas:
        parseTextProto(bytes, file, dnas);
        return {StudyKind::Dnas, dnas.description()};
    case StudyKind::Neither: break;
    }
    parseTextProto(bytes, file, sweep); // throws the parser's error
    return {StudyKind::Neither, ""};
}

Study loadStudy(const std::string& nameOrPath, const ConfigPaths& paths) {
    Study study;
    study.file = paths.locate("studies", nameOrPath, "--study");
    const std::string bytes = readFile(study.file);
    study.sha256 = sha256Hex(bytes);
    if (const StudyKind kind = studyKind(bytes);
        kind == StudyKind::Nas || kind == StudyKind::Dnas) {
        throw InputError(study.file, "--study",
                         std::string(kind == StudyKind::Nas
                                         ? "a NAS study: run it with edgesim nas"
                                         : "a DNAS study: run it with edgesim dnas") +
                             " --study " + nameOrPath);
    }
    auto locations = parseTextProto(bytes, study.file, study.spec);
    Diagnostics diags(study.file);
    validateStudy(study.spec, FieldCursor(diags, locations.get()));
    diags.throwIfAny();
    study.locations = std::move(locations);
    return study;
}

} // namespace edgesim::explorer
