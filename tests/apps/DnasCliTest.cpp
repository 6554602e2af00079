// `edgesim dnas` as a user runs it: a small study runs, prints each target's predicted and
// simulated cost and whether it is met, writes the HDF5 tables and the exported network (which
// `simulate` re-runs to the simulated value reported), gives the same rows twice, reads its
// cost tables from the cache the second time, resumes a killed run to the rows of an
// uninterrupted one, exports receptive-field and SuperNet choices that re-simulate as reported,
// and refuses bad studies and options with exit 2 before writing anything.
#include "explorer/dnas/DnasRunner.h"
#include "explorer/results/ResultsFile.h"

#include "tests/util/CliRun.h"
#include "tests/util/TableCompare.h"
#include "tests/util/TestUtil.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace ex = edgesim::explorer;
namespace dn = edgesim::explorer::dnas;
using edgesim::test::CliRun;
using edgesim::test::runCli;
using edgesim::test::runShell;
using edgesim::test::TempDir;

/// A study of two searches on 1,000 training images (a few seconds), its cost tables cached in
/// `cache`.
std::string study(const std::string& cache, int searchEpochs = 2) {
    return R"(name: "tiny" seed: 3 network: "fmnist/ds-cnn"
searches { name: "l4r5" target { platform: "nucleo-l4r5zi" stack: "tflm-cmsis-nn" }
  limits { metric: "latency_s" max_fraction: 0.6 } limits { metric: "weight_bytes" max: 9000 } }
searches { name: "gap9" target { platform: "gap9-evk" stack: "gap-flow" }
  limits { metric: "latency_s" max_fraction: 0.6 } }
training { train_images: 1000 test_images: 300 batch_size: 50 warmup_epochs: 1
  search_epochs: )" +
           std::to_string(searchEpochs) +
           R"( finetune_epochs: 1 arch_learning_rate: 0.05 no_baseline: true }
costs { cache_dir: ")" +
           cache +
           R"(" check_networks: 3 }
)";
}

bool fashionMnist() {
    return fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
}

/// Skips the test where Debian's Fashion-MNIST is not installed.
#define SKIP_WITHOUT_FASHION_MNIST()                                                               \
    if (!fashionMnist())                                                                           \
    GTEST_SKIP() << "Fashion-MNIST not installed (scripts/setup.sh: dataset-fashion-mnist)"

/// A one-search study on 1,000 training images (1 + 3 + 1 epochs, no baseline, no table cache):
/// `head` holds its name, seed, network and method, `search` its searches block.
std::string tinySearchStudy(const std::string& head, const std::string& search, int checks) {
    return head + "\n" + search +
           "\ntraining { train_images: 1000 test_images: 300 batch_size: 50 warmup_epochs: 1\n"
           "  search_epochs: 3 finetune_epochs: 1 arch_learning_rate: 0.05 no_baseline: true }\n"
           "costs { cache_dir: \"none\" check_networks: " +
           std::to_string(checks) + " }\n";
}

/// `edgesim dnas --study file --out out -q` (its output in `run`) and its /dnas/result table,
/// one row per cost metric (no rows when the run failed).
ex::Table searched(const std::string& file, const std::string& out, CliRun& run) {
    run = runCli("dnas --study " + file + " --out " + out + " -q");
    EXPECT_EQ(run.code, 0) << run.err;
    if (run.code != 0) {
        return {};
    }
    ex::Table t = ex::readTable(out, dn::kResultTable);
    EXPECT_EQ(t.rows.size(), static_cast<std::size_t>(dn::kCostMetricCount));
    return t;
}

/// The same for the tiny search study of `head` and `search` (tinySearchStudy) written to
/// `dir` as `<name>.textproto`, its output `<name>.h5`.
ex::Table searched(TempDir& dir, const std::string& name, const std::string& head,
                   const std::string& search, int checks, CliRun& run) {
    return searched(dir.write(name + ".textproto", tinySearchStudy(head, search, checks)).string(),
                    dir.file(name + ".h5"), run);
}

