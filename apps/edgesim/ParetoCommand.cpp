// `edgesim pareto FILE.h5 --x METRIC --y METRIC [--z METRIC] [--where column=value]...`: the
// non-dominated rows of /sweep (explorer/results/ParetoTable.h), printed and written to
// /pareto.
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "common/Diagnostics.h"
#include "explorer/results/ParetoTable.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <iostream>

namespace edgesim::app {

namespace {

struct ParetoOptions {
    std::string file;
    std::string x, y, z;
    std::vector<std::string> where;
    std::string dataset = "sweep";
    std::string format = "table";
    bool noWrite = false;
};

void run(const ParetoOptions& o) {
    const Format format = parseFormat(o.format);
    explorer::ParetoRequest request;
    request.dataset = o.dataset;
    request.where = o.where;
    request.objectives.push_back(explorer::parseObjective(o.x, "--x"));
    request.objectives.push_back(explorer::parseObjective(o.y, "--y"));
    if (!o.z.empty()) {
        request.objectives.push_back(explorer::parseObjective(o.z, "--z"));
    }
    for (std::size_t i = 1; i < request.objectives.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const auto& a = request.objectives[i];
            const auto& b = request.objectives[j];
            if (a.column == b.column && a.sense == b.sense) {
                throw InputError("<command line>", a.field,
                                 "'" + a.column + "' is already the objective " + b.field);
            }
        }
    }
    const explorer::ParetoFront front = explorer::paretoOfFile(o.file, request, !o.noWrite);
    if (!o.where.empty() && front.considered == 0) {
        std::cerr << "pareto: warning: no row of /" << o.dataset << " matches --where "
                  << fmt::format("{}", fmt::join(o.where, " --where ")) << "\n";
    }
    // Print the point's axes (the columns before its status and reason) and the objectives;
    // the file has every column.
    Table t;
    std::vector<std::size_t> shown;
    const int reason = front.rows.column("reason");
    for (std::size_t c = 0; c < front.rows.columns.size(); ++c) {
        const auto& col = front.rows.columns[c];
        const bool objective =
            std::any_of(request.objectives.begin(), request.objectives.end(),
                        [&](const explorer::Objective& ob) { return ob.column == col.name; });
        if (objective || reason < 0 || static_cast<int>(c) < reason) {
            shown.push_back(c);
            t.header.push_back(col.name);
        }
    }
    for (const auto& row : front.rows.rows) {
        std::vector<std::string> cells;
        for (std::size_t c : shown) {
            cells.push_back(explorer::cellText(row[c]));
        }
        t.rows.push_back(std::move(cells));
    }
    if (format == Format::Csv) {
        t.printCsv(std::cout);
        return;
    }
    if (format == Format::Json) {
        nlohmann::json j;
        j["file"] = o.file;
        j["considered"] = front.considered;
        j["with_nan"] = front.withNaN;
        j["front"] = nlohmann::json::array();
        for (const auto& row : front.rows.rows) {
            nlohmann::json r;
            for (std::size_t c = 0; c < front.rows.columns.size(); ++c) {
                std::visit([&](const auto& v) { r[front.rows.columns[c].name] = v; }, row[c]);
            }
            j["front"].push_back(r);
        }
        std::cout << jsonText(j) << "\n";
        return;
    }
    t.print(std::cout);
    std::cout << fmt::format("\npareto: {} of {} rows are non-dominated ({} with a NaN objective "
                             "left out){}\n",
                             front.rows.rows.size(), front.considered, front.withNaN,
                             o.noWrite ? "" : "; written to /pareto");
}

} // namespace

void registerPareto(CLI::App& app, GlobalOptions& /*global*/) {
    auto opts = std::make_shared<ParetoOptions>();
    auto* cmd = app.add_subcommand(
        "pareto", "Non-dominated rows of a sweep file (minimised; max:COLUMN to maximise)");
    cmd->add_option("file", opts->file, "HDF5 results file (from edgesim sweep)")->required();
    cmd->add_option("--x", opts->x, "First objective column, e.g. latency_s")->required();
    cmd->add_option("--y", opts->y, "Second objective column, e.g. energy_j")->required();
    cmd->add_option("--z", opts->z, "Third objective column");
    cmd->add_option("--where", opts->where,
                    "Keep rows whose column equals the value, e.g. status=ok; repeatable")
        ->take_all();
    cmd->add_option("--dataset", opts->dataset, "Table to read (default: sweep)");
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_flag("--no-write", opts->noWrite, "Only print; leave /pareto as it is");
    cmd->callback([opts] { run(*opts); });
}

} // namespace edgesim::app
