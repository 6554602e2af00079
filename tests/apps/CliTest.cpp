// The edgesim binary as a user runs it: exit codes, outputs and error messages.
#include "tests/util/CliRun.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using edgesim::test::CliRun;
using edgesim::test::expectBadInputs;

CliRun run(const std::string& args) {
    return edgesim::test::runCli(args);
}

const std::string kOnnx = EDGESIM_TEST_DIR "/data/onnx/";

TEST(Cli, InspectIcJsonReportsReferenceMacs) {
    CliRun r = run("inspect --network mlperf_tiny/ic --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["totals"]["macs"], 12'501'632);
    EXPECT_EQ(j["totals"]["params"], 77'706);
    EXPECT_EQ(j["totals"]["weight_bytes"], 78'744);
    EXPECT_EQ(j["totals"]["peak_activation_bytes"], 49'152);
    ASSERT_TRUE(j["layers"].is_array());
    EXPECT_EQ(j["layers"].size(), 17U); // input + 16 layers
    EXPECT_EQ(j["layers"][1]["name"], "conv1");
    EXPECT_EQ(j["layers"][1]["output_shape"], nlohmann::json({32, 32, 16}));
    EXPECT_EQ(j["provenance"]["config_sha256"].get<std::string>().size(), 64U);
    EXPECT_FALSE(j["provenance"]["edgesim_version"].get<std::string>().empty());
}

TEST(Cli, InspectOnnxTableAndCsv) {
    CliRun t = run("inspect -n " + kOnnx + "mlperf_tiny/kws.onnx");
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_NE(t.out.find("2,656,768 MACs"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("22,604 params"), std::string::npos);
    CliRun c = run("inspect -n mlperf_tiny/ad --format csv");
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_EQ(c.out.rfind("#,name,op,input,output,params,macs,", 0), 0U) << c.out;
    EXPECT_NE(c.out.find("fc1,dense+relu,640,128,82048,81920,"), std::string::npos) << c.out;
}

TEST(Cli, ListShowsBuiltIns) {
    CliRun n = run("list networks --format json");
    ASSERT_EQ(n.code, 0) << n.err;
    auto j = nlohmann::json::parse(n.out);
    std::vector<std::string> names;
    for (const auto& item : j["items"]) {
        names.push_back(item["name"]);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"fmnist/ds-cnn", "fmnist/resnet8", "fmnist/tcn",
                                               "fmnist/tcn-pit", "mlperf_tiny/ad", "mlperf_tiny/ic",
                                               "mlperf_tiny/kws", "mlperf_tiny/vww"}));
    CliRun s = run("list strategies");
    EXPECT_EQ(s.code, 0);
    EXPECT_NE(s.out.find("inference"), std::string::npos);
    EXPECT_EQ(run("list platforms").code, 0);
    EXPECT_EQ(run("list stacks").code, 0);
}

TEST(Cli, HelpOnEverySubcommand) {
    for (const char* sub : {"", "list ", "inspect "}) {
        CliRun r = run(std::string(sub) + "--help");
        EXPECT_EQ(r.code, 0) << sub;
        EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << r.out;
    }
}

TEST(Cli, BadInputExitsTwoWithReason) {
    expectBadInputs({
        {"inspect --network mlperf_tiny/nope", {"unknown network 'mlperf_tiny/nope'"}},
        {"inspect --network /no/such/file.onnx", {"/no/such/file.onnx: cannot open file"}},
        {"simulate -p gap9-evk -s gap-flow -n mlperf_tiny/kws --mapping /dev/null",
         {"/dev/null", "not a regular file"}},
        {"simulate -p gap9-evk -s gap-flow -n mlperf_tiny/kws --mapping /tmp/",
         {"/tmp/", "is a directory"}},
        {"validate -m /tmp", {"/tmp", "is a directory"}},
        {"pareto nothing.h5 --x '' --y latency_s", {"--x", "no column given"}},
        {"inspect --network " + kOnnx + "unsupported_op.onnx", {"unsupported operator 'Einsum'"}},
        {"inspect --network " + kOnnx + "truncated.onnx", {"not a valid ONNX model"}},
        {"inspect --network " + kOnnx + "random_bytes.onnx", {"not a valid ONNX model"}},
        {"inspect --network " + std::string(EDGESIM_TEST_DIR) + "/workloads/data/bad.textproto",
         {"bad.textproto:4: layers[1].dense.units: missing required field"}},
        {"inspect --network mlperf_tiny/ic --format xml", {"--format"}},
        {"inspect", {"--network"}},
        {"list gadgets", {"gadgets"}},
        {"frobnicate", {"frobnicate"}},
        {"--config-dir /no/such/dir inspect -n mlperf_tiny/kws",
         {"/no/such/dir", "no such directory"}},
        {"--config-dir /dev/null list platforms", {"/dev/null", "not a directory"}},
        // A directory that is not a config directory: an error, not an empty list.
        {"--config-dir " EDGESIM_TEST_DIR "/apps list platforms",
         {"--config-dir", "has no platforms/ directory"}},
    });
}

} // namespace
