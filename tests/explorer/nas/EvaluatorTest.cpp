// NAS accuracy evaluators (explorer/nas/impl/): the torch module built from a candidate's
// graph has the graph's parameters and output, training on a 2,000-image Fashion-MNIST subset
// reaches well above chance in seconds and repeats itself for a seed, the training-free
// scores are finite and repeatable, and the command evaluator reports what went wrong.
#include "explorer/nas/AccuracyEvaluator.h"
#include "explorer/nas/NasStudy.h"
#include "explorer/nas/torch/TorchModel.h"

#include "tests/explorer/nas/NasTestUtil.h"
#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace edgesim::explorer::nas {
namespace {

using test::expectInputError;
using test::TempDir;
using ::testing::HasSubstr;

using nastest::parseSpace;

int64_t torchParams(GraphModule& m) {
    int64_t n = 0;
    for (const auto& p : m->parameters()) {
        n += p.numel();
    }
    return n;
}

TEST(NasEvaluatorTest, TheTorchModuleHasTheGraphsParametersAndOutput) {
    const NasStudy demo = loadNasStudy("nas-fmnist-demo", ConfigPaths());
    const NasStudy kws = loadNasStudy("nas-kws", ConfigPaths());
    const spec::SearchSpace tcn = parseSpace(R"(
        resolutions: ["28", "16"] input_channels: 28
        stages { name: "t" ops: ["tconv", "tresidual"] kernels: ["3", "5"] channels: [8, 16]
                 depths: [1, 2, 3] dilations: [1, 2] strides: [1, 2] }
        head { classes: 10 })");
    for (const spec::SearchSpace* s : {&demo.spec.space(), &kws.spec.space(), &tcn}) {
        const SearchSpace space(*s);
        std::mt19937 rng(3);
        for (int i = 0; i < 40; ++i) {
            const Genome g = space.random(rng);
            const Candidate c = space.decode(g, "x");
            ASSERT_TRUE(c.network) << c.reason;
            // Without batch norm, torch's own count of the module's parameters is the graph's.
            GraphModule m(*c.network, false);
            EXPECT_EQ(torchParams(m), c.network->totals().params) << space.describe(g);
            torch::NoGradGuard noGrad;
            std::vector<int64_t> shape = {3};
            const auto& in = m->inputShape();
            if (in.size() == 2) {
                shape.insert(shape.end(), {in[1], in[0]});
            } else {
                shape.insert(shape.end(), {in[2], in[0], in[1]});
            }
            const auto out = m->forward(torch::randn(shape));
            EXPECT_EQ(out.sizes(), (std::vector<int64_t>{3, s->head().classes()}))
                << space.describe(g);
        }
    }
}

spec::AccuracySpec trainSpec(int64_t images, int epochs) {
    spec::AccuracySpec a;
    a.set_evaluator("train");
    a.mutable_train()->set_train_images(images);
    a.mutable_train()->set_test_images(500);
    a.mutable_train()->set_epochs(epochs);
    return a;
}

TEST(NasEvaluatorTest, TrainingOnTwoThousandImagesIsWellAboveChanceAndRepeatable) {
    const NasStudy demo = loadNasStudy("nas-fmnist-demo", ConfigPaths());
    const SearchSpace space(demo.spec.space());
    const Candidate seed = space.decode(demo.seeds.at(0), "seed");
    auto train = makeAccuracyEvaluator("train");
    train->configure(trainSpec(2000, 2), "<study>");
    const auto start = std::chrono::steady_clock::now();
    const AccuracyResult a = train->evaluate(seed, 42, "");
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(a.error.empty()) << a.error;
    EXPECT_GT(a.accuracy, 0.5); // chance: 0.1
    EXPECT_LT(s, 30.0);
    EXPECT_GT(a.seconds, 0.0);
    EXPECT_EQ(train->evaluate(seed, 42, "").accuracy, a.accuracy);
}

TEST(NasEvaluatorTest, AMissingDatasetIsBadInput) {
    spec::AccuracySpec a = trainSpec(100, 1);
    a.mutable_train()->set_data_dir("/nonexistent/fashion-mnist");
    auto train = makeAccuracyEvaluator("train");
    const InputError e = expectInputError([&] { train->configure(a, "study.textproto"); });
    const Diagnostic d = test::only(e, "accuracy.train.data_dir");
    EXPECT_EQ(d.file, "study.textproto");
    EXPECT_THAT(d.reason, HasSubstr("/nonexistent/fashion-mnist/train-images-idx3-ubyte.gz"));
}

TEST(NasEvaluatorTest, TrainingFreeScoresAreFiniteAndRepeatable) {
    const NasStudy demo = loadNasStudy("nas-fmnist-demo", ConfigPaths());
    const SearchSpace space(demo.spec.space());
    std::mt19937 rng(5);
    for (const char* kind : {"naswot", "synflow"}) {
        SCOPED_TRACE(kind);
        spec::AccuracySpec a;
        a.set_evaluator("proxy");
        a.mutable_proxy()->set_kind(kind);
        auto proxy = makeAccuracyEvaluator("proxy");
        proxy->configure(a, "<study>");
        for (int i = 0; i < 5; ++i) {
            const Candidate c = space.decode(space.random(rng), "x");
            const AccuracyResult r = proxy->evaluate(c, 7, "");
            ASSERT_TRUE(r.error.empty()) << r.error;
            EXPECT_TRUE(std::isfinite(r.accuracy));
            EXPECT_EQ(proxy->evaluate(c, 7, "").accuracy, r.accuracy);
        }
    }
}

TEST(NasEvaluatorTest, TheCommandEvaluatorSaysWhatWentWrong) {
    TempDir dir;
    const NasStudy demo = loadNasStudy("nas-fmnist-demo", ConfigPaths());
    const SearchSpace space(demo.spec.space());
    const Candidate c = space.decode(demo.seeds.at(0), "seed");
    const auto run = [&](const std::string& command, double timeout = 0) {
        spec::AccuracySpec a;
        a.set_evaluator("command");
        a.mutable_command()->set_run(command);
        a.mutable_command()->set_timeout_s(timeout);
        auto e = makeAccuracyEvaluator("command");
        e->configure(a, "<study>");
        return e->evaluate(c, 9, dir.path().string());
    };
    // The candidate's files are there, and the seed is passed on.
    AccuracyResult r = run("test -s {textproto} && test -s {json} && echo progress && "
                           "echo \"{\\\"accuracy\\\": 0.$EDGESIM_SEED}\"");
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_DOUBLE_EQ(r.accuracy, 0.9);
    r = run("echo oops >&2; exit 3");
    EXPECT_THAT(r.error, HasSubstr("exited with status 3: oops"));
    EXPECT_TRUE(std::isnan(r.accuracy));
    r = run("echo 'accuracy: 0.8'");
    EXPECT_THAT(r.error, HasSubstr("is not {\"accuracy\": <number>}"));
    r = run("echo '{\"accuracy\": 87.5}'");
    EXPECT_THAT(r.error, HasSubstr("87.5 is not a fraction"));
    r = run("sleep 5; echo '{\"accuracy\": 0.5}'", 0.3);
    EXPECT_THAT(r.error, HasSubstr("timeout of 0.3 s"));
    EXPECT_LT(r.seconds, 3.0);
}

} // namespace
} // namespace edgesim::explorer::nas
