// Training lowerings (workloads/strategy/Training.h): hand-computed kernels, MACs and peak RAM
// of each strategy on a small MLP and a small CNN, the invariants between strategies on the
// MLPerf Tiny models, and the Pau & Aymone totals reproduced by the lowered schedules.
#include "workloads/strategy/Training.h"

#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "workloads/NetworkSource.h"
#include "workloads/graph/MemoryPlanner.h"
#include "workloads/graph/ShapeInference.h"
#include "workloads/strategy/PauAymone.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace edgesim::workloads {
namespace {

Network model(const std::string& name) {
    return loadNetwork("mlperf_tiny/" + name, ConfigPaths()).network;
}

Schedule lower(const Network& net, const std::string& strategy,
               const std::vector<std::string>& params = {}, int batch = 1) {
    return lowerWithStrategy(net, strategy, batch, params);
}

int64_t role(const Schedule& s, TensorRole r) {
    return s.training->peakByRole[static_cast<std::size_t>(r)];
}

int64_t kindMacs(const Schedule& s, const std::string& kind) {
    const auto it = s.training->macsByKind.find(kind);
    return it == s.training->macsByKind.end() ? 0 : it->second;
}

/// The stack ops of the schedule's kernels, in order.
std::vector<std::string> ops(const Schedule& s) {
    std::vector<std::string> out;
    for (const auto& k : s.kernels) {
        out.push_back(k.opName());
    }
    return out;
}

/// 16 inputs -> dense 8 + ReLU -> dense 4 -> softmax, with biases, in int8 as stored (the
/// lowering trains in fp32 by default).
Network mlp() {
    Network net("mlp");
    Layer in;
    in.name = "x";
    in.op = OpKind::Input;
    in.targetShape = {16};
    auto prev = net.addLayer(in);
    Layer fc1;
    fc1.name = "fc1";
    fc1.op = OpKind::Dense;
    fc1.outChannels = 8;
    fc1.activation.kind = ActivationKind::Relu;
    prev = net.addLayer(fc1, {prev});
    Layer fc2;
    fc2.name = "fc2";
    fc2.op = OpKind::Dense;
    fc2.outChannels = 4;
    prev = net.addLayer(fc2, {prev});
    Layer sm;
    sm.name = "softmax";
    sm.op = OpKind::Softmax;
    net.addLayer(sm, {prev});
    inferShapes(net, "mlp");
    return net;
}

/// A [6,6,2] input -> conv 3x3x4 (valid, ReLU) -> global average pool -> dense 3.
Network cnn() {
    Network net("cnn");
    Layer in;
    in.name = "x";
    in.op = OpKind::Input;
    in.targetShape = {6, 6, 2};
    auto prev = net.addLayer(in);
    Layer conv;
    conv.name = "conv";
    conv.op = OpKind::Conv2d;
    conv.outChannels = 4;
    conv.window.kernel = {3, 3};
    conv.window.stride = {1, 1};
    conv.window.padding = Padding::Valid;
    conv.activation.kind = ActivationKind::Relu;
    prev = net.addLayer(conv, {prev});
    Layer pool;
    pool.name = "pool";
    pool.op = OpKind::GlobalAvgPool;
    prev = net.addLayer(pool, {prev});
    Layer flat;
    flat.name = "flat";
    flat.op = OpKind::Flatten;
    prev = net.addLayer(flat, {prev});
    Layer fc;
    fc.name = "fc";
    fc.op = OpKind::Dense;
    fc.outChannels = 3;
    net.addLayer(fc, {prev});
    inferShapes(net, "cnn");
    return net;
}

TEST(Training, BackpropOnTheMlpByHand) {
    const Schedule s = lower(mlp(), "backprop");
    EXPECT_EQ(s.strategy, "backprop");
    // Forward, loss at the softmax (its input's gradient), then per layer from the top:
    // bias and weight gradients, the input gradient (fc2 only: fc1's input is the data), and
    // the in-place update; fc1's ReLU mask before its gradients.
    EXPECT_EQ(ops(s), (std::vector<std::string>{"dense", "dense", "softmax", "loss", "bias_grad",
                                                "dense_weight_grad", "dense_input_grad",
                                                "sgd_update", "activation_grad", "bias_grad",
                                                "dense_weight_grad", "sgd_update"}));
    // FW 128 + 32, ERR 4, WU 128 + 32, BW 32 (fc2 only), SGD one MAC per parameter:
    // (128 + 8) + (32 + 4).
    EXPECT_EQ(kindMacs(s, "forward"), 160);
    EXPECT_EQ(kindMacs(s, "loss"), 4);
    EXPECT_EQ(kindMacs(s, "weight_grad"), 160);
    EXPECT_EQ(kindMacs(s, "input_grad"), 32);
    EXPECT_EQ(kindMacs(s, "optimizer"), 172);
    EXPECT_EQ(s.macs, 160 + 4 + 160 + 32 + 172);
    // fp32 everywhere. Live at fc1's bias gradient (the peak): the input x kept for fc1's dW
    // (16 x 4 = 64), fc1's output gradient (8 x 4 = 32), fc1's dW + db ((128 + 8) x 4 = 544),
    // and both layers' trainable parameters ((136 + 36) x 4 = 688).
    EXPECT_EQ(s.training->peakLiveBytes, 64 + 32 + 544 + 688);
    EXPECT_EQ(role(s, TensorRole::SavedActivation), 64);
    EXPECT_EQ(role(s, TensorRole::ActivationGradient), 32);
    EXPECT_EQ(role(s, TensorRole::WeightGradient), 544);
    EXPECT_EQ(role(s, TensorRole::TrainableWeights), 688);
    EXPECT_EQ(role(s, TensorRole::OptimizerState), 0);
    EXPECT_GE(s.arenaBytes, s.training->peakLiveBytes);
    EXPECT_EQ(s.training->ramWeightBytes, 688);
    EXPECT_EQ(s.training->trainableParams, 172);
    // The stored weights in fp32 (Flash).
    EXPECT_EQ(s.weightBytes, 688);
}

TEST(Training, OptimizerStateAndMacsPerParameter) {
    const Schedule sgd = lower(mlp(), "backprop");
    const Schedule momentum = lower(mlp(), "backprop", {"optimizer=momentum"});
    const Schedule adam = lower(mlp(), "backprop", {"optimizer=adam"});
    EXPECT_EQ(kindMacs(momentum, "optimizer"), 2 * 172);
    EXPECT_EQ(kindMacs(adam, "optimizer"), 3 * 172);
    // One and two fp32 copies of the 172 trainable parameters, live all step.
    EXPECT_EQ(role(momentum, TensorRole::OptimizerState), 172 * 4);
    EXPECT_EQ(role(adam, TensorRole::OptimizerState), 2 * 172 * 4);
    EXPECT_EQ(momentum.training->peakLiveBytes, sgd.training->peakLiveBytes + 172 * 4);
    EXPECT_EQ(ops(adam).back(), "adam_update");
}

TEST(Training, LastLayerAndBiasOnlyOnTheMlpByHand) {
    const Schedule last = lower(mlp(), "last-layer");
    // No gradient flows below fc2: no input gradient, no mask, no fc1 update.
    EXPECT_EQ(ops(last), (std::vector<std::string>{"dense", "dense", "softmax", "loss", "bias_grad",
                                                   "dense_weight_grad", "sgd_update"}));
    EXPECT_EQ(last.macs, 160 + 4 + 32 + 36);
    EXPECT_EQ(last.training->ramWeightBytes, 36 * 4);
    EXPECT_EQ(role(last, TensorRole::Mask), 0);

    const Schedule bias = lower(mlp(), "bias-only");
    // Input gradient through fc2 (its weights read from Flash), masks, no weight gradient.
    EXPECT_EQ(ops(bias), (std::vector<std::string>{"dense", "dense", "softmax", "loss", "bias_grad",
                                                   "dense_input_grad", "sgd_update",
                                                   "activation_grad", "bias_grad", "sgd_update"}));
    EXPECT_EQ(bias.macs, 160 + 4 + 32 + 4 + 8);
    EXPECT_EQ(bias.training->ramWeightBytes, (8 + 4) * 4);
    for (const auto& k : bias.kernels) {
        EXPECT_NE(k.kind, KernelKind::WeightGrad) << k.name;
        if (k.kind == KernelKind::InputGrad) {
            EXPECT_FALSE(k.weightsInRam) << "frozen weights stay in Flash";
        }
    }
    // Nothing is kept for a weight gradient (TinyTL): no saved activations, ever.
    for (const auto& t : bias.tensors) {
        EXPECT_NE(t.role, TensorRole::SavedActivation) << t.name;
    }
    // Only fc2's bias: lowest_layer 2.
    const Schedule top = lower(mlp(), "bias-only", {"lowest_layer=2"});
    EXPECT_EQ(top.macs, 160 + 4 + 4);
}

TEST(Training, BackpropOnTheCnnByHand) {
    const Network net = cnn();
    // conv: 4x4 outputs x 4 channels x (2 x 3 x 3) = 1152 MACs; dense 4 -> 3 = 12.
    const Schedule s = lower(net, "backprop");
    EXPECT_EQ(kindMacs(s, "forward"), 1152 + 12);
    EXPECT_EQ(kindMacs(s, "weight_grad"), 1152 + 12);
    // The conv is the first layer: only the dense's input gradient, then the pool's.
    EXPECT_EQ(kindMacs(s, "input_grad"), 12);
    const auto o = ops(s);
    EXPECT_NE(std::find(o.begin(), o.end(), "pool_grad"), o.end());
    EXPECT_EQ(std::count(o.begin(), o.end(), "conv2d_input_grad"), 0);
    EXPECT_EQ(std::count(o.begin(), o.end(), "conv2d_weight_grad"), 1);
    // ERR: the dense's 3 outputs (no softmax: the loss is at the dense itself).
    EXPECT_EQ(kindMacs(s, "loss"), 3);
    // The conv's ReLU keeps 1 bit per output: 64 outputs -> 8 bytes.
    int64_t maskBytes = 0;
    for (const auto& t : s.tensors) {
        maskBytes += t.role == TensorRole::Mask ? t.bytes : 0;
    }
    EXPECT_EQ(maskBytes, 8);
    // Pau & Aymone: the pool is its input elements (64) forward and backward.
    const Schedule pa = lower(net, "backprop", {"counting=pau-aymone"});
    EXPECT_EQ(pa.macs, pauAymoneCounts(net).backprop());
    EXPECT_EQ(pa.macs, (1152 + 64 + 12) + (12 + 64) + (1152 + 12) + 3);
}

TEST(Training, EveryStrategyOnTheCnnByHand) {
    // conv: 16 outputs x 4 channels x (2 x 3 x 3) = 1152 MACs, 72 weights + 4 biases; the pool
    // and flatten 0; dense 4 -> 3: 12 MACs, 12 weights + 3 biases. FW = 1164, C = 3,
    // d_in = 6 x 6 x 2 = 72, 91 parameters. SGD: one MAC per trained parameter.
    const Network net = cnn();
    // Last layer: FW, ERR 3, the dense's dW 12, its update 15.
    EXPECT_EQ(lower(net, "last-layer").macs, 1164 + 3 + 12 + 15);
    // Bias only: FW, ERR, the dense's input gradient 12 (to the pool, then the conv's mask),
    // updates of 3 + 4 biases.
    EXPECT_EQ(lower(net, "bias-only").macs, 1164 + 3 + 12 + 3 + 4);
    // FF per pass: conv 1152 + GOOD 64 + dW 1152 + NORM 64 + update 76, dense 12 + 3 + 12 + 3
    // + 15; two passes.
    EXPECT_EQ(lower(net, "forward-forward").macs,
              2 * (1152 + 64 + 1152 + 64 + 76 + 12 + 3 + 12 + 3 + 15));
    // PEPITA: clean FW, ERR, PROJ 3 x 72, modulated FW, WU 1164, updates 91; MEMPEPITA one FW
    // more.
    EXPECT_EQ(lower(net, "pepita").macs, 1164 + 3 + 216 + 1164 + 1164 + 91);
    EXPECT_EQ(lower(net, "mempepita").macs, 1164 + 3 + 216 + 2 * 1164 + 1164 + 91);
    // Zeroth-order, one direction: 2 FW, 2 losses, 3 perturbation sweeps and the update over
    // 91 parameters. Peak: the weights (91 x 4) and 16 bytes of state beside the conv's
    // input (72 x 4) and output (64 x 4).
    const Schedule zo = lower(net, "zeroth-order");
    EXPECT_EQ(zo.macs, 2 * 1164 + 2 * 3 + 3 * 91 + 91);
    EXPECT_EQ(zo.training->peakLiveBytes, 91 * 4 + 16 + 72 * 4 + 64 * 4);
    // Last layer keeps the dense's input (4 floats) for its dW and nothing below.
    const Schedule last = lower(net, "last-layer");
    int64_t saved = 0;
    for (const auto& t : last.tensors) {
        saved += t.role == TensorRole::SavedActivation ? t.bytes : 0;
    }
    EXPECT_EQ(saved, 4 * 4);
}

TEST(Training, ForwardForwardOnTheMlpByHand) {
    const Schedule s = lower(mlp(), "forward-forward");
    // Per pass: label embedding, then per dense layer forward, goodness, local dW,
    // normalisation and update; no softmax.
    const std::vector<std::string> pass{
        "elementwise",       "dense",      "goodness",  "dense_weight_grad",
        "normalize",         "sgd_update", "dense",     "goodness",
        "dense_weight_grad", "normalize",  "sgd_update"};
    std::vector<std::string> both = pass;
    both.insert(both.end(), pass.begin(), pass.end());
    EXPECT_EQ(ops(s), both);
    // 2 (FW 160 + WU 160 + GOOD 12 + NORM 12) + 2 x 172 SGD.
    EXPECT_EQ(s.macs, 2 * (160 + 160 + 12 + 12) + 2 * 172);
    // No activation of one layer outlives the next: at fc1's dW the input copy (64), the
    // embedded input (64), fc1's output (32), its dW (544) and the weights (688).
    EXPECT_EQ(s.training->peakLiveBytes, 64 + 64 + 32 + 544 + 688);
    EXPECT_EQ(role(s, TensorRole::WeightGradient), 544) << "dW is released after each update";
}

TEST(Training, PepitaAndMempepitaOnTheMlpByHand) {
    const Network net = mlp();
    const Schedule p = lower(net, "pepita");
    // 2 FW + WU + ERR + PROJ (4 x 16) + SGD 172.
    EXPECT_EQ(p.macs, 2 * 160 + 160 + 4 + 64 + 172);
    EXPECT_EQ(kindMacs(p, "projection"), 64);
    // F (16 x 4 fp32) in RAM all step.
    EXPECT_EQ(role(p, TensorRole::Feedback), 256);
    const Schedule flash = lower(net, "pepita", {"feedback=flash"});
    EXPECT_EQ(role(flash, TensorRole::Feedback), 0);
    EXPECT_EQ(flash.weightBytes, p.weightBytes + 256);
    const Schedule seed = lower(net, "pepita", {"feedback=seed"});
    EXPECT_EQ(role(seed, TensorRole::Feedback), 0);
    const auto seedOps = ops(seed);
    EXPECT_EQ(std::count(seedOps.begin(), seedOps.end(), "rng_perturb"), 1);
    const Schedule m = lower(net, "mempepita");
    EXPECT_EQ(m.macs, 3 * 160 + 160 + 4 + 64 + 172);
    // On a net this small the input copies dominate, so MEMPEPITA saves nothing here; on the
    // MLPerf Tiny models it does (InvariantsOnTheMlperfTinyModels). No layer output of the
    // clean pass outlives its layer: nothing is saved across the step but the input.
    for (const auto& t : m.tensors) {
        if (t.role == TensorRole::SavedActivation) {
            EXPECT_LE(t.bytes, 16 * 4) << t.name;
        }
    }
}

TEST(Training, ZerothOrderKeepsOnlyTheInferenceArenaAndTheWeights) {
    const Schedule s = lower(mlp(), "zeroth-order", {"directions=2"});
    // Per direction: 2 forward passes, 4 sweeps of 172 parameters (3 perturbations and the
    // update), the loss twice.
    EXPECT_EQ(kindMacs(s, "forward"), 2 * 2 * 160);
    EXPECT_EQ(kindMacs(s, "perturb"), 2 * 3 * 172);
    EXPECT_EQ(kindMacs(s, "optimizer"), 2 * 172);
    EXPECT_EQ(role(s, TensorRole::SavedActivation), 0);
    EXPECT_EQ(role(s, TensorRole::ActivationGradient), 0);
    EXPECT_EQ(role(s, TensorRole::WeightGradient), 0);
    EXPECT_EQ(role(s, TensorRole::OptimizerState), 16);
    EXPECT_EQ(role(s, TensorRole::TrainableWeights), 688);
}

TEST(Training, SparseUpdateOfEverythingAtRatioOneIsBackprop) {
    for (const Network& net : {mlp(), cnn(), model("kws"), model("ic")}) {
        const Schedule bp = lower(net, "backprop");
        const Schedule sparse =
            lower(net, "sparse-backprop", {"weight_layers=0", "channel_ratio=1", "bias_layers=0"});
        ASSERT_EQ(ops(sparse), ops(bp)) << net.name();
        EXPECT_EQ(sparse.macs, bp.macs) << net.name();
        EXPECT_EQ(sparse.arenaBytes, bp.arenaBytes) << net.name();
        EXPECT_EQ(sparse.training->peakByRole, bp.training->peakByRole) << net.name();
    }
}

TEST(Training, SparseUpdateShrinksWeightGradientsByTheChannelRatio) {
    const Network net = model("kws");
    const Schedule half = lower(net, "sparse-backprop", {"weight_layers=1", "channel_ratio=0.5"});
    const Schedule full = lower(net, "sparse-backprop", {"weight_layers=1", "channel_ratio=1"});
    EXPECT_EQ(kindMacs(full, "weight_grad") - kindMacs(half, "weight_grad"),
              kindMacs(full, "weight_grad") / 2);
    EXPECT_LT(half.training->ramWeightBytes, full.training->ramWeightBytes);
}

TEST(Training, InvariantsOnTheMlperfTinyModels) {
    for (const char* name : {"kws", "vww", "ic", "ad"}) {
        const Network net = model(name);
        const Schedule bp = lower(net, "backprop");
        // BP = FW + BW + WU + ERR: every MAC is one of those or the optimizer's.
        EXPECT_EQ(bp.macs, kindMacs(bp, "forward") + kindMacs(bp, "input_grad") +
                               kindMacs(bp, "weight_grad") + kindMacs(bp, "loss") +
                               kindMacs(bp, "optimizer"))
            << name;
        EXPECT_EQ(kindMacs(bp, "forward"), net.totals().macs) << name;
        EXPECT_EQ(kindMacs(bp, "weight_grad"), net.totals().macs) << name;
        int64_t first = 0;
        for (auto id : computeLayers(net)) {
            first = net.layer(id).stats.macs;
            break;
        }
        EXPECT_EQ(kindMacs(bp, "input_grad"), net.totals().macs - first) << name;
        for (const char* cheaper : {"bias-only", "last-layer", "sparse-backprop"}) {
            EXPECT_LE(lower(net, cheaper).arenaBytes, bp.arenaBytes) << name << " " << cheaper;
        }
        EXPECT_LT(lower(net, "mempepita").arenaBytes, lower(net, "pepita").arenaBytes) << name;
        // Zeroth-order: the fp32 inference activations, the weights, 16 bytes of state.
        const Schedule zo = lower(net, "zeroth-order");
        EXPECT_LE(role(zo, TensorRole::Activation) + role(zo, TensorRole::SavedActivation),
                  planMemory(net).arenaBytes * 4)
            << name;
        EXPECT_EQ(zo.training->peakLiveBytes,
                  role(zo, TensorRole::Activation) + zo.training->ramWeightBytes + 16)
            << name;
    }
}

TEST(Training, PauAymoneTotalsAreTheClosedForms) {
    // TRAINING.md §2: BP = FW + BW + WU + ERR, FF = 2 (FW + WU + GOOD + NORM),
    // PEPITA = 2 FW + WU + ERR + PROJ, MEMPEPITA = 3 FW + WU + ERR + PROJ, per sample.
    for (const char* name : {"kws", "vww", "ic", "ad"}) {
        const Network net = model(name);
        const PauAymoneCounts c = pauAymoneCounts(net);
        const std::vector<std::string> pa{"counting=pau-aymone"};
        EXPECT_EQ(lower(net, "backprop", pa).macs, c.backprop()) << name;
        EXPECT_EQ(lower(net, "forward-forward", pa).macs, c.forwardForward()) << name;
        EXPECT_EQ(lower(net, "pepita", pa).macs, c.pepita()) << name;
        EXPECT_EQ(lower(net, "mempepita", pa).macs, c.mempepita()) << name;
    }
    // DS-CNN: FW 2,656,768 + pool 8000 + head 228.
    const PauAymoneCounts kws = pauAymoneCounts(model("kws"));
    EXPECT_EQ(kws.forwardWithHead(), 2656768 + 8000 + 228);
}

TEST(Training, PauAymoneMemoryIsTheSheetsFormula) {
    // BP: the sum of every activation buffer (x 16, fc1 8, fc2 4, softmax 4 fp32 values)
    // plus the weights ((128 + 8 + 32 + 4) x 4).
    const Schedule bp = lower(mlp(), "backprop", {"counting=pau-aymone"});
    EXPECT_EQ(bp.training->counting, "pau-aymone");
    EXPECT_EQ(bp.arenaBytes, (16 + 8 + 4 + 4) * 4 + 688);
    // FF: the largest two consecutive buffers (x + fc1) plus the input.
    const Schedule ff = lower(mlp(), "forward-forward", {"counting=pau-aymone"});
    EXPECT_EQ(ff.arenaBytes, (16 + 8 + 16) * 4 + 688);
    // MEMPEPITA: max over l of A_l + A_l+1 + max(A_l, A_l+1): x, fc1 -> 16 + 8 + 16.
    const Schedule mp = lower(mlp(), "mempepita", {"counting=pau-aymone"});
    EXPECT_EQ(mp.arenaBytes, (16 + 8 + 16) * 4 + 688);
}

TEST(Training, BatchAccumulatesGradientsAndUpdatesOnce) {
    const Schedule one = lower(mlp(), "backprop");
    const Schedule four = lower(mlp(), "backprop", {}, 4);
    EXPECT_EQ(kindMacs(four, "forward"), 4 * kindMacs(one, "forward"));
    EXPECT_EQ(kindMacs(four, "optimizer"), kindMacs(one, "optimizer")) << "one update per step";
    // dW of every layer accumulates over the step (the sum over layers, not the max): fc2's
    // 144 bytes stay live beside fc1's 544 where batch 1 had released them.
    EXPECT_GE(four.training->peakLiveBytes, one.training->peakLiveBytes + 144);
    const auto o = ops(four);
    EXPECT_EQ(std::count(o.begin(), o.end(), "sgd_update"), 2);
}

TEST(Training, Int8TrainingHalvesNothingButTheWidths) {
    const Schedule fp = lower(mlp(), "backprop");
    const Schedule q = lower(mlp(), "backprop", {"dtype=int8"});
    EXPECT_EQ(q.macs, fp.macs);
    // int8 weights and int32 biases in RAM: 128 + 32 + (8 + 4) x 4.
    EXPECT_EQ(q.training->ramWeightBytes, 128 + 32 + 12 * 4);
    for (const auto& k : q.kernels) {
        EXPECT_EQ(k.dtype, DType::Int8) << k.name;
    }
}

TEST(Training, EveryStrategyLowersTheTorchvisionCorpus) {
    // Networks nobody here wrote (scripts/make_onnx_corpus.py): squeeze-excite Mul,
    // hard-swish, channel shuffle, concat, upsampling; each strategy lowers every one with
    // MACs at least those of its forward pass and a plan that holds its trainable weights.
    for (const char* file : {"mobilenet_v3_small", "shufflenet_v2_x0_5", "squeezenet1_1",
                             "tiny_unet", "cnn1d", "mnasnet0_5", "resnet18"}) {
        const Network net =
            loadNetwork(EDGESIM_TEST_DIR "/data/onnx/corpus/" + std::string(file) + ".onnx",
                        ConfigPaths())
                .network;
        for (const auto& info : availableStrategies()) {
            Schedule s;
            ASSERT_NO_THROW(s = lower(net, info.name)) << file << " " << info.name;
            EXPECT_GE(s.macs, net.totals().macs) << file << " " << info.name;
            // Kernel names are unique (mapping files and per-layer results address them).
            std::set<std::string> names;
            for (const auto& k : s.kernels) {
                EXPECT_TRUE(names.insert(k.name).second)
                    << file << " " << info.name << " " << k.name;
            }
            if (s.training) {
                EXPECT_GE(s.training->peakLiveBytes, s.training->ramWeightBytes)
                    << file << " " << info.name;
                EXPECT_GE(s.arenaBytes, s.training->peakLiveBytes) << file << " " << info.name;
            }
        }
    }
}

TEST(Training, ContinualEventIsKInferencesThenTheSteps) {
    const Network net = model("kws");
    const Schedule inference = lowerInference(inTrainingPrecision(net, DType::Fp32));
    const Schedule step = lower(net, "last-layer");
    // Defaults: buffer 100 raw samples in RAM, adapt every 10, 1 epoch, batch 1: 110 steps.
    const Schedule s = lower(net, "continual");
    EXPECT_EQ(s.strategy, "continual");
    EXPECT_EQ(s.kernels.size(), 10 * inference.kernels.size() + 110 * step.kernels.size());
    EXPECT_EQ(s.macs, 10 * inference.macs + 110 * step.macs);
    EXPECT_EQ(s.kernels.front().name, "new0/" + inference.kernels.front().name);
    // The raw int8 input: 49 x 10 = 490 bytes per sample, 110 of them in RAM.
    EXPECT_EQ(role(s, TensorRole::ReplayBuffer), 110 * 490);
    EXPECT_EQ(s.arenaBytes, std::max(inference.arenaBytes, step.arenaBytes) + 110 * 490);
    EXPECT_DOUBLE_EQ(s.training->periodS, 10.0); // 10 samples at 1 Hz
    // In Flash: the 100 buffered samples move to Flash, the 10 new ones stay in RAM.
    const Schedule f = lower(net, "continual", {"buffer_memory=flash", "inference_rate_hz=5"});
    EXPECT_EQ(role(f, TensorRole::ReplayBuffer), 10 * 490);
    EXPECT_EQ(f.weightBytes, s.weightBytes + 100 * 490);
    EXPECT_DOUBLE_EQ(f.training->periodS, 2.0);
    // Three epochs over a batch of 4: 3 x ceil(110 / 4) = 84 steps.
    const Schedule e = lower(net, "continual", {"epochs=3"}, 4);
    EXPECT_EQ(e.macs, 10 * inference.macs + 84 * lower(net, "last-layer", {}, 4).macs);
}

TEST(Training, LatentReplayTrainsTheLayersAboveTheCut) {
    const Network net = model("kws");
    const Schedule s = lower(net, "continual", {"replay=latent"});
    // The classifier's input: 64 pooled features in fp32, 256 bytes per sample.
    EXPECT_EQ(role(s, TensorRole::ReplayBuffer), 110 * 256);
    const auto compute = computeLayers(net);
    const Network above = networkAbove(net, compute.back());
    EXPECT_EQ(computeLayers(above).size(), 1U);
    EXPECT_EQ(above.totals().macs, net.layer(compute.back()).stats.macs);
    // A cut through a residual block: the add reads from before it.
    const Network ic = model("ic");
    const auto icCompute = computeLayers(ic);
    bool rejected = false;
    for (auto id : icCompute) {
        try {
            networkAbove(ic, id);
        } catch (const InputError& e) {
            rejected = true;
            EXPECT_NE(std::string(e.what()).find("cannot be cut"), std::string::npos) << e.what();
        }
    }
    EXPECT_TRUE(rejected) << "ResNet-8 has cuts inside its residual blocks";
    EXPECT_THROW(lower(net, "continual", {"replay=latent", "replay_layer=99"}), InputError);
}

TEST(Training, ParametersBeyondTheNetworkAreBadInput) {
    const Network net = model("kws"); // 10 compute layers
    EXPECT_THROW(lower(net, "bias-only", {"lowest_layer=11"}), InputError);
    EXPECT_NO_THROW(lower(net, "bias-only", {"lowest_layer=10"}));
    EXPECT_THROW(lower(net, "continual", {"replay_layer=3"}), InputError) << "raw replay";
    // An event of a million training steps is refused before it is built.
    try {
        lower(net, "continual", {"buffer_samples=100000", "epochs=100"});
        ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("above the limit"), std::string::npos) << e.what();
    }
}

TEST(Training, PerSampleFiguresDivideByTheSamplesTrained) {
    const Network net = model("kws");
    EXPECT_EQ(lower(net, "backprop", {}, 4).training->samplesPerRun, 4);
    // A continual event trains on epochs x (buffer + new) samples, whatever the batch.
    EXPECT_EQ(lower(net, "continual", {"epochs=2"}, 4).training->samplesPerRun, 2 * 110);
}

TEST(Training, PauAymoneMemoryOnlyWhereTheSheetDefinesIt) {
    const Network net = model("kws");
    const std::vector<std::string> pa{"counting=pau-aymone"};
    const int64_t bp = lower(net, "backprop", pa).arenaBytes;
    // The sheet covers BP, FF, PEPITA and MEMPEPITA; the restricted backprops keep the
    // planner's memory, which is smaller.
    for (const char* s : {"last-layer", "bias-only", "sparse-backprop"}) {
        const Schedule r = lower(net, s, pa);
        EXPECT_LT(r.arenaBytes, bp) << s;
        EXPECT_EQ(r.arenaBytes, lower(net, s).arenaBytes) << s;
    }
}

} // namespace
} // namespace edgesim::workloads
