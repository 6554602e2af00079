// The simulating subcommands (`simulate`, `validate`, `calibrate`) of the edgesim binary as a
// user runs them: exit codes, JSON/CSV/table outputs, HDF5 and trace files, error messages.
#include "explorer/results/ResultsFile.h"
#include "onnx/onnx.pb.h"

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
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

using edgesim::test::BadInput;
using edgesim::test::CliRun;
using edgesim::test::expectBadInputs;

CliRun run(const std::string& args) {
    return edgesim::test::runCli(args);
}

using edgesim::test::TempDir;

std::string lastLine(const std::string& text) {
    std::string t = text;
    while (!t.empty() && t.back() == '\n') {
        t.pop_back();
    }
    const auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

/// The cells of one CSV line (RFC 4180 quotes; every cell, trailing empty ones included).
std::vector<std::string> cellsOf(const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            cells.back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            cells.emplace_back();
        } else {
            cells.back() += c;
        }
    }
    return cells;
}

const std::string kKws = "simulate -p nucleo-l4r5zi -s tflm-2.3 -n mlperf_tiny/kws";
const std::string kCalibrationCsv = EDGESIM_TEST_DIR "/data/silicon/calibration.csv";
/// A network that does not fit the nucleo-l4r5zi's SRAMs (see the file).
const std::string kTooBig = EDGESIM_TEST_DIR "/apps/data/too_big.textproto";
constexpr int64_t kKwsMacs = 2'656'768; // shared/data/mlperf_tiny_models.md

