// The work of a sweep worker (a child process, an MPI rank, or the writer itself with one
// job): run the points of a task through a Session and pack their rows for the writer.
#pragma once

#include "explorer/session/Session.h"
#include "explorer/spec/sweep_wire.pb.h"
#include "explorer/sweep/SweepPlan.h"

namespace edgesim::explorer {

/// Cells to and from their wire form; `columns` gives each cell's kind. fromWire throws
/// std::runtime_error when the row does not have the columns' cells.
void toWire(const TableRow& row, wire::Row& out);
TableRow fromWire(const wire::Row& row, const std::vector<ColumnDef>& columns);
/// The same, taking the strings out of `row` instead of copying them.
TableRow fromWire(wire::Row&& row, const std::vector<ColumnDef>& columns);

class SweepWorker {
public:
    /// `layers`: also pack each point's /runs and /layers rows.
    SweepWorker(const SweepPlan& plan, Session& session, bool layers);

    /// Runs (or, for a verify task, only hashes) points [task.begin, task.end). A point that
    /// cannot run because of its combination of values is an `invalid` row; internal errors
    /// propagate.
    wire::Result run(const wire::Task& task);

private:
    wire::Point point(int64_t index, bool verify);
    const SweepPlan& plan_;
    Session& session_;
    bool layers_;
};

} // namespace edgesim::explorer