/// Text column `column` of a result table's first row.
std::string firstCell(const ex::Table& t, const char* column) {
    return std::get<std::string>(t.rows.at(0)[static_cast<std::size_t>(t.column(column))]);
}

/// What a search reported for one metric.
struct Reported {
    double predicted = 0, simulated = 0;
    int64_t met = -1;
};

/// A one-search result table's exported network simulated again (`edgesim simulate` with
/// `args`): the simulation gives the reported latency and energy exactly; returns the
/// reported values per metric.
std::map<std::string, Reported> resimulated(const ex::Table& t, const std::string& args) {
    std::map<std::string, Reported> out;
    const CliRun sim = runCli("simulate " + args + " --format json");
    EXPECT_EQ(sim.code, 0) << sim.err;
    if (sim.code != 0) {
        return out;
    }
    const auto json = nlohmann::json::parse(sim.out);
    for (const auto& row : t.rows) {
        const std::string metric = std::get<std::string>(row[3]);
        Reported& r = out[metric];
        r.predicted = std::get<double>(row[static_cast<std::size_t>(t.column("predicted"))]);
        r.simulated = std::get<double>(row[static_cast<std::size_t>(t.column("simulated"))]);
        r.met = std::get<int64_t>(row[static_cast<std::size_t>(t.column("met"))]);
        if (metric == "latency_s" || metric == "energy_j") {
            EXPECT_DOUBLE_EQ(json.at(metric).get<double>(), r.simulated) << metric;
        }
    }
    return out;
}

/// The reported latency and energy predicted within `tolerance` (relative) of the simulation.
void expectTimeAsPredicted(const std::map<std::string, Reported>& reported, double tolerance) {
    for (const char* metric : {"latency_s", "energy_j"}) {
        const auto& v = reported.at(metric);
        EXPECT_NEAR(v.predicted, v.simulated, tolerance * v.simulated) << metric;
    }
}

/// A table without the columns that hold measured times or the output's own paths.
ex::Table withoutTimes(const std::string& path, const std::string& table) {
    std::vector<std::string> keep;
    for (const auto& c : ex::readTableColumns(path, table)) {
        if (c.name != "seconds" && c.name != "network" && c.name != "mapping") {
            keep.push_back(c.name);
        }
    }
    return ex::readTable(path, table, keep);
}

