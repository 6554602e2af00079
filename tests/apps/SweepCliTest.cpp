// The explorer subcommands (`sweep`, `pareto`) and `simulate --set` of the edgesim binary as a
// user runs them: a sweep killed at any moment and resumed holds every point once with the
// values of an uninterrupted run; worker processes and MPI ranks write the same rows; bad
// studies exit 2 leaving no file; the file reads back with h5py and pandas; the Pareto front
// is the brute-force non-dominated set. Studies used here live in tests/apps/data/.
#include "explorer/results/ResultsFile.h"

#include "tests/util/CliRun.h"
#include "tests/util/TableCompare.h"
#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>
// GCC 12 at -O2 reports a null dereference inside nlohmann::json's string conversion as
// inlined here (a false positive in the library header); keep our own warnings on.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <nlohmann/json.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace ex = edgesim::explorer;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using edgesim::test::BadInput;
using edgesim::test::CliRun;
using edgesim::test::expectBadInputs;
using edgesim::test::mpirun;
using edgesim::test::onPath;
using edgesim::test::runShell;
using edgesim::test::TempDir;

CliRun run(const std::string& args) {
    return edgesim::test::runCli(args);
}

const std::string kData = EDGESIM_TEST_DIR "/apps/data/";
/// nucleo-l4r5zi, 81 points (3 stacks x 3 operating points x 3 SRAM3 sizes x 3 networks),
/// analytical; htvm skipped. 48 ok and 33 does_not_fit: per operating point, of the 9
/// stack x network pairs all fit 384 KiB, 3 (ResNet-8) do not fit 32 KiB and 8 do not fit
/// 8 KiB (only X-CUBE-AI's autoencoder does): 3 x (0 + 3 + 8) = 33.
const std::string kMcuStudy = kData + "sweep-mcu.textproto";
constexpr int64_t kMcuPoints = 81;
/// gap9-evk, Latin hypercube of 120 points, analytical; some does_not_fit (small L2).
const std::string kGap9Study = kData + "sweep-gap9.textproto";
constexpr int64_t kGap9Points = 120;
/// gap9-evk, Latin hypercube of 4000 points at TLM: runs for seconds.
const std::string kKillStudy = kData + "sweep-kill.textproto";
constexpr int64_t kKillPoints = 4000;
const std::string kChecker = kData + "check_results_h5.py";

/// `s` in single quotes for /bin/sh (override paths hold brackets, which the shell globs).
std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

/// The edgesim binary started in the background (stdout to /dev/null, stderr to a file), to
/// be killed while it runs. Killed and reaped at the end of its scope if still running.
class Background {
public:
    Background(const std::vector<std::string>& args, const std::string& errFile) {
        std::vector<std::string> all = {EDGESIM_BINARY};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
            pid_ = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
    }
    ~Background() {
        if (running()) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, &status_, 0);
        }
    }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    bool started() const { return pid_ > 0; }
    /// Whether it is still running (reaps it when it has ended).
    bool running() {
        if (pid_ <= 0 || done_) {
            return false;
        }
        if (waitpid(pid_, &status_, WNOHANG) == pid_) {
            done_ = true;
        }
        return !done_;
    }
    /// Sends `sig` if it still runs and waits for it to end; its wait status.
    int stop(int sig) {
        if (running()) {
            ::kill(pid_, sig);
            waitpid(pid_, &status_, 0);
            done_ = true;
        }
        return status_;
    }
    int status() const { return status_; }
    int pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    bool done_ = false;
    int status_ = 0;
};

/// Pids of live processes (other than this one) whose command line mentions `text`.
std::vector<int> processesMentioning(const std::string& text) {
    std::vector<int> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(name) == getpid()) {
            continue;
        }
        std::string cmdline = edgesim::test::readFileBytes(entry.path().string() + "/cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (cmdline.find(text) != std::string::npos) {
            found.push_back(std::stoi(name));
        }
    }
    return found;
}

/// Rows of /sweep in `path` now, or -1 when the file does not exist or does not open.
int64_t committedRows(const std::string& path) {
    if (!fs::exists(path)) {
        return -1;
    }
    try {
        return ex::countRows(path, "sweep");
    } catch (const std::exception&) {
        return -1;
    }
}

bool sameCell(const ex::Cell& a, const ex::Cell& b) {
    if (a.index() != b.index()) {
        return false;
    }
    if (const auto* x = std::get_if<double>(&a)) {
        const double y = std::get<double>(b);
        return (std::isnan(*x) && std::isnan(y)) || *x == y;
    }
    return a == b;
}

std::string cellText(const ex::Cell& c) {
    if (const auto* i = std::get_if<int64_t>(&c)) {
        return std::to_string(*i);
    }
    if (const auto* d = std::get_if<double>(&c)) {
        std::ostringstream s;
        s.precision(17);
        s << *d;
        return s.str();
    }
    return "'" + std::get<std::string>(c) + "'";
}

/// `got`'s first `rows` rows equal `want`'s in every column but `ignore` (NaN equal to NaN),
/// with the same columns (names, kinds, units).
::testing::AssertionResult sameRows(const ex::Table& got, const ex::Table& want, std::size_t rows,
                                    const std::set<std::string>& ignore = {"sim_wall_s"}) {
    if (got.columns != want.columns) {
        return ::testing::AssertionFailure() << "the columns differ";
    }
    if (got.rows.size() < rows || want.rows.size() < rows) {
        return ::testing::AssertionFailure()
               << "fewer than " << rows << " rows: " << got.rows.size() << " and "
               << want.rows.size();
    }
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < got.columns.size(); ++c) {
            if (ignore.count(got.columns[c].name) == 0 &&
                !sameCell(got.rows[r][c], want.rows[r][c])) {
                return ::testing::AssertionFailure()
                       << "row " << r << " column " << got.columns[c].name << ": "
                       << cellText(got.rows[r][c]) << " vs " << cellText(want.rows[r][c]);
            }
        }
    }
    return ::testing::AssertionSuccess();
}

std::vector<int64_t> intColumn(const ex::Table& t, const std::string& name) {
    std::vector<int64_t> out;
    const int c = t.column(name);
    for (const auto& row : t.rows) {
        out.push_back(c < 0 ? -1 : std::get<int64_t>(row[static_cast<std::size_t>(c)]));
    }
    return out;
}

std::vector<int64_t> iota(int64_t n) {
    std::vector<int64_t> v(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        v[static_cast<std::size_t>(i)] = i;
    }
    return v;
}

/// After a kill: the file opens, and holds points 0..k-1 with the reference's values.
void expectPrefixOfReference(const std::string& path, const ex::Table& reference, int64_t& rows) {
    ex::Table t;
    ASSERT_NO_THROW(t = ex::readTable(path, "sweep")) << path << " does not open after a kill";
    rows = static_cast<int64_t>(t.rows.size());
    EXPECT_EQ(intColumn(t, "point_index"), iota(rows));
    EXPECT_TRUE(sameRows(t, reference, t.rows.size()));
}

