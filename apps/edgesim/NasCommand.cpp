// `edgesim nas --study FILE --out FILE.h5 [--resume] [--jobs N]`: flags for
// explorer::nas::runNas (explorer/nas/NasRunner.h), and the final front as a table.
#include "apps/edgesim/Commands.h"
#include "common/Diagnostics.h"
#include "explorer/nas/NasRunner.h"
#include "explorer/nas/NasTables.h"
#include "explorer/results/ResultsFile.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace edgesim::app {

namespace {

struct NasCliOptions {
    std::string study;
    explorer::nas::NasOptions nas;
};

std::string cell(const explorer::Cell& c) {
    if (const auto* s = std::get_if<std::string>(&c)) {
        return *s;
    }
    if (const auto* i = std::get_if<int64_t>(&c)) {
        return std::to_string(*i);
    }
    const double v = std::get<double>(c);
    return std::isnan(v) ? "-" : fmt::format("{:.4g}", v);
}

/// The front: id, genes, then each objective's and constraint's column.
void printFront(const explorer::nas::NasStudy& study, const std::string& out) {
    using explorer::nas::NasTables;
    std::vector<std::string> columns = {"id", "generation"};
    for (const auto& o : study.spec.objectives()) {
        columns.push_back(NasTables::key(o.metric(), o.target()));
    }
    for (const auto& k : study.spec.constraints()) {
        const std::string key = NasTables::key(k.metric(), k.target());
        if (std::find(columns.begin(), columns.end(), key) == columns.end()) {
            columns.push_back(key);
        }
    }
    columns.push_back("genes");
    columns.push_back("violation");
    std::vector<std::size_t> width;
    const auto print = [&](const explorer::TableRow& row, const std::string& label) {
        for (std::size_t c = 0; c + 2 < row.size(); ++c) {
            std::cout << fmt::format("{:>{}}", cell(row[c]), width[c]);
        }
        std::cout << "  " << cell(row[row.size() - 2]) << label << "\n";
    };
    const explorer::Table t = explorer::readTable(out, explorer::nas::kParetoTable, columns);
    std::cout << "Pareto front (" << t.rows.size() << " networks; all feasible):\n";
    for (std::size_t c = 0; c + 2 < columns.size(); ++c) {
        width.push_back(std::max<std::size_t>(columns[c].size() + 2, 10));
        std::cout << fmt::format("{:>{}}", columns[c], width[c]);
    }
    std::cout << "  genes\n";
    for (const auto& row : t.rows) {
        print(row, "");
    }
    // The seeds (the first individuals) to compare the front against.
    if (study.spec.seeds_size() > 0) {
        const explorer::Table p =
            explorer::readTable(out, explorer::nas::kPopulationTable, columns);
        const auto n = std::min(p.rows.size(), static_cast<std::size_t>(study.spec.seeds_size()));
        std::cout << "seeds:\n";
        for (std::size_t r = 0; r < n; ++r) {
            const double v = std::get<double>(p.rows[r].back());
            print(p.rows[r], "  [" + study.spec.seeds(static_cast<int>(r)).name() +
                                 (v > 0 ? fmt::format(", infeasible: violation {:.3g}", v) : "") +
                                 "]");
        }
    }
}

void run(const NasCliOptions& o, const GlobalOptions& g) {
    explorer::Session session{ConfigPaths(g.configDir)};
    const auto study = explorer::nas::loadNasStudy(o.study, session.paths());
    explorer::nas::NasOptions options = o.nas;
    options.commandLine = g.commandLine;
    const explorer::nas::NasSummary s = explorer::nas::runNas(study, session, options);
    if (s.workerRank) {
        return;
    }
    printFront(study, options.out);
    if (s.front > 0) {
        std::cout << "networks of the front: " << s.frontDir << "/<id>.textproto, .onnx, .json\n";
    }
    if (s.interrupted) {
        std::cerr << "edgesim: nas interrupted; --resume continues it\n";
        throw Interrupted{interruptingSignal()};
    }
}

} // namespace

void registerNas(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<NasCliOptions>();
    auto* cmd = app.add_subcommand(
        "nas", "Evolutionary NAS against the simulator (configs/studies/nas-*.textproto)");
    cmd->add_option("--study", opts->study, "Study name (configs/studies/) or .textproto path")
        ->required();
    cmd->add_option("--out", opts->nas.out,
                    "HDF5 results file (/nas/population, /nas/pareto, /nas/generations, "
                    "/nas/evaluations); the front's networks go to <out>.front/")
        ->required();
    cmd->add_flag("--resume", opts->nas.resume,
                  "Continue --out: the search replays, networks it holds are not evaluated again");
    cmd->add_flag("--overwrite", opts->nas.overwrite, "Replace an existing --out");
    cmd->add_option("--jobs,-j", opts->nas.jobs,
                    "Worker processes (default: one per core; 1 runs in this process). Under "
                    "mpirun the ranks are the workers")
        ->check(CLI::Range(0, 4096));
    cmd->add_option("--flush-seconds", opts->nas.flushSeconds,
                    "Commit finished evaluations to --out at least this often");
    cmd->add_flag("--quiet,-q", opts->nas.quiet, "No progress line on the terminal");
    cmd->callback([opts, &global] { run(*opts, global); });
}

} // namespace edgesim::app
