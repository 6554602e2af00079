// Networks nobody here wrote, costed as deployed: every model of the ONNX corpus
// (torchvision, torch.ao, tf2onnx-style) simulates `ok` with --quantize int8 on an MCU
// (the STM32N6's Cortex-M55 with TFLM + CMSIS-NN) and an NPU (its Neural-ART through ST Edge
// AI), with the MACs the importer counted. Without --quantize a float model is
// `unsupported`, naming every layer without a kernel and the way out, with its footprint.
#include "explorer/session/Session.h"

#include "common/TextProto.h"

#include "tests/util/TestUtil.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

namespace edgesim::explorer {
namespace {

const std::string kCorpus = EDGESIM_TEST_DIR "/data/onnx/corpus/";

Query queryFor(const std::string& model, const std::string& platform, const std::string& stack,
               const std::string& quantize) {
    Query q;
    q.network = kCorpus + model;
    q.platform = platform;
    q.stack = stack;
    q.quantize = quantize;
    return q;
}

TEST(CorpusSimulation, EveryModelRunsQuantisedOnAnMcuAndAnNpu) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    const auto expected = nlohmann::json::parse(readFile(kCorpus + "expected.json"));
    for (const auto& [file, e] : expected.items()) {
        for (const auto& [platform, stack] :
             {std::pair<std::string, std::string>{"stm32n6570-dk", "tflm-cmsis-nn"},
              {"stm32n6570-dk", "stedge-ai"}}) {
            SCOPED_TRACE(file + " on " + platform + " with " + stack);
            const auto r = session.run(queryFor(file, platform, stack, "int8")).result;
            EXPECT_EQ(r.status, sim::Status::Ok) << r.reason;
            EXPECT_EQ(r.macs, e.at("macs").get<int64_t>());
            EXPECT_GT(r.latencyS, 0.0);
            EXPECT_EQ(r.precision, "int8 (--quantize)");
        }
    }
}

TEST(CorpusSimulation, SmallModelsAlsoFitAnMcuWithInternalFlash) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    for (const char* model : {"shufflenet_v2_x0_5.onnx", "squeezenet1_1.onnx", "cnn1d.onnx"}) {
        SCOPED_TRACE(model);
        const auto r =
            session.run(queryFor(model, "nucleo-h7a3zi-q", "x-cube-ai-7.3", "int8")).result;
        EXPECT_EQ(r.status, sim::Status::Ok) << r.reason;
    }
}

TEST(CorpusSimulation, ModelsLargerThanL2StreamTheirWeightsOnGap) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    for (const char* platform : {"gap8", "gap9-evk"}) {
        for (const char* model : {"mobilenet_v2.onnx", "mobilenet_v3_small.onnx"}) {
            SCOPED_TRACE(std::string(model) + " on " + platform);
            // The GAP flow quantises to int8 by default; int8 weights exceed L2.
            const auto r = session.run(queryFor(model, platform, "gap-flow", "")).result;
            ASSERT_EQ(r.status, sim::Status::Ok) << r.reason;
            const auto& net =
                session.network(queryFor(model, platform, "gap-flow", "")).loaded.network;
            std::size_t l3 = r.memories.size();
            for (std::size_t m = 0; m < r.memories.size(); ++m) {
                l3 = r.memories[m] == "hyperram" ? m : l3;
            }
            ASSERT_LT(l3, r.memories.size());
            EXPECT_GT(net.totals().weightBytes, 1'500'000); // more than GAP8/GAP9's L2
            EXPECT_GT(r.bytesRead[l3], 0);                  // streamed from HyperRAM
            EXPECT_LE(r.bytesRead[l3], net.totals().weightBytes);
        }
    }
    // resnet18's 11.7 MB of int8 weights exceed the 8 MB HyperRAM too: does_not_fit, named.
    const auto big = session.run(queryFor("resnet18.onnx", "gap9-evk", "gap-flow", "")).result;
    EXPECT_EQ(big.status, sim::Status::DoesNotFit);
    EXPECT_NE(big.reason.find("hyperram"), std::string::npos) << big.reason;
}

TEST(CorpusSimulation, AFloatModelIsUnsupportedWithEveryLayerNamedAndItsFootprint) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    const auto r = session.run(queryFor("tiny_unet.onnx", "stm32n6570-dk", "stedge-ai", "")).result;
    EXPECT_EQ(r.status, sim::Status::Unsupported);
    EXPECT_EQ(r.precision, "as stored");
    // Every layer of the float network lacks a kernel; each is named.
    const auto& net = session.network(kCorpus + "tiny_unet.onnx", "inference", 1).loaded.network;
    for (auto v : net.executionOrder()) {
        if (net.layer(v).op != workloads::OpKind::Input) {
            EXPECT_NE(r.reason.find("'" + net.layer(v).name + "'"), std::string::npos)
                << net.layer(v).name << " not in: " << r.reason;
        }
    }
    EXPECT_NE(r.reason.find("--quantize int8"), std::string::npos);
    EXPECT_GT(r.peakRamBytes, 0);
    EXPECT_GE(r.flashBytes, net.totals().weightBytes);
}

