// `edgesim validate --measurements FILE.csv [--cross-validate board|network]`: predicts every
// measured row through the library (explorer/session/Predictor.h, analysis/Validation.h) and
// prints predicted vs measured with the error, per-platform statistics (MAPE, median and max
// |error|, Kendall tau) and, last, the summary line of DESIGN.md §3. With --cross-validate,
// each board (network) is held out in turn, the calibration set refitted on the other rows
// (explorer/session/CrossValidation.h) and the held-out rows predicted; the held-out errors
// are printed next to the in-sample ones. Rows naming something unknown, or that cannot run,
// are reported and skipped.
#include "analysis/CrossValidation.h"
#include "analysis/Measurements.h"
#include "analysis/Validation.h"
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "common/Hash.h"
#include "common/Strings.h"
#include "common/TextProto.h"
#include "explorer/results/Provenance.h"
#include "explorer/results/RunRecords.h"
#include "explorer/results/WriterLock.h"
#include "explorer/session/Conditions.h"
#include "explorer/session/CrossValidation.h"
#include "explorer/session/Predictor.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <map>
#include <optional>

namespace edgesim::app {

namespace {

struct ValidateOptions {
    std::string measurements;
    std::string format = "table";
    std::string fidelity = "tlm";
    std::string out;
    std::vector<std::string> set;
    std::string crossValidate;
    std::vector<std::string> folds;
    std::string parameters = explorer::kDefaultCalibrationSet;
    std::string conditions = explorer::kDefaultConditions;
    int maxEvaluations = 5000;
    std::string quantize;
    bool strict = false;
};

std::string num(double v) {
    return std::isnan(v) ? "n/a" : fmt::format("{:.1f}", v);
}

nlohmann::json orNull(double v) {
    return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

nlohmann::json groupJson(const analysis::GroupSummary& s) {
    return nlohmann::json{{"platform", s.platform},
                          {"rows", s.rows},
                          {"mape_pct", orNull(s.mapePct)},
                          {"median_abs_pct", orNull(s.medianAbsPct)},
                          {"max_abs_pct", orNull(s.maxAbsPct)},
                          {"kendall_tau", orNull(s.kendallTau)}};
}

nlohmann::json metricsJson(const analysis::MetricSummaries& s) {
    return nlohmann::json{{"mape_pct", orNull(s.all.mapePct)},
                          {"latency_mape_pct", orNull(s.latency.mapePct)},
                          {"energy_mape_pct", orNull(s.energy.mapePct)},
                          {"rows", s.all.rows},
                          {"latency_rows", s.latency.rows},
                          {"energy_rows", s.energy.rows}};
}

nlohmann::json rowJson(const analysis::ValidatedRow& r) {
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
    return row;
}

nlohmann::json skippedJson(const analysis::ValidationReport& report) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [m, why] : report.skipped) {
        j.push_back({{"line", m->line}, {"reason", why}});
    }
    return j;
}

/// The report's fields of plain `validate --format json`.
void reportJson(nlohmann::json& j, const analysis::ValidationReport& report) {
    j["rows"] = nlohmann::json::array();
    for (const auto& r : report.rows) {
        j["rows"].push_back(rowJson(r));
    }
    j["skipped"] = skippedJson(report);
    j["per_platform"] = nlohmann::json::array();
    for (const auto& s : report.summary.perPlatform) {
        j["per_platform"].push_back(groupJson(s));
    }
    j["overall"] = groupJson(report.summary.overall);
    j["summary"] = analysis::summaryLine(report.summary);
}

nlohmann::json crossValidationJson(const explorer::CrossValidation& cv) {
    nlohmann::json j;
    j["kind"] = analysis::toString(cv.kind);
    j["calibration_set"] = cv.set.file;
    j["in_sample"] = metricsJson(cv.inSampleSummary);
    j["in_sample_of_held_out"] = metricsJson(cv.inSampleOfHeldOut);
    j["overall"] = metricsJson(cv.summary);
    j["folds"] = nlohmann::json::array();
    for (const auto& f : cv.folds) {
        nlohmann::json fj;
        fj["fold"] = f.name;
        fj["training_rows"] = f.training.size();
        fj["held_out"] = metricsJson(f.summary);
        fj["in_sample"] = metricsJson(f.inSample);
        fj["evaluations"] = f.fit.fit.evaluations;
        fj["converged"] = f.fit.fit.converged;
        fj["rows"] = nlohmann::json::array();
        for (const auto& r : f.heldOut.rows) {
            fj["rows"].push_back(rowJson(r));
        }
        fj["skipped"] = skippedJson(f.heldOut);
        fj["parameters"] = nlohmann::json::array();
        for (std::size_t k = 0; k < f.parameters.size(); ++k) {
            const auto& p = cv.set.parameters[k];
            const auto& fp = f.parameters[k];
            fj["parameters"].push_back({{"parameter", p.text},
                                        {"identifiable", fp.identifiable},
                                        {"reason", fp.why},
                                        {"prior", p.initial},
                                        {"prior_source", p.source},
                                        {"value", fp.value}});
        }
        fj["not_identifiable"] = explorer::notIdentified(cv, f);
        j["folds"].push_back(fj);
    }
    return j;
}

/// Cross-validated and in-sample predictions side by side, one row per held-out row.
Table crossValidationRowsTable(const explorer::CrossValidation& cv) {
    std::map<const analysis::Measurement*, const analysis::ValidatedRow*> inSample;
    for (const auto& r : cv.inSample.rows) {
        inSample[r.measurement] = &r;
    }
    Table t;
    t.header = {"fold",      "line",        "stack", "network",       "metric", "measured",
                "in_sample", "cross_valid", "unit",  "in_sample_pct", "cv_pct"};
    t.rightAlign = {false, true, false, false, false, true, true, true, false, true, true};
    for (const auto& f : cv.folds) {
        for (const auto& r : f.heldOut.rows) {
            const auto& m = *r.measurement;
            const auto it = inSample.find(r.measurement);
            const bool has = it != inSample.end();
            t.rows.push_back({explorer::foldLabel(cv, f), std::to_string(m.line), m.stack,
                              m.network, analysis::toString(m.metric),
                              fmt::format("{:.6g}", m.rawValue),
                              has ? fmt::format("{:.6g}", it->second->predictedRaw) : "n/a",
                              fmt::format("{:.6g}", r.predictedRaw), m.unit,
                              has ? fmt::format("{:+.1f}", it->second->errorPct) : "n/a",
                              fmt::format("{:+.1f}", r.errorPct)});
        }
    }
    return t;
}

void printCrossValidation(const explorer::CrossValidation& cv, const ValidateOptions& o) {
    crossValidationRowsTable(cv).print(std::cout);
    for (const auto& f : cv.folds) {
        for (const auto& [m, why] : f.heldOut.skipped) {
            std::cout << fmt::format("skipped {}:{}: {}\n", o.measurements, m->line, why);
        }
    }
    std::cout << "\n";
    Table s;
    s.header = {"fold",
                "rows",
                "fitted_on",
                "mape_pct",
                "latency_pct",
                "energy_pct",
                "in_sample_pct",
                "in_sample_latency_pct",
                "in_sample_energy_pct"};
    s.rightAlign = {false, true, true, true, true, true, true, true, true};
    const auto add = [&s](const std::string& label, const std::string& fittedOn,
                          const analysis::MetricSummaries& held,
                          const analysis::MetricSummaries& in) {
        s.rows.push_back({label, std::to_string(held.all.rows), fittedOn, num(held.all.mapePct),
                          num(held.latency.mapePct), num(held.energy.mapePct), num(in.all.mapePct),
                          num(in.latency.mapePct), num(in.energy.mapePct)});
    };
    for (const auto& f : cv.folds) {
        add(explorer::foldLabel(cv, f), std::to_string(f.training.size()), f.summary, f.inSample);
    }
    add(std::string(analysis::toString(cv.kind)) + ":all", "", cv.summary, cv.inSampleOfHeldOut);
    s.print(std::cout);
    std::cout << "\n";
    for (const auto& f : cv.folds) {
        for (std::size_t k = 0; k < f.parameters.size(); ++k) {
            if (!f.parameters[k].identifiable) {
                std::cout << fmt::format("{}: {} stays a priori ({}): {}\n",
                                         explorer::foldLabel(cv, f), cv.set.parameters[k].text,
                                         f.parameters[k].why, cv.set.parameters[k].source);
            }
        }
    }
}

/// "; cross-validated by board: MAPE X% (latency Y%, energy Z%)" after the summary line.
std::string crossValidationSummary(const explorer::CrossValidation& cv) {
    return fmt::format("; cross-validated by {}: {} rows, MAPE {}% (latency {}%, energy {}%)",
                       analysis::toString(cv.kind), cv.summary.all.rows,
                       num(cv.summary.all.mapePct), num(cv.summary.latency.mapePct),
                       num(cv.summary.energy.mapePct));
}

} // namespace

