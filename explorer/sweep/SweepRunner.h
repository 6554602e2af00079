// `edgesim sweep` as a library call: expand a study (SweepPlan), run its points on worker
// processes (--jobs), on the ranks of an OpenMPI job (rank 0 writes) or in this process, and
// write them in point order to the sweep file in committed batches. The file's rows do not
// depend on the number of jobs or ranks, nor on the order points finish in (sim_wall_s, the
// host time of each simulation, is the one measured column).
#pragma once

#include "explorer/session/Session.h"
#include "explorer/sweep/Study.h"
#include "explorer/sweep/WorkerPool.h"

#include <cstdint>
#include <map>
#include <string>

namespace edgesim::explorer {

struct SweepOptions {
    std::string out;        ///< the HDF5 file
    bool resume = false;    ///< continue `out` (points it holds are checked, not rerun)
    bool overwrite = false; ///< replace an existing `out`
    int jobs = 0;           ///< worker processes; 0 = one per core; 1 = this process
    bool layers = false;    ///< also /runs and /layers
    /// Seconds between commits at least (more when a commit's file copy is slow: at most
    /// 1/20 of the run goes to commits).
    double flushSeconds = 2.0;
    std::string commandLine; ///< provenance
    /// No progress line while it runs (the summary line at the end is always printed);
    /// otherwise one is drawn when stderr is a terminal.
    bool quiet = false;
};

struct SweepSummary {
    int64_t points = 0;                      ///< in the study
    int64_t alreadyDone = 0;                 ///< found in a resumed file
    int64_t ran = 0;                         ///< this run
    std::map<std::string, int64_t> byStatus; ///< of the points run now
    int64_t skippedPairs = 0;                ///< platform/stack pairs the stacks do not target
    int workers = 0;
    std::string backend; ///< "this process", "N worker processes", "N MPI ranks"
    double seconds = 0;
    bool workerRank = false;  ///< this MPI rank only computed points (nothing to report)
    bool interrupted = false; ///< stopped by SIGINT/SIGTERM after committing what was done
};

/// Runs `study` (InputError, before any file is written, for a bad study, both `resume` and
/// `overwrite`, `flushSeconds` <= 0, an existing `out` without either, or a resume file of
/// another study; std::runtime_error when a
/// worker dies, with every committed point kept).
SweepSummary runSweep(const Study& study, Session& session, const SweepOptions& options);

} // namespace edgesim::explorer
