// `edgesim dnas` as a library call: for each search of a study, the seed is simulated on the
// search's target (its costs, which fractional limits are of), the cost tables are measured
// (or read from the cache) and checked against whole-network simulation on a sample of
// networks, the libtorch plugin searches, and the exported network is simulated on the target:
// a limit counts as met only by that simulated value. The results file holds /dnas/epochs,
// /dnas/result and /dnas/cost_model; each search's rows are committed when it ends, so a
// killed run loses only the search it was in, and --resume skips the searches the file holds.
// The exported networks are written as <out>.dnas/<search>.textproto, .onnx and .json, and
// with layers split across two engines (ODiMO), the mapping as <search>.mapping.textproto;
// a fresh (not resumed) results file starts with an empty <out>.dnas.
#pragma once

#include "explorer/dnas/DnasSearch.h"
#include "explorer/dnas/DnasStudy.h"
#include "explorer/session/Session.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace edgesim::explorer::dnas {

inline constexpr const char* kEpochsTable = "dnas/epochs";
inline constexpr const char* kResultTable = "dnas/result";
inline constexpr const char* kCostModelTable = "dnas/cost_model";

struct SearchSummary;

struct DnasOptions {
    std::string out;         ///< the HDF5 file
    bool resume = false;     ///< continue `out`
    bool overwrite = false;  ///< replace an existing `out`
    std::string commandLine; ///< provenance
    bool quiet = false;      ///< no progress line
    /// Called with each search's summary as soon as it is done (or skipped), before the
    /// next starts (the progress line erased first), e.g. to print it.
    std::function<void(const SearchSummary&)> onSearch;
};

/// One row of /dnas/result: a cost of the exported network on the search's target.
struct ResultRow {
    std::string metric;
    double target = 0;        ///< NaN: no limit on this metric
    double seedSimulated = 0; ///< the seed's simulated value
    double predicted = 0;     ///< by the cost model
    double simulated = 0;     ///< of the exported network (NaN when it could not run)
    int met = -1;             ///< 1 met (simulated <= target), 0 not, -1 no limit
};

struct SearchSummary {
    std::string name, platform, stack;
    std::string status;  ///< of the exported network's simulation ("ok", "does_not_fit", ...)
    std::string skipped; ///< why the search did not run (already in a resumed file)
    std::vector<ResultRow> rows;
    double accuracy = 0, seedAccuracy = 0;
    std::vector<int64_t> channels, seedChannels;
    std::vector<int> weightBits; ///< per cost-model step
    std::string precisions;      ///< layers at another precision than the seed's ("pw1=4")
    std::string activations;     ///< layers whose outputs are at another precision ("pw1=4")
    std::string splits;          ///< split or moved layers ("conv1=aimc:48+digital:16"), ODiMO
    /// Layers at another variant than the seed's: taps x dilation ("tc4=3x8") or a choice
    /// block's alternative ("dw2=identity").
    std::string variants;
    std::string mapping; ///< the exported mapping file (ODiMO only)
    /// `edgesim simulate` re-running the exported network as it was simulated here.
    std::string resimulate;
    int limits = 0, limitsMet = 0; ///< by the simulated values
    /// What the user should know: a method with nothing to choose on this target, a limit no
    /// exportable network meets.
    std::vector<std::string> notes;
    /// Largest relative error of the cost model per metric over the checked networks.
    double maxError[kCostMetricCount] = {};
    int checkedNetworks = 0;
    int64_t tableQueries = 0;
    bool tablesCached = false;
    double tableSeconds = 0, searchSeconds = 0;
    std::string files; ///< path stem of the exported network's files
};

struct DnasSummary {
    std::vector<SearchSummary> searches;
    double seconds = 0;
    bool interrupted = false;
};

/// Runs `study` (InputError before any file is written for a bad study, options or target, an
/// existing `out` without --resume or --overwrite, or a file of another study to resume; a
/// missing dataset names training.data_dir).
DnasSummary runDnas(const DnasStudy& study, Session& session, const DnasOptions& options);

/// Where the exported networks go for results file `out`: "<out without .h5>.dnas".
std::string exportDirectory(const std::string& out);

} // namespace edgesim::explorer::dnas
