#include "explorer/sweep/SweepRunner.h"

#include "common/Diagnostics.h"
#include "common/Version.h"
#include "explorer/Progress.h"
#include "explorer/Signals.h"
#include "explorer/results/Provenance.h"
#include "explorer/results/WriterLock.h"
#include "explorer/sweep/SweepFile.h"
#include "explorer/sweep/SweepPlan.h"
#include "explorer/sweep/SweepWorker.h"
#include "explorer/sweep/WorkerPool.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <sched.h>

namespace edgesim::explorer {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Points per verify task (hashing only: cheap).
constexpr int64_t kVerifyChunk = 512;
/// Target host time of one run task: long enough that messages cost nothing, short enough
/// to balance the workers and to finish soon after a signal.
constexpr double kTaskSeconds = 0.05;
constexpr int64_t kMaxChunk = 512;
/// Tasks queued per worker, so it never waits for the next one.
constexpr int kInFlight = 2;
/// Rows that make a commit due before --flush-seconds: the writer appends while the workers
/// run instead of all at the end.
constexpr std::size_t kCommitRows = 4096;

/// The status of a finished point: the `index`-th text cell of its /sweep row.
std::string statusOf(const wire::Point& p, int index) {
    return index >= 0 && index < p.sweep().texts_size() ? p.sweep().texts(index) : "";
}

} // namespace

