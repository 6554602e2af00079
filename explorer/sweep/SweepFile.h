// The results file of a sweep (DESIGN.md §3): /sweep (one row per point, in point order), and
// with --layers /runs, /layers, /layer_memory and /energy, plus the study's provenance as root
// attributes. Rows are appended in batches; each batch is committed by copying the file,
// appending to the copy and renaming it over the file, so a run killed at any moment leaves a
// complete file holding every committed point (HDF5 1.10 has no journal: appending in place
// could leave a file that no longer opens). --resume reopens a file of the same study and
// continues it.
#pragma once

#include "explorer/results/ResultsFile.h"
#include "explorer/spec/sweep_wire.pb.h"

#include <string>
#include <vector>

namespace edgesim::explorer {

class SweepFile {
public:
    struct Layout {
        std::vector<ColumnDef> columns; ///< of /sweep
        bool layers = false;            ///< /runs, /layers, /layer_memory and /energy too
    };

    /// Creates `path` (through a temporary renamed into place) with `provenance` as root
    /// attributes and the empty tables.
    static SweepFile create(const std::string& path, const Provenance& provenance,
                            const Layout& layout);

    /// Reopens `path` to continue it. Throws InputError naming the file when it is not a sweep
    /// file, was written by another study (`studySha256`) or another edgesim version, with
    /// another --layers setting or other columns, or its rows are not points 0, 1, 2, ...
    /// `done` receives the config_sha256 of its rows (row i = point i), `inputsSha256` the
    /// file's inputs_sha256 attribute ("" when absent).
    static SweepFile resume(const std::string& path, const std::string& studySha256,
                            const std::string& version, const Layout& layout,
                            std::vector<std::string>& done, std::string& inputsSha256);

    /// Queues a finished point's rows (points must come in order); takes its strings.
    void add(wire::Point&& point);
    /// Points queued since the last commit.
    std::size_t pending() const { return pending_; }
    /// Appends the queued rows to the file (see the header comment); a no-op when none.
    void commit();
    /// Wall time the last commit took (its file copy grows with the file).
    double lastCommitSeconds() const { return lastCommitSeconds_; }
    const std::string& path() const { return path_; }

private:
    SweepFile(std::string path, Layout layout)
        : path_(std::move(path)), layout_(std::move(layout)) {}
    std::string path_;
    Layout layout_;
    std::vector<TableRow> sweep_;
    std::vector<TableRow> runs_;
    std::vector<TableRow> layers_;
    std::vector<TableRow> layerMemory_;
    std::vector<TableRow> energy_;
    std::size_t pending_ = 0;
    double lastCommitSeconds_ = 0;
};

} // namespace edgesim::explorer
