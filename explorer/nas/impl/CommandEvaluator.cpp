// The `command` accuracy evaluator: the user's own training. edgesim writes the candidate's
// files (network text format, JSON layer list) and runs the study's command with /bin/sh; the
// command trains and tests the network on the user's data and prints {"accuracy": x} as the
// last line of its standard output. A command that fails, times out or prints no accuracy
// gives the candidate the status accuracy_failed with the command's last words.
#include "explorer/nas/AccuracyEvaluator.h"

#include "common/Diagnostics.h"
#include "common/Registry.h"
#include "explorer/nas/Export.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace edgesim::explorer::nas {

namespace {

/// Default of CommandSpec.timeout_s: an hour of training per candidate.
constexpr double kDefaultTimeoutS = 3600;
/// Characters of the command's standard error quoted when it fails.
constexpr std::size_t kQuotedTail = 400;

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

std::string tail(const std::string& s) {
    std::string t = s.size() > kQuotedTail ? "..." + s.substr(s.size() - kQuotedTail) : s;
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) {
        t.pop_back();
    }
    return t;
}

/// Quotes `s` for /bin/sh.
std::string shellQuote(const std::string& s) {
    return "'" + replaceAll(s, "'", "'\\''") + "'";
}

/// The process group of the command running now (0: none): a signal that stops this process
/// (Ctrl-C, the SIGTERM a run's writer sends its workers) kills it first, so that no training
/// outlives the search. Signal handlers only read it and call kill(), both safe there.
std::atomic<pid_t> gGroup{0};
constexpr std::array<int, 3> kStopSignals = {SIGINT, SIGTERM, SIGHUP};
std::array<struct sigaction, 3> gPrevious{};

extern "C" void onStop(int sig) {
    const pid_t group = gGroup.load();
    if (group > 0) {
        kill(-group, SIGKILL);
    }
    for (std::size_t i = 0; i < kStopSignals.size(); ++i) {
        if (kStopSignals[i] != sig) {
            continue;
        }
        const struct sigaction& old = gPrevious[i];
        if ((old.sa_flags & SA_SIGINFO) == 0 && old.sa_handler == SIG_IGN) {
            return;
        }
        if ((old.sa_flags & SA_SIGINFO) == 0 && old.sa_handler == SIG_DFL) {
            sigaction(sig, &old, nullptr); // die of it, as without this handler
            raise(sig);
            return;
        }
        if ((old.sa_flags & SA_SIGINFO) == 0) {
            old.sa_handler(sig); // e.g. the run's SignalGuard: it commits and stops
        }
    }
}

/// The stop handlers for the lifetime of one command.
class StopGuard {
public:
    StopGuard() {
        struct sigaction sa {};
        sa.sa_handler = onStop;
        sigemptyset(&sa.sa_mask);
        for (std::size_t i = 0; i < kStopSignals.size(); ++i) {
            sigaction(kStopSignals[i], &sa, &gPrevious[i]);
        }
    }
    ~StopGuard() {
        gGroup = 0;
        for (std::size_t i = 0; i < kStopSignals.size(); ++i) {
            sigaction(kStopSignals[i], &gPrevious[i], nullptr);
        }
    }
    StopGuard(const StopGuard&) = delete;
    StopGuard& operator=(const StopGuard&) = delete;
};

struct Finished {
    int status = 0; ///< as waitpid gives it
    bool timedOut = false;
    std::string out, err;
};

/// Runs `command` with /bin/sh in its own process group, collecting its output, killing the
/// group after `timeoutS` seconds.
Finished runShell(const std::string& command, double timeoutS, const std::string& seed) {
    int outPipe[2];
    int errPipe[2];
    if (pipe(outPipe) != 0 || pipe(errPipe) != 0) {
        throw std::runtime_error(std::string("command evaluator: pipe: ") + std::strerror(errno));
    }
    const StopGuard stop;
    const pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("command evaluator: fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL); // the shell dies with the process that ran it
        dup2(outPipe[1], STDOUT_FILENO);
        dup2(errPipe[1], STDERR_FILENO);
        close(outPipe[0]);
        close(errPipe[0]);
        close(outPipe[1]);
        close(errPipe[1]);
        setenv("EDGESIM_SEED", seed.c_str(), 1);
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    setpgid(pid, pid); // also here: the group exists before a signal could name it
    gGroup = pid;
    close(outPipe[1]);
    close(errPipe[1]);
    Finished f;
    bool exited = false;
    const auto start = std::chrono::steady_clock::now();
    pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    int open = 2;
    char buf[4096];
    while (open > 0) {
        const double left =
            timeoutS -
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (left <= 0) {
            f.timedOut = true;
            kill(-pid, SIGKILL);
            break;
        }
        const int n = poll(fds, 2, exited ? 0 : static_cast<int>(std::min(left, 0.1) * 1000) + 1);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (exited && n == 0) {
            break; // the shell is gone and printed all it will; a background child of it
                   // may hold the pipes open, but its output is not the command's
        }
        if (!exited && waitpid(pid, &f.status, WNOHANG) == pid) {
            exited = true; // read what is left in the pipes, then stop
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP)) != 0) {
                const ssize_t got = read(fds[i].fd, buf, sizeof buf);
                if (got <= 0) {
                    close(fds[i].fd);
                    fds[i].fd = -1;
                    --open;
                } else {
                    (i == 0 ? f.out : f.err).append(buf, static_cast<std::size_t>(got));
                }
            }
        }
    }
    for (auto& p : fds) {
        if (p.fd >= 0) {
            close(p.fd);
        }
    }
    if (!exited) {
        while (waitpid(pid, &f.status, 0) < 0 && errno == EINTR) {
        }
    }
    kill(-pid, SIGKILL); // what the command left running in its group
    return f;
}