void runValidate(const ValidateOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    std::optional<analysis::FoldKind> kind;
    if (!o.crossValidate.empty()) {
        kind = analysis::parseFoldKind(o.crossValidate);
    } else if (!o.folds.empty()) {
        throw InputError("<command line>", "--fold", "--fold needs --cross-validate");
    }
    // Before predicting: fail fast.
    explorer::checkOutputPaths(
        {{o.out, "--out"}}, {{o.measurements, "--measurements"}, {o.conditions, "--conditions"}});
    const auto measurements =
        explorer::loadMeasurementsUnder(o.measurements, o.conditions, ConfigPaths(g.configDir));
    const sim::Fidelity fidelity =
        o.fidelity == "analytical" ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;
    std::vector<explorer::Override> overrides;
    for (const auto& s : o.set) {
        overrides.push_back(explorer::parseOverride(s));
    }
    explorer::Session session{ConfigPaths(g.configDir)};
    std::optional<explorer::CrossValidation> cv;
    analysis::ValidationReport plain;
    if (kind) {
        explorer::CrossValidationRequest request;
        request.kind = *kind;
        request.folds = o.folds;
        request.set = o.parameters;
        request.fidelity = fidelity;
        request.overrides = overrides;
        request.quantize = o.quantize;
        request.maxEvaluations = o.maxEvaluations;
        cv = explorer::crossValidate(session, measurements, o.measurements, request);
    } else {
        explorer::MeasurementPredictor predictor(session, fidelity, o.measurements, overrides,
                                                 o.quantize);
        predictor.prepare(measurements);
        plain = analysis::validate(measurements,
                                   [&predictor](const analysis::Measurement& m, std::string& why) {
                                       return predictor.predict(m, why);
                                   });
    }
    const analysis::ValidationReport& report = cv ? cv->inSample : plain;
    if (o.strict && !report.skipped.empty()) {
        std::vector<Diagnostic> problems;
        for (const auto& [m, why] : report.skipped) {
            problems.push_back(Diagnostic{o.measurements, m->line, 0, "", why + " (--strict)"});
        }
        throw InputError(std::move(problems));
    }
    for (const auto& r : report.rows) {
        // An order of magnitude apart is more often a unit written wrong (us for ms, mJ for
        // uJ) than a model that far off: said, so one row does not silently swamp the MAPE.
        constexpr double kUnitMistakeRatio = 10; // a factor no calibrated model is off by
        const double ratio = r.predictedRaw / r.measurement->rawValue;
        if (r.predictedRaw > 0 && (ratio > kUnitMistakeRatio || ratio < 1 / kUnitMistakeRatio)) {
            std::cerr << fmt::format("validate: warning: {}:{}: predicted {:.4g} {} against {:.4g} "
                                     "measured, {:.3g}x apart: is the unit right?\n",
                                     o.measurements, r.measurement->line, r.predictedRaw,
                                     r.measurement->unit, r.measurement->rawValue, ratio);
        }
    }
    if (format != Format::Table) {
        // Machine-readable output on stdout; the rows that could not run still get a line.
        for (const auto& [m, why] : report.skipped) {
            std::cerr << fmt::format("validate: skipped {}:{}: {}\n", o.measurements, m->line, why);
        }
    }
    const explorer::Provenance prov =
        explorer::makeProvenance(g.commandLine, sha256Hex(readFile(o.measurements)));

    if (!o.out.empty()) {
        if (cv) {
            explorer::writeValidationFile(o.out, prov, explorer::validationRows(*cv),
                                          explorer::validationFoldRows(*cv));
        } else {
            explorer::writeValidationFile(o.out, prov,
                                          explorer::validationRows(report, "in-sample"));
        }
    }

    if (format == Format::Json) {
        nlohmann::json j;
        j["provenance"] = explorer::provenanceJson(prov);
        j["fidelity"] = o.fidelity;
        reportJson(j, report);
        if (cv) {
            j["cross_validation"] = crossValidationJson(*cv);
        }
        std::cout << jsonText(j) << "\n";
        return;
    }

    if (format == Format::Csv) {
        if (cv) {
            crossValidationRowsTable(*cv).printCsv(std::cout);
            return;
        }
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
    if (cv) {
        printCrossValidation(*cv, o);
    } else {
        t.print(std::cout);
    }
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
    std::cout << "\n"
              << analysis::summaryLine(report.summary) << (cv ? crossValidationSummary(*cv) : "")
              << "\n";
}

void addMeasurementOptions(CLI::App* cmd, std::string& measurements, std::string& conditions) {
    cmd->add_option("--measurements,-m", measurements, "Measurements CSV")->required();
    cmd->add_option("--conditions", conditions,
                    "Measurement conditions (a name in configs/measurements/ or a .textproto "
                    "file; 'none'): the supply of rows without voltage_v, by their source "
                    "(default mlperf-tiny)");
}

void registerValidate(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<ValidateOptions>();
    auto* cmd =
        app.add_subcommand("validate", "Compare predictions with silicon measurements (CSV, "
                                       "DESIGN.md §3)");
    addMeasurementOptions(cmd, opts->measurements, opts->conditions);
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_option("--fidelity", opts->fidelity, "tlm | analytical")
        ->check(CLI::IsMember({"tlm", "analytical"}));
    cmd->add_option("--set", opts->set,
                    "Override a config field for every row: platform.PATH=VALUE or "
                    "stack.PATH=VALUE (as simulate --set); repeatable")
        ->take_all();
    cmd->add_option("--quantize", opts->quantize,
                    "Deploy every row's network in this precision (as simulate --quantize)");
    cmd->add_option("--cross-validate", opts->crossValidate,
                    "board | network: hold out each board (network) in turn, refit the "
                    "calibration set on the other rows and predict the held-out ones");
    cmd->add_option("--fold", opts->folds,
                    "With --cross-validate: only this fold (a board or network name); "
                    "repeatable");
    cmd->add_option("--parameters", opts->parameters,
                    "Calibration set refitted per fold: a name in configs/calibration/ or a "
                    ".textproto file (default mlperf-tiny)");
    cmd->add_option("--max-evaluations", opts->maxEvaluations, "Optimiser budget per fold")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--out", opts->out,
                    "Write /validation (and /validation_folds) to this "
                    "HDF5 file");
    cmd->add_flag("--strict", opts->strict,
                  "A row that cannot be predicted (an unknown platform, network or stack, a "
                  "clock the board cannot run, ...) is an error (exit 2) instead of a skipped "
                  "row");
    cmd->callback([opts, &global] { runValidate(*opts, global); });
}

} // namespace edgesim::app
