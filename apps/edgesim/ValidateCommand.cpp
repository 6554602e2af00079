// `edgesim validate --measurements FILE.csv`: predicts every measured row, prints predicted
// vs measured with the error, per-platform statistics (MAPE, median and max |error|, Kendall
// tau) and, last, the summary line of DESIGN.md §3. Rows naming something unknown, or that
// cannot run, are reported and skipped.
#include "analysis/Measurements.h"
#include "analysis/Validation.h"
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "apps/edgesim/Session.h"
#include "common/Hash.h"
#include "common/TextProto.h"
#include "common/Version.h"
#include "explorer/results/ResultsFile.h"

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
};

struct Row {
    const analysis::Measurement* m;
    double predictedRaw;  ///< in the unit the row was written in
    double errorPct;
};

std::string num(double v) {
    return std::isnan(v) ? "n/a" : fmt::format("{:.1f}", v);
}

} // namespace

void runValidate(const ValidateOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    const auto measurements = analysis::loadMeasurements(o.measurements);
    const sim::Fidelity fidelity =
        o.fidelity == "analytical" ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;
    Session session(g);

    std::vector<Row> rows;
    std::vector<std::pair<const analysis::Measurement*, std::string>> skipped;
    std::vector<analysis::Comparison> comparisons;
    for (const auto& m : measurements) {
        std::string why;
        const auto predicted = session.predict(m, fidelity, why);
        if (!predicted) {
            skipped.emplace_back(&m, why);
            continue;
        }
        const double raw = *predicted * (m.rawValue / m.value);
        rows.push_back({&m, raw, analysis::errorPct(*predicted, m.value)});
        comparisons.push_back(
            {m.platform, m.stack, m.network, analysis::toString(m.metric), m.value, *predicted});
    }
    const auto summary = analysis::summarize(comparisons);
    const std::string sha = sha256Hex(readFile(o.measurements));

    if (!o.out.empty()) {
        const nlohmann::json prov = provenance(g.commandLine, sha);
        const std::string tmp = o.out + ".tmp";
        {
            explorer::ResultsFile file(tmp, {versionString(),
                                             prov["created_utc"].get<std::string>(),
                                             g.commandLine, sha, 0});
            std::vector<explorer::ValidationRow> out;
            for (const auto& r : rows) {
                out.push_back({r.m->platform, r.m->stack, r.m->network, r.m->strategy,
                               analysis::toString(r.m->metric), r.m->unit, r.m->source,
                               r.m->rawValue, r.predictedRaw, r.errorPct});
            }
            file.appendValidation(out);
            file.flush();
        }
        explorer::commitTemporary(tmp, o.out);
    }

    if (format == Format::Json) {
        nlohmann::json j;
        j["provenance"] = provenance(g.commandLine, sha);
        j["fidelity"] = o.fidelity;
        j["rows"] = nlohmann::json::array();
        for (const auto& r : rows) {
            nlohmann::json row = {{"line", r.m->line},
                                  {"platform", r.m->platform},
                                  {"stack", r.m->stack},
                                  {"network", r.m->network},
                                  {"strategy", r.m->strategy},
                                  {"metric", analysis::toString(r.m->metric)},
                                  {"unit", r.m->unit},
                                  {"measured", r.m->rawValue},
                                  {"predicted", r.predictedRaw},
                                  {"error_pct", r.errorPct},
                                  {"source", r.m->source}};
            for (const auto& [k, v] : r.m->extra) {
                row["extra"][k] = v;
            }
            j["rows"].push_back(row);
        }
        j["skipped"] = nlohmann::json::array();
        for (const auto& [m, why] : skipped) {
            j["skipped"].push_back({{"line", m->line}, {"reason", why}});
        }
        auto group = [](const analysis::GroupSummary& s) {
            auto v = [](double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); };
            return nlohmann::json{{"platform", s.platform},     {"rows", s.rows},
                                  {"mape_pct", v(s.mapePct)},   {"median_abs_pct", v(s.medianAbsPct)},
                                  {"max_abs_pct", v(s.maxAbsPct)}, {"kendall_tau", v(s.kendallTau)}};
        };
        j["per_platform"] = nlohmann::json::array();
        for (const auto& s : summary.perPlatform) {
            j["per_platform"].push_back(group(s));
        }
        j["overall"] = group(summary.overall);
        j["summary"] = analysis::summaryLine(summary);
        std::cout << j.dump(2) << "\n";
        return;
    }

    Table t;
    t.header = {"line", "platform", "stack", "network", "metric", "measured", "predicted",
                "unit", "error_pct"};
    t.rightAlign = {true, false, false, false, false, true, true, false, true};
    for (const auto& r : rows) {
        t.rows.push_back({std::to_string(r.m->line), r.m->platform, r.m->stack, r.m->network,
                          analysis::toString(r.m->metric), fmt::format("{:.6g}", r.m->rawValue),
                          fmt::format("{:.6g}", r.predictedRaw), r.m->unit,
                          fmt::format("{:+.1f}", r.errorPct)});
    }
    if (format == Format::Csv) {
        t.printCsv(std::cout);
        return;
    }
    t.print(std::cout);
    for (const auto& [m, why] : skipped) {
        std::cout << fmt::format("skipped {}:{}: {}\n", o.measurements, m->line, why);
    }
    std::cout << "\n";
    Table s;
    s.header = {"platform", "rows", "mape_pct", "median_pct", "max_pct", "kendall_tau"};
    s.rightAlign = {false, true, true, true, true, true};
    for (const auto& p : summary.perPlatform) {
        s.rows.push_back({p.platform, std::to_string(p.rows), num(p.mapePct),
                          num(p.medianAbsPct), num(p.maxAbsPct),
                          std::isnan(p.kendallTau) ? "n/a" : fmt::format("{:.2f}", p.kendallTau)});
    }
    s.print(std::cout);
    std::cout << "\n" << analysis::summaryLine(summary) << "\n";
}

void registerValidate(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<ValidateOptions>();
    auto* cmd = app.add_subcommand("validate",
                                   "Compare predictions with silicon measurements (CSV, "
                                   "DESIGN.md §3)");
    cmd->add_option("--measurements,-m", opts->measurements, "Measurements CSV")->required();
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_option("--fidelity", opts->fidelity, "tlm | analytical")
        ->check(CLI::IsMember({"tlm", "analytical"}));
    cmd->add_option("--out", opts->out, "Write /validation to this HDF5 file");
    cmd->callback([opts, &global] { runValidate(*opts, global); });
}

} // namespace edgesim::app
