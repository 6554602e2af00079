// `edgesim nas` as a library call: an evolutionary search over a study's space, each
// candidate simulated on every target and scored by the accuracy evaluator, on worker
// processes (--jobs), on the ranks of an OpenMPI job (rank 0 writes) or in this process. The
// results file holds /nas/evaluations (committed as evaluations finish: a killed run loses
// none), /nas/population and /nas/generations (committed per generation), /nas/pareto and the
// front's networks as files. --resume replays the search from its seed, taking every network
// the file holds from it instead of evaluating it again, so a resumed run ends as an
// uninterrupted one would. Rows depend on the seed only (not on jobs or ranks), apart from the
// measured times.
#pragma once

#include "explorer/nas/NasStudy.h"
#include "explorer/session/Session.h"

#include <cstdint>
#include <string>

namespace edgesim::explorer::nas {

struct NasOptions {
    std::string out;           ///< the HDF5 file
    bool resume = false;       ///< continue `out`
    bool overwrite = false;    ///< replace an existing `out`
    int jobs = 0;              ///< worker processes; 0 = one per core; 1 = this process
    double flushSeconds = 2.0; ///< between commits of finished evaluations, at least
    std::string commandLine;   ///< provenance
    bool quiet = false;        ///< no progress line (the summary is always printed)
};

struct NasSummary {
    int64_t individuals = 0; ///< evaluated individuals (this run and, resumed, before)
    int64_t evaluated = 0;   ///< networks evaluated in this run
    int64_t fromFile = 0;    ///< networks a resumed file already held
    int64_t cached = 0;      ///< individuals whose network an earlier individual had
    int generations = 0;     ///< completed after the first population
    int64_t front = 0;       ///< individuals on the final Pareto front
    double hypervolume = 0;  ///< of the last population
    double seconds = 0;      ///< wall time of this run
    double simSeconds = 0;   ///< of simulations (this run)
    double trainSeconds = 0; ///< of accuracy evaluations (this run)
    int workers = 0;
    std::string backend;
    std::string frontDir; ///< where the front's networks were written
    bool workerRank = false;
    bool interrupted = false;
};

/// Runs `study` (InputError before any file is written for a bad study or options, an
/// existing `out` without --resume or --overwrite, or a file of another study to resume).
NasSummary runNas(const NasStudy& study, Session& session, const NasOptions& options);

/// Where the front's network files go for results file `out`: "<out without .h5>.front".
std::string frontDirectory(const std::string& out);

} // namespace edgesim::explorer::nas