/// Waits until no process mentions `path` (a killed sweep's workers die with it).
::testing::AssertionResult noProcessLeft(const std::string& path) {
    const auto deadline = Clock::now() + 5s;
    std::vector<int> left = processesMentioning(path);
    while (!left.empty() && Clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
        left = processesMentioning(path);
    }
    if (left.empty()) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << left.size() << " process(es) still running for " << path
                                         << ", e.g. pid " << left.front();
}

std::string sweepArgs(const std::string& study, const std::string& out,
                      const std::string& extra = "") {
    return "sweep --study " + study + " --out " + out + (extra.empty() ? "" : " " + extra);
}

// ------------------------------------------------------------------------------ kill / resume

TEST(SweepCli, KilledAtAnyMomentAndResumedHoldsEveryPointOnce) {
    TempDir dir;
    const std::string errFile = dir.file("stderr.txt");
    // The reference: the same study, uninterrupted.
    const std::string ref = dir.file("reference.h5");
    const CliRun full = run(sweepArgs(kKillStudy, ref, "--jobs 2 -q"));
    ASSERT_EQ(full.code, 0) << full.err;
    const ex::Table reference = ex::readTable(ref, "sweep");
    ASSERT_EQ(static_cast<int64_t>(reference.rows.size()), kKillPoints);

    const std::string out = dir.file("killed.h5");
    const std::vector<std::string> base = {"sweep",  "--study", kKillStudy,        "--out", out,
                                           "--jobs", "2",       "--flush-seconds", "0.2",   "-q"};
    std::vector<std::string> resume = base;
    resume.push_back("--resume");
    std::random_device seed;
    std::mt19937 random(seed());
    int64_t rows = 0;

    // 1. A fresh run killed at a random moment early on: the file is absent or opens.
    {
        const auto delay =
            std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(random));
        SCOPED_TRACE("first kill after " + std::to_string(delay.count()) + " ms");
        Background sweep(base, errFile);
        ASSERT_TRUE(sweep.started());
        std::this_thread::sleep_for(delay);
        sweep.stop(SIGKILL);
        if (fs::exists(out)) {
            expectPrefixOfReference(out, reference, rows);
        }
        EXPECT_TRUE(noProcessLeft(out));
    }
    // 2. Resumed, then killed once a batch of its own is committed.
    {
        SCOPED_TRACE("second kill, after a committed batch");
        const int64_t before = rows;
        // Killed before it created the file, the run starts again (else it continues).
        Background sweep(fs::exists(out) ? resume : base, errFile);
        ASSERT_TRUE(sweep.started());
        const auto deadline = Clock::now() + 120s;
        while (committedRows(out) <= before && sweep.running() && Clock::now() < deadline) {
            std::this_thread::sleep_for(5ms);
        }
        ASSERT_TRUE(sweep.running()) << "the sweep ended before it was killed (status "
                                     << sweep.status() << "): make the study bigger\n"
                                     << edgesim::test::readFileBytes(errFile);
        const int status = sweep.stop(SIGKILL);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
        expectPrefixOfReference(out, reference, rows);
        EXPECT_GT(rows, before);
        EXPECT_LT(rows, kKillPoints);
        EXPECT_TRUE(noProcessLeft(out));
    }
    // 3. Resumed again and killed at a random moment (perhaps mid-commit).
    {
        const auto delay =
            std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(random));
        SCOPED_TRACE("third kill after " + std::to_string(delay.count()) + " ms");
        const int64_t before = rows;
        Background sweep(resume, errFile);
        ASSERT_TRUE(sweep.started());
        std::this_thread::sleep_for(delay);
        sweep.stop(SIGKILL);
        expectPrefixOfReference(out, reference, rows);
        EXPECT_GE(rows, before);
        EXPECT_TRUE(noProcessLeft(out));
    }
    // 4. Resumed to the end: every point once, in order, with the reference's values.
    const CliRun last = run(sweepArgs(kKillStudy, out, "--resume --jobs 2 --flush-seconds 0.2"));
    ASSERT_EQ(last.code, 0) << last.err;
    EXPECT_NE(last.err.find("sweep: " + std::to_string(kKillPoints) + "/" +
                            std::to_string(kKillPoints) + " points (" + std::to_string(rows) +
                            " already done)"),
              std::string::npos)
        << last.err;
    const ex::Table resumed = ex::readTable(out, "sweep");
    EXPECT_EQ(intColumn(resumed, "point_index"), iota(kKillPoints));
    EXPECT_TRUE(sameRows(resumed, reference, reference.rows.size()));
    EXPECT_EQ(resumed.rows.size(), reference.rows.size());
    EXPECT_FALSE(fs::exists(out + ".tmp")) << "a temporary file was left behind";
    EXPECT_FALSE(fs::exists(ref + ".tmp")) << "a temporary file was left behind";
    // The file's provenance is the study's.
    EXPECT_EQ(ex::readStringAttribute(out, "/", "study_sha256"),
              ex::readStringAttribute(ref, "/", "study_sha256"));
}

TEST(SweepCli, SigtermCommitsWhatIsDoneAndStops) {
    TempDir dir;
    const std::string out = dir.file("term.h5");
    const std::string errFile = dir.file("stderr.txt");
    Background sweep(
        {"sweep", "--study", kKillStudy, "--out", out, "--jobs", "2", "--flush-seconds", "0.2"},
        errFile);
    ASSERT_TRUE(sweep.started());
    const auto deadline = Clock::now() + 120s;
    while (committedRows(out) < 1 && sweep.running() && Clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(sweep.running()) << "the sweep ended before it was stopped\n"
                                 << edgesim::test::readFileBytes(errFile);
    const int status = sweep.stop(SIGTERM);
    ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of stopping: " << status;
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM); // 143, as a shell reports SIGTERM
    const std::string err = edgesim::test::readFileBytes(errFile);
    EXPECT_NE(err.find("--resume continues it"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(out + ".tmp"));
    const ex::Table t = ex::readTable(out, "sweep");
    EXPECT_GE(t.rows.size(), 1U);
    EXPECT_EQ(intColumn(t, "point_index"), iota(static_cast<int64_t>(t.rows.size())));
    EXPECT_TRUE(noProcessLeft(out));
}

/// Pids of the live children of `parent` (from /proc/<pid>/stat: the field after the state).
std::vector<int> childrenOf(int parent) {
    std::vector<int> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string stat = edgesim::test::readFileBytes(entry.path().string() + "/stat");
        const auto close = stat.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(stat.substr(close + 1));
        std::string state;
        int ppid = 0;
        rest >> state >> ppid;
        if (ppid == parent && state != "Z") {
            found.push_back(std::stoi(entry.path().filename().string()));
        }
    }
    return found;
}

