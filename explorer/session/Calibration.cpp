#include "explorer/session/Calibration.h"

#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "common/TextProtoEdit.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace edgesim::explorer {

CalibrationParameter parseCalibrationParameter(const std::string& text, Session& session) {
    const auto colon = text.find(':');
    const auto slash = text.find('/');
    if (colon == std::string::npos || slash == std::string::npos || slash > colon) {
        throw InputError("<command line>", "--fit",
                         "'" + text + "' is not platform/<name>:<path> or stack/<name>:<path>");
    }
    CalibrationParameter p;
    p.text = text;
    const std::string kind = text.substr(0, slash);
    if (kind != "platform" && kind != "stack") {
        throw InputError("<command line>", "--fit",
                         "'" + text + "': the kind must be 'platform' or 'stack'");
    }
    p.platform = kind == "platform";
    p.name = text.substr(slash + 1, colon - slash - 1);
    const std::string expr = text.substr(colon + 1);
    p.file = session.paths().locate(kind + "s", p.name, "--fit");
    const google::protobuf::Message& spec =
        p.platform
            ? static_cast<const google::protobuf::Message&>(session.platform(p.name, "--fit"))
            : static_cast<const google::protobuf::Message&>(session.stack(p.name, "--fit"));
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
    return p;
}

std::vector<const analysis::Measurement*>
rowsMovedBy(const std::vector<CalibrationParameter>& parameters,
            const std::vector<analysis::Measurement>& measurements,
            const std::vector<std::string>& metrics) {
    std::vector<const analysis::Measurement*> rows;
    for (const auto& m : measurements) {
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
                      const std::vector<double>& scales, const std::string& measurementsFile,
                      int rows) {
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
        for (std::size_t i = 0; i < p.paths.size(); ++i) {
            text = replaceFieldValue(
                text, p.file, proto, p.paths[i], p.initial[i] * scales[k],
                fmt::format("calibrated from {} ({} rows; edgesim calibrate --fit {})",
                            measurementsFile, rows, p.text));
        }
    }
    for (const auto& [file, text] : texts) {
        writeFileAtomically(file, text, "--write");
    }
}

Calibration calibrate(Session& session, const std::vector<analysis::Measurement>& measurements,
                      const std::string& measurementsFile, const CalibrationRequest& request) {
    if (request.fit.empty()) {
        throw InputError("<command line>", "--fit", "give at least one parameter to fit");
    }
    if (!(request.range > 1)) {
        throw InputError("<command line>", "--range", "the range factor must be > 1");
    }
    Calibration c;
    for (const auto& text : request.fit) {
        c.parameters.push_back(parseCalibrationParameter(text, session));
    }
    // Rows the parameters can move, that the simulator can predict.
    MeasurementPredictor predictor(session, request.fidelity, measurementsFile);
    predictor.prepare(measurements);
    for (const auto* m : rowsMovedBy(c.parameters, measurements, request.metrics)) {
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
    std::vector<analysis::FitParameter> fit;
    for (const auto& p : c.parameters) {
        fit.push_back({p.text, 1.0, 1.0 / request.range, request.range});
    }
    c.result =
        analysis::calibrate(fit, c.rows, calibrationCallbacks(session, predictor, c.parameters),
                            request.maxEvaluations);
    if (request.write) {
        writeCalibration(c.parameters, c.result.fit.values, measurementsFile,
                         static_cast<int>(c.rows.size()));
    }
    return c;
}

} // namespace edgesim::explorer