TEST(DnasCli, ASmallStudyMeetsItsTargetsBySimulationAndExportsItsNetworks) {
    SKIP_WITHOUT_FASHION_MNIST();
    TempDir dir;
    const std::string file = dir.write("tiny.textproto", study(dir.file("cache"))).string();
    const std::string out = dir.file("tiny.h5");
    const CliRun r = runCli("dnas --study " + file + " --out " + out + " -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("search l4r5 (nucleo-l4r5zi/tflm-cmsis-nn): exported network ok"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("cost tables: measured"), std::string::npos) << r.out;

    // /dnas/result: a row per search and cost metric; a limit is met by the simulated value.
    const ex::Table t = ex::readTable(out, dn::kResultTable);
    ASSERT_EQ(t.rows.size(), 2U * dn::kCostMetricCount);
    for (const char* c :
         {"platform", "metric", "target", "predicted", "simulated", "met", "accuracy"}) {
        EXPECT_GE(t.column(c), 0) << c;
    }
    int limits = 0;
    for (const auto& row : t.rows) {
        const double target = std::get<double>(row[static_cast<std::size_t>(t.column("target"))]);
        const double simulated =
            std::get<double>(row[static_cast<std::size_t>(t.column("simulated"))]);
        const double predicted =
            std::get<double>(row[static_cast<std::size_t>(t.column("predicted"))]);
        const int64_t met = std::get<int64_t>(row[static_cast<std::size_t>(t.column("met"))]);
        EXPECT_EQ(met, std::isnan(target) ? -1 : (simulated <= target ? 1 : 0));
        limits += std::isnan(target) ? 0 : 1;
        EXPECT_NEAR(predicted, simulated, 0.1 * simulated); // the issue's goal: <= 10%
        EXPECT_GT(std::get<double>(row[static_cast<std::size_t>(t.column("accuracy"))]), 0.2);
    }
    EXPECT_EQ(limits, 3);
    EXPECT_EQ(ex::countRows(out, dn::kEpochsTable), 2 * 4);
    EXPECT_EQ(ex::countRows(out, dn::kCostModelTable), 2 * 4 * dn::kCostMetricCount);

    // The exported network re-simulates to the simulated latency reported.
    const std::string net = dir.file("tiny.dnas/l4r5.textproto");
    ASSERT_TRUE(fs::exists(net));
    EXPECT_TRUE(fs::exists(dir.file("tiny.dnas/l4r5.onnx")));
    const CliRun sim =
        runCli("simulate -p nucleo-l4r5zi -s tflm-cmsis-nn -n " + net + " --format json");
    ASSERT_EQ(sim.code, 0) << sim.err;
    const auto json = nlohmann::json::parse(sim.out);
    double latency = NAN;
    for (const auto& row : t.rows) {
        if (std::get<std::string>(row[0]) == "l4r5" &&
            std::get<std::string>(row[3]) == "latency_s") {
            latency = std::get<double>(row[static_cast<std::size_t>(t.column("simulated"))]);
        }
    }
    EXPECT_DOUBLE_EQ(json.at("latency_s").get<double>(), latency);

    // Same study, same rows; the cost tables now come from the cache.
    const std::string again = dir.file("again.h5");
    const CliRun r2 = runCli("dnas --study " + file + " --out " + again + " -q");
    ASSERT_EQ(r2.code, 0) << r2.err;
    EXPECT_NE(r2.out.find("cost tables: from the cache (0 single-layer simulations"),
              std::string::npos)
        << r2.out;
    for (const char* table : {dn::kResultTable, dn::kEpochsTable, dn::kCostModelTable}) {
        EXPECT_TRUE(edgesim::test::sameRows(withoutTimes(out, table), withoutTimes(again, table)))
            << table;
    }

    // A finished file resumes to itself: nothing runs again.
    const CliRun r3 = runCli("dnas --study " + file + " --out " + out + " --resume -q");
    ASSERT_EQ(r3.code, 0) << r3.err;
    EXPECT_NE(r3.out.find("search l4r5 (nucleo-l4r5zi/tflm-cmsis-nn): in the resumed file"),
              std::string::npos)
        << r3.out;
    EXPECT_EQ(ex::countRows(out, dn::kResultTable), 2 * dn::kCostMetricCount);
}

TEST(DnasCli, AReceptiveFieldSearchExportsKernelsAndDilationsThatSimulateAsReported) {
    SKIP_WITHOUT_FASHION_MNIST();
    TempDir dir;
    CliRun r;
    const ex::Table t =
        searched(dir, "taps",
                 R"(name: "taps" seed: 4
network: "fmnist/tcn-pit" method { kind: "pit" receptive_field: true })",
                 R"(searches { name: "gap8" target { platform: "gap8" stack: "gap-flow" }
  limits { metric: "latency_s" max_fraction: 0.3 } })",
                 3, r);
    ASSERT_EQ(t.rows.size(), static_cast<std::size_t>(dn::kCostMetricCount));
    EXPECT_NE(r.out.find("layers at other variants than the seed's"), std::string::npos) << r.out;
    const std::string taps = firstCell(t, "variants");
    EXPECT_NE(taps.find('x'), std::string::npos) << taps; // "tc4=5x2 ..."
    // The exported spec holds those kernels and dilations, and re-simulates to the reported
    // values.
    const std::string net = dir.file("taps.dnas/gap8.textproto");
    const std::string text = edgesim::test::readFileBytes(net);
    std::istringstream words(taps);
    for (std::string w; words >> w;) {
        const std::string layer = w.substr(0, w.find('='));
        const std::string kernel = w.substr(w.find('=') + 1, w.find('x') - w.find('=') - 1);
        const auto at = text.find("name: \"" + layer + "\"");
        ASSERT_NE(at, std::string::npos) << layer;
        EXPECT_NE(text.find("kernel: " + kernel, at), std::string::npos) << w;
    }
    const auto reported = resimulated(t, "-p gap8 -s gap-flow -n " + net);
    for (const auto& [metric, v] : reported) {
        EXPECT_NEAR(v.predicted, v.simulated, 0.1 * v.simulated) << metric;
    }
    EXPECT_EQ(reported.at("latency_s").met, 1);
}

