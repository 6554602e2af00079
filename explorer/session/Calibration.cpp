#include "explorer/session/Calibration.h"

#include "common/Diagnostics.h"
#include "common/Strings.h"
#include "common/TextProto.h"
#include "common/TextProtoEdit.h"
#include "explorer/spec/calibration.pb.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace edgesim::explorer {

CalibrationParameter parseCalibrationParameter(const std::string& text, Session& session,
                                               const std::string& field) {
    const auto colon = text.find(':');
    const auto slash = text.find('/');
    if (colon == std::string::npos || slash == std::string::npos || slash > colon) {
        throw InputError("<command line>", field,
                         "'" + text + "' is not platform/<name>:<path> or stack/<name>:<path>");
    }
    CalibrationParameter p;
    p.text = text;
    const std::string kind = text.substr(0, slash);
    if (kind != "platform" && kind != "stack") {
        throw InputError("<command line>", field,
                         "'" + text + "': the kind must be 'platform' or 'stack'");
    }
    p.platform = kind == "platform";
    p.name = text.substr(slash + 1, colon - slash - 1);
    const std::string expr = text.substr(colon + 1);
    p.file = session.paths().locate(kind + "s", p.name, field);
    const google::protobuf::Message& spec =
        p.platform ? static_cast<const google::protobuf::Message&>(session.platform(p.name, field))
                   : static_cast<const google::protobuf::Message&>(session.stack(p.name, field));
    p.paths = resolveNumericPaths(spec, expr, p.file);
    for (const auto& path : p.paths) {
        const double v = getNumber(spec, path);
        if (!(v > 0)) {
            throw InputError(p.file, toString(path),
                             fmt::format("cannot fit a parameter whose value is {:g} (the fit "
                                         "scales values; give it a positive starting value)",
                                         v));
        }
        p.initial.push_back(v);
    }
    p.source = "the current value in " + p.file;
    return p;
}

namespace {

const std::vector<std::string> kFittableMetrics = {"latency", "energy", "peak_memory", "macs",
                                                   "traffic"};

bool positive(double v) {
    return std::isfinite(v) && v > 0.0;
}

/// One parameter of a calibration set, or nullopt after reporting its problems at `c`.
std::optional<CalibrationParameter> setParameter(const spec::CalibratedParameter& s,
                                                 const FieldCursor& c, Session& session) {
    std::optional<CalibrationParameter> p;
    try {
        p = parseCalibrationParameter(s.field(), session, "field");
    } catch (const InputError& e) {
        for (const auto& d : e.diagnostics()) {
            c.error(s, "field",
                    (d.file == "<command line>" ? "" : d.file + ": ") + d.fieldAndReason());
        }
        return std::nullopt;
    }
    bool ok = true;
    const auto priors = s.prior();
    if (priors.empty() ||
        (priors.size() != 1 && static_cast<std::size_t>(priors.size()) != p->paths.size())) {
        c.error(s, "prior",
                fmt::format("give one a-priori value, or one per field the path selects ({})",
                            p->paths.size()));
        ok = false;
    }
    for (int i = 0; i < priors.size(); ++i) {
        if (!positive(priors[i])) {
            c.error(s, "prior", fmt::format("{:g} is not a positive number", priors[i]), i);
            ok = false;
        }
    }
    if (s.prior_source().empty()) {
        c.error(s, "prior_source", "say where the a-priori value comes from");
        ok = false;
    }
    if (!positive(s.min_scale()) || s.min_scale() > 1.0) {
        c.error(s, "min_scale", fmt::format("{:g} is not in (0, 1]", s.min_scale()));
        ok = false;
    }
    if (!std::isfinite(s.max_scale()) || s.max_scale() < 1.0) {
        c.error(s, "max_scale", fmt::format("{:g} is not a finite number >= 1", s.max_scale()));
        ok = false;
    }
    if (!ok) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < p->paths.size(); ++i) {
        p->initial[i] = priors.size() == 1 ? priors[0] : priors[static_cast<int>(i)];
    }
    p->minScale = s.min_scale();
    p->maxScale = s.max_scale();
    p->source = s.prior_source();
    return p;
}

} // namespace