nlohmann::json simulateJson(const std::string& args) {
    const CliRun r = run(args + " --format json");
    EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
    return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

bool isHex64(const std::string& s) {
    return std::regex_match(s, std::regex("[0-9a-f]{64}"));
}

// ---------------------------------------------------------------------------------- simulate

TEST(SimCli, SimulateTrainingStrategyJson) {
    const nlohmann::json j = simulateJson(kKws + " --strategy sparse-backprop --strategy-param "
                                                 "dtype=int8 --strategy-param weight_layers=3");
    ASSERT_FALSE(j.is_null());
    EXPECT_EQ(j["status"], "ok");
    EXPECT_EQ(j["strategy"], "sparse-backprop");
    // Every parameter's value, the defaults included: what ran.
    EXPECT_EQ(j["strategy_params"], "bias_layers=4;channel_ratio=0.5;counting=physical;dtype=int8;"
                                    "optimizer=sgd;weight_layers=3");
    const auto& t = j["training"];
    ASSERT_TRUE(t.is_object()) << j.dump();
    int64_t live = 0;
    for (const auto& [role, bytes] : t["ram_by_role_bytes"].items()) {
        live += bytes.get<int64_t>();
    }
    EXPECT_EQ(live, t["peak_live_bytes"].get<int64_t>());
    EXPECT_GE(t["training_arena_bytes"].get<int64_t>(), live);
    EXPECT_LT(t["training_arena_bytes"].get<int64_t>(), j["peak_ram_bytes"].get<int64_t>());
    int64_t macs = 0;
    for (const auto& [kind, m] : t["macs_by_kind"].items()) {
        macs += m.get<int64_t>();
    }
    EXPECT_EQ(macs, j["macs"].get<int64_t>());
    EXPECT_EQ(t["macs_by_kind"]["forward"].get<int64_t>(), kKwsMacs);
    EXPECT_DOUBLE_EQ(t["latency_s_per_sample"].get<double>(), j["latency_s"].get<double>());
    EXPECT_EQ(t["accelerator_macs"].get<int64_t>(), 0) << "an MCU has no accelerator";
    EXPECT_GT(t["trainable_params"].get<int64_t>(), 0);
    // The table shows the same block.
    const CliRun table = run(kKws + " --strategy sparse-backprop --strategy-param dtype=int8");
    EXPECT_EQ(table.code, 0) << table.err;
    EXPECT_NE(table.out.find("training arena"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("on accelerators: 0.0% of MACs"), std::string::npos) << table.out;
}

TEST(SimCli, CascadeThatDoesNotRunHasNullMetrics) {
    const CliRun r = run(kKws + " --cascade-big " + kTooBig + " --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto c = nlohmann::json::parse(r.out)["cascade"];
    EXPECT_EQ(c["status"], "does_not_fit");
    EXPECT_NE(c["reason"].get<std::string>().find("big network"), std::string::npos);
    EXPECT_TRUE(c["expected_latency_s"].is_null());
    EXPECT_TRUE(c["worst_energy_j"].is_null());
    const CliRun ok = run(kKws + " --cascade-big mlperf_tiny/ad --cascade-share 0.5 --format json");
    ASSERT_EQ(ok.code, 0) << ok.err;
    const auto j = nlohmann::json::parse(ok.out);
    EXPECT_GT(j["cascade"]["expected_latency_s"].get<double>(), j["latency_s"].get<double>());
    // A share without a big network is bad input.
    EXPECT_EQ(run(kKws + " --cascade-share 0.5").code, 2);
}

TEST(SimCli, InspectCountsTrainingMacsUnderPauAymone) {
    for (const char* strategy : {"backprop", "forward-forward", "pepita", "mempepita"}) {
        const CliRun r = run(std::string("inspect -n mlperf_tiny/kws --strategy ") + strategy +
                             " --counting pau-aymone --format json");
        ASSERT_EQ(r.code, 0) << r.err;
        const auto j = nlohmann::json::parse(r.out);
        const std::map<std::string, std::string> key = {{"backprop", "backprop"},
                                                        {"forward-forward", "forward_forward"},
                                                        {"pepita", "pepita"},
                                                        {"mempepita", "mempepita"}};
        EXPECT_EQ(j["totals"]["macs"], j["training_macs_per_sample"][key.at(strategy)]) << strategy;
        EXPECT_EQ(j["totals"]["inference_macs"].get<int64_t>(), kKwsMacs);
        EXPECT_EQ(j["training"]["counting"], "pau-aymone");
    }
    // DS-CNN BP = FW 2,664,996 (with the pool and the head) + BW + WU + ERR 12.
    const CliRun bp = run("inspect -n mlperf_tiny/kws --strategy backprop --counting pau-aymone");
    EXPECT_EQ(bp.code, 0) << bp.err;
    EXPECT_NE(bp.out.find("backprop (pau-aymone counting, batch 1)"), std::string::npos) << bp.out;
    // A counting without a strategy, or an unknown counting, is bad input.
    const CliRun lone = run("inspect -n mlperf_tiny/kws --counting pau-aymone");
    EXPECT_EQ(lone.code, 2);
    EXPECT_NE(lone.err.find("--counting"), std::string::npos) << lone.err;
    const CliRun odd = run("inspect -n mlperf_tiny/kws --strategy backprop --counting sheet");
    EXPECT_EQ(odd.code, 2);
    EXPECT_NE(odd.err.find("counting"), std::string::npos) << odd.err;
}

TEST(SimCli, SimulateKwsJson) {
    const nlohmann::json j = simulateJson(kKws);
    ASSERT_FALSE(j.is_null());
    EXPECT_EQ(j["status"], "ok");
    EXPECT_EQ(j["platform"], "nucleo-l4r5zi");
    EXPECT_EQ(j["stack"], "tflm-2.3");
    EXPECT_EQ(j["network"], "mlperf_tiny/kws");
    EXPECT_EQ(j["strategy"], "inference");
    EXPECT_EQ(j["fidelity"], "tlm");
    const auto cycles = j["latency_cycles"].get<int64_t>();
    const auto clockHz = j["operating_point"]["clock_hz"].get<double>();
    EXPECT_GT(cycles, 0);
    EXPECT_DOUBLE_EQ(clockHz, 120e6); // the board's default operating point
    EXPECT_NEAR(j["latency_s"].get<double>(), static_cast<double>(cycles) / clockHz,
                1e-12 * static_cast<double>(cycles));
    EXPECT_GT(j["energy_j"].get<double>(), 0.0);
    EXPECT_GT(j["peak_ram_bytes"].get<int64_t>(), 0);
    EXPECT_GT(j["flash_bytes"].get<int64_t>(), 0);
    // The weights are the flash less the runtime's code (tflm-cmsis-nn's runtime_flash_bytes).
    EXPECT_GT(j["weight_bytes"].get<int64_t>(), 0);
    EXPECT_LT(j["weight_bytes"].get<int64_t>(), j["flash_bytes"].get<int64_t>());
    EXPECT_EQ(j["macs"].get<int64_t>(), kKwsMacs);

    ASSERT_TRUE(j["layers"].is_array());
    ASSERT_FALSE(j["layers"].empty());
    int64_t sum = 0;
    int64_t macs = 0;
    for (const auto& l : j["layers"]) {
        sum += l["cycles"].get<int64_t>();
        macs += l["macs"].get<int64_t>();
        EXPECT_EQ(l["cycles"].get<int64_t>(),
                  l["end_cycle"].get<int64_t>() - l["start_cycle"].get<int64_t>())
            << l["name"];
    }
    EXPECT_EQ(sum, cycles);
    EXPECT_EQ(macs, kKwsMacs);
    EXPECT_EQ(j["layers"].back()["end_cycle"].get<int64_t>(), cycles);

    EXPECT_TRUE(isHex64(j["provenance"]["config_sha256"].get<std::string>()))
        << j["provenance"]["config_sha256"];
    EXPECT_FALSE(j["provenance"]["edgesim_version"].get<std::string>().empty());
    EXPECT_FALSE(j["provenance"]["created_utc"].get<std::string>().empty());
}

TEST(SimCli, SimulateRepeatReportsHostTime) {
    const nlohmann::json j = simulateJson(kKws + " --repeat 3");
    ASSERT_FALSE(j.is_null());
    EXPECT_EQ(j["repeat"], 3);
    ASSERT_TRUE(j.contains("host_us_per_sim_median"));
    EXPECT_GT(j["host_us_per_sim_median"].get<double>(), 0.0);
    EXPECT_FALSE(simulateJson(kKws).contains("host_us_per_sim_median"));
}

TEST(SimCli, SimulateFidelityBothOnMcuHasNoGap) {
    const nlohmann::json j = simulateJson(kKws + " --fidelity both");
    ASSERT_FALSE(j.is_null());
    ASSERT_TRUE(j.contains("analytical"));
    // A single initiator has no contention: the closed form equals the TLM model.
    EXPECT_EQ(j["analytical"]["gap_pct"].get<double>(), 0.0);
    EXPECT_EQ(j["analytical"]["latency_cycles"], j["latency_cycles"]);
    EXPECT_GT(j["analytical"]["energy_j"].get<double>(), 0.0);
}

TEST(SimCli, SimulateOperatingPointOverrides) {
    const nlohmann::json base = simulateJson(kKws);
    const nlohmann::json slow = simulateJson(kKws + " --clock-mhz 80");
    ASSERT_FALSE(base.is_null());
    ASSERT_FALSE(slow.is_null());
    EXPECT_DOUBLE_EQ(slow["operating_point"]["clock_hz"].get<double>(), 8e7);
    EXPECT_GT(slow["latency_s"].get<double>(), base["latency_s"].get<double>());
    EXPECT_NEAR(slow["latency_s"].get<double>(), slow["latency_cycles"].get<double>() / 8e7,
                1e-12 * slow["latency_cycles"].get<double>());
    // The overrides are part of what the result depends on.
    EXPECT_NE(slow["provenance"]["config_sha256"], base["provenance"]["config_sha256"]);

    const CliRun fast = run(kKws + " --clock-mhz 500");
    EXPECT_EQ(fast.code, 2) << fast.out;
    EXPECT_NE(fast.err.find("--clock-mhz"), std::string::npos) << fast.err;
    EXPECT_TRUE(fast.out.empty()) << fast.out;
    const CliRun volts = run(kKws + " --voltage-v 9");
    EXPECT_EQ(volts.code, 2) << volts.out;
    EXPECT_NE(volts.err.find("--voltage-v"), std::string::npos) << volts.err;
    EXPECT_TRUE(volts.out.empty()) << volts.out;
}

TEST(SimCli, SimulateCsvAndTable) {
    const nlohmann::json j = simulateJson(kKws);
    ASSERT_FALSE(j.is_null());
    const CliRun csv = run(kKws + " --format csv");
    ASSERT_EQ(csv.code, 0) << csv.err;
    const auto rows = edgesim::test::nonEmptyLines(csv.out);
    ASSERT_EQ(rows.size(), j["layers"].size() + 2) << csv.out; // header, layers, total
    EXPECT_EQ(rows[0].rfind("#,name,op,engine,start_cycle,cycles,macs,", 0), 0U) << rows[0];
    for (std::size_t i = 0; i < j["layers"].size(); ++i) {
        const std::string prefix = std::to_string(i) + "," +
                                   j["layers"][i]["name"].get<std::string>() + "," +
                                   j["layers"][i]["op"].get<std::string>() + ",";
        EXPECT_EQ(rows[i + 1].rfind(prefix, 0), 0U) << rows[i + 1];
    }
    // The last row: the whole run, with its status.
    const auto header = cellsOf(rows[0]);
    const auto total = cellsOf(rows.back());
    ASSERT_EQ(total.size(), header.size()) << rows.back();
    const auto cell = [&](const std::string& name) {
        return total[static_cast<std::size_t>(std::find(header.begin(), header.end(), name) -
                                              header.begin())];
    };
    EXPECT_EQ(total[0], "total");
    EXPECT_EQ(cell("cycles"), std::to_string(j["latency_cycles"].get<int64_t>()));
    EXPECT_EQ(cell("macs"), std::to_string(kKwsMacs));
    EXPECT_EQ(cell("status"), "ok");
    EXPECT_EQ(cell("reason"), "");
    EXPECT_NEAR(std::stod(cell("energy_j")), j["energy_j"].get<double>(),
                1e-6 * j["energy_j"].get<double>());

    const CliRun table = run(kKws);
    ASSERT_EQ(table.code, 0) << table.err;
    EXPECT_TRUE(std::regex_search(table.out, std::regex(R"((^|\n)latency: [0-9,]+ cycles)")))
        << table.out;
    EXPECT_TRUE(std::regex_search(table.out, std::regex(R"((^|\n)energy: )"))) << table.out;
    EXPECT_NE(table.out.find("status: ok"), std::string::npos) << table.out;
}

TEST(SimCli, SimulateWritesHdf5AndTrace) {
    TempDir dir;
    const std::string h5 = dir.file("run.h5");
    const std::string trace = dir.file("timeline.json");
    const nlohmann::json j = simulateJson(kKws + " --out " + h5 + " --trace " + trace);
    ASSERT_FALSE(j.is_null());
    const auto layers = j["layers"].size();

    ASSERT_TRUE(fs::exists(h5));
    EXPECT_FALSE(fs::exists(h5 + ".tmp"));
    EXPECT_EQ(edgesim::explorer::countRows(h5, "runs"), 1);
    EXPECT_EQ(edgesim::explorer::countRows(h5, "layers"), static_cast<int64_t>(layers));
    EXPECT_EQ(edgesim::explorer::readStringColumn(h5, "runs", "network"),
              std::vector<std::string>{"mlperf_tiny/kws"});
    EXPECT_EQ(edgesim::explorer::readStringColumn(h5, "runs", "status"),
              std::vector<std::string>{"ok"});
    EXPECT_EQ(edgesim::explorer::readDoubleColumn(h5, "runs", "latency_cycles"),
              std::vector<double>{j["latency_cycles"].get<double>()});
    EXPECT_EQ(edgesim::explorer::readDoubleColumn(h5, "runs", "macs"),
              std::vector<double>{static_cast<double>(kKwsMacs)});
    // The operating point run, and the query's hash and seed.
    EXPECT_EQ(edgesim::explorer::readDoubleColumn(h5, "runs", "clock_hz"),
              std::vector<double>{120e6});
    EXPECT_EQ(edgesim::explorer::readDoubleColumn(h5, "runs", "voltage_v"),
              std::vector<double>{j["operating_point"]["voltage_v"].get<double>()});
    EXPECT_EQ(edgesim::explorer::readStringColumn(h5, "runs", "config_sha256"),
              std::vector<std::string>{j["config_sha256"].get<std::string>()});
    EXPECT_EQ(edgesim::explorer::readIntColumn(h5, "runs", "seed"), std::vector<int64_t>{0});
    EXPECT_EQ(j["provenance"]["seed"], 0); // as in the file: one seed, recorded the same way
    EXPECT_EQ(edgesim::explorer::readStringColumn(h5, "runs", "mapping"),
              std::vector<std::string>{"host-only"}); // a board without engines
    const auto names = edgesim::explorer::readStringColumn(h5, "layers", "layer_name");
    ASSERT_EQ(names.size(), layers);
    for (std::size_t i = 0; i < layers; ++i) {
        EXPECT_EQ(names[i], j["layers"][i]["name"]);
    }

    ASSERT_TRUE(fs::exists(trace));
    const auto t = nlohmann::json::parse(edgesim::test::readFileBytes(trace), nullptr, false);
    ASSERT_FALSE(t.is_discarded()) << "trace is not valid JSON";
    ASSERT_TRUE(t["traceEvents"].is_array());
    for (const auto& l : j["layers"]) {
        int found = 0;
        for (const auto& e : t["traceEvents"]) {
            if (e.value("ph", "") == "X" && e.value("name", "") == l["name"].get<std::string>()) {
                ++found;
            }
        }
        EXPECT_EQ(found, 1) << "X events for layer " << l["name"];
    }
}

TEST(SimCli, SimulateQuantizesAFloatOnnxModel) {
    const std::string model = EDGESIM_TEST_DIR "/data/onnx/corpus/cnn1d.onnx";
    const nlohmann::json j =
        simulateJson("simulate -p nucleo-l4r5zi -s tflm-cmsis-nn -n " + model + " --quantize int8");
    ASSERT_FALSE(j.is_null());
    EXPECT_EQ(j["status"], "ok");
    EXPECT_EQ(j["precision"], "int8 (--quantize)");
    const CliRun table = run("simulate -p nucleo-l4r5zi -s tflm-cmsis-nn -n " + model);
    EXPECT_EQ(table.code, 0) << table.err;
    EXPECT_NE(table.out.find("precision: as stored"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("--quantize int8"), std::string::npos) << table.out;
    // inspect shows the network as it would be deployed.
    const CliRun inspected = run("inspect -n " + model + " --quantize int8 --format json");
    ASSERT_EQ(inspected.code, 0) << inspected.err;
    const auto bytes = nlohmann::json::parse(inspected.out)["totals"]["weight_bytes_by_dtype"];
    EXPECT_TRUE(bytes.contains("int8")) << bytes;
    EXPECT_FALSE(bytes.contains("fp32")) << bytes;
    expectBadInputs({
        {"inspect -n " + model + " --quantize int3", {"--quantize", "'int3'"}},
        {"simulate -p nucleo-l4r5zi -s tflm-cmsis-nn -n " + model + " --quantize int3",
         {"--quantize", "'int3'", "int8-weights-only"}},
        {"simulate -p nucleo-l4r5zi -s tflm-cmsis-nn -n " + model + " --quantize " + kTooBig,
         {"too_big.textproto"}},
    });
}

TEST(SimCli, SimulateReportsStreamedWeightsAndWaits) {
    const std::string net = EDGESIM_TEST_DIR "/sim/data/streamed-net.textproto";
    const nlohmann::json j = simulateJson("simulate -p gap9-evk -s gap-flow -n " + net);
    ASSERT_FALSE(j.is_null());
    ASSERT_EQ(j["status"], "ok");
    EXPECT_GT(j["streamed_weight_bytes"].get<int64_t>(), 0);
    int64_t stall = 0;
    for (const auto& l : j["layers"]) {
        stall += l["weight_stall_cycles"].get<int64_t>();
        EXPECT_LE(l["weight_stall_cycles"].get<int64_t>(), l["cycles"].get<int64_t>()) << l;
    }
    EXPECT_GE(stall, 0);
    const nlohmann::json resident = simulateJson(kKws);
    ASSERT_FALSE(resident.is_null());
    EXPECT_EQ(resident["streamed_weight_bytes"].get<int64_t>(), 0);
}

TEST(SimCli, SimulateOutIntoMissingDirectory) {
    TempDir dir;
    const std::string h5 = dir.file("no/such/dir/run.h5");
    const CliRun r = run(kKws + " --out " + h5);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.err.find(dir.file("no/such/dir/")), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(h5));
    EXPECT_FALSE(fs::exists(h5 + ".tmp"));
    EXPECT_TRUE(r.out.empty()) << r.out;

    const std::string trace = dir.file("no/such/dir/t.json");
    const CliRun t = run(kKws + " --trace " + trace);
    EXPECT_EQ(t.code, 2) << t.out;
    EXPECT_NE(t.err.find("--trace"), std::string::npos) << t.err;
    EXPECT_FALSE(fs::exists(trace));
}

TEST(SimCli, SimulateNeverWritesOverItsInputsAndWritesThroughSymlinks) {
    TempDir dir;
    const std::string net = dir.file("kws.textproto");
    fs::copy_file(std::string(EDGESIM_SOURCE_DIR) + "/configs/networks/mlperf_tiny/kws.textproto",
                  net);
    const std::string before = edgesim::test::readFileBytes(net);
    const std::string args = "simulate -p nucleo-l4r5zi -s tflm-cmsis-nn -n " + net;
    // The network as an output, directly or through a symlink: refused, the input intact.
    fs::create_symlink(net, dir.file("link.h5"));
    for (const std::string& out : {net, dir.file("link.h5")}) {
        const CliRun r = run(args + " --out " + out);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_NE(r.err.find("is the input --network"), std::string::npos) << r.err;
        EXPECT_EQ(edgesim::test::readFileBytes(net), before);
    }
    // A symlink to a file not yet written: the file is created, the link stays.
    fs::create_symlink(dir.file("traces/t.json"), dir.file("t.json"));
    fs::create_directories(dir.file("traces"));
    const CliRun ok = run(args + " --trace " + dir.file("t.json"));
    EXPECT_EQ(ok.code, 0) << ok.err;
    EXPECT_TRUE(fs::is_symlink(dir.file("t.json")));
    EXPECT_TRUE(fs::is_regular_file(dir.file("traces/t.json")));
    // A symlink into a folder that does not exist: refused before simulating (an error after
    // a simulation upsets AddressSanitizer), the link left as it was.
    fs::create_symlink("nowhere/x.json", dir.file("dangling.json"));
    const CliRun dangling = run(args + " --trace " + dir.file("dangling.json"));
    EXPECT_EQ(dangling.code, 2) << dangling.err;
    EXPECT_NE(dangling.err.find("does not exist (the symlink points to"), std::string::npos)
        << dangling.err;
    EXPECT_TRUE(dangling.out.empty());
    EXPECT_TRUE(fs::is_symlink(dir.file("dangling.json")));
}

TEST(SimCli, NamesThatAreNotUtf8FromAnOnnxFileAreReplacedInJsonAndTraces) {
    // ONNX (proto2) strings are bytes: a node name need not be UTF-8. JSON output and the
    // trace replace such bytes with U+FFFD instead of dying with an internal error.
    TempDir dir;
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(edgesim::test::readFileBytes(
        std::string(EDGESIM_TEST_DIR) + "/data/onnx/torch_tinynet.onnx")));
    model.mutable_graph()->mutable_node(0)->set_name("conv\xff\xfe");
    const std::string path = dir.file("odd_names.onnx");
    std::ofstream(path, std::ios::binary) << model.SerializeAsString();
    const std::string trace = dir.file("t.json");
    const CliRun r = run("simulate -p gap9-evk -s gap-flow -n " + path + " --quantize int8 " +
                         "--format json --trace " + trace);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out.substr(0, 500);
    EXPECT_NE(r.out.find("conv\xef\xbf\xbd"), std::string::npos); // U+FFFD in UTF-8
    EXPECT_FALSE(
        nlohmann::json::parse(edgesim::test::readFileBytes(trace), nullptr, false).is_discarded());
}

TEST(SimCli, SystemcMessagesNeverReachStandardOutput) {
    // A bus name with dots: SystemC substitutes them in its own object name and, by default,
    // prints a warning on standard output, which broke --format json.
    TempDir dir;
    std::string platform = edgesim::test::readFileBytes(
        std::string(EDGESIM_SOURCE_DIR) + "/configs/platforms/nucleo-l4r5zi.textproto");
    const auto at = platform.find("name: \"bus\"");
    ASSERT_NE(at, std::string::npos);
    platform.replace(at, 11, "name: \"../main.bus\"");
    const std::string path = dir.file("dotted.textproto");
    std::ofstream(path) << platform;
    const CliRun r =
        run("simulate -p " + path + " -s tflm-cmsis-nn -n mlperf_tiny/kws --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(nlohmann::json::parse(r.out, nullptr, false).is_discarded())
        << r.out.substr(0, 300);
}

TEST(SimCli, SimulateIsDeterministic) {
    nlohmann::json a = simulateJson(kKws + " --fidelity both");
    nlohmann::json b = simulateJson(kKws + " --fidelity both");
    ASSERT_FALSE(a.is_null());
    ASSERT_FALSE(b.is_null());
    a["provenance"].erase("created_utc");
    b["provenance"].erase("created_utc");
    EXPECT_EQ(a, b) << nlohmann::json::diff(a, b).dump(2);
}

TEST(SimCli, SimulateBadInputExitsTwoNamingTheField) {
    TempDir dir;
    // A platform config given as a path, with a syntax error on line 5.
    std::string platform = edgesim::test::readFileBytes(
        EDGESIM_SOURCE_DIR "/configs/platforms/nucleo-l4r5zi.textproto");
    ASSERT_FALSE(platform.empty());
    std::size_t pos = 0;
    for (int line = 1; line < 5; ++line) {
        pos = platform.find('\n', pos) + 1;
    }
    platform.insert(pos, "this is not { valid\n");
    const std::string bad = dir.write("broken_platform.textproto", platform);

    const std::vector<BadInput> cases = {
        {"simulate -p no-such-board -s tflm-2.3 -n mlperf_tiny/kws",
         {"--platform", "no-such-board"}},
        {"simulate -p nucleo-l4r5zi -s no-such-stack -n mlperf_tiny/kws",
         {"--stack", "no-such-stack"}},
        {"simulate -p nucleo-l4r5zi -s tflm-2.3 -n mlperf_tiny/nope",
         {"--network", "mlperf_tiny/nope"}},
        {kKws + " --strategy no-such-strategy", {"--strategy", "no-such-strategy"}},
        {"simulate -p " + bad + " -s tflm-2.3 -n mlperf_tiny/kws", {"broken_platform.textproto:5"}},
        {kKws + " --batch 0", {"--batch"}},
        {kKws + " --format xml", {"--format"}},
        {"simulate -s tflm-2.3 -n mlperf_tiny/kws", {"--platform"}},
    };
    expectBadInputs(cases);
}

TEST(SimCli, SimulateNetworkThatDoesNotFit) {
    const std::string args = "simulate -p nucleo-l4r5zi -s tflm-2.3 -n " + kTooBig;
    const nlohmann::json j = simulateJson(args);
    ASSERT_FALSE(j.is_null());
    EXPECT_EQ(j["status"], "does_not_fit");
    ASSERT_TRUE(j.contains("reason"));
    EXPECT_NE(j["reason"].get<std::string>().find("RAM"), std::string::npos) << j["reason"];
    EXPECT_GT(j["peak_ram_bytes"].get<int64_t>(), 600000);
    // What the run did not produce is null, as it is NaN in /runs.
    for (const char* metric : {"latency_cycles", "latency_s", "energy_j"}) {
        EXPECT_TRUE(j[metric].is_null()) << metric << ": " << j[metric];
    }
    EXPECT_FALSE(j["macs"].is_null());
    ASSERT_FALSE(j["memories"].empty());
    EXPECT_TRUE(j["memories"][0]["bytes_read"].is_null());
    const nlohmann::json both = simulateJson(args + " --fidelity both");
    ASSERT_FALSE(both.is_null());
    EXPECT_TRUE(both["analytical"]["latency_s"].is_null()) << both["analytical"];
    EXPECT_TRUE(both["analytical"]["gap_pct"].is_null()) << both["analytical"];
    EXPECT_EQ(both["analytical"]["config_sha256"].get<std::string>().size(), 64U);

    const CliRun table = run(args);
    EXPECT_EQ(table.code, 0) << table.err;
    EXPECT_NE(table.out.find("status: does_not_fit"), std::string::npos) << table.out;
}

TEST(SimCli, SimulateOutHoldsBothFidelitiesAndNaNForWhatDidNotRun) {
    TempDir dir;
    // --fidelity both: two runs, the analytical one its own query with its own hash.
    const std::string both = dir.file("both.h5");
    const nlohmann::json j = simulateJson(kKws + " --fidelity both --out " + both);
    ASSERT_FALSE(j.is_null());
    namespace ex = edgesim::explorer;
    EXPECT_EQ(ex::readStringColumn(both, "runs", "fidelity"),
              (std::vector<std::string>{"tlm", "analytical"}));
    EXPECT_EQ(ex::readIntColumn(both, "runs", "run_id"), (std::vector<int64_t>{0, 1}));
    const auto hashes = ex::readStringColumn(both, "runs", "config_sha256");
    ASSERT_EQ(hashes.size(), 2U);
    EXPECT_EQ(hashes[0], j["config_sha256"]);
    EXPECT_EQ(hashes[1], j["analytical"]["config_sha256"]);
    EXPECT_NE(hashes[0], hashes[1]);
    EXPECT_EQ(ex::countRows(both, "layers"), 2 * static_cast<int64_t>(j["layers"].size()));

    // A network that does not fit: a footprint, but no latency, energy or traffic (NaN, not 0).
    const std::string h5 = dir.file("nofit.h5");
    const std::string args = "simulate -p nucleo-l4r5zi -s tflm-2.3 -n " + kTooBig;
    const CliRun r = run(args + " --out " + h5);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(ex::readStringColumn(h5, "runs", "status"), std::vector<std::string>{"does_not_fit"});
    EXPECT_NE(ex::readStringColumn(h5, "runs", "reason").at(0).find("RAM"), std::string::npos);
    for (const char* column : {"latency_cycles", "latency_s", "energy_j", "bytes_sram"}) {
        EXPECT_TRUE(std::isnan(ex::readDoubleColumn(h5, "runs", column).at(0))) << column;
    }
    EXPECT_GT(ex::readDoubleColumn(h5, "runs", "peak_ram_bytes").at(0), 600000);
    EXPECT_EQ(ex::countRows(h5, "layers"), 0);

    // The CSV says so in its total row.
    const CliRun csv = run(args + " --format csv");
    ASSERT_EQ(csv.code, 0) << csv.err;
    const auto rows = edgesim::test::nonEmptyLines(csv.out);
    ASSERT_EQ(rows.size(), 2U) << csv.out; // header and total: no layer ran
    const auto header = cellsOf(rows[0]);
    const auto total = cellsOf(rows[1]);
    ASSERT_EQ(total.size(), header.size());
    const auto at = [&](const std::string& name) {
        return total[static_cast<std::size_t>(std::find(header.begin(), header.end(), name) -
                                              header.begin())];
    };
    EXPECT_EQ(at("status"), "does_not_fit");
    EXPECT_NE(at("reason").find("RAM"), std::string::npos) << rows[1];
    EXPECT_EQ(at("cycles"), "");
}

// ---------------------------------------------------------------------------------- mapping

// GAP9: host core "fc", engines "cluster" and "ne16" (configs/platforms/gap9-evk.textproto);
// the gap-flow stack's default mapper is greedy-latency.
const std::string kGap9Kws = "simulate -p gap9-evk -s gap-flow -n mlperf_tiny/kws";

std::vector<std::string> layerEngines(const nlohmann::json& j) {
    std::vector<std::string> out;
    for (const auto& l : j["layers"]) {
        out.push_back(l["engine"].get<std::string>());
    }
    return out;
}

TEST(SimCli, SimulateWithEnginesReportsEnginesTilesAndOverlap) {
    const nlohmann::json j = simulateJson(kGap9Kws);
    ASSERT_FALSE(j.is_null());
    ASSERT_EQ(j["status"], "ok") << j.value("reason", "");
    EXPECT_EQ(j["mapping"], "greedy-latency"); // the stack's default_mapper
    const auto latency = j["latency_cycles"].get<int64_t>();

    ASSERT_TRUE(j["engines"].is_array());
    std::vector<std::string> engineNames;
    for (const auto& e : j["engines"]) {
        engineNames.push_back(e["name"].get<std::string>());
        const auto busy = e["busy_cycles"].get<int64_t>();
        const auto idle = e["idle_cycles"].get<int64_t>();
        EXPECT_GE(busy, 0) << e;
        EXPECT_EQ(idle, std::max<int64_t>(latency - busy, 0)) << e;
        EXPECT_NEAR(e["idle_pct"].get<double>(),
                    100.0 * static_cast<double>(idle) / static_cast<double>(latency), 1e-9)
            << e;
    }
    EXPECT_EQ(engineNames, (std::vector<std::string>{"fc", "cluster", "ne16"}));

    int64_t tiles = 0;
    int64_t dmaBytes = 0;
    int onEngines = 0;
    for (const auto& l : j["layers"]) {
        ASSERT_TRUE(l["engine"].is_string()) << l;
        ASSERT_TRUE(l["fallback"].is_boolean()) << l;
        ASSERT_TRUE(l["tiles"].is_number_integer()) << l;
        ASSERT_TRUE(l["dma_bytes"].is_object()) << l;
        const double overlap = l["overlap"].get<double>();
        EXPECT_GE(overlap, 0.0) << l;
        EXPECT_LE(overlap, 1.0) << l;
        EXPECT_LE(l["hidden_cycles"].get<int64_t>(), l["dma_cycles"].get<int64_t>()) << l;
        if (l["dma_cycles"].get<int64_t>() == 0) {
            EXPECT_EQ(overlap, 1.0) << l;
        }
        for (const auto& [memory, bytes] : l["dma_bytes"].items()) {
            EXPECT_GT(bytes.get<int64_t>(), 0) << memory;
            dmaBytes += bytes.get<int64_t>();
        }
        tiles += l["tiles"].get<int64_t>();
        const std::string engine = l["engine"].get<std::string>();
        onEngines += engine == "cluster" || engine == "ne16" ? 1 : 0;
        if (engine == "fc") {
            EXPECT_TRUE(l["dma_bytes"].empty()) << "the host core computes in place: " << l;
        }
    }
    EXPECT_GT(onEngines, 0) << "greedy-latency offloads the convolutions";
    EXPECT_GT(tiles, 0);
    EXPECT_GT(dmaBytes, 0) << "offloaded layers move their tiles by DMA";

    // The host-only baseline: every layer on the fabric controller, engines never busy, and
    // slower than the mapping that uses the cluster and NE16.
    const nlohmann::json host = simulateJson(kGap9Kws + " --mapping host-only");
    ASSERT_FALSE(host.is_null());
    EXPECT_EQ(host["mapping"], "host-only");
    for (const auto& engine : layerEngines(host)) {
        EXPECT_EQ(engine, "fc");
    }
    ASSERT_EQ(host["engines"].size(), 3U);
    EXPECT_EQ(host["engines"][1]["busy_cycles"], 0);
    EXPECT_EQ(host["engines"][2]["busy_cycles"], 0);
    EXPECT_GT(host["latency_cycles"].get<int64_t>(), latency);
}

TEST(SimCli, SimulateTableAndCsvShowEngineColumns) {
    const nlohmann::json j = simulateJson(kGap9Kws);
    ASSERT_FALSE(j.is_null());
    // DMA columns: exactly the memories some layer's DMA touched.
    std::vector<std::string> dmaColumns;
    for (const auto& m : j["memories"]) {
        const std::string name = m["name"].get<std::string>();
        for (const auto& l : j["layers"]) {
            if (l["dma_bytes"].contains(name)) {
                dmaColumns.push_back("dma_" + name);
                break;
            }
        }
    }
    ASSERT_FALSE(dmaColumns.empty());

    const CliRun csv = run(kGap9Kws + " --format csv");
    ASSERT_EQ(csv.code, 0) << csv.err;
    const auto rows = edgesim::test::nonEmptyLines(csv.out);
    ASSERT_EQ(rows.size(), j["layers"].size() + 2); // header, layers, total
    const std::vector<std::string> header = cellsOf(rows[0]);
    const auto column = [&](const std::string& name) {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) -
                                        header.begin());
    };
    for (const std::string name : {"engine", "tiles", "fallback", "overlap"}) {
        EXPECT_LT(column(name), header.size()) << name << " in " << rows[0];
    }
    for (const auto& name : dmaColumns) {
        EXPECT_LT(column(name), header.size()) << name << " in " << rows[0];
    }
    EXPECT_EQ(std::count_if(header.begin(), header.end(),
                            [](const std::string& h) { return h.rfind("dma_", 0) == 0; }),
              static_cast<std::ptrdiff_t>(dmaColumns.size()))
        << rows[0];
    for (std::size_t i = 0; i < j["layers"].size(); ++i) {
        const std::vector<std::string> cells = cellsOf(rows[i + 1]);
        ASSERT_EQ(cells.size(), header.size()) << rows[i + 1];
        const auto& l = j["layers"][i];
        EXPECT_EQ(cells[column("engine")], l["engine"].get<std::string>());
        EXPECT_EQ(cells[column("tiles")], std::to_string(l["tiles"].get<int>()));
        EXPECT_EQ(cells[column("fallback")], l["fallback"].get<bool>() ? "1" : "0");
        EXPECT_NEAR(std::stod(cells[column("overlap")]), l["overlap"].get<double>(), 1e-5);
    }

    const CliRun table = run(kGap9Kws);
    ASSERT_EQ(table.code, 0) << table.err;
    EXPECT_NE(table.out.find("mapping: greedy-latency"), std::string::npos) << table.out;
    for (const auto& name : dmaColumns) {
        EXPECT_NE(table.out.find(name), std::string::npos) << name << "\n" << table.out;
    }
    // The per-engine summary: one row per engine with its idle share.
    EXPECT_TRUE(std::regex_search(table.out,
                                  std::regex(R"((^|\n)engine +busy_cycles +idle_cycles +idle\n)")))
        << table.out;
    for (const std::string engine : {"fc", "cluster", "ne16"}) {
        EXPECT_TRUE(std::regex_search(
            table.out, std::regex("(^|\n)" + engine + R"( +[0-9,]+ +[0-9,]+ +\d+\.\d%\n)")))
            << engine << "\n"
            << table.out;
    }
    // A layer without DMA shows "-" as its overlap; an offloaded one a percentage.
    EXPECT_TRUE(std::regex_search(table.out, std::regex(R"( \d+% )"))) << table.out;
}

TEST(SimCli, SimulateWriteMappingRoundTrip) {
    TempDir dir;
    const std::string file = dir.file("kws_gap9.textproto");
    const nlohmann::json greedy =
        simulateJson(kGap9Kws + " --mapping greedy-latency --write-mapping " + file);
    ASSERT_FALSE(greedy.is_null());
    ASSERT_TRUE(fs::exists(file));
    EXPECT_FALSE(fs::exists(file + ".tmp"));
    const std::string text = edgesim::test::readFileBytes(file);
    EXPECT_NE(text.find("name: \"greedy-latency\""), std::string::npos) << text;
    EXPECT_NE(text.find("layer: \"conv1\""), std::string::npos) << text;

    const nlohmann::json again = simulateJson(kGap9Kws + " --mapping " + file);
    ASSERT_FALSE(again.is_null());
    EXPECT_EQ(again["latency_cycles"], greedy["latency_cycles"]);
    EXPECT_EQ(again["energy_j"], greedy["energy_j"]);
    EXPECT_EQ(layerEngines(again), layerEngines(greedy));
    EXPECT_EQ(again["mapping"], "greedy-latency"); // the name written in the file
    // Same mapping, same result: the provenance hash covers the mapping, not where it came from.
    EXPECT_EQ(again["provenance"]["config_sha256"], greedy["provenance"]["config_sha256"]);
    const nlohmann::json host = simulateJson(kGap9Kws + " --mapping host-only");
    ASSERT_FALSE(host.is_null());
    EXPECT_NE(host["provenance"]["config_sha256"], greedy["provenance"]["config_sha256"]);

    // Channel splits survive the round trip too (the fractions are printed exactly).
    const std::string splitFile = dir.file("kws_gap9_exhaustive.textproto");
    const nlohmann::json exhaustive =
        simulateJson(kGap9Kws + " --mapping exhaustive --write-mapping " + splitFile);
    ASSERT_FALSE(exhaustive.is_null());
    const std::string splitText = edgesim::test::readFileBytes(splitFile);
    const auto engines = layerEngines(exhaustive);
    const bool splits = std::any_of(engines.begin(), engines.end(), [](const std::string& e) {
        return e.find('+') != std::string::npos;
    });
    EXPECT_EQ(std::regex_search(splitText, std::regex(R"(\n +fraction: [0-9.]+  # chosen by)")),
              splits)
        << splitText;
    const nlohmann::json splitAgain = simulateJson(kGap9Kws + " --mapping " + splitFile);
    ASSERT_FALSE(splitAgain.is_null());
    EXPECT_EQ(splitAgain["latency_cycles"], exhaustive["latency_cycles"]);
    EXPECT_EQ(layerEngines(splitAgain), layerEngines(exhaustive));

    // Written by hand: one layer on NE16, the rest on the default engine.
    const std::string manual = dir.write("manual.textproto", R"(# test mapping
name: "pw1-on-ne16"
default_engine: "fc"
layers { layer: "pw1" engine: "ne16" }
)");
    const nlohmann::json m = simulateJson(kGap9Kws + " --mapping " + manual);
    ASSERT_FALSE(m.is_null());
    EXPECT_EQ(m["mapping"], "pw1-on-ne16");
    for (const auto& l : m["layers"]) {
        if (l["name"] == "pw1") {
            EXPECT_EQ(l["engine"], "ne16") << l;
            EXPECT_GT(l["tiles"].get<int>(), 0) << l;
        } else {
            EXPECT_EQ(l["engine"], "fc") << l;
        }
    }
}

TEST(SimCli, SimulateExhaustiveObjectives) {
    const nlohmann::json latency = simulateJson(kGap9Kws + " --mapping exhaustive");
    ASSERT_FALSE(latency.is_null());
    EXPECT_EQ(latency["mapping"], "exhaustive");
    const nlohmann::json energy =
        simulateJson(kGap9Kws + " --mapping exhaustive --objective energy");
    ASSERT_FALSE(energy.is_null());
    EXPECT_EQ(energy["status"], "ok");
    const nlohmann::json edp = simulateJson(kGap9Kws + " --mapping exhaustive --objective edp");
    ASSERT_FALSE(edp.is_null());
    EXPECT_EQ(edp["status"], "ok");
    // The least energy within a latency budget, on the FC autoencoder (only MAC layers).
    const std::string ad = "simulate -p gap9-evk -s gap-flow -n mlperf_tiny/ad";
    const nlohmann::json fastest = simulateJson(ad + " --mapping exhaustive");
    ASSERT_FALSE(fastest.is_null());
    const double budgetMs = 10e3 * fastest["latency_s"].get<double>(); // easily met
    const CliRun met = run(ad + " --mapping exhaustive --objective energy --latency-budget-ms " +
                           std::to_string(budgetMs) + " --format json");
    ASSERT_EQ(met.code, 0) << met.err;
    const auto budgeted = nlohmann::json::parse(met.out);
    EXPECT_EQ(budgeted["mapping"], "exhaustive-energy-within-budget");
    EXPECT_LE(budgeted["latency_s"].get<double>() * 1e3, budgetMs);
    EXPECT_TRUE(met.err.empty()) << met.err;
    EXPECT_EQ(budgeted["status"], "ok");
    // A budget no mapping meets: the fastest mapping runs and the status says so, with the
    // best latency achievable; every metric is still reported.
    const double tightMs = 0.1e3 * fastest["latency_s"].get<double>();
    const CliRun missed = run(ad + " --mapping exhaustive --objective energy --latency-budget-ms " +
                              std::to_string(tightMs) + " --format json");
    ASSERT_EQ(missed.code, 0) << missed.err;
    const auto over = nlohmann::json::parse(missed.out);
    EXPECT_EQ(over["status"], "over_budget");
    EXPECT_EQ(over["mapping"], "exhaustive-latency-over-budget");
    EXPECT_NE(over["reason"].get<std::string>().find("fastest mapping reaches"), std::string::npos)
        << over["reason"];
    EXPECT_DOUBLE_EQ(over["latency_s"].get<double>(), fastest["latency_s"].get<double>());
    EXPECT_GT(over["energy_j"].get<double>(), 0.0);
}

TEST(SimCli, SimulateBadMappingExitsTwoNamingFileAndField) {
    TempDir dir;
    const std::string syntax =
        dir.write("syntax.textproto", "name: \"x\"\nlayers { layer: \"conv1\" engin: \"ne16\" }\n");
    const std::string layer =
        dir.write("layer.textproto", "layers { layer: \"no_such_layer\" engine: \"ne16\" }\n");
    const std::string engine =
        dir.write("engine.textproto", "layers { layer: \"conv1\" engine: \"ne16\" }\n"
                                      "layers { layer: \"pw1\" engine: \"tpu\" }\n");
    const std::string fallback = dir.write("default.textproto", "default_engine: \"gpu\"\n");
    const std::string fraction = dir.write(
        "fraction.textproto",
        "layers { layer: \"pw1\" engine: \"ne16\" split_engine: \"cluster\" fraction: 1.5 }\n");
    const std::vector<BadInput> cases = {
        {kGap9Kws + " --mapping " + syntax, {"syntax.textproto:2", "engin"}},
        {kGap9Kws + " --mapping " + layer, {"layer.textproto", "layers[0].layer", "no_such_layer"}},
        {kGap9Kws + " --mapping " + engine,
         {"engine.textproto", "layers[1].engine", "tpu", "ne16", "cluster"}},
        {kGap9Kws + " --mapping " + fallback, {"default.textproto", "default_engine", "gpu"}},
        {kGap9Kws + " --mapping " + fraction, {"fraction.textproto", "layers[0].fraction"}},
        {kGap9Kws + " --mapping " + dir.file("absent.textproto"), {"absent.textproto"}},
        // Unknown mapper names, on a platform with engines and on one without.
        {kGap9Kws + " --mapping no-such-mapper",
         {"--mapping", "no-such-mapper", "greedy-latency", "greedy-energy", "exhaustive",
          "host-only"}},
        {kKws + " --mapping no-such-mapper", {"--mapping", "no-such-mapper"}},
        // Mapper options that do not apply.
        {kGap9Kws + " --objective energy", {"--objective", "exhaustive", "greedy-latency"}},
        {kGap9Kws + " --mapping " + engine + " --objective energy", {"--objective"}},
        {kGap9Kws + " --mapping exhaustive --latency-budget-ms 1",
         {"--latency-budget-ms", "--objective energy"}},
        {kGap9Kws + " --mapping exhaustive --objective energy --latency-budget-ms -1",
         {"--latency-budget-ms"}},
        {kGap9Kws + " --mapping exhaustive --objective speed", {"--objective"}},
        {kGap9Kws + " --write-mapping " + dir.file("no/such/dir/m.textproto"),
         {"--write-mapping", dir.file("no/such/dir/")}},
    };
    expectBadInputs(cases);
    EXPECT_FALSE(fs::exists(dir.file("no/such/dir/m.textproto")));
}

TEST(SimCli, SimulateWritesEngineColumnsToHdf5) {
    TempDir dir;
    const std::string h5 = dir.file("gap9.h5");
    const nlohmann::json j = simulateJson(kGap9Kws + " --out " + h5);
    ASSERT_FALSE(j.is_null());
    namespace ex = edgesim::explorer;
    EXPECT_EQ(ex::readStringColumn(h5, "runs", "mapping"),
              std::vector<std::string>{"greedy-latency"});
    const auto n = j["layers"].size();
    const auto engine = ex::readStringColumn(h5, "layers", "engine");
    const auto fallback = ex::readIntColumn(h5, "layers", "fallback");
    const auto tiles = ex::readIntColumn(h5, "layers", "tiles");
    const auto dmaCycles = ex::readIntColumn(h5, "layers", "dma_cycles");
    const auto hidden = ex::readIntColumn(h5, "layers", "hidden_cycles");
    const auto overlap = ex::readDoubleColumn(h5, "layers", "overlap");
    ASSERT_EQ(engine.size(), n);
    ASSERT_EQ(fallback.size(), n);
    ASSERT_EQ(tiles.size(), n);
    ASSERT_EQ(dmaCycles.size(), n);
    ASSERT_EQ(hidden.size(), n);
    ASSERT_EQ(overlap.size(), n);
    // DMA bytes per memory level add up to the JSON's DMA bytes per memory.
    int64_t levels = 0;
    for (const std::string level : {"flash", "sram", "tcm", "external"}) {
        for (int64_t b : ex::readIntColumn(h5, "layers", "dma_bytes_" + level)) {
            levels += b;
        }
    }
    int64_t perMemory = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const auto& l = j["layers"][i];
        EXPECT_EQ(engine[i], l["engine"].get<std::string>());
        EXPECT_EQ(fallback[i], l["fallback"].get<bool>() ? 1 : 0);
        EXPECT_EQ(tiles[i], l["tiles"].get<int64_t>());
        EXPECT_EQ(dmaCycles[i], l["dma_cycles"].get<int64_t>());
        EXPECT_EQ(hidden[i], l["hidden_cycles"].get<int64_t>());
        EXPECT_DOUBLE_EQ(overlap[i], l["overlap"].get<double>());
        for (const auto& [memory, bytes] : l["dma_bytes"].items()) {
            perMemory += bytes.get<int64_t>();
        }
    }
    EXPECT_GT(levels, 0);
    EXPECT_EQ(levels, perMemory);
    // /layer_memory: each layer in each memory by name, as the JSON has them; L1 and L2 (both
    // SRAM, one bytes_sram in /layers) stay apart.
    const auto runId = ex::readIntColumn(h5, "layer_memory", "run_id");
    const auto index = ex::readIntColumn(h5, "layer_memory", "layer_index");
    const auto memory = ex::readStringColumn(h5, "layer_memory", "memory");
    const auto kind = ex::readStringColumn(h5, "layer_memory", "kind");
    const auto read = ex::readIntColumn(h5, "layer_memory", "bytes_read");
    const auto written = ex::readIntColumn(h5, "layer_memory", "bytes_written");
    const auto dma = ex::readIntColumn(h5, "layer_memory", "dma_bytes");
    const std::size_t memories = j["memories"].size();
    ASSERT_EQ(memory.size(), n * memories);
    std::map<std::string, int64_t> sramTraffic;
    for (std::size_t r = 0; r < memory.size(); ++r) {
        SCOPED_TRACE(r);
        EXPECT_EQ(runId[r], 0);
        ASSERT_EQ(index[r], static_cast<int64_t>(r / memories));
        const auto& m = j["memories"][r % memories];
        EXPECT_EQ(memory[r], m["name"].get<std::string>());
        EXPECT_EQ(kind[r], m["kind"].get<std::string>());
        const auto& l = j["layers"][r / memories];
        EXPECT_EQ(read[r], l["bytes_read"].value(memory[r], int64_t{0}));
        EXPECT_EQ(written[r], l["bytes_written"].value(memory[r], int64_t{0}));
        EXPECT_EQ(dma[r], l["dma_bytes"].value(memory[r], int64_t{0}));
        if (kind[r] == "SRAM") {
            sramTraffic[memory[r]] += read[r] + written[r];
        }
    }
    int busy = 0;
    for (const auto& [name, bytes] : sramTraffic) {
        busy += bytes > 0 ? 1 : 0;
    }
    EXPECT_GE(busy, 2) << "L1 and L2 should both carry traffic";
    EXPECT_EQ(edgesim::test::layerMemoryMismatch(h5), "");
}

