// The MPI side of WorkerPool.h: rank 0 sends tasks to ranks 1 .. n-1 and receives their
// results; without MPI in the build, the same functions say so.
#include "explorer/sweep/WorkerPool.h"

#include <stdexcept>
#include <string>

#ifdef EDGESIM_WITH_MPI
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>
#endif

namespace edgesim::explorer {

#ifdef EDGESIM_WITH_MPI

namespace {

constexpr int kTaskTag = 1;
constexpr int kResultTag = 2;

void sendBytes(const google::protobuf::Message& m, int rank, int tag) {
    std::string bytes;
    m.SerializeToString(&bytes);
    MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, rank, tag, MPI_COMM_WORLD);
}

/// Receives the message that MPI_Probe/Iprobe found (`status`).
std::string receiveBytes(const MPI_Status& probed) {
    int count = 0;
    MPI_Get_count(&probed, MPI_BYTE, &count);
    std::string bytes(static_cast<std::size_t>(count), '\0');
    MPI_Status status;
    MPI_Recv(bytes.data(), count, MPI_BYTE, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD,
             &status);
    return bytes;
}

class MpiPool : public WorkerPool {
public:
    MpiPool() {
        MPI_Comm_size(MPI_COMM_WORLD, &ranks_);
        owed_.assign(static_cast<std::size_t>(ranks_), 0);
    }
    ~MpiPool() override { shutdown(); }
    int size() const override { return ranks_ - 1; }
    void send(int worker, const wire::Task& task) override {
        sendBytes(task, worker + 1, kTaskTag);
        ++owed_[static_cast<std::size_t>(worker + 1)];
    }
    std::optional<std::pair<int, wire::Result>> receive(int timeoutMs) override {
        // Poll with short sleeps rather than a blocking receive: OpenMPI's blocking calls spin,
        // and the writer must leave the cores to the workers.
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        for (;;) {
            int flag = 0;
            MPI_Status status;
            MPI_Iprobe(MPI_ANY_SOURCE, kResultTag, MPI_COMM_WORLD, &flag, &status);
            if (flag != 0) {
                wire::Result result;
                const bool parsed = result.ParseFromString(receiveBytes(status));
                // A rank that failed answers nothing more.
                auto& owed = owed_[static_cast<std::size_t>(status.MPI_SOURCE)];
                owed = parsed && !failed(result) ? owed - 1 : 0;
                if (!parsed) {
                    throw std::runtime_error("a malformed result from MPI rank " +
                                             std::to_string(status.MPI_SOURCE));
                }
                return std::make_pair(status.MPI_SOURCE - 1, std::move(result));
            }
            if (timeoutMs >= 0 && std::chrono::steady_clock::now() >= deadline) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    void shutdown() override {
        if (stopped_) {
            return;
        }
        stopped_ = true;
        wire::Task stop;
        stop.set_stop(true);
        for (int r = 1; r < ranks_; ++r) {
            sendBytes(stop, r, kTaskTag);
        }
        // Take the results still owed (a failed or interrupted sweep stops with tasks out):
        // a rank blocked sending a large one would otherwise never reach MPI_Finalize. Tasks
        // last a fraction of a second; a rank silent for long is left to mpirun.
        const auto deadline = std::chrono::steady_clock::now() + kDrainLimit;
        while (std::any_of(owed_.begin(), owed_.end(), [](int n) { return n > 0; }) &&
               std::chrono::steady_clock::now() < deadline) {
            try {
                receive(100);
            } catch (const std::runtime_error&) { // a malformed result: dropped all the same
            }
        }
    }
    void kill() override { shutdown(); }

private:
    static constexpr std::chrono::seconds kDrainLimit{30};
    int ranks_ = 1;
    bool stopped_ = false;
    std::vector<int> owed_; ///< results each rank still owes (index: rank)
};

} // namespace

MpiRuntime::MpiRuntime(int* argc, char*** argv) {
    if (launchedByMpirun()) {
        MPI_Init(argc, argv);
        active_ = true;
    }
}

MpiRuntime::~MpiRuntime() {
    if (active_) {
        MPI_Finalize();
    }
}

int MpiRuntime::rank() {
    int init = 0;
    MPI_Initialized(&init);
    int r = 0;
    if (init != 0) {
        MPI_Comm_rank(MPI_COMM_WORLD, &r);
    }
    return r;
}

int MpiRuntime::size() {
    int init = 0;
    MPI_Initialized(&init);
    int n = 1;
    if (init != 0) {
        MPI_Comm_size(MPI_COMM_WORLD, &n);
    }
    return n;
}

std::unique_ptr<WorkerPool> mpiWorkers() {
    return std::make_unique<MpiPool>();
}

void serveMpiWorker(const WorkFunction& work) {
    for (;;) {
        MPI_Status status;
        MPI_Probe(0, kTaskTag, MPI_COMM_WORLD, &status);
        wire::Task task;
        if (!task.ParseFromString(receiveBytes(status))) {
            wire::Result malformed;
            malformed.set_error("a malformed task from rank 0");
            sendBytes(malformed, 0, kResultTag);
            return;
        }
        if (task.stop()) {
            return;
        }
        const wire::Result result = runTask(work, task);
        sendBytes(result, 0, kResultTag);
        if (failed(result)) {
            return;
        }
    }
}

#else

MpiRuntime::MpiRuntime(int*, char***) {}
MpiRuntime::~MpiRuntime() = default;
int MpiRuntime::rank() {
    return 0;
}
int MpiRuntime::size() {
    return 1;
}
std::unique_ptr<WorkerPool> mpiWorkers() {
    throw std::runtime_error("this edgesim was built without MPI (install libopenmpi-dev)");
}

void serveMpiWorker(const WorkFunction&) {
    throw std::runtime_error("this edgesim was built without MPI (install libopenmpi-dev)");
}

#endif

} // namespace edgesim::explorer
