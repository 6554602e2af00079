// How a sweep's writer reaches its workers: in the same process (one job), worker processes
// forked on this machine (--jobs N, talking through pipes), or the other ranks of an OpenMPI
// job (rank 0 writes). The writer sends tasks and receives results; rows never depend on which
// worker ran them.
#pragma once

#include "explorer/spec/sweep_wire.pb.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace edgesim::explorer {

/// The number of cores this process may use.
int availableCores();

/// What a worker does with a task.
using WorkFunction = std::function<wire::Result(const wire::Task&)>;

/// `work(task)`, with an exception turned into the result's error (a worker reports what
/// stopped it to the writer instead of dying silently): an InputError as its diagnostics.
wire::Result runTask(const WorkFunction& work, const wire::Task& task);

/// Whether `result` says its worker stopped, and throws what stopped it: the InputError the
/// worker raised, or std::runtime_error naming `worker`.
bool failed(const wire::Result& result);
[[noreturn]] void rethrow(const wire::Result& result, int worker);

class WorkerPool {
public:
    virtual ~WorkerPool() = default;
    /// Number of workers.
    virtual int size() const = 0;
    /// Queues `task` on worker `worker` (0 .. size()-1).
    virtual void send(int worker, const wire::Task& task) = 0;
    /// The next result from any worker (its index and the result), waiting up to `timeoutMs`
    /// milliseconds (nullopt when none came). Throws std::runtime_error when a worker died.
    virtual std::optional<std::pair<int, wire::Result>> receive(int timeoutMs) = 0;
    /// Stops every worker once it has finished what it was sent (waiting for them where
    /// that is possible).
    virtual void shutdown() = 0;
    /// Stops every worker now, dropping what it was doing (an interrupted or failed sweep);
    /// never waits for long on a worker.
    virtual void kill() = 0;
};

/// One worker: the writer's own process runs each task (through runTask) when its result is
/// asked for.
std::unique_ptr<WorkerPool> inlineWorkers(WorkFunction work);

/// `n` child processes forked now, each running `work` on the tasks it receives (they inherit
/// everything the parent has loaded). A child dies with the parent (PR_SET_PDEATHSIG).
std::unique_ptr<WorkerPool> forkWorkers(int n, const WorkFunction& work);

/// Whether this process was started by mpirun (OpenMPI's environment).
bool launchedByMpirun();

/// MPI for the lifetime of the object: MPI_Init when launched by mpirun (else nothing),
/// MPI_Finalize at the end. Construct one early in main().
class MpiRuntime {
public:
    MpiRuntime(int* argc, char*** argv);
    ~MpiRuntime();
    MpiRuntime(const MpiRuntime&) = delete;
    MpiRuntime& operator=(const MpiRuntime&) = delete;
    /// This rank and the number of ranks (0 and 1 without MPI).
    static int rank();
    static int size();

private:
    bool active_ = false;
};

/// The workers of a run (a sweep, a NAS search) and how to name them in its summary.
struct RunWorkers {
    std::unique_ptr<WorkerPool> pool; ///< null until chosen (see below)
    std::string backend;              ///< "this process", "N worker processes", "N MPI ranks"
    bool workerRank = false;          ///< this MPI rank served as a worker; it is done
};
/// Under mpirun: on ranks 1.. serves `work` until rank 0 stops it (workerRank = true: the caller
/// returns), on rank 0 the other ranks as the pool. Otherwise no pool yet: the caller calls
/// localWorkers once it knows how much work there is.
RunWorkers mpiWorkersOrServe(const WorkFunction& work);
/// `workers.pool`, unless MPI gave one: `jobs` (0: one per core) worker processes, at most
/// `maxUseful`; this process alone for one.
void localWorkers(RunWorkers& workers, int jobs, int64_t maxUseful, const WorkFunction& work);

/// Rank 0's view of ranks 1 .. size-1 as workers (MPI active, size >= 2).
std::unique_ptr<WorkerPool> mpiWorkers();
/// A worker rank's loop: receive tasks from rank 0 and answer them until told to stop.
void serveMpiWorker(const WorkFunction& work);

} // namespace edgesim::explorer