// ---------------------------------------------------------------------------------- validate

TEST(SimCli, ValidateCalibrationCsv) {
    ASSERT_TRUE(fs::exists(kCalibrationCsv)) << kCalibrationCsv;
    const CliRun r = run("validate -m " + kCalibrationCsv);
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string last = lastLine(r.out);
    EXPECT_TRUE(std::regex_match(
        last,
        std::regex(R"(^validate: \d+ rows, MAPE \d+\.\d%, median \d+\.\d%, tau -?\d\.\d\d$)")))
        << last;
    // Every platform of the CSV has a config now: nothing is skipped, and the GAP9 rows (an
    // accelerator SoC) are predicted like the Cortex-M ones.
    EXPECT_EQ(r.out.find("skipped"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("gap9-evk"), std::string::npos) << r.out;
}

TEST(SimCli, ValidateJsonRowsAndSkipped) {
    const CliRun r = run("validate -m " + kCalibrationCsv + " --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    // Count the data rows of the CSV, and those of gap9-evk.
    std::size_t dataRows = 0;
    std::size_t gap9Rows = 0;
    const auto csv = edgesim::test::nonEmptyLines(edgesim::test::readFileBytes(kCalibrationCsv));
    for (std::size_t i = 1; i < csv.size(); ++i) {
        ++dataRows;
        gap9Rows += csv[i].rfind("gap9-evk,", 0) == 0 ? 1 : 0;
    }
    ASSERT_GT(gap9Rows, 0U);
    ASSERT_TRUE(j["rows"].is_array());
    ASSERT_TRUE(j["skipped"].is_array());
    EXPECT_EQ(j["rows"].size() + j["skipped"].size(), dataRows);
    EXPECT_TRUE(j["skipped"].empty()) << j["skipped"];
    std::size_t gap9Predicted = 0;
    for (const auto& row : j["rows"]) {
        gap9Predicted += row["platform"] == "gap9-evk" ? 1 : 0;
        ASSERT_TRUE(row["error_pct"].is_number()) << row;
        ASSERT_TRUE(row["predicted"].is_number()) << row;
        const double measured = row["measured"].get<double>();
        const double predicted = row["predicted"].get<double>();
        EXPECT_GT(predicted, 0.0) << row;
        EXPECT_NEAR(row["error_pct"].get<double>(), 100.0 * (predicted - measured) / measured, 1e-6)
            << row;
    }
    EXPECT_EQ(gap9Predicted, gap9Rows);
    EXPECT_EQ(j["overall"]["rows"].get<std::size_t>(), j["rows"].size());
    EXPECT_TRUE(
        std::regex_match(j["summary"].get<std::string>(), std::regex(R"(validate: \d+ rows, .*)")));
}

TEST(SimCli, ValidateClockColumnOverridesTheOperatingPoint) {
    TempDir dir;
    const std::string csv =
        dir.write("clock.csv",
                  "platform,stack,network,strategy,metric,value,unit,clock_mhz,source\n"
                  "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,latency,181.9174,ms,120,test\n"
                  "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,latency,181.9174,ms,80,test\n"
                  "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,latency,181.9174,ms,,test\n");
    const CliRun r = run("validate -m " + csv + " --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["rows"].size(), 3U) << r.out;
    const double at120 = j["rows"][0]["predicted"].get<double>();
    const double at80 = j["rows"][1]["predicted"].get<double>();
    const double atDefault = j["rows"][2]["predicted"].get<double>();
    EXPECT_NE(at120, at80);
    EXPECT_GT(at80, at120);             // same work at a slower clock
    EXPECT_DOUBLE_EQ(atDefault, at120); // empty = the board's default (120 MHz)
    // And it agrees with `simulate` at the same operating point (ms).
    const nlohmann::json s = simulateJson(kKws + " --clock-mhz 80");
    ASSERT_FALSE(s.is_null());
    EXPECT_NEAR(at80, 1e3 * s["latency_s"].get<double>(), 1e-9 * at80);
}

TEST(SimCli, ValidateQuantizesFloatNetworksOfEveryRow) {
    TempDir dir;
    const std::string model = EDGESIM_TEST_DIR "/data/onnx/corpus/squeezenet1_1.onnx";
    const std::string csv =
        dir.write("float.csv", "platform,stack,network,strategy,metric,value,unit,source\n"
                               "nucleo-h7a3zi-q,x-cube-ai-7.3," +
                                   model + ",inference,latency,200,ms,test\n");
    const CliRun plainRun = run("validate -m " + csv + " --format json");
    ASSERT_EQ(plainRun.code, 0) << plainRun.err;
    const auto plain = nlohmann::json::parse(plainRun.out);
    EXPECT_TRUE(plain["rows"].empty());
    ASSERT_EQ(plain["skipped"].size(), 1U);
    EXPECT_NE(plain["skipped"][0].dump().find("unsupported"), std::string::npos) << plain;
    const CliRun quantized = run("validate -m " + csv + " --quantize int8 --format json");
    ASSERT_EQ(quantized.code, 0) << quantized.err;
    const auto q = nlohmann::json::parse(quantized.out);
    ASSERT_EQ(q["rows"].size(), 1U) << q;
    // The same figure simulate gives with --quantize int8.
    const nlohmann::json s = simulateJson("simulate -p nucleo-h7a3zi-q -s x-cube-ai-7.3 -n " +
                                          model + " --quantize int8");
    ASSERT_FALSE(s.is_null());
    EXPECT_NEAR(q["rows"][0]["predicted"].get<double>(), 1e3 * s["latency_s"].get<double>(),
                1e-9 * 1e3 * s["latency_s"].get<double>());
    expectBadInputs({{"validate -m " + csv + " --quantize int9", {"--quantize", "'int9'"}}});
}

TEST(SimCli, ValidateMalformedCsvExitsTwoNamingTheFile) {
    TempDir dir;
    const std::string missing = dir.write(
        "missing_column.csv", "platform,stack,network,strategy,value,unit,source\n"
                              "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,181.9,ms,test\n");
    const std::string nonNumeric =
        dir.write("non_numeric.csv",
                  "platform,stack,network,strategy,metric,value,unit,source\n"
                  "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,latency,fast,ms,test\n");
    struct Case {
        std::string file;
        std::vector<std::string> parts;
    };
    for (const Case& c : {Case{missing, {"missing_column.csv", "metric"}},
                          Case{nonNumeric, {"non_numeric.csv:2", "value", "fast"}},
                          Case{dir.file("absent.csv"), {"absent.csv"}}}) {
        const CliRun r = run("validate -m " + c.file);
        EXPECT_EQ(r.code, 2) << c.file << "\n" << r.out;
        for (const auto& part : c.parts) {
            EXPECT_NE(r.err.find(part), std::string::npos) << c.file << "\n" << r.err;
        }
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}

TEST(SimCli, ValidateSkippedRowsAreSaidInEveryFormatAndStrictMakesThemErrors) {
    TempDir dir;
    const std::string csv = dir.write(
        "typo.csv", "platform,stack,network,strategy,metric,value,unit,source\n"
                    "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,latency,181.9,ms,a\n"
                    "nucleo-l4r5zx,tflm-2.3,mlperf_tiny/kws,inference,latency,181.9,ms,b\n"
                    "nucleo-l4r5zi,tflm-2.3," EDGESIM_TEST_DIR "/data/onnx/unsupported_op.onnx,"
                    "inference,latency,1,ms,c\n");
    for (const char* format : {"csv", "json"}) {
        SCOPED_TRACE(format);
        const CliRun r = run("validate -m " + csv + " --format " + format);
        ASSERT_EQ(r.code, 0) << r.err;
        // stdout holds the machine-readable rows; the skipped one is named on stderr.
        EXPECT_NE(r.err.find("skipped " + csv + ":3:"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("nucleo-l4r5zx"), std::string::npos) << r.err;
        // A model that does not import is named, with where in it.
        EXPECT_NE(r.err.find("skipped " + csv +
                             ":4: " EDGESIM_TEST_DIR "/data/onnx/unsupported_op.onnx: graph.node"),
                  std::string::npos)
            << r.err;
        EXPECT_EQ(r.out.find("skipped " + csv), std::string::npos) << r.out;
    }
    // A value 1000x off (us written for ms) is said on stderr, with the row.
    const std::string units = dir.write(
        "units.csv", "platform,stack,network,strategy,metric,value,unit,source\n"
                     "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,latency,0.1819,ms,a\n");
    const CliRun u = run("validate -m " + units);
    EXPECT_EQ(u.code, 0) << u.err;
    EXPECT_NE(u.err.find("warning: " + units + ":2:"), std::string::npos) << u.err;
    EXPECT_NE(u.err.find("is the unit right?"), std::string::npos) << u.err;
    EXPECT_EQ(run("validate -m " + csv).err.find("is the unit right?"), std::string::npos);
    const std::string h5 = dir.file("strict.h5");
    const CliRun strict = run("validate -m " + csv + " --strict --out " + h5);
    EXPECT_EQ(strict.code, 2) << strict.err;
    EXPECT_NE(strict.err.find(csv + ":3:"), std::string::npos) << strict.err;
    EXPECT_NE(strict.err.find("--strict"), std::string::npos) << strict.err;
    EXPECT_FALSE(fs::exists(h5));
    EXPECT_TRUE(strict.out.empty()) << strict.out;
}

TEST(SimCli, ValidateWritesHdf5Report) {
    TempDir dir;
    const std::string h5 = dir.file("report.h5");
    const CliRun r = run("validate -m " + kCalibrationCsv + " --format json --out " + h5);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(fs::exists(h5));
    EXPECT_FALSE(fs::exists(h5 + ".tmp"));
    EXPECT_EQ(edgesim::explorer::countRows(h5, "validation"),
              static_cast<int64_t>(j["rows"].size()));
    const auto platforms = edgesim::explorer::readStringColumn(h5, "validation", "platform");
    ASSERT_EQ(platforms.size(), j["rows"].size());
    for (std::size_t i = 0; i < platforms.size(); ++i) {
        EXPECT_EQ(platforms[i], j["rows"][i]["platform"]);
    }
}

// --------------------------------------------------------------------------------- calibrate

const std::string kFit =
    "'stack/tflm-2.3:kernels[conv2d,depthwise_conv2d,temporal_conv,dense].cycles_per_mac'";

/// A copy of the source tree's configs, so that --write does not touch them.
std::string copyConfigs(const TempDir& dir) {
    const std::string configs = dir.file("configs");
    fs::copy(EDGESIM_SOURCE_DIR "/configs", configs, fs::copy_options::recursive);
    return configs;
}

/// The tflm-2.3 latency rows of calibration.csv with their values scaled by `factor`.
std::string scaledTflmLatencyCsv(const TempDir& dir, double factor) {
    int kept = 0;
    const std::string csv = edgesim::test::editMeasurementRows(
        kCalibrationCsv,
        [factor](std::vector<std::string>& cells) {
            if (cells.size() < 7 || cells[1] != "tflm-2.3" || cells[4] != "latency") {
                return false;
            }
            cells[5] = std::to_string(std::stod(cells[5]) * factor);
            return true;
        },
        &kept);
    EXPECT_EQ(kept, 2); // ic and kws on the NUCLEO-L4R5ZI
    return dir.write("tflm_latency_x1.2.csv", csv);
}

TEST(SimCli, CalibrateWritesFittedValuesIntoTheConfigs) {
    TempDir dir;
    const std::string configs = copyConfigs(dir);
    const std::string csv = scaledTflmLatencyCsv(dir, 1.2);
    const std::string stackFile = configs + "/stacks/tflm-2.3.textproto";
    const std::string original = edgesim::test::readFileBytes(stackFile);
    const std::string simulate = "--config-dir " + configs + " " + kKws;

    const nlohmann::json before = simulateJson(simulate);
    ASSERT_FALSE(before.is_null());
    const CliRun c =
        run("--config-dir " + configs + " calibrate -m " + csv + " --fit " + kFit + " --write");
    ASSERT_EQ(c.code, 0) << c.err << c.out;
    EXPECT_NE(c.out.find("written to the configs"), std::string::npos) << c.out;

    const std::string written = edgesim::test::readFileBytes(stackFile);
    EXPECT_NE(written, original);
    EXPECT_NE(written.find("calibrated from " + csv), std::string::npos) << written;
    // The source tree's configs are untouched.
    EXPECT_EQ(edgesim::test::readFileBytes(EDGESIM_SOURCE_DIR "/configs/stacks/tflm-2.3.textproto")
                  .find(csv),
              std::string::npos);

    const nlohmann::json after = simulateJson(simulate);
    ASSERT_FALSE(after.is_null());
    EXPECT_EQ(after["status"], "ok");
    const double ratio = after["latency_s"].get<double>() / before["latency_s"].get<double>();
    EXPECT_GT(ratio, 1.0);
    EXPECT_NEAR(ratio, 1.2, 0.12) << "latency " << before["latency_s"] << " -> "
                                  << after["latency_s"];
    EXPECT_NE(after["provenance"]["config_sha256"], before["provenance"]["config_sha256"]);
}

TEST(SimCli, CalibrateWithoutWriteLeavesTheConfigs) {
    TempDir dir;
    const std::string configs = copyConfigs(dir);
    const std::string csv = scaledTflmLatencyCsv(dir, 1.2);
    const std::string stackFile = configs + "/stacks/tflm-2.3.textproto";
    const std::string original = edgesim::test::readFileBytes(stackFile);
    const CliRun c = run("--config-dir " + configs + " calibrate -m " + csv + " --fit " + kFit +
                         " --format json");
    ASSERT_EQ(c.code, 0) << c.err;
    const auto j = nlohmann::json::parse(c.out);
    EXPECT_EQ(j["written"], false);
    EXPECT_EQ(j["rows"], 2);
    EXPECT_LT(j["rms_log_error_after"].get<double>(), j["rms_log_error_before"].get<double>());
    // conv2d (general and 1x1), temporal_conv, depthwise (general and 3x3), dense: one scale
    ASSERT_EQ(j["parameters"].size(), 6U);
    for (const auto& p : j["parameters"]) {
        EXPECT_NEAR(p["scale"].get<double>(), 1.2, 0.12) << p;
        EXPECT_EQ(p["scale"], j["parameters"][0]["scale"]);
    }
    EXPECT_EQ(edgesim::test::readFileBytes(stackFile), original);
}

TEST(SimCli, CalibrateSaysWhichRowsNoParameterMoves) {
    TempDir dir;
    const std::string csv = dir.write(
        "mixed.csv", "platform,stack,network,strategy,metric,value,unit,source\n"
                     "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,latency,181.9,ms,a\n"
                     "gap9-evk,gap-flow,mlperf_tiny/kws,inference,latency,0.73,ms,b\n"
                     "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,energy,7373.7,uJ,c\n");
    const CliRun c = run("calibrate -m " + csv + " --fit " + kFit + " --format json");
    ASSERT_EQ(c.code, 0) << c.err;
    const auto j = nlohmann::json::parse(c.out);
    EXPECT_EQ(j["rows"], 2);
    // The tflm-2.3 kernel cycles move both L4R5 rows (latency and energy); no fitted parameter
    // moves the GAP9 row, which is said, not silently dropped.
    ASSERT_EQ(j["skipped"].size(), 1U) << j["skipped"];
    const std::string s = j["skipped"][0].get<std::string>();
    EXPECT_EQ(s.rfind(csv + ":3: no calibrated parameter moves this row", 0), 0U) << s;
    EXPECT_NE(c.err.find("calibrate: skipped " + csv + ":3:"), std::string::npos) << c.err;
    // A mistyped stack is said as such, not as a row no parameter moves; CSV output too.
    const std::string typo = dir.write(
        "typo.csv", "platform,stack,network,strategy,metric,value,unit,source\n"
                    "nucleo-l4r5zi,tflm-2.3,mlperf_tiny/kws,inference,latency,181.9,ms,a\n"
                    "nucleo-l4r5zi,tflm-2.33,mlperf_tiny/kws,inference,latency,181.9,ms,b\n");
    const CliRun t = run("calibrate -m " + typo + " --fit " + kFit + " --format csv");
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_NE(t.err.find("calibrate: skipped " + typo + ":3: stack: unknown stack 'tflm-2.33'"),
              std::string::npos)
        << t.err;
}

TEST(SimCli, CalibrateBadFitExitsTwo) {
    TempDir dir;
    const std::string configs = copyConfigs(dir);
    const std::string csv = scaledTflmLatencyCsv(dir, 1.2);
    const std::string stackFile = configs + "/stacks/tflm-2.3.textproto";
    const std::string original = edgesim::test::readFileBytes(stackFile);
    struct Case {
        std::string fit;
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases = {
        {"no-colon-or-slash", {"--fit", "no-colon-or-slash"}},
        {"board/tflm-2.3:overhead_cycles", {"--fit", "board"}},
        {"stack/no-such-stack:kernels[conv2d].cycles_per_mac", {"--fit", "no-such-stack"}},
        {"stack/tflm-2.3:kernels[conv2d].no_such_field", {"tflm-2.3.textproto", "no_such_field"}},
        {"stack/tflm-2.3:no_such_field", {"tflm-2.3.textproto", "no_such_field"}},
        {"stack/tflm-2.3:kernels[no_such_op].cycles_per_mac", {"no_such_op"}},
        {"stack/tflm-2.3:name", {"tflm-2.3.textproto", "name"}},
    };
    for (const auto& c : cases) {
        const CliRun r = run("--config-dir " + configs + " calibrate -m " + csv + " --fit '" +
                             c.fit + "' --write");
        EXPECT_EQ(r.code, 2) << c.fit << "\n" << r.err;
        for (const auto& part : c.parts) {
            EXPECT_NE(r.err.find(part), std::string::npos) << c.fit << "\n" << r.err;
        }
        EXPECT_TRUE(r.out.empty()) << c.fit << "\n" << r.out;
    }
    // Without --fit the calibration set is fitted: an unknown one is bad input.
    const CliRun none =
        run("--config-dir " + configs + " calibrate -m " + csv + " --parameters no-such-set");
    EXPECT_EQ(none.code, 2);
    EXPECT_NE(none.err.find("--parameters"), std::string::npos) << none.err;
    EXPECT_EQ(edgesim::test::readFileBytes(stackFile), original);
}

} // namespace