class CommandEvaluator final : public AccuracyEvaluator {
public:
    void configure(const spec::AccuracySpec& spec, const std::string& studyFile) override {
        if (spec.command().run().empty()) {
            throw InputError(studyFile, "accuracy.command.run",
                             "missing required field (the command that prints the accuracy)");
        }
        command_ = spec.command().run();
        timeoutS_ = spec.command().timeout_s() > 0 ? spec.command().timeout_s() : kDefaultTimeoutS;
    }

    AccuracyResult evaluate(const Candidate& candidate, uint64_t seed,
                            const std::string& dir) override {
        AccuracyResult r;
        const auto start = std::chrono::steady_clock::now();
        std::string base;
        try {
            base = writeCandidateFiles(candidate, dir, candidate.sha256.substr(0, 16));
        } catch (const std::exception& e) {
            r.error = e.what();
            return r;
        }
        std::string cmd = command_;
        cmd = replaceAll(cmd, "{textproto}", shellQuote(base + ".textproto"));
        cmd = replaceAll(cmd, "{json}", shellQuote(base + ".json"));
        cmd = replaceAll(cmd, "{onnx}", shellQuote(base + ".onnx"));
        cmd = replaceAll(cmd, "{dir}", shellQuote(dir));
        cmd = replaceAll(cmd, "{seed}", std::to_string(seed));
        const Finished f = runShell(cmd, timeoutS_, std::to_string(seed));
        std::error_code ec; // the candidate's files were the command's; they go with it
        for (const char* ext : {".textproto", ".json", ".onnx"}) {
            std::filesystem::remove(base + ext, ec);
        }
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (f.timedOut) {
            r.error = fmt::format("the command ran over its timeout of {:g} s", timeoutS_);
            return r;
        }
        if (!WIFEXITED(f.status) || WEXITSTATUS(f.status) != 0) {
            r.error = (WIFEXITED(f.status)
                           ? fmt::format("the command exited with status {}", WEXITSTATUS(f.status))
                           : fmt::format("the command died of signal {}", WTERMSIG(f.status))) +
                      (f.err.empty() ? "" : ": " + tail(f.err));
            return r;
        }
        const std::string trimmed = f.out.substr(0, f.out.find_last_not_of(" \t\r\n") + 1);
        // The last line; else the last JSON object printed over several lines (a pretty
        // printer's), from the last line that opens with '{'.
        const std::size_t nl = trimmed.rfind('\n');
        const std::string last = trimmed.substr(nl == std::string::npos ? 0 : nl + 1);
        auto j = nlohmann::json::parse(last, nullptr, false);
        if (j.is_discarded()) {
            const std::size_t open = trimmed.rfind("\n{");
            j = nlohmann::json::parse(
                open == std::string::npos ? trimmed : trimmed.substr(open + 1), nullptr, false);
        }
        if (j.is_discarded() || !j.is_object() || !j.contains("accuracy") ||
            !j["accuracy"].is_number()) {
            r.error = "the command's last line of output is not {\"accuracy\": <number>}: '" +
                      tail(last) + "'";
            return r;
        }
        const double a = j["accuracy"].get<double>();
        if (!(a >= 0 && a <= 1)) {
            r.error = fmt::format("accuracy {:g} is not a fraction in [0, 1]", a);
            return r;
        }
        r.accuracy = a;
        return r;
    }

private:
    std::string command_;
    double timeoutS_ = kDefaultTimeoutS;
};

const bool registered = Registry<AccuracyEvaluator>::instance().add(
    "command", [] { return std::make_unique<CommandEvaluator>(); });

} // namespace

} // namespace edgesim::explorer::nas