TEST(CorpusSimulation, AStackDefaultPrecisionAppliesAndIsReported) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    // The GAP flow quantises float graphs itself (stack default_precision int8).
    const auto def = session.run(queryFor("cnn1d.onnx", "gap9-evk", "gap-flow", ""));
    EXPECT_EQ(def.result.status, sim::Status::Ok) << def.result.reason;
    EXPECT_EQ(def.result.precision, "int8 (default of stack gap-flow)");
    const auto asked = session.run(queryFor("cnn1d.onnx", "gap9-evk", "gap-flow", "int8"));
    EXPECT_EQ(asked.result.latencyCycles, def.result.latencyCycles);
    // --quantize none keeps the float network (no float kernels: unsupported).
    const auto none = session.run(queryFor("cnn1d.onnx", "gap9-evk", "gap-flow", "none"));
    EXPECT_EQ(none.result.status, sim::Status::Unsupported);
    EXPECT_NE(none.configSha256, def.configSha256);
}

TEST(CorpusSimulation, PrecisionEntersTheHashOnlyWhenItChangesSomething) {
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    Query q;
    q.network = "mlperf_tiny/kws"; // int8 as stored
    q.platform = "nucleo-l4r5zi";
    q.stack = "tflm-cmsis-nn";
    const std::string stored = session.hash(q);
    q.quantize = "none";
    EXPECT_EQ(session.hash(q), stored);
    q.quantize = "int8"; // nothing to quantise: the same simulation
    EXPECT_EQ(session.hash(q), stored);
    EXPECT_EQ(session.precision(q), "as stored, already int8 (--quantize)");
    q.network = kCorpus + "cnn1d.onnx"; // float as stored
    q.quantize = "";
    const std::string floatHash = session.hash(q);
    q.quantize = "int8";
    const std::string int8 = session.hash(q);
    EXPECT_NE(int8, floatHash);
    EXPECT_TRUE(std::regex_match(int8, std::regex("[0-9a-f]{64}")));
}

} // namespace
} // namespace edgesim::explorer

namespace edgesim::explorer {
namespace {

TEST(MixedPrecision, TernaryLayersRunOnTheAnalogArrayAndNowhereElse) {
    const test::TempDir dir("edgesim-mixed");
    const std::string file =
        dir.write("ternary.textproto", "layers { layer: \"s*_conv_*\" weights: \"ternary\" }\n")
            .string();
    Session session(ConfigPaths(EDGESIM_SOURCE_DIR "/configs"));
    Query q;
    q.network = "mlperf_tiny/ic";
    q.platform = "diana";
    q.stack = "htvm";
    const auto int8 = session.run(q).result;
    q.quantize = file;
    const auto mixed = session.run(q).result;
    ASSERT_EQ(mixed.status, sim::Status::Ok) << mixed.reason;
    int ternary = 0;
    for (const auto& l : mixed.layers) {
        if (std::regex_match(l.name, std::regex("s._conv_.*"))) {
            EXPECT_EQ(l.engine, "aimc") << l.name;
            ++ternary;
        }
    }
    EXPECT_EQ(ternary, 6);
    // 2-bit weights: the six 3x3 convolutions store a quarter of their int8 bytes.
    const auto& net = session.network(q).loaded.network;
    int64_t ternaryBytes = 0;
    int64_t asInt8 = 0;
    for (auto v : net.executionOrder()) {
        const auto& l = net.layer(v);
        if (l.weightDtype == workloads::DType::Ternary) {
            const int64_t weights = l.stats.params - (l.hasBias ? l.output.shape.back() : 0);
            ternaryBytes +=
                l.stats.weightBytesByDtype[static_cast<std::size_t>(workloads::DType::Ternary)];
            asInt8 += weights;
            EXPECT_EQ(
                l.stats.weightBytesByDtype[static_cast<std::size_t>(workloads::DType::Ternary)],
                (weights * 2 + 7) / 8);
        }
    }
    EXPECT_GT(asInt8, 0);
    EXPECT_LT(mixed.flashBytes, int8.flashBytes);
    EXPECT_EQ(int8.flashBytes - mixed.flashBytes, asInt8 - ternaryBytes);

    // A Cortex-M stack has no ternary kernels: unsupported, naming the type.
    q.platform = "nucleo-l4r5zi";
    q.stack = "tflm-cmsis-nn";
    const auto mcu = session.run(q).result;
    EXPECT_EQ(mcu.status, sim::Status::Unsupported);
    EXPECT_NE(mcu.reason.find("conv2d on ternary"), std::string::npos) << mcu.reason;
}

} // namespace
} // namespace edgesim::explorer
