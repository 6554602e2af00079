#include "explorer/sweep/WorkerPool.h"

#include "common/Diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace edgesim::explorer {

namespace {

// ---- in-process ------------------------------------------------------------------------------

class InlinePool : public WorkerPool {
public:
    explicit InlinePool(WorkFunction work) : work_(std::move(work)) {}
    int size() const override { return 1; }
    void send(int, const wire::Task& task) override { queue_.push_back(task); }
    std::optional<std::pair<int, wire::Result>> receive(int) override {
        if (queue_.empty()) {
            return std::nullopt;
        }
        const wire::Task task = queue_.front();
        queue_.pop_front();
        return std::make_pair(0, runTask(work_, task));
    }
    void shutdown() override { queue_.clear(); }
    void kill() override { queue_.clear(); }

private:
    WorkFunction work_;
    std::deque<wire::Task> queue_;
};

// ---- forked processes ------------------------------------------------------------------------

/// Time a killed worker gets between SIGTERM and SIGKILL to stop what it started.
constexpr useconds_t kTermGraceUs = 50000;

/// Writes all of `data`; false when the other end is gone.
bool writeAll(int fd, const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

/// Reads exactly `n` bytes; false on end of file or error.
bool readAll(int fd, void* data, std::size_t n) {
    char* p = static_cast<char*>(data);
    while (n > 0) {
        const ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

/// A message on a pipe: its length (8 bytes, host order: both ends are this machine), then the
/// serialised protobuf.
bool writeMessage(int fd, const google::protobuf::Message& m) {
    std::string bytes;
    m.SerializeToString(&bytes);
    const uint64_t n = bytes.size();
    return writeAll(fd, &n, sizeof n) && writeAll(fd, bytes.data(), bytes.size());
}

bool readMessage(int fd, google::protobuf::Message& m) {
    uint64_t n = 0;
    if (!readAll(fd, &n, sizeof n)) {
        return false;
    }
    std::string bytes(n, '\0');
    return readAll(fd, bytes.data(), bytes.size()) && m.ParseFromString(bytes);
}

class ForkPool : public WorkerPool {
public:
    ForkPool(int n, const WorkFunction& work) {
        // A worker that died must show as a write error here, not kill the writer (restored
        // when the pool goes).
        oldSigpipe_ = std::signal(SIGPIPE, SIG_IGN);
        try {
            start(n, work);
        } catch (...) {
            kill(); // the workers started so far
            std::signal(SIGPIPE, oldSigpipe_);
            throw;
        }
    }
    ~ForkPool() override {
        shutdown();
        std::signal(SIGPIPE, oldSigpipe_);
    }

    void start(int n, const WorkFunction& work) {
        const pid_t parent = getpid();
        for (int w = 0; w < n; ++w) {
            int toChild[2] = {-1, -1};
            int toParent[2] = {-1, -1};
            const auto fail = [&](const std::string& what) {
                const int error = errno;
                for (int fd : {toChild[0], toChild[1], toParent[0], toParent[1]}) {
                    if (fd >= 0) {
                        close(fd);
                    }
                }
                throw std::runtime_error(
                    fmt::format("cannot {} for worker {}: {}", what, w, std::strerror(error)));
            };
            if (pipe(toChild) != 0 || pipe(toParent) != 0) {
                fail("create a pipe");
            }
            std::fflush(nullptr); // nothing buffered is written twice
            const pid_t pid = fork();
            if (pid < 0) {
                fail("start a process");
            }
            if (pid == 0) {
                close(toChild[1]);
                close(toParent[0]);
                for (const Child& c : children_) { // the other workers' pipes
                    close(c.taskFd);
                    close(c.resultFd);
                }
                serve(toChild[0], toParent[1], parent, work); // never returns
            }
            close(toChild[0]);
            close(toParent[1]);
            children_.push_back({pid, toChild[1], toParent[0], true});
        }
    }

    int size() const override { return static_cast<int>(children_.size()); }

    void send(int worker, const wire::Task& task) override {
        Child& c = children_.at(static_cast<std::size_t>(worker));
        if (!writeMessage(c.taskFd, task)) {
            throw std::runtime_error(died(worker));
        }
    }

    std::optional<std::pair<int, wire::Result>> receive(int timeoutMs) override {
        std::vector<pollfd> fds;
        for (const Child& c : children_) {
            fds.push_back({c.alive ? c.resultFd : -1, POLLIN, 0});
        }
        int ready = 0;
        do {
            ready = poll(fds.data(), fds.size(), timeoutMs);
        } while (ready < 0 && errno == EINTR && timeoutMs < 0);
        if (ready <= 0) {
            return std::nullopt;
        }
        for (std::size_t w = 0; w < fds.size(); ++w) {
            if (fds[w].revents == 0) {
                continue;
            }
            wire::Result result;
            if (!readMessage(children_[w].resultFd, result)) {
                throw std::runtime_error(died(static_cast<int>(w)));
            }
            return std::make_pair(static_cast<int>(w), std::move(result));
        }
        return std::nullopt;
    }

    void shutdown() override {
        for (Child& c : children_) {
            if (!c.alive) {
                continue;
            }
            wire::Task stop;
            stop.set_stop(true);
            writeMessage(c.taskFd, stop);
            close(c.taskFd);
            close(c.resultFd);
        }
        for (Child& c : children_) {
            if (c.alive) {
                int status = 0;
                waitpid(c.pid, &status, 0);
                c.alive = false;
            }
        }
    }

    void kill() override {
        // SIGTERM first: a worker running a NAS evaluator's command kills that command's
        // process group before it dies (impl/CommandEvaluator); then SIGKILL what is left.
        for (Child& c : children_) {
            if (c.alive) {
                ::kill(c.pid, SIGTERM);
            }
        }
        usleep(kTermGraceUs);
        for (Child& c : children_) {
            if (c.alive) {
                ::kill(c.pid, SIGKILL);
                close(c.taskFd);
                close(c.resultFd);
                int status = 0;
                waitpid(c.pid, &status, 0);
                c.alive = false;
            }
        }
    }

private:
    struct Child {
        pid_t pid;
        int taskFd;
        int resultFd;
        bool alive;
    };

    [[noreturn]] static void serve(int taskFd, int resultFd, pid_t parent,
                                   const WorkFunction& work) {
        // Die with the parent (a killed sweep leaves no orphans computing for nobody).
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(0);
        }
        int code = 0;
        wire::Task task;
        while (readMessage(taskFd, task) && !task.stop()) {
            const wire::Result result = runTask(work, task);
            code = failed(result) ? 1 : 0;
            if (!writeMessage(resultFd, result) || code != 0) {
                break;
            }
        }
        // _exit: no destructors or atexit handlers of the parent's objects run twice.
        _exit(code);
    }

    std::string died(int worker) {
        Child& c = children_.at(static_cast<std::size_t>(worker));
        int status = 0;
        std::string how = "exited";
        if (c.alive && waitpid(c.pid, &status, 0) == c.pid) {
            how = WIFSIGNALED(status) ? fmt::format("was killed by signal {}", WTERMSIG(status))
                                      : fmt::format("exited with code {}", WEXITSTATUS(status));
            c.alive = false;
            close(c.taskFd);
            close(c.resultFd);
        }
        return fmt::format("sweep worker {} (pid {}) {}", worker, c.pid, how);
    }

    std::vector<Child> children_;
    void (*oldSigpipe_)(int) = SIG_DFL;
};

} // namespace

wire::Result runTask(const WorkFunction& work, const wire::Task& task) {
    wire::Result failed;
    try {
        return work(task);
    } catch (const InputError& e) {
        for (const Diagnostic& d : e.diagnostics()) {
            wire::Diagnostic& w = *failed.add_diagnostics();
            w.set_file(d.file);
            w.set_line(d.line);
            w.set_column(d.column);
            w.set_field(d.field);
            w.set_reason(d.reason);
        }
        failed.set_error(e.what());
    } catch (const std::exception& e) {
        failed.set_error(e.what());
    }
    return failed;
}

bool failed(const wire::Result& result) {
    return !result.error().empty();
}

void rethrow(const wire::Result& result, int worker) {
    if (result.diagnostics_size() > 0) {
        std::vector<Diagnostic> all;
        for (const auto& w : result.diagnostics()) {
            all.push_back({w.file(), w.line(), w.column(), w.field(), w.reason()});
        }
        throw InputError(std::move(all));
    }
    throw std::runtime_error(fmt::format("sweep worker {}: {}", worker, result.error()));
}

std::unique_ptr<WorkerPool> inlineWorkers(WorkFunction work) {
    return std::make_unique<InlinePool>(std::move(work));
}

std::unique_ptr<WorkerPool> forkWorkers(int n, const WorkFunction& work) {
    return std::make_unique<ForkPool>(n, work);
}

bool launchedByMpirun() {
    return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr;
}

} // namespace edgesim::explorer

namespace edgesim::explorer {

int availableCores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        return std::max(1, CPU_COUNT(&set));
    }
    return 1;
}

RunWorkers mpiWorkersOrServe(const WorkFunction& work) {
    RunWorkers w;
    if (MpiRuntime::size() > 1 && MpiRuntime::rank() != 0) {
        serveMpiWorker(work);
        w.workerRank = true;
    } else if (MpiRuntime::size() > 1) {
        // Rank 0 of an MPI job: the workers wait for tasks; the pool stops them whatever
        // happens next.
        w.pool = mpiWorkers();
        w.backend = fmt::format("{} MPI ranks", MpiRuntime::size() - 1);
    }
    return w;
}

void localWorkers(RunWorkers& w, int jobs, int64_t maxUseful, const WorkFunction& work) {
    if (w.pool) {
        return;
    }
    const int n =
        static_cast<int>(std::min<int64_t>(jobs > 0 ? jobs : availableCores(), maxUseful));
    if (n <= 1) {
        w.pool = inlineWorkers(work);
        w.backend = "this process";
    } else {
        w.pool = forkWorkers(n, work);
        w.backend = fmt::format("{} worker processes", n);
    }
}

} // namespace edgesim::explorer
