// `edgesim validate --measurements FILE.csv`: predicts every measured row through the library
// (explorer/session/Predictor.h, analysis/Validation.h), prints predicted vs measured with the
// error, per-platform statistics (MAPE, median and max |error|, Kendall tau) and, last, the
// summary line of DESIGN.md §3. Rows naming something unknown, or that cannot run, are
// reported and skipped.
#include "analysis/Measurements.h"
#include "analysis/Validation.h"
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "common/Hash.h"
#include "common/TextProto.h"
#include "explorer/results/Provenance.h"
#include "explorer/results/RunRecords.h"
#include "explorer/results/WriterLock.h"
#include "explorer/session/Predictor.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace edgesim::app {

namespace {

struct ValidateOptions {
    std::string measurements;
    std::string format = "table";
    std::string fidelity = "tlm";
    std::string out;
    std::vector<std::string> set;
};

std::string num(double v) {
    return std::isnan(v) ? "n/a" : fmt::format("{:.1f}", v);
}

} // namespace

void runValidate(const ValidateOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    if (!o.out.empty()) {
        explorer::checkOutputPath(o.out, "--out"); // before predicting: fail fast
    }
    const auto measurements = analysis::loadMeasurements(o.measurements);
    const sim::Fidelity fidelity =
        o.fidelity == "analytical" ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;
    std::vector<explorer::Override> overrides;
    for (const auto& s : o.set) {
        overrides.push_back(explorer::parseOverride(s));
    }
    explorer::Session session{ConfigPaths(g.configDir)};
    explorer::MeasurementPredictor predictor(session, fidelity, o.measurements, overrides);
    predictor.prepare(measurements);
    const analysis::ValidationReport report = analysis::validate(
        measurements, [&predictor](const analysis::Measurement& m, std::string& why) {
            return predictor.predict(m, why);
        });
    const explorer::Provenance prov =
        explorer::makeProvenance(g.commandLine, sha256Hex(readFile(o.measurements)));

    if (!o.out.empty()) {
        explorer::writeValidationFile(o.out, prov, report);
    }

    if (format == Format::Json) {
        nlohmann::json j;
        j["provenance"] = explorer::provenanceJson(prov);
        j["fidelity"] = o.fidelity;
        j["rows"] = nlohmann::json::array();
        for (const auto& r : report.rows) {
            const auto& m = *r.measurement;
            nlohmann::json row = {{"line", m.line},
                                  {"platform", m.platform},
                                  {"stack", m.stack},
                                  {"network", m.network},
                                  {"strategy", m.strategy},
                                  {"metric", analysis::toString(m.metric)},
                                  {"unit", m.unit},
                                  {"measured", m.rawValue},
                                  {"predicted", r.predictedRaw},
                                  {"error_pct", r.errorPct},
                                  {"source", m.source}};
            for (const auto& [k, v] : m.extra) {
                row["extra"][k] = v;
            }
            j["rows"].push_back(row);
        }
        j["skipped"] = nlohmann::json::array();
        for (const auto& [m, why] : report.skipped) {
            j["skipped"].push_back({{"line", m->line}, {"reason", why}});
        }
        auto group = [](const analysis::GroupSummary& s) {
            auto v = [](double x) {
                return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x);
            };
            return nlohmann::json{
                {"platform", s.platform},        {"rows", s.rows},
                {"mape_pct", v(s.mapePct)},      {"median_abs_pct", v(s.medianAbsPct)},
                {"max_abs_pct", v(s.maxAbsPct)}, {"kendall_tau", v(s.kendallTau)}};
        };
        j["per_platform"] = nlohmann::json::array();
        for (const auto& s : report.summary.perPlatform) {
            j["per_platform"].push_back(group(s));
        }
        j["overall"] = group(report.summary.overall);
        j["summary"] = analysis::summaryLine(report.summary);
        std::cout << j.dump(2) << "\n";
        return;
    }

    Table t;
    t.header = {"line",     "platform",  "stack", "network",  "metric",
                "measured", "predicted", "unit",  "error_pct"};
    t.rightAlign = {true, false, false, false, false, true, true, false, true};
    for (const auto& r : report.rows) {
        const auto& m = *r.measurement;
        t.rows.push_back({std::to_string(m.line), m.platform, m.stack, m.network,
                          analysis::toString(m.metric), fmt::format("{:.6g}", m.rawValue),
                          fmt::format("{:.6g}", r.predictedRaw), m.unit,
                          fmt::format("{:+.1f}", r.errorPct)});
    }
    if (format == Format::Csv) {
        t.printCsv(std::cout);
        return;
    }
    t.print(std::cout);
    for (const auto& [m, why] : report.skipped) {
        std::cout << fmt::format("skipped {}:{}: {}\n", o.measurements, m->line, why);
    }
    std::cout << "\n";
    Table s;
    s.header = {"platform", "rows", "mape_pct", "median_pct", "max_pct", "kendall_tau"};
    s.rightAlign = {false, true, true, true, true, true};
    for (const auto& p : report.summary.perPlatform) {
        s.rows.push_back({p.platform, std::to_string(p.rows), num(p.mapePct), num(p.medianAbsPct),
                          num(p.maxAbsPct),
                          std::isnan(p.kendallTau) ? "n/a" : fmt::format("{:.2f}", p.kendallTau)});
    }
    s.print(std::cout);
    std::cout << "\n" << analysis::summaryLine(report.summary) << "\n";
}

void registerValidate(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<ValidateOptions>();
    auto* cmd =
        app.add_subcommand("validate", "Compare predictions with silicon measurements (CSV, "
                                       "DESIGN.md §3)");
    cmd->add_option("--measurements,-m", opts->measurements, "Measurements CSV")->required();
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_option("--fidelity", opts->fidelity, "tlm | analytical")
        ->check(CLI::IsMember({"tlm", "analytical"}));
    cmd->add_option("--set", opts->set,
                    "Override a config field for every row: platform.PATH=VALUE or "
                    "stack.PATH=VALUE (as simulate --set); repeatable")
        ->take_all();
    cmd->add_option("--out", opts->out, "Write /validation to this HDF5 file");
    cmd->callback([opts, &global] { runValidate(*opts, global); });
}

} // namespace edgesim::app