TEST(SweepCli, WorkerDeathExitsOneKeepingCommittedPoints) {
    TempDir dir;
    const std::string out = dir.file("worker.h5");
    const std::string errFile = dir.file("stderr.txt");
    Background sweep(
        {"sweep", "--study", kKillStudy, "--out", out, "--jobs", "2", "--flush-seconds", "0.2"},
        errFile);
    ASSERT_TRUE(sweep.started());
    const auto deadline = Clock::now() + 120s;
    while (committedRows(out) < 1 && sweep.running() && Clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(sweep.running()) << "the sweep ended first\n"
                                 << edgesim::test::readFileBytes(errFile);
    const std::vector<int> workers = childrenOf(sweep.pid());
    ASSERT_EQ(workers.size(), 2U) << "--jobs 2 should fork two workers";
    ::kill(workers.front(), SIGKILL);
    const auto waitUntil = Clock::now() + 60s;
    while (sweep.running() && Clock::now() < waitUntil) {
        std::this_thread::sleep_for(5ms);
    }
    const int status = sweep.stop(SIGKILL);
    ASSERT_TRUE(WIFEXITED(status)) << "the writer did not stop by itself: " << status;
    EXPECT_EQ(WEXITSTATUS(status), 1); // an internal error, not bad input
    const std::string err = edgesim::test::readFileBytes(errFile);
    EXPECT_NE(err.find("worker"), std::string::npos) << err;
    EXPECT_NE(err.find(std::to_string(workers.front())), std::string::npos) << err;
    const ex::Table t = ex::readTable(out, "sweep");
    EXPECT_GE(t.rows.size(), 1U);
    EXPECT_EQ(intColumn(t, "point_index"), iota(static_cast<int64_t>(t.rows.size())));
    EXPECT_FALSE(fs::exists(out + ".tmp"));
    EXPECT_TRUE(noProcessLeft(out)) << "the other worker outlived the writer";
}

TEST(SweepCli, ResumeAfterANetworkChangedExitsTwoAndLeavesTheFile) {
    TempDir dir;
    const auto network = [&](int units) {
        return dir
            .write("net.textproto", "name: \"small\"\nactivation_dtype: INT8\n"
                                    "weight_dtype: INT8\nbias_dtype: INT32\n"
                                    "inputs { name: \"x\" shape: [100] }\n"
                                    "layers { name: \"fc\" dense { units: " +
                                        std::to_string(units) + " } }\n")
            .string();
    };
    const std::string net = network(10);
    const std::string study =
        dir.write("study.textproto", "name: \"changed\"\nplatforms: \"nucleo-l4r5zi\"\n"
                                     "stacks: [\"tflm-2.3\", \"tflm-cmsis-nn\"]\n"
                                     "networks: [\"" +
                                         net +
                                         "\", \"mlperf_tiny/ad\"]\n"
                                         "fidelity: ANALYTICAL\n")
            .string();
    const std::string out = dir.file("changed.h5");
    ASSERT_EQ(run(sweepArgs(study, out, "-q")).code, 0);
    const std::string bytes = edgesim::test::readFileBytes(out);
    network(12); // the same study file, another network behind it
    const CliRun r = run(sweepArgs(study, out, "--resume"));
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(out + ": --resume: point 0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(edgesim::test::readFileBytes(out), bytes);
    EXPECT_FALSE(fs::exists(out + ".tmp"));
}

/// A user looks at the front while the sweep runs: `pareto` (which writes /pareto) must not
/// cost the sweep its file. It may refuse (exit 2) while a sweep writes the file, or write
/// /pareto; either way the sweep goes on (stopped here by SIGTERM after a while, which commits
/// and exits 143) and the file holds points 0, 1, 2, ... once each.
TEST(SweepCli, ParetoWhileTheSweepRunsKeepsTheFileIntact) {
    TempDir dir;
    const std::string out = dir.file("busy.h5");
    const std::string errFile = dir.file("stderr.txt");
    Background sweep({"sweep", "--study", kKillStudy, "--out", out, "--jobs", "2",
                      "--flush-seconds", "0.01", "-q"},
                     errFile);
    ASSERT_TRUE(sweep.started());
    const auto deadline = Clock::now() + 120s;
    while (committedRows(out) < 1 && sweep.running() && Clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    int paretoRuns = 0;
    std::set<int> paretoStatuses;
    while (sweep.running() && paretoRuns < 60 && Clock::now() < deadline) {
        // Three at once, as three terminals (or a watch loop) would.
        Background a({"pareto", out, "--x", "latency_s", "--y", "energy_j"}, dir.file("a.txt"));
        Background b({"pareto", out, "--x", "latency_s", "--y", "l1_bytes"}, dir.file("b.txt"));
        Background c({"pareto", out, "--x", "energy_j", "--y", "l2_bytes"}, dir.file("c.txt"));
        for (Background* p : {&a, &b, &c}) {
            while (p->running()) {
                std::this_thread::sleep_for(2ms);
            }
            const int st = p->status();
            paretoStatuses.insert(WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }
        paretoRuns += 3;
    }
    const int status = sweep.stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) &&
                (WEXITSTATUS(status) == 128 + SIGTERM || WEXITSTATUS(status) == 0))
        << "the sweep failed (status " << status << ") with " << paretoRuns
        << " pareto runs beside it: " << edgesim::test::readFileBytes(errFile);
    for (int st : paretoStatuses) {
        EXPECT_TRUE(st == 0 || st == 2) << "pareto exited " << st;
    }
    ex::Table t;
    ASSERT_NO_THROW(t = ex::readTable(out, "sweep")) << out << " no longer opens";
    EXPECT_EQ(intColumn(t, "point_index"), iota(static_cast<int64_t>(t.rows.size())));
}

// ---------------------------------------------------------------------- jobs and MPI ranks

/// The equality studies: a grid over an MCU (skipped pair, named and custom operating points,
/// a parameter axis) and a Latin hypercube over GAP9 (linked fields, engines, a mapper).
const std::vector<std::pair<std::string, int64_t>> kEqualityStudies = {{kMcuStudy, kMcuPoints},
                                                                       {kGap9Study, kGap9Points}};

/// `got`'s /sweep, /runs and /layers equal `want`'s but for sim_wall_s.
void expectSameTables(const std::string& got, const std::string& want) {
    SCOPED_TRACE(got);
    for (const char* table : {"sweep", "runs", "layers", "layer_memory", "energy"}) {
        const ex::Table a = ex::readTable(got, table);
        const ex::Table b = ex::readTable(want, table);
        EXPECT_EQ(a.rows.size(), b.rows.size()) << table;
        EXPECT_TRUE(sameRows(a, b, b.rows.size())) << table;
    }
    EXPECT_FALSE(fs::exists(got + ".tmp"));
}

TEST(SweepCli, OneAndTwoWorkerProcessesWriteTheSameRows) {
    for (const auto& [study, points] : kEqualityStudies) {
        SCOPED_TRACE(study);
        TempDir dir;
        const std::string one = dir.file("jobs1.h5");
        const std::string two = dir.file("jobs2.h5");
        const CliRun r1 = run(sweepArgs(study, one, "--jobs 1 --layers"));
        ASSERT_EQ(r1.code, 0) << r1.err;
        EXPECT_NE(r1.err.find("on this process"), std::string::npos) << r1.err;
        // Many small commits: rows arrive out of order from two workers.
        const CliRun r2 = run(sweepArgs(study, two, "--jobs 2 --layers --flush-seconds 0.01"));
        ASSERT_EQ(r2.code, 0) << r2.err;
        EXPECT_NE(r2.err.find("on 2 worker processes"), std::string::npos) << r2.err;
        EXPECT_EQ(ex::countRows(one, "sweep"), points);
        EXPECT_EQ(ex::readIntColumn(one, "sweep", "point_index"), iota(points));
        expectSameTables(two, one);
    }
}

TEST(SweepCli, MpiRanksWriteTheSameRowsAsOneProcess) {
    if (!onPath("mpirun")) {
        GTEST_SKIP() << "mpirun is not on PATH (Debian: openmpi-bin): the MPI sweep is not tested";
    }
    for (const auto& [study, points] : kEqualityStudies) {
        SCOPED_TRACE(study);
        TempDir dir;
        const std::string one = dir.file("jobs1.h5");
        const std::string mpi = dir.file("mpi3.h5");
        const CliRun r1 = run(sweepArgs(study, one, "--jobs 1 --layers -q"));
        ASSERT_EQ(r1.code, 0) << r1.err;
        const CliRun r3 = runShell(mpirun(3) + " " + sweepArgs(study, mpi, "--layers"));
        ASSERT_EQ(r3.code, 0) << r3.err;
        // Rank 0 wrote, the two others computed: one summary line, not three.
        EXPECT_NE(r3.err.find("on 2 MPI ranks"), std::string::npos) << r3.err;
        EXPECT_EQ(edgesim::test::nonEmptyLines(r3.err).size(), 1U) << r3.err;
        EXPECT_TRUE(r3.out.empty()) << r3.out;
        EXPECT_EQ(ex::countRows(mpi, "sweep"), points);
        expectSameTables(mpi, one);
    }
}

// ----------------------------------------------------------------------------- bad inputs

/// A study of `platforms` x `stacks` running mlperf_tiny/ad, with `extra` from line 5 on.
std::string studyText(const std::string& platforms, const std::string& stacks,
                      const std::string& extra) {
    return "name: \"bad\"\n"
           "platforms: " +
           platforms +
           "\n"
           "stacks: " +
           stacks +
           "\n"
           "networks: \"mlperf_tiny/ad\"\n" +
           extra;
}

TEST(SweepCli, BadStudyExitsTwoNamingFileLineAndFieldAndWritesNothing) {
    TempDir dir;
    const std::string l4 = "\"nucleo-l4r5zi\"";
    const std::string tflm = "\"tflm-2.3\"";
    struct Case {
        std::string name;
        std::string text;
        std::vector<std::string> parts; // in the error, after "<file>"
    };
    const std::vector<Case> cases = {
        {"unknown_element",
         studyText(
             l4, tflm,
             "parameters { path: \"platform.memories[name=sram9].size_bytes\" values: [4096] }\n"),
         {":5: parameters[0].path: ", "sram9"}},
        {"unknown_field",
         studyText(l4, tflm, "parameters { path: \"platform.no_such_field\" values: [1] }\n"),
         {":5: parameters[0].path: ", "no_such_field"}},
        {"unknown_prefix",
         studyText(l4, tflm, "parameters { path: \"board.clock_hz\" values: [1] }\n"),
         {":5: parameters[0].path: ", "board.clock_hz"}},
        {"empty_axis",
         studyText(
             l4, tflm,
             "parameters { path: \"platform.memories[name=sram3].size_bytes\" values: [] }\n"),
         {":5: parameters[0]: ", "values"}},
        {"no_points",
         studyText(l4, "[\"htvm\", \"stedge-ai\"]", ""),
         {":3: stacks: ", "htvm", "nucleo-l4r5zi"}},
        {"labels_on_number",
         studyText(l4, tflm,
                   "parameters { path: \"platform.memories[name=sram3].size_bytes\"\n"
                   "             labels: [\"big\", \"small\"] }\n"),
         {":5: parameters[0]", "'big' is not an integer"}},
        {"values_on_enum",
         studyText(
             l4, tflm, // enum numbers, as --set takes them: 7 is none
             "parameters { path: \"platform.buses[name=bus].arbitration\" values: [1, 7] }\n"),
         {":5: parameters[0]", "'7'", "Arbitration"}},
        {"bad_enum_label",
         studyText(l4, tflm,
                   "parameters { path: \"platform.buses[name=bus].arbitration\"\n"
                   "             labels: [\"MATRIX\", \"ROUND_ROBIN\"] }\n"),
         {":5: parameters[0]", "ROUND_ROBIN"}},
        {"invalid_value",
         "name: \"bad\"\nplatforms: \"gap9-evk\"\nstacks: \"gap-flow\"\n"
         "networks: \"mlperf_tiny/ic\"\n"
         "parameters { path: \"platform.memories[name=l1].size_bytes\" values: [131072, 0] }\n",
         {":5: parameters[0]: ", "size_bytes", "0", "out of range"}},
        {"unknown_platform",
         studyText("[\"nucleo-l4r5zi\", \"nucleo-l4r5\"]", tflm, ""),
         {":2: platforms[1]: ", "unknown platform 'nucleo-l4r5'"}},
        {"syntax_error",
         "name: \"bad\"\nplatforms: \"nucleo-l4r5zi\"\nstacks: \"tflm-2.3\"\n"
         "networks \"mlperf_tiny/ad\"\n",
         {":4:"}},
        {"unknown_study_field", studyText(l4, tflm, "colour: 3\n"), {":5:", "colour"}},
        {"bad_set",
         studyText(l4, tflm, "set: \"platform.memories[name=sram3].size_bytes=0\"\n"),
         {":5: set", "size_bytes", "out of range"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const std::string study = dir.write(c.name + ".textproto", c.text).string();
        const std::string out = dir.file(c.name + ".h5");
        const CliRun r = run(sweepArgs(study, out));
        EXPECT_EQ(r.code, 2) << r.err;
        for (const auto& part : c.parts) {
            const std::string want = part.front() == ':' ? study + part : part;
            EXPECT_NE(r.err.find(want), std::string::npos) << "wanted: " << want << "\n" << r.err;
        }
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_FALSE(fs::exists(out)) << "a bad study left " << out;
        EXPECT_FALSE(fs::exists(out + ".tmp")) << "a bad study left " << out << ".tmp";
    }
}

TEST(SweepCli, ExistingOutputIsLeftAloneWithoutResumeOrOverwrite) {
    TempDir dir;
    const std::string out = dir.file("mcu.h5");
    ASSERT_EQ(run(sweepArgs(kMcuStudy, out, "-q")).code, 0);
    const std::string bytes = edgesim::test::readFileBytes(out);
    // Another study: same platform, one network less (its own study_sha256 and columns).
    const std::string other =
        dir.write("other.textproto", studyText("\"nucleo-l4r5zi\"", "\"tflm-2.3\"", "")).string();
    const std::string bad =
        dir.write("bad.textproto", studyText("\"no-such-board\"", "\"tflm-2.3\"", "")).string();
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {sweepArgs(other, out, "--resume"), {out, "--resume", "another study"}},
        {sweepArgs(kMcuStudy, out), {out, "--out", "exists", "--resume", "--overwrite"}},
        {sweepArgs(other, out), {out, "--out", "exists"}},
        {sweepArgs(kMcuStudy, out, "--resume --overwrite"), {"--resume", "--overwrite"}},
        {sweepArgs(kMcuStudy, out, "--resume --layers"), {out, "--resume", "--layers"}},
        {sweepArgs(kMcuStudy, out, "--flush-seconds 0"), {"--flush-seconds"}},
        // --overwrite checks the study before it replaces anything.
        {sweepArgs(bad, out, "--overwrite"), {bad + ":2: platforms[0]: ", "no-such-board"}},
    };
    for (const auto& [args, parts] : cases) {
        SCOPED_TRACE(args);
        const CliRun r = run(args);
        EXPECT_EQ(r.code, 2) << r.err;
        for (const auto& part : parts) {
            EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << r.err;
        }
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_EQ(edgesim::test::readFileBytes(out), bytes) << "the file was modified";
        EXPECT_FALSE(fs::exists(out + ".tmp"));
    }
    // Resuming a finished file of the same study checks it and changes nothing.
    const CliRun again = run(sweepArgs(kMcuStudy, out, "--resume"));
    EXPECT_EQ(again.code, 0) << again.err;
    EXPECT_NE(again.err.find("(81 already done)"), std::string::npos) << again.err;
    EXPECT_EQ(edgesim::test::readFileBytes(out), bytes);
    // --overwrite replaces it by the same rows.
    const ex::Table before = ex::readTable(out, "sweep");
    const CliRun replaced = run(sweepArgs(kMcuStudy, out, "--overwrite -q"));
    EXPECT_EQ(replaced.code, 0) << replaced.err;
    EXPECT_TRUE(sameRows(ex::readTable(out, "sweep"), before, before.rows.size()));
}

TEST(SweepCli, OutThatIsADirectoryExitsTwoLeavingNothing) {
    TempDir dir;
    const std::string out = dir.file("results.h5");
    fs::create_directories(out);
    for (const char* flags : {"", "--overwrite", "--resume"}) {
        SCOPED_TRACE(flags);
        const CliRun r = run(sweepArgs(kMcuStudy, out, flags));
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_TRUE(fs::is_directory(out));
        EXPECT_FALSE(fs::exists(out + ".tmp")) << "left " << out << ".tmp behind";
        std::error_code ec;
        fs::remove(out + ".tmp", ec);
    }
}

// ------------------------------------------------------------------------ simulate --set

const std::string kAd = "simulate -p nucleo-l4r5zi -s tflm-2.3 -n mlperf_tiny/ad";

TEST(SweepCli, SimulateSetBadOverrideExitsTwoNamingIt) {
    const std::vector<std::string> overrides = {
        "platform.no_such_field=3",                         // unknown path
        "platform.memories[name=sram9].size_bytes=4096",    // unknown element
        "stack.no_such_field=1",                            // unknown stack path
        "platform.memories[name=sram3].size_bytes=big",     // wrong type
        "platform.buses[name=bus].arbitration=ROUND_ROBIN", // not a value of the enum
        "platform.memories[name=sram3].size_bytes=0",       // makes the platform invalid
        "board.clock_hz=1",                                 // bad prefix
        "platform.memories[name=sram3].size_bytes",         // no value
        "platform.=3",                                      // no path
    };
    std::vector<BadInput> cases;
    for (const auto& o : overrides) {
        cases.push_back({kAd + " --set " + quoted(o), {"--set", o}});
    }
    expectBadInputs(cases);
}

TEST(SweepCli, SimulateIncompatiblePlatformAndStackExitsTwoNamingBoth) {
    expectBadInputs({
        {"simulate -p nucleo-l4r5zi -s htvm -n mlperf_tiny/ad", {"htvm", "nucleo-l4r5zi"}},
        {"simulate -p diana -s x-cube-ai-7.3 -n mlperf_tiny/ad", {"x-cube-ai-7.3", "diana"}},
        {"simulate -p gap9-evk -s vela -n mlperf_tiny/ad", {"vela", "gap9-evk"}},
    });
    // `list stacks` says which platforms each stack targets.
    const CliRun list = run("list stacks");
    ASSERT_EQ(list.code, 0) << list.err;
    ASSERT_FALSE(list.out.empty());
    EXPECT_NE(edgesim::test::nonEmptyLines(list.out).front().find("targets"), std::string::npos)
        << list.out;
    for (const auto& line : edgesim::test::nonEmptyLines(list.out)) {
        if (line.rfind("htvm ", 0) == 0) {
            EXPECT_NE(line.find("diana"), std::string::npos) << line;
            EXPECT_NE(line.find("as stored"), std::string::npos) << line;
        }
        if (line.rfind("gap-flow ", 0) == 0) { // its default deployment precision
            EXPECT_EQ(line.substr(line.find_last_not_of(' ') - 3, 4), "int8") << line;
        }
    }
}

/// Training, continual and early-exit points get their own columns (NaN where a point does not
/// produce them), equal to what `simulate` reports for the same query.
TEST(SweepCli, TrainingStrategiesAddTheirColumns) {
    TempDir dir;
    const std::string study =
        dir.write("train.textproto", "name: \"train\"\n"
                                     "platforms: \"stm32n6570-dk\"\n"
                                     "stacks: \"stedge-ai\"\n"
                                     "networks: \"mlperf_tiny/kws\"\n"
                                     "strategies: [\"inference\", \"backprop dtype=int8\", "
                                     "\"continual replay=latent\", \"early-exit exits=2\"]\n"
                                     "fidelity: ANALYTICAL\n")
            .string();
    const std::string out = dir.file("train.h5");
    ASSERT_EQ(run(sweepArgs(study, out, "-q")).code, 0);
    const ex::Table t = ex::readTable(out, "sweep");
    ASSERT_EQ(t.rows.size(), 4U);
    const auto real = [&](std::size_t row, const std::string& col) {
        const int c = t.column(col);
        EXPECT_GE(c, 0) << col;
        return c < 0 ? -1.0 : std::get<double>(t.rows.at(row).at(static_cast<std::size_t>(c)));
    };
    EXPECT_TRUE(std::isnan(real(0, "latency_s_per_sample"))) << "inference has no training";
    const CliRun bp = run("simulate -p stm32n6570-dk -s stedge-ai -n mlperf_tiny/kws --fidelity "
                          "analytical --strategy backprop --strategy-param dtype=int8 "
                          "--format json");
    ASSERT_EQ(bp.code, 0) << bp.err;
    const auto j = nlohmann::json::parse(bp.out);
    EXPECT_DOUBLE_EQ(real(1, "latency_s_per_sample"),
                     j["training"]["latency_s_per_sample"].get<double>());
    EXPECT_DOUBLE_EQ(real(1, "training_arena_bytes"),
                     j["training"]["training_arena_bytes"].get<double>());
    EXPECT_DOUBLE_EQ(real(1, "accelerator_mac_share"),
                     j["training"]["accelerator_mac_share"].get<double>());
    EXPECT_TRUE(std::isnan(real(1, "average_power_w")));
    EXPECT_GT(real(2, "average_power_w"), 0);
    EXPECT_GT(real(3, "expected_latency_s"), 0);
    EXPECT_LE(real(3, "expected_latency_s"), real(3, "latency_s"));
    EXPECT_TRUE(std::isnan(real(3, "training_arena_bytes")));
    // A study of inference alone keeps its columns as before.
    const std::string plain = dir.file("mcu.h5");
    ASSERT_EQ(run(sweepArgs(kMcuStudy, plain, "-q")).code, 0);
    EXPECT_EQ(ex::readTable(plain, "sweep").column("latency_s_per_sample"), -1);
}

/// The sweep row of a point and `simulate` of the same query (the same overrides and
/// operating point) agree: same config hash, status and metrics.
TEST(SweepCli, SweepRowsMatchSimulateWithTheSameOverrides) {
    TempDir dir;
    const std::string out = dir.file("mcu.h5");
    ASSERT_EQ(run(sweepArgs(kMcuStudy, out, "-q")).code, 0);
    const ex::Table t = ex::readTable(out, "sweep");
    const auto at = [&](std::size_t row, const std::string& col) -> const ex::Cell& {
        return t.rows.at(row).at(static_cast<std::size_t>(t.column(col)));
    };
    struct Point {
        std::string stack, network, op;
        double sram3;
        std::string flags; // the same query on the simulate command line
    };
    const std::vector<Point> points = {
        {"tflm-2.3", "mlperf_tiny/kws", "120mhz", 32768, ""},
        {"x-cube-ai-7.3", "mlperf_tiny/ic", "custom", 393216, "--clock-mhz 60"},
        {"tflm-cmsis-nn", "mlperf_tiny/kws", "zephyr-80mhz", 8192,
         "--operating-point zephyr-80mhz"},
    };
    for (const auto& p : points) {
        SCOPED_TRACE(p.stack + " " + p.network + " " + p.op);
        std::optional<std::size_t> row;
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
            if (std::get<std::string>(at(r, "stack")) == p.stack &&
                std::get<std::string>(at(r, "network")) == p.network &&
                std::get<std::string>(at(r, "operating_point")) == p.op &&
                std::get<double>(at(r, "sram3_bytes")) == p.sram3) {
                row = r;
            }
        }
        ASSERT_TRUE(row.has_value());
        const CliRun r = run("simulate -p nucleo-l4r5zi -s " + p.stack + " -n " + p.network +
                             " --fidelity analytical --format json " + p.flags + " --set " +
                             quoted("platform.memories[name=sram3].size_bytes=" +
                                    std::to_string(static_cast<int64_t>(p.sram3))));
        ASSERT_EQ(r.code, 0) << r.err;
        const nlohmann::json j = nlohmann::json::parse(r.out);
        EXPECT_EQ(j["config_sha256"], std::get<std::string>(at(*row, "config_sha256")));
        EXPECT_EQ(j["status"], std::get<std::string>(at(*row, "status")));
        if (j["status"] == "ok") {
            EXPECT_EQ(j["latency_s"].get<double>(), std::get<double>(at(*row, "latency_s")));
            EXPECT_EQ(j["energy_j"].get<double>(), std::get<double>(at(*row, "energy_j")));
        } else {
            EXPECT_TRUE(std::isnan(std::get<double>(at(*row, "latency_s"))));
        }
        EXPECT_EQ(j["operating_point"]["clock_hz"].get<double>(),
                  std::get<double>(at(*row, "clock_hz")));
    }
}

// ------------------------------------------------------------------------------- readback

bool havePythonH5() {
    return runShell("/usr/bin/python3 -c \"import h5py, pandas\"").code == 0;
}

TEST(SweepCli, SweepFileReadsBackWithH5pyAndPandas) {
    if (!havePythonH5()) {
        GTEST_SKIP() << "/usr/bin/python3 with h5py and pandas is not installed "
                        "(Debian: python3-h5py python3-pandas)";
    }
    TempDir dir;
    for (const char* layers : {"", "--layers"}) {
        SCOPED_TRACE(layers);
        const std::string out = dir.file(std::string("mcu") + layers + ".h5");
        const CliRun s = run(sweepArgs(kMcuStudy, out, std::string(layers) + " -q"));
        ASSERT_EQ(s.code, 0) << s.err;
        const CliRun r = runShell("/usr/bin/python3 " + kChecker + " sweep " + out +
                                  " nucleo-l4r5zi " + kMcuStudy);
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        EXPECT_EQ(r.out.rfind("OK /sweep 81 rows (48 ok, 33 does_not_fit)", 0), 0U) << r.out;
    }
}

TEST(SweepCli, SimulateOutReadsBackWithH5pyAndPandas) {
    if (!havePythonH5()) {
        GTEST_SKIP() << "/usr/bin/python3 with h5py and pandas is not installed "
                        "(Debian: python3-h5py python3-pandas)";
    }
    TempDir dir;
    const std::string net = kData + "too_big.textproto"; // does not fit the L4R5
    const std::string out = dir.file("nofit.h5");
    const CliRun s = run("simulate -p nucleo-l4r5zi -s tflm-2.3 -n " + net + " --out " + out);
    ASSERT_EQ(s.code, 0) << s.err;
    const CliRun r = runShell("/usr/bin/python3 " + kChecker + " runs " + out + " nucleo-l4r5zi");
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("OK ", 0), 0U) << r.out;
}

// ---------------------------------------------------------------------------------- layers

TEST(SweepCli, LayersWritesRunsLayersAndEnergyPerPoint) {
    TempDir dir;
    const std::string out = dir.file("layers.h5");
    const CliRun r = run(sweepArgs(kMcuStudy, out, "--layers -q"));
    ASSERT_EQ(r.code, 0) << r.err;
    const ex::Table sweep = ex::readTable(out, "sweep");
    const ex::Table runs = ex::readTable(out, "runs");
    const ex::Table layers = ex::readTable(out, "layers");
    ASSERT_EQ(static_cast<int64_t>(sweep.rows.size()), kMcuPoints);
    // /runs: one row per point, run_id = point_index, the same query and outcome.
    ASSERT_EQ(runs.rows.size(), sweep.rows.size());
    EXPECT_EQ(intColumn(runs, "run_id"), intColumn(sweep, "point_index"));
    for (const char* col : {"platform", "stack", "network", "strategy", "status", "reason",
                            "config_sha256", "latency_cycles", "latency_s", "energy_j",
                            "peak_ram_bytes", "clock_hz", "voltage_v", "operating_point"}) {
        const int a = sweep.column(col);
        const int b = runs.column(col);
        ASSERT_GE(a, 0) << col;
        ASSERT_GE(b, 0) << col;
        for (std::size_t i = 0; i < sweep.rows.size(); ++i) {
            EXPECT_TRUE(sameCell(sweep.rows[i][static_cast<std::size_t>(a)],
                                 runs.rows[i][static_cast<std::size_t>(b)]))
                << col << " of point " << i;
        }
    }
    // /layers: rows for ok points only, layer_index 0.. per run, their cycles summing to the
    // run's latency.
    const int status = sweep.column("status");
    const int latency = sweep.column("latency_cycles");
    std::map<int64_t, std::vector<std::size_t>> byRun;
    const int runId = layers.column("run_id");
    ASSERT_GE(runId, 0);
    int64_t previous = -1;
    for (std::size_t i = 0; i < layers.rows.size(); ++i) {
        const int64_t id = std::get<int64_t>(layers.rows[i][static_cast<std::size_t>(runId)]);
        EXPECT_GE(id, previous) << "/layers is not in run order at row " << i;
        previous = id;
        byRun[id].push_back(i);
    }
    int64_t ok = 0;
    for (std::size_t p = 0; p < sweep.rows.size(); ++p) {
        const auto& st = std::get<std::string>(sweep.rows[p][static_cast<std::size_t>(status)]);
        const auto it = byRun.find(static_cast<int64_t>(p));
        if (st != "ok") {
            EXPECT_EQ(it, byRun.end()) << "layers for point " << p << " (" << st << ")";
            continue;
        }
        ++ok;
        ASSERT_NE(it, byRun.end()) << "no layers for ok point " << p;
        int64_t cycles = 0;
        int64_t index = 0;
        for (std::size_t row : it->second) {
            const auto& l = layers.rows[row];
            EXPECT_EQ(std::get<int64_t>(l[static_cast<std::size_t>(layers.column("layer_index"))]),
                      index++);
            cycles += std::get<int64_t>(l[static_cast<std::size_t>(layers.column("cycles"))]);
        }
        EXPECT_EQ(static_cast<double>(cycles),
                  std::get<double>(sweep.rows[p][static_cast<std::size_t>(latency)]))
            << "point " << p;
    }
    EXPECT_EQ(ok, 48);
    EXPECT_EQ(byRun.size(), static_cast<std::size_t>(ok));
    // /energy: the breakdown of each ok point, summing to its energy.
    const ex::Table energy = ex::readTable(out, "energy");
    std::map<int64_t, double> total;
    for (const auto& row : energy.rows) {
        total[std::get<int64_t>(row[0])] += std::get<double>(row[2]) + std::get<double>(row[3]);
    }
    EXPECT_EQ(total.size(), static_cast<std::size_t>(ok));
    const int energyJ = sweep.column("energy_j");
    for (const auto& [point, joules] : total) {
        const double want = std::get<double>(
            sweep.rows[static_cast<std::size_t>(point)][static_cast<std::size_t>(energyJ)]);
        EXPECT_NEAR(joules / want, 1.0, 1e-9) << "point " << point;
    }
    // /layer_memory: every layer of every ok point in each memory, summing per kind to /layers.
    EXPECT_EQ(edgesim::test::layerMemoryMismatch(out), "");
}

// -------------------------------------------------------------------------------- progress

TEST(SweepCli, OneSummaryLineOnStderrWhenItIsNotATerminal) {
    TempDir dir;
    const std::string out = dir.file("progress.h5");
    for (const char* quiet : {"", " -q"}) {
        SCOPED_TRACE(quiet);
        const CliRun r = run(sweepArgs(kMcuStudy, out, std::string("--overwrite") + quiet));
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
        const auto lines = edgesim::test::nonEmptyLines(r.err);
        ASSERT_EQ(lines.size(), 1U) << r.err;
        EXPECT_EQ(r.err.back(), '\n');
        EXPECT_EQ(r.err.find('\r'), std::string::npos) << "a progress bar was drawn";
        EXPECT_EQ(r.err.find('\033'), std::string::npos) << "a progress bar was drawn";
        EXPECT_EQ(lines[0].rfind("sweep: 81/81 points", 0), 0U) << lines[0];
        EXPECT_NE(lines[0].find(out), std::string::npos) << lines[0];
        // The counts agree with the file.
        const auto statuses = ex::readStringColumn(out, "sweep", "status");
        for (const std::string st : {"ok", "does_not_fit"}) {
            const auto n = std::count(statuses.begin(), statuses.end(), st);
            EXPECT_NE(lines[0].find(std::to_string(n) + " " + st), std::string::npos)
                << st << ": " << lines[0];
        }
        EXPECT_NE(lines[0].find("1 platform/stack pair"), std::string::npos) << lines[0];
    }
}

// ---------------------------------------------------------------------------------- pareto

struct Objective {
    std::string column;
    bool maximize = false;
};

/// Brute force: point_index of the rows passing `where` ("column=value", exact text or number)
/// that no other such row dominates; rows with a NaN objective neither enter nor dominate.
std::set<int64_t> bruteForceFront(const ex::Table& t, const std::vector<Objective>& objectives,
                                  const std::vector<std::pair<std::string, std::string>>& where,
                                  int64_t& considered, int64_t& withNaN) {
    std::vector<std::vector<double>> values;
    std::vector<int64_t> index;
    considered = 0;
    withNaN = 0;
    const auto number = [](const ex::Cell& c) {
        if (const auto* i = std::get_if<int64_t>(&c)) {
            return static_cast<double>(*i);
        }
        return std::get<double>(c);
    };
    for (const auto& row : t.rows) {
        bool pass = true;
        for (const auto& [col, value] : where) {
            const ex::Cell& c = row[static_cast<std::size_t>(t.column(col))];
            pass =
                pass && (std::holds_alternative<std::string>(c) ? std::get<std::string>(c) == value
                                                                : number(c) == std::stod(value));
        }
        if (!pass) {
            continue;
        }
        ++considered;
        std::vector<double> v;
        bool nan = false;
        for (const auto& o : objectives) {
            const double x = number(row[static_cast<std::size_t>(t.column(o.column))]);
            nan = nan || std::isnan(x);
            v.push_back(o.maximize ? -x : x);
        }
        if (nan) {
            ++withNaN;
            continue;
        }
        values.push_back(v);
        index.push_back(std::get<int64_t>(row[static_cast<std::size_t>(t.column("point_index"))]));
    }
    std::set<int64_t> front;
    for (std::size_t a = 0; a < values.size(); ++a) {
        bool dominated = false;
        for (std::size_t b = 0; b < values.size() && !dominated; ++b) {
            bool noWorse = true;
            bool better = false;
            for (std::size_t k = 0; k < objectives.size(); ++k) {
                noWorse = noWorse && values[b][k] <= values[a][k];
                better = better || values[b][k] < values[a][k];
            }
            dominated = noWorse && better;
        }
        if (!dominated) {
            front.insert(index[a]);
        }
    }
    return front;
}

std::string gap9Sweep(const TempDir& dir) {
    const std::string out = dir.file("gap9.h5");
    const CliRun r = run(sweepArgs(kGap9Study, out, "-q"));
    EXPECT_EQ(r.code, 0) << r.err;
    return out;
}

TEST(ParetoCli, FrontIsTheBruteForceNonDominatedSet) {
    TempDir dir;
    const std::string file = gap9Sweep(dir);
    const ex::Table sweep = ex::readTable(file, "sweep");
    ASSERT_EQ(static_cast<int64_t>(sweep.rows.size()), kGap9Points);
    struct Case {
        std::vector<Objective> objectives;
        std::vector<std::pair<std::string, std::string>> where;
    };
    const std::vector<Case> cases = {
        {{{"latency_s"}, {"energy_j"}}, {}},
        {{{"latency_s"}, {"l1_bytes"}}, {}},
        {{{"energy_j"}, {"l2_bytes"}}, {{"status", "ok"}}},
        {{{"latency_s"}, {"energy_j"}, {"l1_bytes"}}, {}},
        {{{"latency_s"}, {"l2_bytes", true}}, {}},
        {{{"energy_j"}, {"l1_bytes"}}, {{"operating_point", "240mhz-0v65"}, {"ne16_ox", "3"}}},
        {{{"latency_s"}, {"l1_bytes"}}, {{"ne16_array", "2x2x16"}, {"batch", "1"}}},
        {{{"latency_s"}, {"l1_bytes"}}, {{"network", "no-such-network"}}},
    };
    const char* options[] = {"--x", "--y", "--z"};
    for (const auto& c : cases) {
        std::string args = "pareto " + file;
        std::string objectives;
        std::string where;
        for (std::size_t k = 0; k < c.objectives.size(); ++k) {
            const std::string o = (c.objectives[k].maximize ? "max:" : "") + c.objectives[k].column;
            args += std::string(" ") + options[k] + " " + o;
            objectives += (k ? "," : "") + std::string(c.objectives[k].maximize ? "max:" : "min:") +
                          c.objectives[k].column;
        }
        for (const auto& [col, value] : c.where) {
            args += " --where " + col + "=" + value;
            where += (where.empty() ? "" : ",") + col + "=" + value;
        }
        SCOPED_TRACE(args);
        int64_t considered = 0;
        int64_t withNaN = 0;
        const std::set<int64_t> want =
            bruteForceFront(sweep, c.objectives, c.where, considered, withNaN);
        const CliRun r = run(args);
        ASSERT_EQ(r.code, 0) << r.err;
        // A --where no row matches is said (a typo would otherwise look like an empty front).
        EXPECT_EQ(r.err, considered == 0 && !c.where.empty()
                             ? "pareto: warning: no row of /sweep matches --where " +
                                   where.substr(0, where.find(',')) + "\n"
                             : "")
            << r.err;
        const auto lines = edgesim::test::nonEmptyLines(r.out);
        ASSERT_FALSE(lines.empty());
        EXPECT_EQ(lines.back(), "pareto: " + std::to_string(want.size()) + " of " +
                                    std::to_string(considered) + " rows are non-dominated (" +
                                    std::to_string(withNaN) +
                                    " with a NaN objective left out); written to /pareto");
        // /pareto: every column of /sweep, the front's rows (replacing the previous front),
        // ordered by the first objective.
        const ex::Table front = ex::readTable(file, "pareto");
        EXPECT_EQ(front.columns, sweep.columns);
        const auto got = intColumn(front, "point_index");
        EXPECT_EQ(std::set<int64_t>(got.begin(), got.end()), want);
        EXPECT_EQ(got.size(), want.size()) << "a row appears twice";
        for (std::size_t i = 0; i < front.rows.size(); ++i) {
            const auto p = static_cast<std::size_t>(got[i]);
            EXPECT_TRUE(sameRows(ex::Table{front.columns, {front.rows[i]}},
                                 ex::Table{sweep.columns, {sweep.rows.at(p)}}, 1, {}))
                << "point " << p;
        }
        const int x = front.column(c.objectives[0].column);
        for (std::size_t i = 1; i < front.rows.size(); ++i) {
            EXPECT_LE(std::get<double>(front.rows[i - 1][static_cast<std::size_t>(x)]),
                      std::get<double>(front.rows[i][static_cast<std::size_t>(x)]));
        }
        EXPECT_EQ(ex::readStringAttribute(file, "pareto", "objectives"), objectives);
        EXPECT_EQ(ex::readStringAttribute(file, "pareto", "where"), where);
        EXPECT_EQ(ex::readStringAttribute(file, "pareto", "source"), std::string("sweep"));
        // /sweep itself is untouched.
        EXPECT_TRUE(sameRows(ex::readTable(file, "sweep"), sweep, sweep.rows.size(), {}));
        EXPECT_FALSE(fs::exists(file + ".tmp"));
    }
}

TEST(ParetoCli, NoWriteLeavesTheFileBytesUnchanged) {
    TempDir dir;
    const std::string file = gap9Sweep(dir);
    const ex::Table sweep = ex::readTable(file, "sweep");
    // Once without /pareto, once with one written before.
    for (int pass = 0; pass < 2; ++pass) {
        SCOPED_TRACE(pass);
        const std::string bytes = edgesim::test::readFileBytes(file);
        for (const char* format : {"json", "csv", "table"}) {
            const CliRun r = run("pareto " + file +
                                 " --x latency_s --y l1_bytes --where status=ok --no-write "
                                 "--format " +
                                 std::string(format));
            ASSERT_EQ(r.code, 0) << r.err;
            EXPECT_EQ(edgesim::test::readFileBytes(file), bytes)
                << format << ": --no-write changed the file";
            int64_t considered = 0;
            int64_t withNaN = 0;
            const auto want = bruteForceFront(sweep, {{"latency_s"}, {"l1_bytes"}},
                                              {{"status", "ok"}}, considered, withNaN);
            if (std::string(format) == "json") {
                const nlohmann::json j = nlohmann::json::parse(r.out);
                EXPECT_EQ(j["considered"], considered);
                EXPECT_EQ(j["with_nan"], 0);
                std::set<int64_t> got;
                for (const auto& row : j["front"]) {
                    got.insert(row["point_index"].get<int64_t>());
                }
                EXPECT_EQ(got, want);
                EXPECT_EQ(j["front"].size(), want.size());
            } else if (std::string(format) == "csv") {
                EXPECT_EQ(edgesim::test::nonEmptyLines(r.out).size(), want.size() + 1)
                    << r.out; // and a header
            } else {
                EXPECT_EQ(r.out.find("written to /pareto"), std::string::npos) << r.out;
            }
        }
        ASSERT_EQ(run("pareto " + file + " --x latency_s --y energy_j").code, 0);
    }
}

TEST(ParetoCli, BadObjectiveOrFilterExitsTwoAndLeavesTheFile) {
    TempDir dir;
    const std::string file = gap9Sweep(dir);
    const std::string bytes = edgesim::test::readFileBytes(file);
    const std::string p = "pareto " + file;
    expectBadInputs({
        {p + " --x no_such_column --y energy_j", {file, "no_such_column"}},
        {p + " --x latency_s --y energy_j --z no_such_column", {file, "no_such_column"}},
        {p + " --x platform --y energy_j", {file, "platform", "text column"}},
        {p + " --x latency_s --y max:status", {file, "status", "text column"}},
        {p + " --x max: --y energy_j", {"--x"}},
        {p + " --x latency_s --y energy_j --where no_such_column=1", {"--where", "no_such_column"}},
        {p + " --x latency_s --y energy_j --where status", {"--where", "status"}},
        {p + " --x latency_s --y energy_j --where l1_bytes=big", {"--where", "l1_bytes=big"}},
        {p + " --x latency_s --y energy_j --dataset runs", {file, "runs"}},
        {p + " --x latency_s", {"--y"}},
        {p + " --x latency_s --y latency_s", {"--y", "already the objective --x"}},
        {"pareto " + dir.file("missing.h5") + " --x latency_s --y energy_j", {"missing.h5"}},
    });
    EXPECT_EQ(edgesim::test::readFileBytes(file), bytes);
    EXPECT_FALSE(fs::exists(file + ".tmp"));
}

} // namespace