CalibrationSet loadCalibrationSet(const std::string& nameOrPath, Session& session) {
    CalibrationSet set;
    set.file = session.paths().locate("calibration", nameOrPath, "--parameters");
    spec::CalibrationSpec s;
    const auto locations = loadTextProto(set.file, s);
    Diagnostics diags(set.file);
    const FieldCursor at(diags, locations.get());
    set.description = s.description();
    if (s.parameters().empty()) {
        at.error(s, "parameters", "the set lists no parameter");
    }
    std::map<std::string, int> seen;
    for (int i = 0; i < s.parameters_size(); ++i) {
        const FieldCursor c = at.child(s, "parameters", i);
        const auto& ps = s.parameters(i);
        if (const auto [it, fresh] = seen.emplace(ps.field(), i); !fresh) {
            c.error(ps, "field", fmt::format("repeats parameters[{}]", it->second));
            continue;
        }
        if (auto p = setParameter(ps, c, session)) {
            set.parameters.push_back(std::move(*p));
        }
    }
    const auto& id = s.identifiability();
    const FieldCursor idAt = at.child(s, "identifiability");
    if (!(id.min_elasticity() > 0.0 && id.min_elasticity() <= 1.0)) {
        idAt.error(id, "min_elasticity", fmt::format("{:g} is not in (0, 1]", id.min_elasticity()));
    }
    if (!(id.min_independence() > 0.0 && id.min_independence() < 1.0)) {
        idAt.error(id, "min_independence",
                   fmt::format("{:g} is not in (0, 1)", id.min_independence()));
    }
    set.identifiability = {id.min_elasticity(), id.min_independence()};
    for (int i = 0; i < s.metrics_size(); ++i) {
        if (std::find(kFittableMetrics.begin(), kFittableMetrics.end(), s.metrics(i)) ==
            kFittableMetrics.end()) {
            at.error(s, "metrics",
                     fmt::format("'{}' is not one of {}", s.metrics(i), join(kFittableMetrics)), i);
        }
        set.metrics.push_back(s.metrics(i));
    }
    if (set.metrics.empty()) {
        set.metrics = {"latency", "energy"};
    }
    diags.throwIfAny();
    return set;
}

std::vector<analysis::FitParameter>
fitParameters(const std::vector<CalibrationParameter>& parameters) {
    std::vector<analysis::FitParameter> fit;
    for (const auto& p : parameters) {
        fit.push_back({p.text, 1.0, p.minScale, p.maxScale});
    }
    return fit;
}

SavedSpecs saveSpecs(Session& session, const std::vector<CalibrationParameter>& parameters) {
    SavedSpecs saved;
    for (const auto& p : parameters) {
        if (p.platform) {
            saved.platforms.try_emplace(p.name, session.platform(p.name));
        } else {
            saved.stacks.try_emplace(p.name, session.stack(p.name));
        }
    }
    return saved;
}

void restoreSpecs(Session& session, const SavedSpecs& saved) {
    for (const auto& [name, spec] : saved.platforms) {
        session.replacePlatform(name, spec);
    }
    for (const auto& [name, spec] : saved.stacks) {
        session.replaceStack(name, spec);
    }
}

std::vector<const analysis::Measurement*>
rowsMovedBy(const std::vector<CalibrationParameter>& parameters,
            const std::vector<const analysis::Measurement*>& measurements,
            const std::vector<std::string>& metrics) {
    std::vector<const analysis::Measurement*> rows;
    for (const analysis::Measurement* row : measurements) {
        const analysis::Measurement& m = *row;
        const std::string metric = analysis::toString(m.metric);
        const bool moved = std::any_of(parameters.begin(), parameters.end(), [&](const auto& p) {
            return p.name == (p.platform ? m.platform : m.stack);
        });
        if (moved && std::find(metrics.begin(), metrics.end(), metric) != metrics.end()) {
            rows.push_back(&m);
        }
    }
    return rows;
}

void applyScales(Session& session, const std::vector<CalibrationParameter>& parameters,
                 const std::vector<double>& scales) {
    std::map<std::string, platforms::spec::PlatformSpec> platforms;
    std::map<std::string, platforms::spec::StackSpec> stacks;
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        const CalibrationParameter& p = parameters[k];
        google::protobuf::Message* spec = nullptr;
        if (p.platform) {
            auto it = platforms.try_emplace(p.name, session.platform(p.name)).first;
            spec = &it->second;
        } else {
            auto it = stacks.try_emplace(p.name, session.stack(p.name)).first;
            spec = &it->second;
        }
        for (std::size_t i = 0; i < p.paths.size(); ++i) {
            setNumber(*spec, p.paths[i], p.initial[i] * scales[k]);
        }
    }
    for (auto& [name, spec] : platforms) {
        session.replacePlatform(name, std::move(spec));
    }
    for (auto& [name, spec] : stacks) {
        session.replaceStack(name, std::move(spec));
    }
}

analysis::CalibrationCallbacks
calibrationCallbacks(Session& session, MeasurementPredictor& predictor,
                     const std::vector<CalibrationParameter>& parameters) {
    analysis::CalibrationCallbacks c;
    c.apply = [&session, &predictor, &parameters](const std::vector<double>& scales) {
        applyScales(session, parameters, scales);
        predictor.clear();
    };
    c.predict = [&predictor](const analysis::Measurement& m) {
        std::string why;
        return predictor.predict(m, why);
    };
    return c;
}