TEST(DnasCli, ASuperNetSearchExportsItsChoicesAndTheyResimulateAsReported) {
    SKIP_WITHOUT_FASHION_MNIST();
    TempDir dir;
    CliRun r;
    const ex::Table t = searched(
        dir, "sn",
        R"(name: "sn" seed: 2
network: "fmnist/ds-cnn"
method { kind: "supernet"
  choices { layer: "dw1" alternatives { depthwise_conv2d { window { kernel: [5, 5] } } activation: RELU } identity: true }
  choices { layer: "pw2" identity: true }
  choices { layer: "pw3" identity: true } })",
        R"(searches { name: "l4r5" target { platform: "nucleo-l4r5zi" stack: "tflm-cmsis-nn" }
  limits { metric: "latency_s" max_fraction: 0.85 } })",
        4, r);
    ASSERT_EQ(t.rows.size(), static_cast<std::size_t>(dn::kCostMetricCount));
    const std::string variants = firstCell(t, "variants");
    // The exported spec has the skipped layers removed, and re-simulates as reported.
    const std::string net = dir.file("sn.dnas/l4r5.textproto");
    const std::string text = edgesim::test::readFileBytes(net);
    for (const char* layer : {"dw1", "pw2", "pw3"}) {
        const bool skipped = variants.find(std::string(layer) + "=identity") != std::string::npos;
        EXPECT_EQ(text.find("name: \"" + std::string(layer) + "\"") == std::string::npos, skipped)
            << layer << " in " << variants;
    }
    expectTimeAsPredicted(resimulated(t, "-p nucleo-l4r5zi -s tflm-cmsis-nn -n " + net), 1e-6);
}

TEST(DnasCli, AnActivationPrecisionSearchExportsSubByteLayersThatResimulateAsReported) {
    SKIP_WITHOUT_FASHION_MNIST();
    TempDir dir;
    CliRun r;
    const ex::Table t =
        searched(dir, "act",
                 R"(name: "act" seed: 4
network: "fmnist/ds-cnn" method { kind: "mps" weight_bits: [8] activation_bits: [8, 4, 2] })",
                 R"(searches { name: "mpic" target { platform: "mpic" stack: "mpic-qnn" }
  limits { metric: "peak_ram_bytes" max_fraction: 0.3 } })",
                 3, r);
    ASSERT_EQ(t.rows.size(), static_cast<std::size_t>(dn::kCostMetricCount));
    // The RAM limit is out of reach of int8 activations at the tile-rounded channels the
    // search keeps: some layers' outputs went to 4 or 2 bits ("pw1=4 dw2=2"), and the
    // exported network says so.
    const std::string act = firstCell(t, "activation_bits");
    ASSERT_FALSE(act.empty());
    const std::string net = dir.file("act.dnas/mpic.textproto");
    const std::string text = edgesim::test::readFileBytes(net);
    EXPECT_NE(text.find("output_dtype: INT"), std::string::npos) << text;
    EXPECT_NE(r.out.find("activations at other precisions than the seed's: " + act),
              std::string::npos)
        << r.out;
    expectTimeAsPredicted(resimulated(t, "-p mpic -s mpic-qnn -n " + net + " --quantize none"),
                          1e-3);
}

