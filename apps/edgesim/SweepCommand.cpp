// `edgesim sweep --study FILE --out FILE.h5 [--resume] [--jobs N] [--layers]`: flags for
// explorer::runSweep (explorer/sweep/SweepRunner.h) and its summary.
#include "apps/edgesim/Commands.h"
#include "common/Diagnostics.h"
#include "explorer/sweep/SweepRunner.h"

#include <iostream>

namespace edgesim::app {

namespace {

struct SweepCliOptions {
    std::string study;
    explorer::SweepOptions sweep;
};

void run(const SweepCliOptions& o, const GlobalOptions& g) {
    explorer::Session session{ConfigPaths(g.configDir)};
    const explorer::Study study = explorer::loadStudy(o.study, session.paths());
    explorer::SweepOptions options = o.sweep;
    options.commandLine = g.commandLine;
    const explorer::SweepSummary s = explorer::runSweep(study, session, options);
    // The summary line on stderr is the library's (explorer::Progress).
    if (!s.workerRank && s.interrupted) {
        std::cerr << "edgesim: sweep interrupted; --resume continues it\n";
        throw Interrupted{interruptingSignal()};
    }
}

} // namespace

void registerSweep(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<SweepCliOptions>();
    auto* cmd = app.add_subcommand(
        "sweep", "Run a what-if study (configs/studies/*.textproto) into an HDF5 file");
    cmd->add_option("--study", opts->study, "Study name (configs/studies/) or .textproto path")
        ->required();
    cmd->add_option("--out", opts->sweep.out, "HDF5 results file (/sweep, /runs, /layers)")
        ->required();
    cmd->add_flag("--resume", opts->sweep.resume,
                  "Continue --out: points it holds are checked by hash, not run again");
    cmd->add_flag("--overwrite", opts->sweep.overwrite, "Replace an existing --out");
    cmd->add_option("--jobs,-j", opts->sweep.jobs,
                    "Worker processes (default: one per core; 1 runs in this process). Under "
                    "mpirun the ranks are the workers")
        ->check(CLI::Range(0, 4096));
    cmd->add_flag("--layers", opts->sweep.layers, "Also write /runs and /layers");
    cmd->add_option("--flush-seconds", opts->sweep.flushSeconds,
                    "Commit finished points to --out at least this often (more rarely when the "
                    "file is large: commits take at most 1/20 of the run)");
    cmd->add_flag("--quiet,-q", opts->sweep.quiet, "No progress line on the terminal");
    cmd->callback([opts, &global] { run(*opts, global); });
}

} // namespace edgesim::app