SweepSummary runSweep(const Study& study, Session& session, const SweepOptions& options) {
    checkRunOptions(options.resume, options.overwrite, options.flushSeconds);
    const auto start = Clock::now();
    const SweepPlan plan(study, session);
    SweepSummary summary;
    summary.points = plan.size();
    summary.skippedPairs = static_cast<int64_t>(plan.skippedPairs().size());
    SweepWorker worker(plan, session, options.layers);
    const WorkFunction work = [&worker](const wire::Task& t) { return worker.run(t); };

    RunWorkers workers = mpiWorkersOrServe(work);
    if (workers.workerRank) {
        summary.workerRank = true;
        return summary;
    }

    // The output file: checked, locked against other writers (another sweep, pareto), created
    // or reopened before anything runs.
    checkOutputPaths({{options.out, "--out"}}, {{study.file, "--study"}});
    const WriterLock lock(options.out, "--out");
    const bool exists = existingOutput(options.out, options.resume, options.overwrite);
    SweepFile::Layout layout{plan.columns(), options.layers};
    std::vector<std::string> done;
    std::optional<SweepFile> file;
    const std::string inputs = plan.inputsSha256(session);
    std::string fileInputs;
    if (exists && options.resume) {
        file.emplace(SweepFile::resume(options.out, study.sha256, versionString(), layout, done,
                                       fileInputs));
    } else {
        Provenance p = makeProvenance(options.commandLine, study.sha256, study.spec.seed());
        p.extra = {{"study_name", study.spec.name()},
                   {"study_file", study.file},
                   {"study_sha256", study.sha256},
                   {"sampler", plan.samplerName()},
                   {"fidelity", study.spec.fidelity() == spec::ANALYTICAL ? "analytical" : "tlm"},
                   {"points", std::to_string(plan.size())},
                   {"layers", options.layers ? "1" : "0"},
                   {"inputs_sha256", inputs}};
        file.emplace(SweepFile::create(options.out, p, layout));
    }
    const int64_t n = plan.size();
    const auto k = static_cast<int64_t>(done.size());
    summary.alreadyDone = k;
    if (k > n) {
        throw InputError(options.out, "--resume",
                         fmt::format("holds {} points, the study has {}", k, n));
    }

    // Points to hash again or to run: no more worker processes than that.
    const int64_t toDo = (fileInputs == inputs ? 0 : k) + (n - k);
    localWorkers(workers, options.jobs, toDo, work);
    const std::unique_ptr<WorkerPool>& pool = workers.pool;
    summary.backend = workers.backend;
    summary.workers = pool->size();

    const SignalGuard signals;
    Progress progress("sweep", "points", n, stderr, !options.quiet && isatty(fileno(stderr)) != 0);
    const int statusText = [&] { // among the text cells of a row
        int texts = 0;
        for (const auto& c : plan.columns()) {
            if (c.name == "status") {
                return texts;
            }
            texts += c.kind == ColumnKind::String ? 1 : 0;
        }
        return -1;
    }();

    // Points a resumed file holds are re-hashed only when some config, network or mapping file
    // changed since it was written (then any point whose inputs changed stops the run).
    int64_t nextVerify = fileInputs == inputs ? k : 0;
    int64_t nextRun = k;
    int64_t written = nextVerify; // points below are in the file already
    int64_t notOk = 0;
    double secondsPerPoint = 0; // measured; 0 until the first run task returns
    std::map<int64_t, wire::Point> ready;
    std::vector<int> inFlight(static_cast<std::size_t>(pool->size()), 0);
    std::vector<Clock::time_point> sentAt(static_cast<std::size_t>(pool->size()));
    auto lastCommit = Clock::now();

    const auto fill = [&] {
        for (int w = 0; w < pool->size(); ++w) {
            auto& busy = inFlight[static_cast<std::size_t>(w)];
            while (busy < kInFlight && (nextVerify < k || nextRun < n)) {
                wire::Task t;
                if (nextVerify < k) {
                    t.set_begin(nextVerify);
                    t.set_end(std::min(k, nextVerify + kVerifyChunk));
                    t.set_verify(true);
                    nextVerify = t.end();
                } else {
                    const int64_t left = n - nextRun;
                    int64_t chunk = secondsPerPoint > 0
                                        ? static_cast<int64_t>(kTaskSeconds / secondsPerPoint)
                                        : 1;
                    chunk = std::clamp<int64_t>(chunk, 1, kMaxChunk);
                    chunk = std::min(chunk, std::max<int64_t>(1, left / (2 * pool->size())));
                    t.set_begin(nextRun);
                    t.set_end(nextRun + chunk);
                    nextRun = t.end();
                }
                pool->send(w, t);
                if (busy == 0) {
                    sentAt[static_cast<std::size_t>(w)] = Clock::now();
                }
                ++busy;
            }
        }
    };

    try {
        while (written < n) {
            if (SignalGuard::received() != 0) {
                summary.interrupted = true;
                break;
            }
            fill();
            std::optional<std::pair<int, wire::Result>> got;
            try {
                got = pool->receive(250);
            } catch (const std::runtime_error&) {
                if (SignalGuard::received() != 0) { // workers died of the same Ctrl-C
                    summary.interrupted = true;
                    break;
                }
                throw;
            }
            if (got) {
                auto& [w, result] = *got;
                if (failed(result)) {
                    rethrow(result, w);
                }
                const auto now = Clock::now();
                auto& busy = inFlight[static_cast<std::size_t>(w)];
                --busy;
                const bool verified = result.points_size() > 0 && result.points(0).index() < k;
                if (!verified && result.points_size() > 0) {
                    // Time per point from this worker's last task (tasks run back to back).
                    const double s =
                        std::chrono::duration<double>(now - sentAt[static_cast<std::size_t>(w)])
                            .count() /
                        result.points_size();
                    secondsPerPoint = secondsPerPoint > 0 ? 0.7 * secondsPerPoint + 0.3 * s : s;
                }
                sentAt[static_cast<std::size_t>(w)] = now;
                for (auto& p : *result.mutable_points()) {
                    const int64_t index = p.index();
                    ready.emplace(index, std::move(p));
                }
            }
            for (auto it = ready.find(written); it != ready.end(); it = ready.find(written)) {
                wire::Point& p = it->second;
                if (written < k) {
                    if (p.config_sha256() != done[static_cast<std::size_t>(written)]) {
                        throw InputError(
                            options.out, "--resume",
                            fmt::format("point {} ({}) has other inputs than when it was "
                                        "written (config_sha256 {} in the file, {} now): a "
                                        "config or network changed; --overwrite to start again",
                                        written, plan.query(written).platform,
                                        done[static_cast<std::size_t>(written)].substr(0, 12),
                                        p.config_sha256().substr(0, 12)));
                    }
                } else {
                    const bool failed = p.failed();
                    ++summary.byStatus[statusOf(p, statusText)];
                    file->add(std::move(p));
                    ++summary.ran;
                    notOk += failed ? 1 : 0;
                }
                ready.erase(it);
                ++written;
            }
            const double sinceCommit =
                std::chrono::duration<double>(Clock::now() - lastCommit).count();
            if (file->pending() > 0 && sinceCommit >= 20 * file->lastCommitSeconds() &&
                (sinceCommit >= options.flushSeconds || file->pending() >= kCommitRows)) {
                file->commit();
                lastCommit = Clock::now();
            }
            progress.update(summary.ran, notOk, std::min(written, k));
        }
    } catch (...) {
        // Keep what finished (in order) before the error; stop the workers.
        if (written > k) {
            try {
                file->commit();
            } catch (...) {
            }
        }
        pool->kill();
        throw;
    }
    file->commit();
    if (summary.interrupted) {
        pool->kill();
    } else {
        pool->shutdown();
    }
    summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::string statuses;
    for (const auto& [status, count] : summary.byStatus) {
        statuses += fmt::format("{}{} {}", statuses.empty() ? "" : ", ", count, status);
    }
    progress.update(summary.ran, notOk, k);
    progress.finish(fmt::format(
        "{} on {}{}; {}{}", statuses.empty() ? "nothing to run" : statuses, summary.backend,
        summary.skippedPairs > 0
            ? fmt::format(", {} platform/stack pair{} skipped", summary.skippedPairs,
                          summary.skippedPairs == 1 ? "" : "s")
            : "",
        options.out, summary.interrupted ? " (interrupted)" : ""));
    return summary;
}

} // namespace edgesim::explorer
