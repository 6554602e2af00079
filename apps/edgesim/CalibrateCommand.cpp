// `edgesim calibrate --measurements FILE [--parameters SET | --fit PARAM...]`: least squares on
// log error between predictions and measurements over a few named model parameters — the
// calibration set (configs/calibration/, from its a-priori values, fitting those the rows
// identify) or the --fit ones (from the configs' values) — (analysis/Calibration.h, with the
// model side in explorer/session/Calibration.h), optionally written back into the configs
// (--write) with a `calibrated from FILE` comment.
#include "analysis/Calibration.h"
#include "analysis/Measurements.h"
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "common/Diagnostics.h"
#include "explorer/session/Calibration.h"
#include "explorer/session/Conditions.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace edgesim::app {

namespace {

struct CalibrateOptions {
    std::string measurements;
    std::vector<std::string> fit;
    std::string parameters = explorer::kDefaultCalibrationSet;
    std::string conditions = explorer::kDefaultConditions;
    std::vector<std::string> metrics;
    std::string fidelity = "tlm";
    std::string format = "table";
    int maxEvaluations = 5000;
    double range = 10;
    bool write = false;
};

std::string rowLabel(const analysis::Measurement& m) {
    return fmt::format("{}:{} {} {} {}", m.line, m.platform, m.stack, m.network,
                       analysis::toString(m.metric));
}

void runCalibrate(const CalibrateOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    const auto measurements =
        explorer::loadMeasurementsUnder(o.measurements, o.conditions, ConfigPaths(g.configDir));
    explorer::Session session{ConfigPaths(g.configDir)};
    explorer::CalibrationRequest request;
    request.fit = o.fit;
    request.set = o.parameters;
    request.metrics = o.metrics;
    request.fidelity = o.fidelity == "analytical" ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;
    request.maxEvaluations = o.maxEvaluations;
    request.range = o.range;
    request.write = o.write;
    const explorer::Calibration c =
        explorer::calibrate(session, measurements, o.measurements, request);
    const auto& params = c.parameters;
    const auto& rows = c.rows;
    const auto& skipped = c.skipped;
    const analysis::CalibrationResult& cal = c.result;
    const analysis::FitResult& fit = cal.fit;
    const auto identified = [&cal](std::size_t k) { return cal.identified.identifiable[k]; };
    if (format != Format::Table) {
        // Machine-readable output on stdout (JSON also lists them); every skipped row is said.
        for (const auto& s : skipped) {
            std::cerr << "calibrate: skipped " << s << "\n";
        }
    }

    if (format == Format::Json) {
        nlohmann::json j;
        j["provenance"] = provenance(g.commandLine, "");
        j["rows"] = rows.size();
        j["evaluations"] = fit.evaluations;
        j["converged"] = fit.converged;
        j["message"] = fit.message;
        j["rms_log_error_before"] = analysis::rms(cal.before);
        j["rms_log_error_after"] = analysis::rms(cal.after);
        j["written"] = o.write;
        j["parameters"] = nlohmann::json::array();
        for (std::size_t k = 0; k < params.size(); ++k) {
            for (std::size_t i = 0; i < params[k].paths.size(); ++i) {
                j["parameters"].push_back({{"parameter", params[k].text},
                                           {"config", params[k].file},
                                           {"field", toString(params[k].paths[i])},
                                           {"initial", params[k].initial[i]},
                                           {"initial_source", params[k].source},
                                           {"fitted", params[k].initial[i] * fit.values[k]},
                                           {"scale", fit.values[k]},
                                           {"identifiable", identified(k)},
                                           {"reason", cal.identified.why[k]}});
            }
        }
        j["residuals"] = nlohmann::json::array();
        for (std::size_t r = 0; r < rows.size(); ++r) {
            j["residuals"].push_back({{"row", rowLabel(*rows[r])},
                                      {"error_pct_before", 100 * std::expm1(cal.before[r])},
                                      {"error_pct_after", 100 * std::expm1(cal.after[r])}});
        }
        j["skipped"] = skipped;
        std::cout << jsonText(j) << "\n";
        return;
    }
    Table t;
    t.header = {"parameter", "field", "initial", "fitted", "scale", "identified"};
    t.rightAlign = {false, false, true, true, true, false};
    for (std::size_t k = 0; k < params.size(); ++k) {
        for (std::size_t i = 0; i < params[k].paths.size(); ++i) {
            t.rows.push_back({params[k].text, toString(params[k].paths[i]),
                              fmt::format("{:.6g}", params[k].initial[i]),
                              fmt::format("{:.6g}", params[k].initial[i] * fit.values[k]),
                              fmt::format("{:.4f}", fit.values[k]), identified(k) ? "yes" : "no"});
        }
    }
    Table r;
    r.header = {"row", "error_before_pct", "error_after_pct"};
    r.rightAlign = {false, true, true};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        r.rows.push_back({rowLabel(*rows[i]),
                          fmt::format("{:+.1f}", 100 * std::expm1(cal.before[i])),
                          fmt::format("{:+.1f}", 100 * std::expm1(cal.after[i]))});
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
    for (std::size_t k = 0; k < params.size(); ++k) {
        if (!identified(k)) {
            std::cout << fmt::format("{} stays at its initial value ({}): {}\n", params[k].text,
                                     cal.identified.why[k], params[k].source);
        }
    }
    std::cout << fmt::format("\ncalibrate: {} parameters, {} rows, {} evaluations ({}), RMS log "
                             "error {:.4f} -> {:.4f}{}\n",
                             params.size(), rows.size(), fit.evaluations, fit.message,
                             analysis::rms(cal.before), analysis::rms(cal.after),
                             o.write ? ", written to the configs" : "");
}

} // namespace

void registerCalibrate(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<CalibrateOptions>();
    auto* cmd = app.add_subcommand(
        "calibrate", "Fit model parameters to silicon measurements (least squares on log error)");
    addMeasurementOptions(cmd, opts->measurements, opts->conditions);
    cmd->add_option("--parameters", opts->parameters,
                    "Calibration set (a name in configs/calibration/ or a .textproto file): "
                    "the parameters, their a-priori values and bounds (default mlperf-tiny)");
    cmd->add_option("--fit", opts->fit,
                    "Instead of a calibration set, fit this parameter from its current value: "
                    "platform/<name>:<path> or stack/<name>:<path>, e.g. "
                    "'stack/tflm-2.3:kernels[conv2d,depthwise_conv2d].cycles_per_mac' (several "
                    "fields share one scale factor); repeat for more");
    cmd->add_option("--metric", opts->metrics, "Metrics to fit (default latency and energy)")
        ->check(CLI::IsMember({"latency", "energy", "peak_memory", "macs", "traffic"}));
    cmd->add_option("--fidelity", opts->fidelity, "tlm | analytical")
        ->check(CLI::IsMember({"tlm", "analytical"}));
    cmd->add_option("--range", opts->range,
                    "--fit: each parameter stays within [initial / range, initial * range]");
    cmd->add_option("--max-evaluations", opts->maxEvaluations, "Optimiser budget")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_flag("--write", opts->write,
                  "Write the fitted values into the configs, with a `calibrated from` comment");
    cmd->callback([opts, &global] { runCalibrate(*opts, global); });
}

} // namespace edgesim::app
