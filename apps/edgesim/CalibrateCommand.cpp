// `edgesim calibrate --measurements FILE --fit PARAM...`: least squares on log error between
// predictions and measurements over a few named model parameters, optionally written back
// into the configs (--write) with a `calibrated from FILE` comment. A parameter is
// `platform/<name>:<path>` or `stack/<name>:<path>` (common/ProtoPath.h); a path selecting
// several fields fits one scale factor shared by all of them, keeping their ratios.
#include "analysis/Fit.h"
#include "analysis/Measurements.h"
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "apps/edgesim/Session.h"
#include "common/Diagnostics.h"
#include "common/ProtoPath.h"
#include "common/TextProto.h"
#include "common/TextProtoEdit.h"
#include "platforms/PlatformCatalog.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

namespace edgesim::app {

namespace {

struct CalibrateOptions {
    std::string measurements;
    std::vector<std::string> fit;
    std::vector<std::string> metrics = {"latency", "energy"};
    std::string fidelity = "tlm";
    std::string format = "table";
    int maxEvaluations = 2000;
    double range = 10;
    bool write = false;
};

struct Param {
    std::string text;   ///< as given
    bool platform;      ///< else stack
    std::string name;   ///< config name
    std::string file;
    std::vector<ProtoPath> paths;
    std::vector<double> initial;  ///< per path
};

Param parseParam(const std::string& text, Session& session) {
    const auto colon = text.find(':');
    const auto slash = text.find('/');
    if (colon == std::string::npos || slash == std::string::npos || slash > colon) {
        throw InputError("<command line>", "--fit",
                         "'" + text + "' is not platform/<name>:<path> or stack/<name>:<path>");
    }
    Param p;
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
    std::unique_ptr<google::protobuf::Message> spec;
    if (p.platform) {
        spec = std::make_unique<platforms::spec::PlatformSpec>(
            platforms::loadPlatform(p.file, session.paths()));
    } else {
        spec = std::make_unique<platforms::spec::StackSpec>(
            platforms::loadStack(p.file, session.paths()));
    }
    p.paths = resolveNumericPaths(*spec, expr, p.file);
    for (const auto& path : p.paths) {
        const double v = getNumber(*spec, path);
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

/// Applies scale `s` of parameter `p` to the simulator specs it touches.
void apply(const Param& p, double s, platforms::spec::PlatformSpec* platform,
           platforms::spec::StackSpec* stack) {
    google::protobuf::Message* spec = p.platform ? static_cast<google::protobuf::Message*>(platform)
                                                 : static_cast<google::protobuf::Message*>(stack);
    for (std::size_t i = 0; i < p.paths.size(); ++i) {
        setNumber(*spec, p.paths[i], p.initial[i] * s);
    }
}

std::string rowLabel(const analysis::Measurement& m) {
    return fmt::format("{}:{} {} {} {}", m.line, m.platform, m.stack, m.network,
                       analysis::toString(m.metric));
}

void writeBack(const std::vector<Param>& params, const std::vector<double>& scales,
               const std::string& measurements, int rows) {
    std::map<std::string, std::string> texts;
    for (std::size_t k = 0; k < params.size(); ++k) {
        const Param& p = params[k];
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
                            measurements, rows, p.text));
        }
    }
    for (const auto& [file, text] : texts) {
        const std::string tmp = file + ".tmp";
        {
            std::ofstream out(tmp);
            out << text;
            if (!out.flush()) {
                throw InputError(file, "--write", "cannot write the config");
            }
        }
        std::filesystem::rename(tmp, file);
    }
}

void runCalibrate(const CalibrateOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    if (o.fit.empty()) {
        throw InputError("<command line>", "--fit", "give at least one parameter to fit");
    }
    if (!(o.range > 1)) {
        throw InputError("<command line>", "--range", "the range factor must be > 1");
    }
    const auto measurements = analysis::loadMeasurements(o.measurements);
    const sim::Fidelity fidelity =
        o.fidelity == "analytical" ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;
    Session session(g);
    std::vector<Param> params;
    std::set<std::string> platforms;
    std::set<std::string> stacks;
    for (const auto& text : o.fit) {
        params.push_back(parseParam(text, session));
        (params.back().platform ? platforms : stacks).insert(params.back().name);
    }

    // Rows the parameters can move, that the simulator can predict.
    std::vector<const analysis::Measurement*> rows;
    std::vector<std::string> skipped;
    for (const auto& m : measurements) {
        const std::string metric = analysis::toString(m.metric);
        if (std::find(o.metrics.begin(), o.metrics.end(), metric) == o.metrics.end() ||
            (platforms.count(m.platform) == 0 && stacks.count(m.stack) == 0)) {
            continue;
        }
        std::string why;
        if (!session.predict(m, fidelity, why)) {
            skipped.push_back(fmt::format("{}:{}: {}", o.measurements, m.line, why));
            continue;
        }
        rows.push_back(&m);
    }
    if (rows.empty()) {
        throw InputError(o.measurements, "--fit",
                         "no measurement row depends on the fitted parameters");
    }

    // Originals of every target the rows use; each evaluation starts from them.
    std::map<std::string, std::pair<platforms::spec::PlatformSpec, platforms::spec::StackSpec>>
        originals;
    for (auto& [key, target] : session.targets()) {
        originals[key] = {target->simulator->platform(), target->simulator->stack()};
    }
    const auto residuals = [&](const std::vector<double>& scales) {
        for (auto& [key, target] : session.targets()) {
            auto [platform, stack] = originals.at(key);
            for (std::size_t k = 0; k < params.size(); ++k) {
                const Param& p = params[k];
                if ((p.platform && platform.name() == p.name) ||
                    (!p.platform && stack.name() == p.name)) {
                    apply(p, scales[k], &platform, &stack);
                }
            }
            target->simulator->reconfigure(std::move(platform), std::move(stack));
        }
        session.clearResults();
        std::vector<double> r;
        for (const auto* m : rows) {
            std::string why;
            const auto p = session.predict(*m, fidelity, why);
            r.push_back(p ? std::log(*p / m->value) : std::nan(""));
        }
        return r;
    };

    std::vector<analysis::FitParameter> fitParams;
    for (const auto& p : params) {
        fitParams.push_back({p.text, 1.0, 1.0 / o.range, o.range});
    }
    const std::vector<double> before = residuals(std::vector<double>(params.size(), 1.0));
    const analysis::FitResult fit =
        analysis::fitLogLeastSquares(fitParams, residuals, o.maxEvaluations);
    const std::vector<double> after = residuals(fit.values);

    if (o.write) {
        writeBack(params, fit.values, o.measurements, static_cast<int>(rows.size()));
    }

    const auto rms = [](const std::vector<double>& r) {
        double s = 0;
        for (double x : r) {
            s += x * x;
        }
        return std::sqrt(s / static_cast<double>(r.size()));
    };
    if (format == Format::Json) {
        nlohmann::json j;
        j["provenance"] = provenance(g.commandLine, "");
        j["rows"] = rows.size();
        j["evaluations"] = fit.evaluations;
        j["converged"] = fit.converged;
        j["message"] = fit.message;
        j["rms_log_error_before"] = rms(before);
        j["rms_log_error_after"] = rms(after);
        j["written"] = o.write;
        j["parameters"] = nlohmann::json::array();
        for (std::size_t k = 0; k < params.size(); ++k) {
            for (std::size_t i = 0; i < params[k].paths.size(); ++i) {
                j["parameters"].push_back({{"parameter", params[k].text},
                                           {"config", params[k].file},
                                           {"field", toString(params[k].paths[i])},
                                           {"initial", params[k].initial[i]},
                                           {"fitted", params[k].initial[i] * fit.values[k]},
                                           {"scale", fit.values[k]}});
            }
        }
        j["residuals"] = nlohmann::json::array();
        for (std::size_t r = 0; r < rows.size(); ++r) {
            j["residuals"].push_back({{"row", rowLabel(*rows[r])},
                                      {"error_pct_before", 100 * std::expm1(before[r])},
                                      {"error_pct_after", 100 * std::expm1(after[r])}});
        }
        j["skipped"] = skipped;
        std::cout << j.dump(2) << "\n";
        return;
    }
    Table t;
    t.header = {"parameter", "field", "initial", "fitted", "scale"};
    t.rightAlign = {false, false, true, true, true};
    for (std::size_t k = 0; k < params.size(); ++k) {
        for (std::size_t i = 0; i < params[k].paths.size(); ++i) {
            t.rows.push_back({params[k].text, toString(params[k].paths[i]),
                              fmt::format("{:.6g}", params[k].initial[i]),
                              fmt::format("{:.6g}", params[k].initial[i] * fit.values[k]),
                              fmt::format("{:.4f}", fit.values[k])});
        }
    }
    Table r;
    r.header = {"row", "error_before_pct", "error_after_pct"};
    r.rightAlign = {false, true, true};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        r.rows.push_back({rowLabel(*rows[i]), fmt::format("{:+.1f}", 100 * std::expm1(before[i])),
                          fmt::format("{:+.1f}", 100 * std::expm1(after[i]))});
    }
    if (format == Format::Csv) {
        t.printCsv(std::cout);
        return;
    }
    t.print(std::cout);
    std::cout << "\n";
    r.print(std::cout);
    for (const auto& s : skipped) {
        std::cout << "skipped " << s << "\n";
    }
    std::cout << fmt::format("\ncalibrate: {} parameters, {} rows, {} evaluations ({}), RMS log "
                             "error {:.4f} -> {:.4f}{}\n",
                             params.size(), rows.size(), fit.evaluations, fit.message, rms(before),
                             rms(after), o.write ? ", written to the configs" : "");
}

} // namespace

