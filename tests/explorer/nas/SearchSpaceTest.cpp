// NAS search spaces (explorer/nas/SearchSpace.h) and studies (NasStudy.h): the example
// studies' spaces contain the MLPerf Tiny reference models, every random genome decodes to a
// valid network, blocks build what their definition says (counted by hand), and bad studies
// name file, line and field.
#include "explorer/nas/SearchSpace.h"
#include "explorer/nas/NasStudy.h"

#include "common/TextProto.h"
#include "workloads/NetworkSource.h"
#include "workloads/onnx/OnnxExporter.h"
#include "workloads/onnx/OnnxImporter.h"

#include "tests/explorer/nas/NasTestUtil.h"
#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace edgesim::explorer::nas {
namespace {

using test::expectInputError;
using test::TempDir;
using ::testing::HasSubstr;

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

using nastest::parseSpace;

TEST(NasStudyTest, ExampleSpacesContainTheReferenceModels) {
    // Loading checks each seed against its reference: same MACs, parameters and operators.
    for (const char* name : {"nas-kws", "nas-ic", "nas-vww"}) {
        SCOPED_TRACE(name);
        const NasStudy study = loadNasStudy(name, ConfigPaths());
        ASSERT_EQ(study.seeds.size(), 1U);
        const SearchSpace space(study.spec.space());
        const Candidate c = space.decode(study.seeds[0], "seed");
        ASSERT_TRUE(c.network) << c.reason;
        const auto ref =
            workloads::loadNetwork(study.spec.seeds(0).reference(), ConfigPaths()).network;
        EXPECT_EQ(c.network->totals().macs, ref.totals().macs);
        EXPECT_EQ(c.network->totals().params, ref.totals().params);
        EXPECT_EQ(c.network->totals().weightBytes, ref.totals().weightBytes);
        EXPECT_GE(space.genes().size(), 5U);
    }
}

TEST(NasStudyTest, ASeedThatIsNotItsReferenceIsRejected) {
    TempDir dir;
    std::string text = readFile(ConfigPaths().locate("studies", "nas-kws", "--study"));
    const std::string from = "\"body.depth=4\"";
    text.replace(text.find(from), from.size(), "\"body.depth=3\"");
    const auto path = dir.write("s.textproto", text);
    const InputError e = expectInputError([&] { loadNasStudy(path.string(), ConfigPaths()); });
    const Diagnostic d = test::only(e, "seeds[0].reference");
    EXPECT_THAT(d.reason, HasSubstr("is not mlperf_tiny/kws"));
    EXPECT_GT(d.line, 0);
}

TEST(SearchSpaceTest, EveryRandomGenomeDecodesToAValidNetwork) {
    for (const char* name : {"nas-kws", "nas-ic", "nas-vww"}) {
        SCOPED_TRACE(name);
        const NasStudy study = loadNasStudy(name, ConfigPaths());
        const SearchSpace space(study.spec.space());
        std::mt19937 rng(11);
        std::set<std::string> distinct;
        for (int i = 0; i < 1500; ++i) {
            const Genome g = space.random(rng);
            const Candidate c = space.decode(g, "c");
            ASSERT_TRUE(c.network) << space.describe(g) << ": " << c.reason;
            EXPECT_GT(c.network->totals().macs, 0);
            // The text forms round-trip.
            ASSERT_EQ(space.parse(words(space.describe(g))), g);
            distinct.insert(c.sha256);
        }
        // Random genomes differ, and different networks hash differently.
        EXPECT_GT(distinct.size(), 200U);
    }
}

TEST(SearchSpaceTest, CandidatesRoundTripThroughOnnx) {
    // Exported and imported back: the same MACs, parameters and operators (2-D and TCN).
    const spec::SearchSpace tcn = parseSpace(R"(
        resolutions: ["28", "16"] input_channels: 28
        stages { name: "t" ops: ["tconv", "tresidual"] kernels: ["3", "5"] channels: [8, 16]
                 depths: [1, 2] dilations: [1, 2] strides: [1, 2] }
        head { classes: 10 })");
    const NasStudy vww = loadNasStudy("nas-vww", ConfigPaths());
    const NasStudy ic = loadNasStudy("nas-ic", ConfigPaths());
    const NasStudy kws = loadNasStudy("nas-kws", ConfigPaths());
    for (const spec::SearchSpace* s :
         {&tcn, &vww.spec.space(), &ic.spec.space(), &kws.spec.space()}) {
        const SearchSpace space(*s);
        std::mt19937 rng(8);
        for (int i = 0; i < 25; ++i) {
            const Genome g = space.random(rng);
            const Candidate c = space.decode(g, "x");
            ASSERT_TRUE(c.network) << c.reason;
            const workloads::Network back =
                workloads::importOnnx(workloads::exportOnnx(*c.network, 1), "x.onnx");
            EXPECT_EQ(back.totals().macs, c.network->totals().macs) << space.describe(g);
            EXPECT_EQ(back.totals().params, c.network->totals().params) << space.describe(g);
            EXPECT_EQ(back.totals().layers, c.network->totals().layers) << space.describe(g);
        }
    }
}

TEST(SearchSpaceTest, BlocksBuildWhatTheyDefine) {
    // 8x8x4 input; mbconv with expansion 2 to 4 channels (skip: same shape), stride 1, k3:
    // expand 1x1 4->8: 64*4*8 = 2048 MACs; dw 3x3 on 8 ch: 64*9*8 = 4608; project 8->4: 2048;
    // add; then global pool and a 10-unit dense: 4*10 = 40. Total 8744.
    const SearchSpace space(parseSpace(R"(
        resolutions: "8x8" input_channels: 4
        stages { name: "m" ops: ["mbconv", "residual", "dsconv"] channels: [4, 6] expansions: [2] }
        head { classes: 10 })"));
    ASSERT_EQ(space.genes().size(), 2U); // m.op, m.channels
    Candidate c = space.decode(space.parse({"m.op=mbconv", "m.channels=4"}), "x");
    ASSERT_TRUE(c.network) << c.reason;
    EXPECT_EQ(c.network->totals().macs, 2048 + 4608 + 2048 + 40);
    EXPECT_TRUE(c.network->find("m_add").has_value());
    // Another width: no skip.
    c = space.decode(space.parse({"m.op=mbconv", "m.channels=6"}), "x");
    ASSERT_TRUE(c.network);
    EXPECT_FALSE(c.network->find("m_add").has_value());
    // Residual to 6 channels: conv a 3x3 4->6: 64*9*4*6 = 13824; conv b 6->6: 20736; 1x1
    // shortcut 4->6: 1536; dense 60.
    c = space.decode(space.parse({"m.op=residual", "m.channels=6"}), "x");
    ASSERT_TRUE(c.network);
    EXPECT_EQ(c.network->totals().macs, 13824 + 20736 + 1536 + 60);
    EXPECT_TRUE(c.network->find("m_shortcut").has_value());
}

TEST(SearchSpaceTest, TemporalBlocksDilateAndStayCausal) {
    // T=28, 28 features; two tconv blocks k3 with dilation 1 then 2 (doubling per repeat),
    // 16 channels: 28*3*28*16 + 28*3*16*16 MACs, then pool and dense 16*10.
    const SearchSpace space(parseSpace(R"(
        resolutions: "28" input_channels: 28
        stages { name: "t" ops: ["tconv"] channels: [16] depths: [1, 2] }
        head { classes: 10 })"));
    const Candidate c = space.decode(space.parse({"t.depth=2"}), "x");
    ASSERT_TRUE(c.network) << c.reason;
    EXPECT_EQ(c.network->totals().macs, 28 * 3 * 28 * 16 + 28 * 3 * 16 * 16 + 16 * 10);
    const auto& second = c.network->layer(*c.network->find("t_1_conv"));
    EXPECT_EQ(second.window.dilation.at(0), 2);
    EXPECT_EQ(second.output.shape.at(0), 28);
}

TEST(SearchSpaceTest, WidthMultipliersAndPrecisionsAreGenes) {
    const SearchSpace space(parseSpace(R"(
        resolutions: "16x16" input_channels: 3
        stages { name: "s" ops: ["conv"] base_channels: 16 width_multipliers: [0.5, 1.0, 1.5]
                 precisions: ["int8", "int4"] activation_precisions: ["int8", "int16"] }
        head { classes: 2 })"));
    ASSERT_EQ(space.genes().size(), 3U);
    EXPECT_EQ(space.genes()[0].labels, (std::vector<std::string>{"8", "16", "24"}));
    const Candidate c = space.decode(
        space.parse({"s.channels=24", "s.precision=int4", "s.activation_precision=int16"}), "x");
    ASSERT_TRUE(c.network) << c.reason;
    const auto& conv = c.network->layer(*c.network->find("s_conv"));
    EXPECT_EQ(conv.outChannels, 24);
    EXPECT_EQ(conv.weightDtype, workloads::DType::Int4);
    EXPECT_EQ(conv.outputDtype, workloads::DType::Int16);
    // The head keeps the network's int8.
    EXPECT_EQ(c.network->layer(*c.network->find("fc")).outputDtype, workloads::DType::Int8);
    EXPECT_EQ(space.size(), 12);
    // Sub-byte activations (mixed-precision cores): the stage's outputs packed at 4 bits.
    const SearchSpace sub(parseSpace(R"(
        resolutions: "16x16" input_channels: 3
        stages { name: "s" ops: ["conv"] channels: [8] activation_precisions: ["int8", "int4"] }
        head { classes: 2 })"));
    const Candidate four = sub.decode(sub.parse({"s.activation_precision=int4"}), "x");
    ASSERT_TRUE(four.network) << four.reason;
    const auto& out = four.network->layer(*four.network->find("s_conv")).output;
    EXPECT_EQ(out.dtype, workloads::DType::Int4);
    EXPECT_EQ(out.bytes(), out.elements() / 2);
}

TEST(SearchSpaceTest, BadGenesAndSpacesAreRejected) {
    const SearchSpace space(parseSpace(R"(
        resolutions: ["8x8", "16x16"] input_channels: 1
        stages { name: "s" ops: ["conv"] channels: [4, 8] }
        head { classes: 2 })"));
    EXPECT_THROW(space.parse({"s.width=4"}), std::invalid_argument);
    EXPECT_THROW(space.parse({"s.channels=5"}), std::invalid_argument);
    EXPECT_THROW(space.decode({0, 2}, "x"), std::invalid_argument);
    EXPECT_THROW(space.decode({0}, "x"), std::invalid_argument);

    const InputError e = expectInputError([] {
        parseSpace(R"(
            resolutions: ["8x8", "16"] input_channels: 1
            stages { name: "s" ops: ["conv", "lstm"] channels: [4, 4] kernels: ["3x"] }
            stages { name: "s" ops: ["tconv"] channels: [4] }
            head { pool: "avg" })");
    });
    const std::string all = e.formatAll();
    for (const char* want :
         {"resolutions[1]", "stages[0].ops[1]", "stages[0].channels[1]", "stages[0].kernels[0]",
          "stages[1].name", "head.classes", "head.pool_kernel", "mixes 2-D blocks"}) {
        EXPECT_THAT(all, HasSubstr(want));
    }
    // Choices no block of the stage reads, and kernels no edge network has.
    const std::string unused = expectInputError([] {
                                   parseSpace(R"(
            resolutions: "8x8" input_channels: 1
            stages { name: "s" ops: ["conv", "dsconv"] channels: [4] skip: [true, false]
                     expansions: [2, 4] dilations: [1, 2] kernels: ["3", "300"] }
            head { classes: 2 })");
                               }).formatAll();
    for (const char* want : {"stages[0].skip: only mbconv", "stages[0].expansions: only mbconv",
                             "stages[0].dilations: only tconv", "stages[0].kernels[1]"}) {
        EXPECT_THAT(unused, HasSubstr(want));
    }
}

TEST(NasStudyTest, ASpaceOfOneNetworkIsRejectedAndCommentsDoNotChangeTheHash) {
    TempDir dir;
    std::string text = readFile(ConfigPaths().locate("studies", "nas-kws", "--study"));
    const auto a = loadNasStudy(dir.write("a.textproto", text).string(), ConfigPaths());
    const auto b = loadNasStudy(dir.write("b.textproto", "# another comment\n" + text).string(),
                                ConfigPaths());
    EXPECT_EQ(a.sha256, b.sha256);
    const std::string one = R"(name: "one"
space { resolutions: "8x8" input_channels: 1 stages { name: "s" ops: ["conv"] channels: [4] } head { classes: 2 } }
targets { platform: "gap9-evk" stack: "gap-flow" }
objectives { metric: "latency_s" target: "gap9-evk" }
)";
    const auto path = dir.write("one.textproto", one);
    const InputError e = expectInputError([&] { loadNasStudy(path.string(), ConfigPaths()); });
    EXPECT_THAT(test::only(e, "space").reason, HasSubstr("one network only"));
}

TEST(NasStudyTest, BadStudiesNameTheField) {
    TempDir dir;
    const auto path = dir.write("bad.textproto", R"(name: "bad"
space { resolutions: "8x8" input_channels: 1 stages { name: "s" ops: ["conv"] channels: [4, 8] } head { classes: 2 } }
targets { platform: "gap9-evk" stack: "gap-flow" }
targets { platform: "gap9-evk" stack: "gap-flow" strategy: "backprop learning=fast" }
objectives { metric: "latency_s" }
objectives { metric: "accuracy" }
constraints { metric: "peak_ram_bytes" target: "mcu" max: 1 }
algorithm { kind: "simulated-annealing" population: 1 }
)");
    const InputError e = expectInputError([&] { loadNasStudy(path.string(), ConfigPaths()); });
    const std::string all = e.formatAll();
    for (const char* want :
         {":4:", "targets[1].platform", "a second target named 'gap9-evk'", "targets[1].strategy",
          ":5:", "objectives[0].metric", "name the target", "objectives[1].metric",
          "accuracy needs an accuracy evaluator", "constraints[0].target", "algorithm.kind",
          "algorithm.population"}) {
        EXPECT_THAT(all, HasSubstr(want)) << all;
    }
}

} // namespace
} // namespace edgesim::explorer::nas