TEST(DnasCli, APerChannelPrecisionSearchExportsSubLayersThatResimulateAsReported) {
    SKIP_WITHOUT_FASHION_MNIST();
    TempDir dir;
    CliRun r;
    const ex::Table t =
        searched(dir, "pc",
                 R"(name: "pc" seed: 6
network: "fmnist/ds-cnn" method { kind: "mps" per_channel: true })",
                 R"(searches { name: "gap9" target { platform: "gap9-evk" stack: "gap-flow" }
  limits { metric: "weight_bytes" max_fraction: 0.2 } })",
                 3, r);
    ASSERT_EQ(t.rows.size(), static_cast<std::size_t>(dn::kCostMetricCount));
    EXPECT_NE(r.out.find("--quantize none"), std::string::npos) << r.out;
    const std::string bits = firstCell(t, "weight_bits");
    // A layer with channels at several precisions ("pw3=8:4+4:56") is sub-layers and a concat.
    const std::string net = dir.file("pc.dnas/gap9.textproto");
    const std::string text = edgesim::test::readFileBytes(net);
    std::istringstream words(bits);
    for (std::string w; words >> w;) {
        const std::string layer = w.substr(0, w.find('='));
        if (w.find('+') != std::string::npos) {
            EXPECT_NE(text.find("name: \"" + layer + "_w"), std::string::npos) << w;
            EXPECT_NE(text.find("concat"), std::string::npos) << w;
        }
    }
    const auto reported = resimulated(t, "-p gap9-evk -s gap-flow -n " + net + " --quantize none");
    // Footprints are exact; the concat's time is estimated.
    EXPECT_NEAR(reported.at("weight_bytes").predicted, reported.at("weight_bytes").simulated, 2.0);
}