void writeCalibration(const std::vector<CalibrationParameter>& parameters,
                      const analysis::CalibrationResult& result,
                      const std::string& measurementsFile, int rows, const std::string& setName) {
    std::map<std::string, std::string> texts;
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        const CalibrationParameter& p = parameters[k];
        std::string& text = texts[p.file];
        if (text.empty()) {
            text = readFile(p.file);
        }
        const platforms::spec::PlatformSpec platformProto;
        const platforms::spec::StackSpec stackProto;
        const google::protobuf::Message& proto =
            p.platform ? static_cast<const google::protobuf::Message&>(platformProto)
                       : static_cast<const google::protobuf::Message&>(stackProto);
        const std::string how = setName.empty() ? "--fit " + p.text : "--parameters " + setName;
        const bool fitted =
            k >= result.identified.identifiable.size() || result.identified.identifiable[k];
        const std::string comment =
            fitted ? fmt::format("calibrated from {} ({} rows; edgesim calibrate {})",
                                 measurementsFile, rows, how)
                   : fmt::format("a priori: {} ({} does not identify it: {}; edgesim calibrate "
                                 "{})",
                                 p.source, measurementsFile, result.identified.why[k], how);
        for (std::size_t i = 0; i < p.paths.size(); ++i) {
            text = replaceFieldValue(text, p.file, proto, p.paths[i],
                                     p.initial[i] * result.fit.values[k], comment);
        }
    }
    for (const auto& [file, text] : texts) {
        writeFileAtomically(file, text, "--write");
    }
}

RequestedParameters requestedParameters(Session& session, const CalibrationRequest& request) {
    RequestedParameters r;
    if (request.fit.empty()) {
        CalibrationSet set = loadCalibrationSet(request.set, session);
        r.parameters = std::move(set.parameters);
        r.identifiability = set.identifiability;
        r.metrics = std::move(set.metrics);
        r.setFile = set.file;
    } else {
        if (!(request.range > 1)) {
            throw InputError("<command line>", "--range", "the range factor must be > 1");
        }
        for (const auto& text : request.fit) {
            CalibrationParameter p = parseCalibrationParameter(text, session);
            p.minScale = 1.0 / request.range;
            p.maxScale = request.range;
            r.parameters.push_back(std::move(p));
        }
        r.metrics = {"latency", "energy"};
    }
    if (!request.metrics.empty()) {
        r.metrics = request.metrics;
    }
    return r;
}

Calibration calibrate(Session& session, const std::vector<analysis::Measurement>& measurements,
                      const std::string& measurementsFile, const CalibrationRequest& request) {
    Calibration c;
    RequestedParameters requested = requestedParameters(session, request);
    c.parameters = std::move(requested.parameters);
    c.setFile = requested.setFile;
    // Rows the parameters can move, that the simulator can predict (at the configs' values).
    MeasurementPredictor predictor(session, request.fidelity, measurementsFile);
    predictor.prepare(measurements);
    std::vector<const analysis::Measurement*> all;
    for (const auto& m : measurements) {
        all.push_back(&m);
    }
    // Every row in file order: one the parameters cannot move is said, as is one that cannot run.
    const auto moved = rowsMovedBy(c.parameters, all, requested.metrics);
    for (const auto* m : all) {
        if (const auto why = predictor.problem(*m)) { // a mistyped name is said as such
            c.skipped.push_back(fmt::format("{}:{}: {}", measurementsFile, m->line, *why));
            continue;
        }
        if (std::find(moved.begin(), moved.end(), m) == moved.end()) {
            c.skipped.push_back(fmt::format(
                "{}:{}: no calibrated parameter moves this row (its {}, {} on {}, is not a "
                "metric the set fits or depends on none of its parameters)",
                measurementsFile, m->line, analysis::toString(m->metric), m->stack, m->platform));
            continue;
        }
        std::string why;
        if (!predictor.predict(*m, why)) {
            c.skipped.push_back(fmt::format("{}:{}: {}", measurementsFile, m->line, why));
            continue;
        }
        c.rows.push_back(m);
    }
    if (c.rows.empty()) {
        throw InputError(measurementsFile, "--fit",
                         "no measurement row depends on the fitted parameters");
    }
    c.result = analysis::calibrate(fitParameters(c.parameters), c.rows,
                                   calibrationCallbacks(session, predictor, c.parameters),
                                   request.maxEvaluations, requested.identifiability);
    if (request.write) {
        writeCalibration(c.parameters, c.result, measurementsFile, static_cast<int>(c.rows.size()),
                         request.fit.empty() ? request.set : "");
    }
    return c;
}

} // namespace edgesim::explorer
