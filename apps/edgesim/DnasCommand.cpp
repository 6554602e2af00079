// `edgesim dnas --study FILE --out FILE.h5 [--resume]`: flags for explorer::dnas::runDnas
// (explorer/dnas/DnasRunner.h), and per search a table of its targets: the cost model's
// prediction, the simulated value and whether the simulated value meets the target.
#include "apps/edgesim/Commands.h"
#include "common/Diagnostics.h"
#include "explorer/dnas/DnasRunner.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace edgesim::app {

namespace {

struct DnasCliOptions {
    std::string study;
    explorer::dnas::DnasOptions dnas;
};

std::string value(double v, const std::string& metric) {
    if (std::isnan(v)) {
        return "-";
    }
    if (metric == "latency_s") {
        return v < 1e-3 ? fmt::format("{:.1f} us", v * 1e6) : fmt::format("{:.3f} ms", v * 1e3);
    }
    if (metric == "energy_j") {
        return v < 1e-3 ? fmt::format("{:.2f} uJ", v * 1e6) : fmt::format("{:.3f} mJ", v * 1e3);
    }
    return fmt::format("{:.0f} B", v);
}

void print(const explorer::dnas::SearchSummary& s) {
    if (!s.skipped.empty()) {
        std::cout << fmt::format("search {} ({}/{}): {}\n\n", s.name, s.platform, s.stack,
                                 s.skipped);
        return;
    }
    std::cout << fmt::format(
        "search {} ({}/{}): exported network {}, {} of {} limits met "
        "(simulated), accuracy {:.3f} (seed trained as long: {})\n",
        s.name, s.platform, s.stack, s.status, s.limitsMet, s.limits, s.accuracy,
        std::isnan(s.seedAccuracy) ? std::string("-") : fmt::format("{:.3f}", s.seedAccuracy));
    std::cout << fmt::format("  {:<15}{:>13}{:>13}{:>13}{:>13}{:>8}  {}\n", "metric", "seed",
                             "target", "predicted", "simulated", "error", "met");
    for (const auto& r : s.rows) {
        std::cout << fmt::format("  {:<15}{:>13}{:>13}{:>13}{:>13}{:>7.1f}%  {}\n", r.metric,
                                 value(r.seedSimulated, r.metric), value(r.target, r.metric),
                                 value(r.predicted, r.metric), value(r.simulated, r.metric),
                                 100 * std::abs(r.predicted - r.simulated) / std::abs(r.simulated),
                                 r.met < 0    ? "-"
                                 : r.met == 1 ? "yes"
                                              : "no");
    }
    std::string errors;
    for (int k = 0; k < explorer::dnas::kCostMetricCount; ++k) {
        errors += fmt::format("{}{} {:.1f}%", k == 0 ? "" : ", ", explorer::dnas::kCostMetrics[k],
                              100 * s.maxError[k]);
    }
    std::cout << fmt::format("  cost tables: {} ({} single-layer simulations, {:.2f} s); "
                             "largest error of the cost model on {} networks: {}\n",
                             s.tablesCached ? "from the cache" : "measured", s.tableQueries,
                             s.tableSeconds, s.checkedNetworks, errors);
    if (!s.activations.empty()) {
        std::cout << "  activations at other precisions than the seed's: " << s.activations << "\n";
    }
    if (!s.precisions.empty()) {
        std::cout << "  weights at other precisions than the seed's: " << s.precisions << "\n";
    }
    if (!s.variants.empty()) {
        std::cout << "  layers at other variants than the seed's (taps x dilation, or choice): "
                  << s.variants << "\n";
    }
    if (!s.mapping.empty()) {
        std::cout << "  layers split or moved across engines: "
                  << (s.splits.empty() ? "none" : s.splits) << "\n";
    }
    for (const auto& note : s.notes) {
        std::cout << "  note: " << note << "\n";
    }
    std::cout << fmt::format("  network: {}.textproto, .onnx, .json{}\n", s.files,
                             s.mapping.empty() ? "" : "; mapping: " + s.mapping);
    std::cout << "  re-run: " << s.resimulate << "\n\n" << std::flush;
}

void run(const DnasCliOptions& o, const GlobalOptions& g) {
    explorer::Session session{ConfigPaths(g.configDir)};
    const auto study = explorer::dnas::loadDnasStudy(o.study, session.paths());
    explorer::dnas::DnasOptions options = o.dnas;
    options.commandLine = g.commandLine;
    options.onSearch = print; // as each search ends: a killed run keeps what it printed
    const explorer::dnas::DnasSummary s = explorer::dnas::runDnas(study, session, options);
    if (s.interrupted) {
        std::cerr << "edgesim: dnas interrupted; --resume continues it\n";
        throw Interrupted{interruptingSignal()};
    }
}

} // namespace

void registerDnas(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<DnasCliOptions>();
    auto* cmd = app.add_subcommand(
        "dnas",
        "Differentiable NAS with costs from the simulator (configs/studies/dnas-*.textproto)");
    cmd->add_option("--study", opts->study, "Study name (configs/studies/) or .textproto path")
        ->required();
    cmd->add_option("--out", opts->dnas.out,
                    "HDF5 results file (/dnas/epochs, /dnas/result, /dnas/cost_model); the "
                    "exported networks go to <out>.dnas/ (<out> without .h5)")
        ->required();
    cmd->add_flag("--resume", opts->dnas.resume,
                  "Continue --out: searches it holds are not run again");
    cmd->add_flag("--overwrite", opts->dnas.overwrite, "Replace an existing --out");
    cmd->add_flag("--quiet,-q", opts->dnas.quiet, "No progress line on the terminal");
    cmd->callback([opts, &global] { run(*opts, global); });
}

} // namespace edgesim::app
