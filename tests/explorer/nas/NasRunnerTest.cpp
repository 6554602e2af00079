// `edgesim nas` as a library call (explorer/nas/NasRunner.h): the same rows whatever the
// number of worker processes, a front that is non-dominated, feasible and re-simulates to the
// values it reports from its exported network files, a killed run that resumes to the rows of
// an uninterrupted one without evaluating a finished network twice, and bad runs refused
// before anything is written.
#include "explorer/nas/NasRunner.h"
#include "explorer/nas/CandidateEvaluator.h"
#include "explorer/nas/NasTables.h"

#include "explorer/results/ResultsFile.h"
#include "explorer/session/Session.h"
#include "workloads/NetworkSource.h"

#include "tests/util/CliRun.h"
#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

namespace edgesim::explorer::nas {
namespace {

using test::expectInputError;
using test::TempDir;
using ::testing::HasSubstr;

/// A small space on an MCU and GAP9, with a deterministic "accuracy" the command computes from
/// the candidate's JSON (more parameters, higher), counting its calls in `count`; when the
/// file `armed` exists, the call number 12 kills the process that runs the search.
std::string study(const std::string& dir) {
    return R"(name: "runner"
seed: 4
space { resolutions: ["28x28", "20x20"] input_channels: 1
  stages { name: "a" ops: ["conv", "dsconv"] channels: [8, 16, 32] strides: [2] }
  stages { name: "b" ops: ["dsconv", "mbconv", "residual"] channels: [16, 32, 64] strides: [1, 2] depths: [1, 2] expansions: [2] }
  head { classes: 10 } }
targets { name: "mcu" platform: "nucleo-l4r5zi" stack: "tflm-cmsis-nn" }
targets { name: "gap9" platform: "gap9-evk" stack: "gap-flow" }
objectives { metric: "accuracy" }
objectives { metric: "latency_s" target: "mcu" }
constraints { metric: "peak_ram_bytes" target: "mcu" max: 40000 }
constraints { metric: "latency_s" target: "gap9" max: 0.0005 }
accuracy { evaluator: "command" command { run: "n=$(cat )" +
           dir + R"(/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > )" + dir +
           R"(/count; if [ $n -eq 12 ] && [ -e )" + dir +
           R"(/armed ]; then kill -9 $PPID; sleep 5; fi; jq -c '{accuracy: (.params / (.params + 20000))}' {json}" } }
algorithm { population: 10 generations: 4 }
)";
}

NasStudy load(const TempDir& dir) {
    const auto path = dir.write("study.textproto", study(dir.path().string()));
    return loadNasStudy(path.string(), ConfigPaths());
}

NasSummary run(const NasStudy& s, const std::string& out, int jobs, bool resume = false,
               double flushSeconds = 2.0) {
    Session session;
    NasOptions o;
    o.out = out;
    o.jobs = jobs;
    o.resume = resume;
    o.quiet = true;
    o.flushSeconds = flushSeconds;
    return runNas(s, session, o);
}

/// The table without the measured columns (times).
Table measuredOut(const std::string& path, const std::string& table) {
    std::vector<std::string> keep;
    for (const auto& c : readTableColumns(path, table)) {
        if (c.name.size() < 2 || c.name.substr(c.name.size() - 2) != "_s" ||
            c.name.find("latency") != std::string::npos) {
            keep.push_back(c.name);
        }
    }
    return readTable(path, table, keep);
}

/// Rows of /nas/evaluations whose accuracy was evaluated (the command ran for them: the
/// candidates the simulated constraints admit).
int trained(const std::string& path) {
    int n = 0;
    for (double a : readDoubleColumn(path, kEvaluationsTable, "accuracy")) {
        n += std::isnan(a) ? 0 : 1;
    }
    return n;
}

int calls(const TempDir& dir) {
    std::ifstream in(dir.file("count"));
    int n = 0;
    in >> n;
    return n;
}

TEST(NasRunnerTest, SameRowsWithOneOrTwoWorkers) {
    TempDir dir;
    const NasStudy s = load(dir);
    const NasSummary one = run(s, dir.file("one.h5"), 1);
    const NasSummary two = run(s, dir.file("two.h5"), 2);
    EXPECT_EQ(one.individuals, 10 + 4 * 10);
    EXPECT_EQ(two.individuals, one.individuals);
    EXPECT_EQ(two.workers, 2);
    for (const char* t : {kPopulationTable, kParetoTable, kEvaluationsTable}) {
        SCOPED_TRACE(t);
        const Table a = measuredOut(dir.file("one.h5"), t);
        const Table b = measuredOut(dir.file("two.h5"), t);
        ASSERT_EQ(a.rows.size(), b.rows.size());
        for (std::size_t r = 0; r < a.rows.size(); ++r) {
            ASSERT_EQ(a.rows[r].size(), b.rows[r].size());
            for (std::size_t c = 0; c < a.rows[r].size(); ++c) {
                const auto* x = std::get_if<double>(&a.rows[r][c]);
                const auto* y = std::get_if<double>(&b.rows[r][c]);
                if (x != nullptr && std::isnan(*x)) {
                    EXPECT_TRUE(std::isnan(*y));
                } else {
                    EXPECT_EQ(a.rows[r][c], b.rows[r][c]) << a.columns[c].name << " row " << r;
                }
            }
        }
    }
    // Every network was evaluated once: one command call per distinct network.
    EXPECT_EQ(static_cast<int64_t>(countRows(dir.file("one.h5"), kEvaluationsTable)),
              one.evaluated);
}

TEST(NasRunnerTest, TheFrontIsFeasibleNonDominatedAndResimulates) {
    TempDir dir;
    const NasStudy s = load(dir);
    const std::string out = dir.file("nas.h5");
    const NasSummary summary = run(s, out, 1);
    const Table front = readTable(out, kParetoTable);
    ASSERT_GT(front.rows.size(), 1U);
    const auto num = [&](std::size_t r, const std::string& col) {
        return std::get<double>(front.rows[r][static_cast<std::size_t>(front.column(col))]);
    };
    Session session;
    for (std::size_t r = 0; r < front.rows.size(); ++r) {
        EXPECT_EQ(num(r, "violation"), 0.0);
        EXPECT_LE(num(r, "mcu.peak_ram_bytes"), 40000);
        EXPECT_LE(num(r, "gap9.latency_s"), 0.0005);
        for (std::size_t q = 0; q < front.rows.size(); ++q) {
            const bool dominates = num(q, "accuracy") >= num(r, "accuracy") &&
                                   num(q, "mcu.latency_s") <= num(r, "mcu.latency_s") &&
                                   (num(q, "accuracy") > num(r, "accuracy") ||
                                    num(q, "mcu.latency_s") < num(r, "mcu.latency_s"));
            EXPECT_FALSE(dominates) << q << " dominates " << r;
        }
        // The exported network, simulated as any network file, gives the reported costs.
        const int64_t id =
            std::get<int64_t>(front.rows[r][static_cast<std::size_t>(front.column("id"))]);
        const std::string file = summary.frontDir + "/" + std::to_string(id) + ".textproto";
        // Its ONNX file has the same network.
        EXPECT_EQ(workloads::loadNetwork(summary.frontDir + "/" + std::to_string(id) + ".onnx",
                                         ConfigPaths())
                      .network.totals()
                      .macs,
                  workloads::loadNetwork(file, ConfigPaths()).network.totals().macs);
        for (const auto& [target, platform, stack] :
             {std::tuple<std::string, std::string, std::string>{"mcu", "nucleo-l4r5zi",
                                                                "tflm-cmsis-nn"},
              {"gap9", "gap9-evk", "gap-flow"}}) {
            Query q;
            q.network = file;
            q.platform = platform;
            q.stack = stack;
            const auto res = session.run(q).result;
            EXPECT_EQ(res.latencyS, num(r, target + ".latency_s")) << file;
            EXPECT_EQ(static_cast<double>(res.peakRamBytes), num(r, target + ".peak_ram_bytes"));
            EXPECT_EQ(res.energyJ, num(r, target + ".energy_j"));
        }
    }
    // The generations table: one row per generation, the last population's hypervolume above
    // the first's (NSGA-II's crowding truncation may lose a little between generations).
    const auto hv = readDoubleColumn(out, kGenerationsTable, "hypervolume");
    ASSERT_EQ(hv.size(), 5U);
    EXPECT_GT(hv.front(), 0);
    EXPECT_GT(hv.back(), hv.front());
}

TEST(NasRunnerTest, AKilledRunResumesToTheSameRowsWithoutRepeatingEvaluations) {
    TempDir dir;
    const NasStudy s = load(dir);
    const std::string whole = dir.file("whole.h5");
    const NasSummary complete = run(s, whole, 1);
    const int wholeCalls = calls(dir);
    EXPECT_EQ(wholeCalls, trained(whole));
    EXPECT_EQ(countRows(whole, kEvaluationsTable), complete.evaluated);
    std::remove(dir.file("count").c_str());

    // The 12th evaluation kills the process that runs the search (SIGKILL: nothing to clean).
    dir.write("armed", "");
    const std::string killed = dir.file("killed.h5");
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        try {
            run(s, killed, 1, false, 1e-6); // commits every finished evaluation
        } catch (...) {
        }
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run was not killed";
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    EXPECT_EQ(calls(dir), 12);
    std::remove(dir.file("armed").c_str());
    // What the killed run committed: a readable file holding finished evaluations.
    const int64_t kept = countRows(killed, kEvaluationsTable);
    EXPECT_GE(kept, 1);

    const int keptTrained = trained(killed);
    EXPECT_EQ(keptTrained, 11);
    const NasSummary resumed = run(s, killed, 1, true);
    EXPECT_EQ(resumed.fromFile, kept);
    // Only networks the file did not hold were evaluated again.
    EXPECT_EQ(resumed.evaluated, complete.evaluated - kept);
    // The 12th call died with the run; every finished one was kept and not repeated.
    EXPECT_EQ(calls(dir), 12 + wholeCalls - keptTrained);
    for (const char* t : {kPopulationTable, kParetoTable, kGenerationsTable}) {
        SCOPED_TRACE(t);
        const Table a = measuredOut(whole, t);
        const Table b = measuredOut(killed, t);
        ASSERT_EQ(a.rows.size(), b.rows.size());
        for (std::size_t r = 0; r < a.rows.size(); ++r) {
            for (std::size_t c = 0; c < a.rows[r].size(); ++c) {
                const auto* x = std::get_if<double>(&a.rows[r][c]);
                if (x != nullptr && std::isnan(*x)) {
                    EXPECT_TRUE(std::isnan(std::get<double>(b.rows[r][c])));
                } else {
                    EXPECT_EQ(a.rows[r][c], b.rows[r][c]) << a.columns[c].name << " row " << r;
                }
            }
        }
    }
}

TEST(NasRunnerTest, ACandidateTheEvaluatorFailedOnIsInfeasibleEvenWithoutAnAccuracyObjective) {
    spec::NasStudySpec s;
    s.add_targets()->set_platform("p");
    s.add_objectives()->set_metric("params");
    wire::NasOutcome o;
    o.set_params(1000);
    o.set_status("ok");
    o.add_targets()->set_status("ok");
    EXPECT_EQ(score(s, o).violation, 0.0);
    o.set_status("accuracy_failed");
    EXPECT_EQ(score(s, o).violation, 1.0);
    EXPECT_EQ(score(s, o).objectives, std::vector<double>{1000});
}

TEST(NasRunnerTest, BadRunsAreRefusedBeforeWriting) {
    TempDir dir;
    const NasStudy s = load(dir);
    const std::string out = dir.file("nas.h5");
    // The file to refuse comes from another process: every check below fails before this one
    // simulates anything (and AddressSanitizer, which loses track of the stack once SystemC
    // has switched coroutines, sees the exceptions on a clean stack).
    const edgesim::test::CliRun made =
        edgesim::test::runCli("nas -q --jobs 1 --study " + s.file + " --out " + out);
    ASSERT_EQ(made.code, 0) << made.err;
    // An existing file without --resume or --overwrite.
    EXPECT_THAT(expectInputError([&] { run(s, out, 1); }).formatAll(),
                HasSubstr("the file exists"));
    // Another study's file.
    std::string other = study(dir.path().string());
    other.replace(other.find("seed: 4"), 7, "seed: 5");
    const auto otherPath = dir.write("other.textproto", other);
    const NasStudy o = loadNasStudy(otherPath.string(), ConfigPaths());
    EXPECT_THAT(expectInputError([&] { run(o, out, 1, true); }).formatAll(),
                HasSubstr("not written by this study"));
    // A platform that does not exist: named with the study's line, nothing written.
    std::string bad = study(dir.path().string());
    bad.replace(bad.find("gap9-evk"), 8, "gap10-evk");
    const auto badPath = dir.write("bad.textproto", bad);
    const NasStudy b = loadNasStudy(badPath.string(), ConfigPaths());
    const InputError e = expectInputError([&] { run(b, dir.file("bad.h5"), 1); });
    EXPECT_THAT(e.formatAll(), HasSubstr("targets[1].platform"));
    EXPECT_FALSE(std::ifstream(dir.file("bad.h5")).good());
}

} // namespace
} // namespace edgesim::explorer::nas
