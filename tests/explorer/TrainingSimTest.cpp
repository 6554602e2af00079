// Training strategies simulated through the library (Session): every strategy on every
// platform gives `ok` or a `does_not_fit` naming what overflows; forward-only methods run
// their forward passes on an NPU where the precision allows; soft float on a core without an
// FPU; energy at least static power x time; the training summary of the result.
#include "explorer/session/Cascade.h"
#include "explorer/session/Session.h"

#include "platforms/PlatformCatalog.h"
#include "workloads/strategy/Strategy.h"

#include <gtest/gtest.h>

#include <map>

namespace edgesim::explorer {
namespace {

ConfigPaths paths() {
    return ConfigPaths(EDGESIM_SOURCE_DIR "/configs");
}

Query query(const std::string& platform, const std::string& stack, const std::string& strategy,
            std::vector<std::string> params = {}, const std::string& network = "mlperf_tiny/kws",
            sim::Fidelity fidelity = sim::Fidelity::Analytical) {
    Query q;
    q.network = network;
    q.platform = platform;
    q.stack = stack;
    q.strategy = strategy;
    q.strategyParams = std::move(params);
    q.fidelity = fidelity;
    return q;
}

/// A stack each platform deploys with.
const std::map<std::string, std::string>& stackOf() {
    static const std::map<std::string, std::string> kStacks = {
        {"corstone-300-ethos-u55", "vela"},
        {"corstone-300-ethos-u55-256", "vela"},
        {"diana", "htvm"},
        {"disco-f746ng", "x-cube-ai-7.3"},
        {"ek-ra6m4", "tflm-cmsis-nn"},
        {"gap8", "gap-flow"},
        {"gap9-evk", "gap-flow"},
        {"mpic", "mpic-qnn"},
        {"nrf5340-dk", "tflm-cmsis-nn"},
        {"nucleo-g0b1re", "tflm-cmsis-nn"},
        {"nucleo-h7a3zi-q", "tflm-2.3"},
        {"nucleo-l4r5zi", "tflm-cmsis-nn"},
        {"nucleo-u575zi-q", "x-cube-ai-7.3"},
        {"stm32n6570-dk", "stedge-ai"},
    };
    return kStacks;
}

TEST(TrainingSim, EveryStrategyOnEveryPlatformRunsOrSaysWhatOverflows) {
    Session session(paths());
    const auto platforms = platforms::listPlatforms(paths());
    ASSERT_EQ(platforms.size(), stackOf().size()) << "a platform without a stack in this test";
    for (const auto& p : platforms) {
        for (const auto& s : workloads::availableStrategies()) {
            const sim::SimResult r =
                session.run(query(p.name, stackOf().at(p.name), s.name)).result;
            const std::string what = p.name + " " + s.name;
            ASSERT_TRUE(r.status == sim::Status::Ok || r.status == sim::Status::DoesNotFit)
                << what << ": " << r.reason;
            if (r.status == sim::Status::DoesNotFit) {
                EXPECT_NE(r.reason.find("bytes"), std::string::npos) << what << ": " << r.reason;
                if (s.name != "inference" && r.reason.find("RAM") != std::string::npos) {
                    EXPECT_NE(r.reason.find("training arena"), std::string::npos)
                        << what << ": " << r.reason;
                }
            } else {
                EXPECT_GT(r.latencyS, 0) << what;
                EXPECT_GT(r.energyJ, 0) << what;
            }
            const bool dynamic = s.name == "early-exit";
            EXPECT_EQ(r.training.has_value(), s.name != "inference" && !dynamic) << what;
            EXPECT_EQ(r.dynamic.has_value(), dynamic && r.status == sim::Status::Ok) << what;
        }
    }
}

TEST(TrainingSim, BackpropThatDoesNotFitNamesTheArenasParts) {
    Session session(paths());
    const sim::SimResult r =
        session.run(query("nucleo-l4r5zi", "tflm-cmsis-nn", "backprop")).result;
    ASSERT_EQ(r.status, sim::Status::DoesNotFit);
    EXPECT_NE(r.reason.find("saved_activations"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("trainable_weights"), std::string::npos) << r.reason;
    ASSERT_TRUE(r.training);
    EXPECT_GT(r.peakRamBytes, r.training->arenaBytes);
    // int8 training of the same network fits the 384 KiB SRAM.
    const sim::SimResult q =
        session.run(query("nucleo-l4r5zi", "tflm-cmsis-nn", "backprop", {"dtype=int8"})).result;
    EXPECT_EQ(q.status, sim::Status::Ok) << q.reason;
    EXPECT_LT(q.peakRamBytes, r.peakRamBytes);
}

TEST(TrainingSim, ForwardForwardRunsItsForwardPassesOnTheNpu) {
    Session session(paths());
    // int8: the forward passes on the Neural-ART NPU, goodness, dW and updates on the host.
    const sim::SimResult r = session
                                 .run(query("stm32n6570-dk", "stedge-ai", "forward-forward",
                                            {"dtype=int8"}, "mlperf_tiny/kws", sim::Fidelity::Tlm))
                                 .result;
    ASSERT_EQ(r.status, sim::Status::Ok) << r.reason;
    ASSERT_TRUE(r.training);
    const int64_t forward = r.training->macsByKind.at("forward");
    // Every convolution of both passes on the NPU (the mapper keeps the 12-way classifier,
    // 768 MACs per pass, on the host where it is faster); nothing else.
    EXPECT_GE(r.training->acceleratorMacs, forward - 2 * 768);
    EXPECT_LE(r.training->acceleratorMacs, forward);
    EXPECT_EQ(r.training->acceleratorMacs + r.training->hostMacs, r.macs);
    EXPECT_GT(r.training->acceleratorCycles, 0U);
    for (const auto& l : r.layers) {
        if (l.op.find("_grad") != std::string::npos || l.op.find("update") != std::string::npos) {
            EXPECT_EQ(l.engine, r.engines.front().name) << l.name << " runs on the host";
        }
    }
    // fp32: the int8 NPU runs none of it.
    const sim::SimResult f =
        session.run(query("stm32n6570-dk", "stedge-ai", "forward-forward")).result;
    ASSERT_EQ(f.status, sim::Status::Ok) << f.reason;
    EXPECT_EQ(f.training->acceleratorMacs, 0);
    EXPECT_GT(f.latencyS, r.latencyS);
}

TEST(TrainingSim, EnergyIsAtLeastStaticPowerTimesTime) {
    Session session(paths());
    const auto platform = platforms::loadPlatform("stm32n6570-dk", paths());
    ASSERT_GT(platform.static_power_w(), 0);
    for (const auto& s : workloads::availableStrategies()) {
        const sim::SimResult r = session.run(query("stm32n6570-dk", "stedge-ai", s.name)).result;
        if (r.status == sim::Status::Ok) {
            EXPECT_GE(r.energyJ, platform.static_power_w() * r.latencyS) << s.name;
            ASSERT_TRUE(!r.training || r.training->energyJPerSample <= r.energyJ) << s.name;
        }
    }
}

TEST(TrainingSim, Fp32OnACoreWithoutAnFpuRunsInSoftware) {
    Session session(paths());
    Query withFpu = query("nucleo-l4r5zi", "tflm-cmsis-nn", "last-layer");
    Query without = withFpu;
    without.overrides.push_back(parseOverride("platform.cores[0].has_fpu=false"));
    const sim::SimResult a = session.run(withFpu).result;
    const sim::SimResult b = session.run(without).result;
    ASSERT_EQ(a.status, sim::Status::Ok) << a.reason;
    ASSERT_EQ(b.status, sim::Status::Ok) << b.reason;
    EXPECT_GT(b.latencyCycles, 5 * a.latencyCycles) << "libgcc soft float";
    // int8 training does not touch the FPU.
    Query int8 = withFpu;
    int8.strategyParams = {"dtype=int8"};
    Query int8NoFpu = without;
    int8NoFpu.strategyParams = {"dtype=int8"};
    EXPECT_EQ(session.run(int8).result.latencyCycles, session.run(int8NoFpu).result.latencyCycles);
}

TEST(TrainingSim, BatchReportsPerSampleAndPerStep) {
    Session session(paths());
    Query one = query("nucleo-l4r5zi", "tflm-cmsis-nn", "last-layer");
    Query four = one;
    four.batch = 4;
    const sim::SimResult a = session.run(one).result;
    const sim::SimResult b = session.run(four).result;
    ASSERT_EQ(b.status, sim::Status::Ok) << b.reason;
    EXPECT_DOUBLE_EQ(b.training->latencySPerSample, b.latencyS / 4);
    // One update per step instead of per sample: a sample costs a little less.
    EXPECT_LT(b.training->latencySPerSample, a.training->latencySPerSample);
    EXPECT_GT(b.training->latencySPerSample, 0.9 * a.training->latencySPerSample);
}

TEST(TrainingSim, InferenceOfAFloatNetworkDoesNotPickUpTrainingKernels) {
    // The training library's fp32 kernels serve training schedules only: a float network's
    // inference stays `unsupported` (deploy it with --quantize int8), while its fp32 training
    // runs on those kernels.
    Session session(paths());
    const std::string floatNet = EDGESIM_TEST_DIR "/data/onnx/corpus/cnn1d.onnx";
    const sim::SimResult inference =
        session.run(query("nucleo-l4r5zi", "tflm-cmsis-nn", "inference", {}, floatNet)).result;
    EXPECT_EQ(inference.status, sim::Status::Unsupported) << inference.reason;
    const sim::SimResult training =
        session.run(query("nucleo-l4r5zi", "tflm-cmsis-nn", "last-layer", {}, floatNet)).result;
    EXPECT_EQ(training.status, sim::Status::Ok) << training.reason;
}

TEST(TrainingSim, ContinualLearningReportsItsPeriodAndAveragePower) {
    Session session(paths());
    const sim::SimResult slow = session
                                    .run(query("stm32n6570-dk", "stedge-ai", "continual",
                                               {"replay=latent", "inference_rate_hz=0.5"}))
                                    .result;
    ASSERT_EQ(slow.status, sim::Status::Ok) << slow.reason;
    ASSERT_TRUE(slow.training);
    EXPECT_DOUBLE_EQ(slow.training->periodS, 20.0);
    EXPECT_TRUE(slow.training->keepsUp);
    const double staticW = platforms::loadPlatform("stm32n6570-dk", paths()).static_power_w();
    EXPECT_NEAR(slow.training->averagePowerW,
                (slow.energyJ + staticW * (20.0 - slow.latencyS)) / 20.0, 1e-12);
    // At 1 kHz the adaptation cannot keep up: busy all the time.
    const sim::SimResult fast = session
                                    .run(query("stm32n6570-dk", "stedge-ai", "continual",
                                               {"replay=latent", "inference_rate_hz=1000"}))
                                    .result;
    EXPECT_FALSE(fast.training->keepsUp);
    EXPECT_NEAR(fast.training->averagePowerW, fast.energyJ / fast.latencyS, 1e-9);
}

TEST(DynamicInferenceSim, ExpectedCostWeighsEachSegmentByTheSamplesReachingIt) {
    Session session(paths());
    const auto run = [&](const std::string& shares) {
        return session
            .run(query("nucleo-l4r5zi", "tflm-cmsis-nn", "early-exit",
                       {"exits=3,5", "exit_shares=" + shares}, "mlperf_tiny/ic",
                       sim::Fidelity::Tlm))
            .result;
    };
    const sim::SimResult none = run("0,0");
    ASSERT_EQ(none.status, sim::Status::Ok) << none.reason;
    ASSERT_TRUE(none.dynamic);
    // Nobody leaves early: expected = worst = the run.
    EXPECT_NEAR(none.dynamic->expectedLatencyS, none.latencyS, 1e-12);
    EXPECT_NEAR(none.dynamic->expectedEnergyJ, none.energyJ, 1e-12);
    const sim::SimResult all = run("1,0");
    // Everybody leaves at the first exit: its path is the expected cost.
    EXPECT_NEAR(all.dynamic->expectedLatencyS, all.dynamic->exits[0].latencyS, 1e-12);
    EXPECT_NEAR(all.dynamic->expectedEnergyJ, all.dynamic->exits[0].energyJ, 1e-12);
    const sim::SimResult mix = run("0.4,0.3");
    const auto& d = *mix.dynamic;
    EXPECT_NEAR(d.expectedLatencyS,
                0.4 * d.exits[0].latencyS + 0.3 * d.exits[1].latencyS + 0.3 * d.worstLatencyS,
                1e-9);
    EXPECT_LT(d.exits[0].latencyS, d.exits[1].latencyS);
    EXPECT_LT(d.exits[1].latencyS, d.worstLatencyS);
    EXPECT_DOUBLE_EQ(d.worstLatencyS, mix.latencyS);
}

TEST(DynamicInferenceSim, CascadeAddsTheBigNetworkForItsShare) {
    Session session(paths());
    const Query little = query("nucleo-l4r5zi", "tflm-cmsis-nn", "inference", {}, "mlperf_tiny/ad",
                               sim::Fidelity::Tlm);
    const sim::SimResult l = session.run(little).result;
    const CascadeResult c = runCascade(session, little, l, "mlperf_tiny/kws", 0.25);
    ASSERT_EQ(c.status, sim::Status::Ok) << c.reason;
    const sim::SimResult big = session.run(cascadeQuery(little, "mlperf_tiny/kws", 0.25)).result;
    EXPECT_DOUBLE_EQ(c.expectedLatencyS, l.latencyS + 0.25 * big.latencyS);
    EXPECT_DOUBLE_EQ(c.worstLatencyS, l.latencyS + big.latencyS);
    EXPECT_DOUBLE_EQ(c.expectedEnergyJ, l.energyJ + 0.25 * big.energyJ);
    EXPECT_EQ(c.peakRamBytes, std::max(l.peakRamBytes, big.peakRamBytes));
    EXPECT_LT(c.flashBytes, l.flashBytes + big.flashBytes) << "one runtime";
    EXPECT_THROW(cascadeQuery(little, "mlperf_tiny/kws", 1.5), InputError);
    // A big network that does not fit makes the cascade not fit, saying which.
    const CascadeResult over =
        runCascade(session, little, l, EDGESIM_TEST_DIR "/apps/data/too_big.textproto", 0.1);
    EXPECT_EQ(over.status, sim::Status::DoesNotFit);
    EXPECT_NE(over.reason.find("big network"), std::string::npos) << over.reason;
}

} // namespace
} // namespace edgesim::explorer