TEST(DnasCli, OdimoSplitsLayersOnDianaAndItsMappingRoundTripsThroughSimulate) {
    SKIP_WITHOUT_FASHION_MNIST();
    TempDir dir;
    const std::string file =
        dir.write("odimo.textproto",
                  R"(name: "odimo" seed: 5 network: "fmnist/resnet8" method { kind: "odimo" }
searches { name: "diana" target { platform: "diana" stack: "htvm" }
  limits { metric: "latency_s" max_fraction: 1.0 } }
training { train_images: 1000 test_images: 300 batch_size: 50 warmup_epochs: 1
  search_epochs: 2 finetune_epochs: 1 arch_learning_rate: 0.2 no_baseline: true }
costs { cache_dir: "none" check_networks: 4 }
)")
            .string();
    const std::string out = dir.file("odimo.h5");
    const CliRun r = runCli("dnas --study " + file + " --out " + out + " -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("layers split or moved across engines: "), std::string::npos) << r.out;
    const std::string mapping = dir.file("odimo.dnas/diana.mapping.textproto");
    ASSERT_TRUE(fs::exists(mapping)) << r.out;

    const ex::Table t = ex::readTable(out, dn::kResultTable);
    ASSERT_EQ(t.rows.size(), static_cast<std::size_t>(dn::kCostMetricCount));
    const auto cell = [&](std::size_t row, const char* column) {
        return t.rows[row][static_cast<std::size_t>(t.column(column))];
    };
    EXPECT_EQ(std::get<std::string>(cell(0, "mapping")), mapping);
    const std::string split = std::get<std::string>(cell(0, "split"));
    // The cost model's check sample split at random: within the issue's 10% on latency
    // and energy, footprints exact.
    const ex::Table check = ex::readTable(out, dn::kCostModelTable);
    int splitSamples = 0;
    for (const auto& row : check.rows) {
        const std::string metric = std::get<std::string>(row[3]);
        const double err = std::get<double>(row[static_cast<std::size_t>(check.column("error"))]);
        EXPECT_LE(err, metric == "latency_s" || metric == "energy_j" ? 0.1 : 1e-9)
            << std::get<std::string>(row[1]) << " " << metric;
        splitSamples += std::get<std::string>(row[2]).find("+digital:") != std::string::npos;
    }
    EXPECT_GE(splitSamples, 3 * dn::kCostMetricCount);

    // The exported network with its mapping re-simulates to the reported values, by the
    // command the run prints.
    EXPECT_NE(r.out.find("re-run: edgesim simulate -p diana -s htvm -n " +
                         dir.file("odimo.dnas/diana") + ".textproto --mapping " + mapping),
              std::string::npos)
        << r.out;
    const CliRun sim =
        runCli("simulate -p diana -s htvm -n " + dir.file("odimo.dnas/diana.textproto") +
               " --mapping " + mapping + " --format json");
    ASSERT_EQ(sim.code, 0) << sim.err;
    const auto json = nlohmann::json::parse(sim.out);
    for (std::size_t row = 0; row < t.rows.size(); ++row) {
        const std::string metric = std::get<std::string>(cell(row, "metric"));
        if (metric == "latency_s" || metric == "energy_j") {
            EXPECT_DOUBLE_EQ(json.at(metric).get<double>(),
                             std::get<double>(cell(row, "simulated")))
                << metric;
        }
    }
    // Each layer the export splits is split in the mapping file.
    const std::string text = edgesim::test::readFileBytes(mapping);
    std::size_t both = 0; // "layer=engine:n+engine:m" (split); "layer=engine:n" (moved)
    std::istringstream tokens(split);
    for (std::string token; tokens >> token;) {
        both += token.find('+') != std::string::npos ? 1 : 0;
    }
    std::size_t inFile = 0;
    for (std::size_t at = 0; (at = text.find("split_engine", at)) != std::string::npos; ++at) {
        ++inFile;
    }
    EXPECT_GT(both, 0U) << split; // the latency limit leaves the digital array idle time
    EXPECT_EQ(inFile, both) << split << "\n" << text;
}

TEST(DnasCli, AKilledRunResumesToTheRowsOfAnUninterruptedOne) {
    SKIP_WITHOUT_FASHION_MNIST();
    TempDir dir;
    // A longer second search, so that the kill lands in it.
    const std::string file = dir.write("s.textproto", study(dir.file("cache"), 12)).string();
    const std::string full = dir.file("full.h5");
    ASSERT_EQ(runCli("dnas --study " + file + " --out " + full + " -q").code, 0);

    const std::string killed = dir.file("killed.h5");
    const std::string pidFile = dir.file("pid");
    runShell("(" + std::string(EDGESIM_BINARY) + " dnas --study " + file + " --out " + killed +
             " -q >" + dir.file("killed.out") + " 2>&1 & echo $! > " + pidFile + ")");
    const std::string pid = edgesim::test::readFileBytes(pidFile);
    // Wait until the first search is committed, then kill the run in the second.
    bool committed = false;
    for (int i = 0; i < 2400 && !committed; ++i) { // up to 2 minutes (sanitizer builds)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        committed = fs::exists(killed) && ex::countRows(killed, dn::kResultTable) > 0;
    }
    ASSERT_TRUE(committed);
    runShell("kill -9 " + pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int64_t before = ex::countRows(killed, dn::kResultTable);
    EXPECT_EQ(before, dn::kCostMetricCount) << "the run ended before the kill";
    // The finished search's summary was printed before the kill.
    EXPECT_NE(edgesim::test::readFileBytes(dir.file("killed.out"))
                  .find("search l4r5 (nucleo-l4r5zi/tflm-cmsis-nn): exported network ok"),
              std::string::npos);
    const CliRun r = runCli("dnas --study " + file + " --out " + killed + " --resume -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("search l4r5 (nucleo-l4r5zi/tflm-cmsis-nn): in the resumed file"),
              std::string::npos)
        << r.out;
    EXPECT_TRUE(edgesim::test::sameRows(withoutTimes(full, dn::kEpochsTable),
                                        withoutTimes(killed, dn::kEpochsTable)));
    EXPECT_EQ(ex::readDoubleColumn(full, dn::kResultTable, "simulated"),
              ex::readDoubleColumn(killed, dn::kResultTable, "simulated"));
}

TEST(DnasCli, SaysWhichLimitsNoNetworkCanMeetAndOverwriteClearsStaleExports) {
    SKIP_WITHOUT_FASHION_MNIST();
    TempDir dir;
    const std::string file = dir.write("small.textproto",
                                       R"(name: "small" seed: 2 network: "fmnist/ds-cnn"
searches { name: "l4r5" target { platform: "nucleo-l4r5zi" stack: "tflm-cmsis-nn" }
  limits { metric: "peak_ram_bytes" max: 100 } limits { metric: "weight_bytes" max: 1000000 } }
training { train_images: 300 test_images: 100 batch_size: 50 warmup_epochs: 1
  search_epochs: 1 finetune_epochs: 1 no_baseline: true }
costs { cache_dir: "none" check_networks: 1 }
)")
                                 .string();
    const std::string out = dir.file("small.h5");
    const CliRun r = runCli("dnas --study " + file + " --out " + out + " -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("exported network ok, 1 of 2 limits met (simulated)"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("note: limit peak_ram_bytes <= 100 cannot be met: the smallest network "
                         "the search can export costs"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(r.out.find("note: limit weight_bytes"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("re-run: edgesim simulate -p nucleo-l4r5zi -s tflm-cmsis-nn -n "),
              std::string::npos)
        << r.out;
    // A fresh run over an earlier one starts with an empty export directory.
    const std::string stale = dir.write("small.dnas/old-search.textproto", "stale").string();
    const CliRun again = runCli("dnas --study " + file + " --out " + out + " --overwrite -q");
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_TRUE(fs::exists(dir.file("small.dnas/l4r5.textproto")));
}

TEST(DnasCli, BadStudiesAndOptionsExitTwoNamingTheFieldAndWriteNothing) {
    TempDir dir;
    const std::string out = dir.file("bad.h5");
    const auto expectRefused = [&](const std::string& text, const std::string& what,
                                   const std::string& extra = "") {
        SCOPED_TRACE(what);
        const std::string file = dir.write("bad.textproto", text).string();
        const CliRun r = runCli("dnas --study " + file + " --out " + out + " -q" + extra);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(out));
        EXPECT_FALSE(fs::exists(dir.file("bad.dnas")));
    };
    const std::string target = R"(target { platform: "nucleo-l4r5zi" stack: "tflm-cmsis-nn" })";
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nsearches { " + target +
                      "\n  limits { metric: \"latency\" max: 1 } }",
                  "bad.textproto:3: searches[0].limits[0].metric: unknown cost metric 'latency'");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\" method { kind: \"odimo\" }\n"
                  "searches { " +
                      target + " limits { metric: \"latency_s\" max_fraction: 0.5 } }",
                  "bad.textproto:2: searches[0].target: no layer of fmnist/ds-cnn can be split "
                  "between two accelerators of nucleo-l4r5zi with tflm-cmsis-nn");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nsearches { " + target +
                      " limits { metric: \"latency_s\" max_fraction: 12 } }",
                  "max_fraction: 12 is out of range (0, 10]");
    expectRefused("name: \"b\"\nsearches { " + target +
                      " limits { metric: \"latency_s\" max: 1 } }",
                  "network: missing required field");
    expectRefused("name: \"b\" network: \"no/such\"\nsearches { " + target +
                      " limits { metric: \"latency_s\" max: 1 } }",
                  "network:");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nsearches { target { platform: \"nope\" "
                  "stack: \"tflm-cmsis-nn\" } limits { metric: \"latency_s\" max: 1 } }",
                  "bad.textproto:2: searches[0].target.platform: unknown platform 'nope'");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nsearches { " + target +
                      " limits { metric: \"latency_s\" max: 1 } }\ntraining { data_dir: \"" +
                      dir.file("nowhere") + "\" }",
                  "bad.textproto:3: training.data_dir: " + dir.file("nowhere"));
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nsearches { " + target +
                      " limits { metric: \"latency_s\" max: 1 } }\nmethod { kind: \"darts\" }",
                  "method.kind: unknown method 'darts'");
    expectRefused("name: \"b\" network: \"fmnist/tcn-pit\"\nsearches { " + target +
                      " limits { metric: \"latency_s\" max: 1 } }\nmethod { kind: \"mps\" "
                      "receptive_field: true }",
                  "method.receptive_field: only the pit method searches receptive fields");
    const std::string limit = " limits { metric: \"latency_s\" max_fraction: 0.8 } }";
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\" method { kind: \"supernet\" }\n"
                  "searches { " +
                      target + limit,
                  "method.choices: missing required field");
    expectRefused(
        "name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { kind: \"supernet\"\n"
        "choices { layer: \"nope\" identity: true } }\nsearches { " +
            target + limit,
        "bad.textproto:3: method.choices[0].layer: 'nope' is not a layer of fmnist/ds-cnn");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { kind: \"supernet\"\n"
                  "choices { layer: \"pw2\" alternatives { conv2d { out_channels: 16 window { "
                  "kernel: [1, 1] } } } } }\nsearches { " +
                      target + limit,
                  "method.choices[0].alternatives[0]: output shape [7, 7, 16], not the seed "
                  "layer's [7, 7, 64]");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { kind: \"supernet\"\n"
                  "choices { layer: \"pw1\" identity: true } }\nsearches { " +
                      target + limit,
                  "method.choices[0].identity: 'pw1' changes its input's shape [14, 14, 32] to "
                  "[14, 14, 64]");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { choices { layer: \"pw2\" "
                  "identity: true } }\nsearches { " +
                      target + limit,
                  "method.choices[0]: only the supernet method has choice blocks");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { per_channel: true }\n"
                  "searches { " +
                      target + limit,
                  "method.per_channel: only the mps method searches precisions");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { activation_bits: [4] }\n"
                  "searches { " +
                      target + limit,
                  "method.activation_bits[0]: only the mps method searches precisions");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { kind: \"mps\" "
                  "activation_bits: [8, 3] }\nsearches { " +
                      target + limit,
                  "method.activation_bits[1]: 3 bits: not an activation type (8, 4, 2)");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { kind: \"mps\" "
                  "weight_bits: [8, 4, 8] }\nsearches { " +
                      target + limit,
                  "method.weight_bits[2]: 8 bits twice");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { kind: \"mps\" per_channel: "
                  "true activation_bits: [4] }\nsearches { " +
                      target + limit,
                  "method.activation_bits[0]: not with per_channel");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { kind: \"supernet\"\n"
                  "choices { layer: \"dw3\" alternatives { batch_norm {} } alternatives { max_pool "
                  "{ window { kernel: [3, 3] stride: [1] padding: SAME } } } } }\nsearches { " +
                      target + limit,
                  "method.choices[0].alternatives[0]: an op the search cannot train");
    expectRefused("name: \"b\" network: \"fmnist/ds-cnn\"\nmethod { kind: \"supernet\"\n"
                  "choices { layer: \"dw3\" alternatives { max_pool { window { kernel: [3, 3] "
                  "stride: [1] padding: SAME } } } } }\nsearches { " +
                      target + limit,
                  "method.choices[0].alternatives[0]: pooling with padding cannot be trained");
    // Studies of the other commands, each pointed to its own.
    const CliRun sweep = runCli("dnas --study dvfs --out " + out);
    EXPECT_EQ(sweep.code, 2);
    EXPECT_NE(sweep.err.find("edgesim sweep"), std::string::npos) << sweep.err;
    const CliRun nas = runCli("nas --study dnas-fmnist-demo --out " + out);
    EXPECT_EQ(nas.code, 2);
    EXPECT_NE(nas.err.find("edgesim dnas"), std::string::npos) << nas.err;
    EXPECT_FALSE(fs::exists(out));
    // An existing file without --resume or --overwrite.
    dir.write("exists.h5", "x");
    const CliRun exists = runCli("dnas --study dnas-fmnist-demo --out " + dir.file("exists.h5"));
    EXPECT_EQ(exists.code, 2);
    EXPECT_NE(exists.err.find("--resume"), std::string::npos) << exists.err;
}

} // namespace