void registerCalibrate(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<CalibrateOptions>();
    auto* cmd = app.add_subcommand(
        "calibrate", "Fit model parameters to silicon measurements (least squares on log error)");
    cmd->add_option("--measurements,-m", opts->measurements, "Measurements CSV")->required();
    cmd->add_option("--fit", opts->fit,
                    "Parameter: platform/<name>:<path> or stack/<name>:<path>, e.g. "
                    "'stack/tflm-2.3:kernels[conv2d,depthwise_conv2d].cycles_per_mac' (several "
                    "fields share one scale factor); repeat for more")
        ->required();
    cmd->add_option("--metric", opts->metrics, "Metrics to fit (default latency and energy)")
        ->check(CLI::IsMember({"latency", "energy", "peak_memory", "macs", "traffic"}));
    cmd->add_option("--fidelity", opts->fidelity, "tlm | analytical")
        ->check(CLI::IsMember({"tlm", "analytical"}));
    cmd->add_option("--range", opts->range,
                    "Each parameter stays within [initial / range, initial * range]");
    cmd->add_option("--max-evaluations", opts->maxEvaluations, "Optimiser budget")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_flag("--write", opts->write,
                  "Write the fitted values into the configs, with a `calibrated from` comment");
    cmd->callback([opts, &global] { runCalibrate(*opts, global); });
}

} // namespace edgesim::app
