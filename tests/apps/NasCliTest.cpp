// `edgesim nas` as a user runs it: the example studies run and print their front next to their
// seed, MPI ranks write the rows one process writes, and bad studies or options exit 2 naming
// the file, line and field, leaving no output file.
#include "explorer/nas/NasTables.h"
#include "explorer/results/ResultsFile.h"

#include "tests/util/CliRun.h"
#include "tests/util/TableCompare.h"
#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;
namespace ex = edgesim::explorer;
using edgesim::test::CliRun;
using edgesim::test::runCli;
using edgesim::test::sameRows;
using edgesim::test::TempDir;

/// /nas/population without its measured columns (times).
ex::Table population(const std::string& path) {
    std::vector<std::string> keep;
    for (const auto& c : ex::readTableColumns(path, edgesim::explorer::nas::kPopulationTable)) {
        if (c.name != "sim_s" && c.name != "train_s") {
            keep.push_back(c.name);
        }
    }
    return ex::readTable(path, edgesim::explorer::nas::kPopulationTable, keep);
}

TEST(NasCli, ExampleStudiesRunAndPrintTheirFrontNextToTheSeed) {
    for (const char* study : {"nas-kws", "nas-ic", "nas-vww"}) {
        SCOPED_TRACE(study);
        TempDir dir;
        const std::string out = dir.file("nas.h5");
        const CliRun r = runCli(std::string("nas --study ") + study + " --out " + out + " -q");
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_NE(r.out.find("Pareto front ("), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("(MLPerf Tiny)]"), std::string::npos) << r.out;
        EXPECT_NE(r.err.find("simulation"), std::string::npos) << r.err;
        const int64_t front = ex::countRows(out, edgesim::explorer::nas::kParetoTable);
        EXPECT_GE(front, 1);
        EXPECT_EQ(static_cast<int64_t>(std::distance(fs::directory_iterator(dir.file("nas.front")),
                                                     fs::directory_iterator())),
                  3 * front); // .textproto, .onnx, .json each
        // The seed is individual 0, of the reference network's MACs.
        const auto macs =
            ex::readDoubleColumn(out, edgesim::explorer::nas::kPopulationTable, "macs");
        EXPECT_GT(macs.at(0), 0);
    }
}

TEST(NasCli, MpiRanksWriteTheSameRowsAsOneProcess) {
    if (!edgesim::test::onPath("mpirun")) {
        GTEST_SKIP() << "mpirun is not on PATH (Debian: openmpi-bin): the MPI search is not tested";
    }
    TempDir dir;
    const std::string one = dir.file("one.h5");
    const std::string mpi = dir.file("mpi.h5");
    const CliRun r1 = runCli("nas --study nas-kws --jobs 1 -q --out " + one);
    ASSERT_EQ(r1.code, 0) << r1.err;
    const CliRun r3 =
        edgesim::test::runShell(edgesim::test::mpirun(3) + " nas --study nas-kws -q --out " + mpi);
    ASSERT_EQ(r3.code, 0) << r3.err;
    EXPECT_NE(r3.err.find("on 2 MPI ranks"), std::string::npos) << r3.err;
    EXPECT_TRUE(sameRows(population(mpi), population(one)));
}

TEST(NasCli, BadStudiesAndOptionsExitTwoAndWriteNothing) {
    TempDir dir;
    const char* configs = std::getenv("EDGESIM_CONFIG_DIR"); // set by CTest
    ASSERT_NE(configs, nullptr);
    const std::string kws =
        edgesim::test::readFileBytes(std::string(configs) + "/studies/nas-kws.textproto");
    const auto write = [&](const std::string& name,
                           const std::vector<std::pair<std::string, std::string>>& edits) {
        std::string text = kws;
        for (const auto& [from, to] : edits) {
            const auto at = text.find(from);
            EXPECT_NE(at, std::string::npos) << from;
            text.replace(at, from.size(), to);
        }
        return dir.write(name, text).string();
    };
    const std::string out = dir.file("out.h5");
    const std::vector<edgesim::test::BadInput> cases = {
        {"nas --study nope --out " + out, {"--study", "nope"}},
        {"nas --study " + write("syntax.textproto", {{"seed: 7", "seed: seven"}}) + " --out " + out,
         {"syntax.textproto:12", "seven"}},
        {"nas --study " +
             write("platform.textproto", {{"platform: \"gap9-evk\"", "platform: \"gap99\""}}) +
             " --out " + out,
         {"platform.textproto", "targets[1].platform", "gap99"}},
        {"nas --study " + write("metric.textproto", {{"metric: \"macs\"", "metric: \"flops\""}}) +
             " --out " + out,
         {"metric.textproto:26", "objectives[1].metric", "'flops' is not a metric"}},
        {"nas --study " +
             write("classes.textproto", {{"algorithm {", "accuracy { evaluator: \"train\" }\n"
                                                         "algorithm {"}}) +
             " --out " + out,
         {"classes.textproto", "space.head.classes", "12 classes"}},
        {"nas --study " +
             write("data.textproto",
                   {{"classes: 12", "classes: 10"},
                    {"reference: \"mlperf_tiny/kws\"", ""},
                    {"algorithm {", "accuracy { evaluator: \"train\" train { data_dir: "
                                    "\"/nonexistent\" } }\nalgorithm {"}}) +
             " --out " + out,
         {"data.textproto", "accuracy.train.data_dir", "/nonexistent/train-images-idx3-ubyte.gz"}},
        {"nas --study nas-kws --resume --overwrite --out " + out, {"--resume"}},
        {"nas --study dvfs --out " + out, {"dvfs.textproto", "a sweep study", "edgesim sweep"}},
        {"sweep --study nas-kws --out " + out, {"nas-kws.textproto", "a NAS study", "edgesim nas"}},
    };
    edgesim::test::expectBadInputs(cases);
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(dir.file("out.front")));
}

TEST(NasCli, ListStudiesNamesEachStudysKind) {
    const CliRun r = runCli("list studies");
    ASSERT_EQ(r.code, 0) << r.err;
    for (const auto& [name, kind] :
         std::vector<std::pair<std::string, std::string>>{{"nas-kws", "[nas]"},
                                                          {"dvfs", "[sweep]"},
                                                          {"nas-fmnist-demo", "[nas]"},
                                                          {"dnas-fmnist-demo", "[dnas]"}}) {
        const auto at = r.out.find("\n" + name + " ");
        ASSERT_NE(at, std::string::npos) << name << "\n" << r.out;
        const std::string line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
        EXPECT_NE(line.find("  " + kind + " "), std::string::npos) << line;
    }
}

} // namespace
