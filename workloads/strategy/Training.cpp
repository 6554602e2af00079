#include "workloads/strategy/Training.h"

#include "common/Diagnostics.h"
#include "workloads/graph/MemoryPlanner.h"
#include "workloads/graph/ShapeInference.h"

#include <algorithm>
#include <cmath>

namespace edgesim::workloads {

namespace {

constexpr int64_t kFp32Bytes = 4;

/// Bytes per element of what a training step stores, by training dtype. fp32 training keeps
/// everything in fp32. int8 fully-quantised training (Lin et al., NeurIPS 2022) keeps int8
/// activations, weights and activation gradients, int32 biases and weight gradients
/// (estimate: the accumulators of an int8 x int8 product); optimizer state stays fp32.
struct Widths {
    int64_t act;
    int64_t grad;
    int64_t dw;
    int64_t weight;
    int64_t bias;
};

Widths widthsFor(DType dtype) {
    if (dtype == DType::Int8) {
        return {1, 1, 4, 1, 4};
    }
    return {kFp32Bytes, kFp32Bytes, kFp32Bytes, kFp32Bytes, kFp32Bytes};
}

/// State copies of the trainable parameters and MACs per parameter of one update
/// (TRAINING.md §1.1: SGD |W|, +|W| with momentum; Adam's two moments [DERIVED]).
struct OptimizerCost {
    int64_t stateCopies;
    int64_t macsPerParam;
};

OptimizerCost optimizerCost(const std::string& optimizer) {
    if (optimizer == "momentum") {
        return {1, 2};
    }
    if (optimizer == "adam") {
        return {2, 3};
    }
    return {0, 1};
}

int64_t biasCount(const Layer& l) {
    return isCompute(l.op) && l.hasBias && !l.output.shape.empty() ? l.output.shape.back() : 0;
}

int64_t weightCount(const Layer& l) {
    return std::max<int64_t>(0, l.stats.params - biasCount(l));
}

int64_t inputElementsOf(const Layer& l) {
    int64_t n = 0;
    for (const auto& shape : l.inputShapes) {
        n += numElements(shape);
    }
    return n;
}

} // namespace

Network inTrainingPrecision(const Network& in, DType dtype) {
    Network net = in;
    for (std::size_t id = 0; id < net.size(); ++id) {
        Layer& l = net.layer(id);
        if (l.op == OpKind::Quantize || l.op == OpKind::Dequantize) {
            continue;
        }
        l.outputDtype = dtype;
        l.weightDtype = dtype;
        l.biasDtype = dtype == DType::Fp32 ? DType::Fp32 : DType::Int32;
    }
    inferShapes(net, "<" + in.name() + ">");
    return net;
}

namespace {

std::string gradOp(OpKind op, const char* suffix) {
    switch (op) {
    case OpKind::Conv2d:
    case OpKind::TemporalConv: return std::string("conv2d") + suffix;
    case OpKind::DepthwiseConv2d: return std::string("depthwise_conv2d") + suffix;
    case OpKind::Dense: return std::string("dense") + suffix;
    default: return {};
    }
}

bool isPool(OpKind op) {
    return op == OpKind::AvgPool || op == OpKind::MaxPool || op == OpKind::GlobalAvgPool;
}

bool isView(OpKind op) {
    return op == OpKind::Flatten || op == OpKind::Reshape;
}

/// Forward MACs of a layer under the Pau & Aymone conventions (TRAINING.md §1.1): compute
/// layers M_l, pools their input elements, a residual add its outputs, the softmax head 19C,
/// everything else 0. Also the pools' backward.
int64_t sheetForwardMacs(const Layer& l) {
    if (isCompute(l.op)) {
        return l.stats.macs;
    }
    if (isPool(l.op)) {
        return inputElementsOf(l);
    }
    if (l.op == OpKind::Add) {
        return l.output.elements();
    }
    if (l.op == OpKind::Softmax) {
        return (2 + 15 + 2) * l.output.elements();
    }
    return 0;
}

/// Builds one training schedule: kernels with the tensors they touch, then the plan.
class Builder {
public:
    Builder(const Network& original, int batch, const TrainingOptions& options)
        : net_(inTrainingPrecision(original, options.dtype)), options_(options),
          w_(widthsFor(options.dtype)), plan_(planMemory(net_)) {
        s_.network = net_.name();
        s_.batch = std::max(1, batch);
        for (Network::LayerId id : plan_.order) {
            s_.weightBytes += net_.layer(id).stats.weightBytes;
        }
    }

    const Network& net() const { return net_; }
    const std::vector<Network::LayerId>& order() const { return plan_.order; }
    const Widths& widths() const { return w_; }
    const TrainingOptions& options() const { return options_; }
    int batch() const { return s_.batch; }
    Schedule& schedule() { return s_; }

    int tensor(std::string name, TensorRole role, int64_t bytes, bool persistent = false) {
        s_.tensors.push_back({std::move(name), role, bytes, persistent});
        return static_cast<int>(s_.tensors.size()) - 1;
    }

    /// One activation tensor per buffer of the inference plan (in-place views share their
    /// input's), for one pass; `act(tensors, id)` is layer id's output.
    std::vector<int> passTensors(const std::string& suffix) {
        std::vector<int> t;
        for (const auto& b : plan_.buffers) {
            const Layer& owner = net_.layer(b.owner);
            t.push_back(tensor(owner.name + suffix, TensorRole::Activation,
                               owner.output.elements() * w_.act));
        }
        return t;
    }
    int act(const std::vector<int>& pass, Network::LayerId id) const {
        return pass[static_cast<std::size_t>(plan_.bufferOfLayer[id])];
    }

    void emit(Kernel k, std::vector<int> reads, std::vector<int> writes) {
        reads.erase(std::remove(reads.begin(), reads.end(), -1), reads.end());
        writes.erase(std::remove(writes.begin(), writes.end(), -1), writes.end());
        s_.kernels.push_back(std::move(k));
        s_.access.push_back({std::move(reads), std::move(writes)});
    }

    /// A kernel of layer `id` (named after it) of the given kind, pass and stack op, with
    /// the work fields of the forward kernel; `suffix` tells passes and samples apart.
    Kernel kernel(Network::LayerId id, KernelKind kind, Pass pass, const std::string& stackOp,
                  const std::string& suffix) const {
        Kernel k = forwardKernel(net_, id);
        k.kind = kind;
        k.pass = pass;
        k.stackOp = stackOp;
        k.name += kind == KernelKind::Forward ? suffix : "." + std::string(toString(kind)) + suffix;
        if (kind == KernelKind::Forward && options_.pauAymone) {
            k.macs = sheetForwardMacs(net_.layer(id));
        }
        if (kind != KernelKind::Forward) {
            k.weightBytes = 0;
            k.macs = 0;
        }
        return k;
    }

    /// The forward kernel of layer `id` in a pass: reads its inputs' tensors (and its
    /// trainable weights), writes its output tensor and `extraWrites`.
    void forward(Network::LayerId id, Pass pass, const std::vector<int>& tensors,
                 const std::string& suffix, int weights, std::vector<int> extraWrites = {}) {
        Kernel k = kernel(id, KernelKind::Forward, pass, "", suffix);
        k.weightsInRam = weights >= 0;
        std::vector<int> reads;
        for (Network::LayerId in : net_.inputsOf(id)) {
            reads.push_back(act(tensors, in));
        }
        reads.push_back(weights);
        extraWrites.push_back(act(tensors, id));
        emit(std::move(k), std::move(reads), std::move(extraWrites));
    }

    /// An element-wise kernel (no layer geometry) on `elements` values.
    Kernel elementwise(Network::LayerId id, KernelKind kind, Pass pass, const std::string& op,
                       const std::string& name, int64_t inputs, int64_t outputs) const {
        Kernel k;
        k.layer = id;
        k.name = name;
        k.op = net_.layer(id).op;
        k.kind = kind;
        k.pass = pass;
        k.stackOp = op;
        k.dtype = options_.dtype;
        k.inputDtype = options_.dtype;
        k.weightDtype = options_.dtype;
        k.inputElements = inputs;
        k.inputBytes = inputs * w_.act;
        k.outputElements = outputs;
        k.outputBytes = outputs * w_.act;
        k.loops.g = std::max<int64_t>(1, outputs);
        return k;
    }

    /// The loss at graph output `out` of a pass: reads its output, writes a gradient of
    /// `errorElements` values. Counted as C MACs (ERR, TRAINING.md §1.1), plus the softmax
    /// head's... nothing: the head is the softmax layer's own forward kernel.
    void loss(Network::LayerId out, Pass pass, int outputTensor, int gradient,
              const std::string& suffix) {
        const int64_t c = net_.layer(out).output.elements();
        Kernel k = elementwise(out, KernelKind::Loss, pass, "loss",
                               net_.layer(out).name + ".loss" + suffix, c, c);
        k.macs = c;
        emit(std::move(k), {outputTensor}, {gradient});
    }

    /// The optimizer step of a layer's trainable parameters `params` (in tensor `weights`,
    /// gradient `dw`, state `state`).
    void update(Network::LayerId id, int64_t params, int weights, int dw, int state,
                const std::string& suffix) {
        const OptimizerCost cost = optimizerCost(options_.optimizer);
        Kernel k =
            elementwise(id, KernelKind::Optimizer, Pass::Update, options_.optimizer + "_update",
                        net_.layer(id).name + ".update" + suffix, params * (1 + cost.stateCopies),
                        params * (1 + cost.stateCopies));
        k.macs = options_.pauAymone ? 0 : params * cost.macsPerParam;
        k.weightsInRam = true;
        k.weightBytes = s_.tensors[static_cast<std::size_t>(weights)].bytes;
        emit(std::move(k), {dw, weights, state}, {weights, state});
    }

    struct Trainable {
        int weights = -1; ///< TrainableWeights tensor
        int state = -1;   ///< OptimizerState tensor
        int dw = -1;      ///< WeightGradient tensor
        int64_t params = 0;
    };

    /// Tensors for layer `id`'s trainable parameters: `weightParams` weights and
    /// `biasParams` biases, held in RAM for the whole step, with optimizer state and a
    /// gradient buffer.
    Trainable trainable(Network::LayerId id, int64_t weightParams, int64_t biasParams) {
        Trainable t;
        const std::string& name = net_.layer(id).name;
        t.params = weightParams + biasParams;
        const int64_t bytes = weightParams * w_.weight + biasParams * w_.bias;
        t.weights = tensor(name + ".W", TensorRole::TrainableWeights, bytes, true);
        ramWeightBytes_ += bytes;
        trainableParams_ += t.params;
        const OptimizerCost cost = optimizerCost(options_.optimizer);
        if (cost.stateCopies > 0) {
            t.state = tensor(name + ".state", TensorRole::OptimizerState,
                             cost.stateCopies * t.params * kFp32Bytes, true);
        }
        t.dw = tensor(name + ".dW", TensorRole::WeightGradient, t.params * w_.dw);
        return t;
    }

    int64_t tensorBytes(int tensor) const {
        return s_.tensors[static_cast<std::size_t>(tensor)].bytes;
    }

    /// The sheet's activation memory (counting=pau-aymone) replaces the planner's arena.
    void setSheetActivations(int64_t bytes) { sheetActivations_ = bytes; }

    /// Activation buffers of one pass in execution order (their bytes), the sheet's A_l.
    std::vector<int64_t> bufferSequence() const {
        std::vector<std::pair<int, int64_t>> seq;
        for (const auto& b : plan_.buffers) {
            seq.emplace_back(b.firstStep, net_.layer(b.owner).output.elements() * w_.act);
        }
        std::sort(seq.begin(), seq.end());
        std::vector<int64_t> out;
        for (const auto& s : seq) {
            out.push_back(s.second);
        }
        return out;
    }

    Schedule finish() {
        // A layer output (or a graph input) read by a kernel of another pass than the one
        // that first touched it is kept: a saved activation.
        std::vector<int> firstPass(s_.tensors.size(), -1);
        for (std::size_t i = 0; i < s_.kernels.size(); ++i) {
            const int pass = static_cast<int>(s_.kernels[i].pass);
            for (const auto* list : {&s_.access[i].writes, &s_.access[i].reads}) {
                for (int t : *list) {
                    int& first = firstPass[static_cast<std::size_t>(t)];
                    auto& tensor = s_.tensors[static_cast<std::size_t>(t)];
                    if (first < 0) {
                        first = pass;
                    } else if (first != pass && tensor.role == TensorRole::Activation &&
                               list == &s_.access[i].reads) {
                        tensor.role = TensorRole::SavedActivation;
                    }
                }
            }
        }
        const TensorPlan plan = planTensors(s_.tensors, s_.access);
        TrainingMemory m;
        m.peakLiveBytes = plan.peakLiveBytes;
        m.peakByRole = plan.peakByRole;
        m.trainableParams = trainableParams_;
        m.ramWeightBytes = ramWeightBytes_;
        m.arenaBytes = plan.arenaBytes;
        if (options_.pauAymone) {
            m.counting = "pau-aymone";
            if (sheetActivations_ >= 0) {
                // The sheet's peak total RAM: its activation formula plus the weights.
                m.arenaBytes = sheetActivations_ + s_.weightBytes;
                m.ramWeightBytes = s_.weightBytes;
            }
        }
        m.samplesPerRun = s_.batch;
        s_.arenaBytes = m.arenaBytes;
        s_.macs = 0;
        for (const Kernel& k : s_.kernels) {
            s_.macs += k.macs;
            m.macsByKind[std::string(toString(k.kind))] += k.macs;
        }
        s_.training = m;
        return std::move(s_);
    }

private:
    Network net_;
    TrainingOptions options_;
    Widths w_;
    MemoryPlan plan_;
    Schedule s_;
    int64_t ramWeightBytes_ = 0;
    int64_t trainableParams_ = 0;
    int64_t sheetActivations_ = -1;
};

std::string sampleSuffix(int batch, int sample) {
    return batch > 1 ? "#" + std::to_string(sample) : "";
}

/// Bytes of the activation-derivative state layer `l` keeps when a gradient flows through
/// it: 1 bit per element after ReLU/ReLU6/clip (TRAINING.md §1.3), the argmax of each output
/// of a max pool (one byte: windows up to 256 positions); 0 for ops whose backward reads
/// their saved input instead (sigmoid, h-swish, ...).
int64_t maskBytes(const Layer& l) {
    const int64_t n = l.output.elements();
    if (l.activation.kind != ActivationKind::None || l.op == OpKind::Activation) {
        return (n + 7) / 8;
    }
    if (l.op == OpKind::MaxPool) {
        return n;
    }
    return 0;
}

/// Ops whose backward is a generic element-wise kernel reading the saved input.
bool hasElementwiseBackward(OpKind op) {
    switch (op) {
    case OpKind::Mul:
    case OpKind::Sub:
    case OpKind::Sigmoid:
    case OpKind::HardSigmoid:
    case OpKind::HardSwish:
    case OpKind::Swish:
    case OpKind::BatchNorm:
    case OpKind::Concat:
    case OpKind::Transpose:
    case OpKind::Slice:
    case OpKind::Pad:
    case OpKind::Resize:
    case OpKind::Softmax:
    case OpKind::Quantize:
    case OpKind::Dequantize: return true;
    default: return false;
    }
}

/// The sheet's activation memory for BP and PEPITA: the sum of every activation buffer.
int64_t sheetSum(const std::vector<int64_t>& a) {
    int64_t sum = 0;
    for (int64_t v : a) {
        sum += v;
    }
    return sum;
}

/// FF: the largest two consecutive buffers, plus the input.
int64_t sheetForwardForward(const std::vector<int64_t>& a) {
    int64_t best = 0;
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
        best = std::max(best, a[i] + a[i + 1]);
    }
    return best + (a.empty() ? 0 : a.front());
}

/// MEMPEPITA: max over l of |A_l| + |A_l+1| + max(|A_l|, |A_l+1|) [UNCONFIRMED reading].
int64_t sheetMempepita(const std::vector<int64_t>& a) {
    int64_t best = a.empty() ? 0 : a.front();
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
        best = std::max(best, a[i] + a[i + 1] + std::max(a[i], a[i + 1]));
    }
    return best;
}

} // namespace

std::vector<StrategyParameter> trainingParameters() {
    const StrategyParameter dtype =
        choiceParameter("dtype", "fp32",
                        "training precision: fp32, or int8 fully-quantised training "
                        "(int8 activations, weights and gradients, int32 dW)",
                        {"fp32", "int8"});
    const StrategyParameter optimizer =
        choiceParameter("optimizer", "sgd",
                        "sgd (no state), momentum (1 fp32 copy of the trainable "
                        "parameters) or adam (2 copies)",
                        {"sgd", "momentum", "adam"});
    const StrategyParameter counting =
        choiceParameter("counting", "physical",
                        "physical (real buffer reuse, gradient and optimizer buffers) or "
                        "pau-aymone (the MAC and memory conventions of Pau & Aymone, "
                        "COINS 2023)",
                        {"physical", "pau-aymone"});
    return {dtype, optimizer, counting};
}

std::vector<StrategyParameter> withTrainingParameters(std::vector<StrategyParameter> own) {
    for (auto& p : trainingParameters()) {
        own.push_back(std::move(p));
    }
    return own;
}

UpdateSet noUpdates(const Network& net) {
    UpdateSet u;
    u.weights.assign(net.size(), false);
    u.biases.assign(net.size(), false);
    return u;
}

std::vector<StrategyParameter> pepitaParameters() {
    return withTrainingParameters({choiceParameter(
        "feedback", "ram",
        "where the feedback matrix F (d_in x C) lives: ram, flash (a constant), or seed "
        "(regenerated for each projection)",
        {"ram", "flash", "seed"})});
}

FeedbackStorage feedbackStorage(const StrategyOptions& options) {
    const std::string& f = options.text("feedback");
    return f == "flash"  ? FeedbackStorage::Flash
           : f == "seed" ? FeedbackStorage::Seed
                         : FeedbackStorage::Ram;
}

TrainingOptions trainingOptions(const StrategyOptions& options) {
    TrainingOptions o;
    o.dtype = options.text("dtype") == "int8" ? DType::Int8 : DType::Fp32;
    o.optimizer = options.text("optimizer");
    o.pauAymone = options.text("counting") == "pau-aymone";
    return o;
}

std::vector<Network::LayerId> computeLayers(const Network& net) {
    std::vector<Network::LayerId> out;
    for (Network::LayerId id : net.executionOrder()) {
        if (isCompute(net.layer(id).op)) {
            out.push_back(id);
        }
    }
    return out;
}

Schedule lowerBackpropFamily(const Network& original, int batch, const TrainingOptions& options,
                             const UpdateSet& update) {
    Builder b(original, batch, options);
    const Network& net = b.net();
    const std::size_t n = net.size();
    const auto flag = [n](const std::vector<bool>& v, Network::LayerId id) {
        return id < v.size() && id < n && v[id];
    };
    // A gradient flows into layer id's output when a trained parameter lies at or upstream
    // of it.
    std::vector<bool>
    requires(n, false);
    for (Network::LayerId id : b.order()) {
        const Layer& l = net.layer(id);
        if (l.op == OpKind::Input) {
            continue;
        }
        bool r = isCompute(l.op) && (flag(update.weights, id) || flag(update.biases, id));
        for (Network::LayerId in : net.inputsOf(id)) {
            r = r || requires[in];
        }
        requires[id] = r;
    }

    std::vector<Builder::Trainable> params(n);
    for (Network::LayerId id : computeLayers(net)) {
        const bool tw = flag(update.weights, id);
        const bool tb = flag(update.biases, id);
        if (tw || tb) {
            const Layer& l = net.layer(id);
            const auto wp = tw ? static_cast<int64_t>(std::ceil(
                                     update.channelRatio * static_cast<double>(weightCount(l))))
                               : 0;
            params[id] = b.trainable(id, wp, tb ? biasCount(l) : 0);
        }
    }

    const Widths& w = b.widths();
    std::vector<Network::LayerId> reverse(b.order().rbegin(), b.order().rend());
    for (int sample = 0; sample < b.batch(); ++sample) {
        const std::string sfx = sampleSuffix(b.batch(), sample);
        const std::vector<int> acts = b.passTensors(sfx);
        std::vector<int> masks(n, -1);
        std::vector<int> grads(n, -1);
        for (Network::LayerId id : b.order()) {
            const Layer& l = net.layer(id);
            if (l.op == OpKind::Input) {
                continue;
            }
            if (requires[id] && maskBytes(l) > 0) {
                masks[id] = b.tensor(l.name + ".mask" + sfx, TensorRole::Mask, maskBytes(l));
            }
            b.forward(id, Pass::Forward, acts, sfx,
                      flag(update.weights, id) ? params[id].weights : -1, {masks[id]});
        }
        for (Network::LayerId out : net.graphOutputs()) {
            const Layer& l = net.layer(out);
            const auto ins = net.inputsOf(out);
            // Softmax with cross-entropy: the error p - y is the gradient at its input.
            const Network::LayerId target =
                l.op == OpKind::Softmax && ins.size() == 1 ? ins.front() : out;
            if (!requires[target]) {
                continue;
            }
            grads[target] =
                b.tensor(net.layer(target).name + ".dY" + sfx, TensorRole::ActivationGradient,
                         net.layer(target).output.elements() * w.grad);
            b.loss(out, Pass::Forward, b.act(acts, out), grads[target], sfx);
        }
        // Gradient of the output of `in`: written by its first consumer's backward, then
        // accumulated (read and written).
        const auto gradInto = [&](Network::LayerId in, std::vector<int>& reads) {
            if (grads[in] >= 0) {
                reads.push_back(grads[in]);
            } else {
                grads[in] =
                    b.tensor(net.layer(in).name + ".dY" + sfx, TensorRole::ActivationGradient,
                             net.layer(in).output.elements() * w.grad);
            }
            return grads[in];
        };
        for (Network::LayerId id : reverse) {
            const Layer& l = net.layer(id);
            if (l.op == OpKind::Input || !requires[id] || grads[id] < 0) {
                continue;
            }
            const int dy = grads[id];
            const auto ins = net.inputsOf(id);
            if (isView(l.op)) {
                for (Network::LayerId in : ins) {
                    if (requires[in] && grads[in] < 0) {
                        grads[in] = dy; // a view of the same buffer
                    }
                }
                continue;
            }
            if (masks[id] >= 0 && l.op != OpKind::MaxPool) {
                b.emit(b.elementwise(id, KernelKind::ActivationGrad, Pass::Backward,
                                     "activation_grad", l.name + ".activation_grad" + sfx,
                                     l.output.elements(), l.output.elements()),
                       {dy, masks[id]}, {dy});
            }
            if (isCompute(l.op)) {
                const Builder::Trainable& t = params[id];
                const bool tw = flag(update.weights, id);
                const bool tb = flag(update.biases, id);
                if (tb) {
                    Kernel k = b.elementwise(id, KernelKind::BiasGrad, Pass::Backward, "bias_grad",
                                             l.name + ".bias_grad" + sfx, l.output.elements(),
                                             biasCount(l));
                    b.emit(std::move(k), {dy, sample > 0 ? t.dw : -1}, {t.dw});
                }
                if (tw) {
                    Kernel k = b.kernel(id, KernelKind::WeightGrad, Pass::Backward,
                                        gradOp(l.op, "_weight_grad"), sfx);
                    k.macs = static_cast<int64_t>(
                        std::llround(update.channelRatio * static_cast<double>(l.stats.macs)));
                    k.inputElements = inputElementsOf(l) + l.output.elements();
                    k.outputElements = t.params - (tb ? biasCount(l) : 0);
                    k.outputBytes = k.outputElements * w.dw;
                    std::vector<int> reads{dy, sample > 0 ? t.dw : -1};
                    for (Network::LayerId in : ins) {
                        reads.push_back(b.act(acts, in));
                    }
                    b.emit(std::move(k), std::move(reads), {t.dw});
                }
                for (Network::LayerId in : ins) {
                    if (!requires[in]) {
                        continue; // the first layer's input gradient is never computed
                    }
                    Kernel k = b.kernel(id, KernelKind::InputGrad, Pass::Backward,
                                        gradOp(l.op, "_input_grad"), sfx);
                    k.macs = l.stats.macs;
                    k.weightBytes = weightCount(l) * w.weight;
                    k.weightsInRam = tw;
                    k.inputElements = l.output.elements();
                    k.outputElements = net.layer(in).output.elements();
                    k.outputBytes = k.outputElements * w.grad;
                    std::vector<int> reads{dy, tw ? t.weights : -1};
                    const int dx = gradInto(in, reads);
                    b.emit(std::move(k), std::move(reads), {dx});
                }
                if ((tw || tb) && b.batch() == 1) {
                    b.update(id, t.params, t.weights, t.dw, t.state, sfx);
                }
                continue;
            }
            for (Network::LayerId in : ins) {
                if (!requires[in]) {
                    continue;
                }
                std::string op;
                int64_t macs = 0;
                std::vector<int> reads{dy};
                if (isPool(l.op)) {
                    op = "pool_grad";
                    macs = options.pauAymone ? inputElementsOf(l) : 0;
                    reads.push_back(masks[id]);
                } else if (l.op == OpKind::Add) {
                    op = "add_grad";
                } else if (l.op == OpKind::Activation) {
                    op = "activation_grad";
                    reads.push_back(masks[id]);
                } else if (hasElementwiseBackward(l.op)) {
                    op = "elementwise_grad";
                    reads.push_back(b.act(acts, in)); // the saved input
                } else {
                    throw InputError("<" + original.name() + ">", "layers['" + l.name + "']",
                                     "training cannot backpropagate through op '" +
                                         std::string(toString(l.op)) +
                                         "' (no backward kernel is modelled)");
                }
                Kernel k = b.elementwise(id, KernelKind::InputGrad, Pass::Backward, op,
                                         // one kernel per input: named after it when several
                                         l.name + "." + op +
                                             (ins.size() > 1 ? "." + net.layer(in).name : "") + sfx,
                                         l.output.elements(), net.layer(in).output.elements());
                k.macs = macs;
                k.outputBytes = k.outputElements * w.grad;
                const int dx = gradInto(in, reads);
                b.emit(std::move(k), std::move(reads), {dx});
            }
        }
    }
    if (b.batch() > 1) {
        for (Network::LayerId id : computeLayers(net)) {
            if (params[id].weights >= 0) {
                b.update(id, params[id].params, params[id].weights, params[id].dw, params[id].state,
                         "");
            }
        }
    }
    // The sheet defines BP's memory (every activation buffer); the restricted members keep
    // the planner's (their memory is what they save).
    bool full = update.channelRatio >= 1.0;
    for (Network::LayerId id : computeLayers(net)) {
        full =
            full && flag(update.weights, id) && (flag(update.biases, id) || !net.layer(id).hasBias);
    }
    if (full) {
        b.setSheetActivations(sheetSum(b.bufferSequence()));
    }
    return b.finish();
}

namespace {

/// Trainable tensors for every compute layer (all weights and biases).
std::vector<Builder::Trainable> trainAll(Builder& b) {
    std::vector<Builder::Trainable> params(b.net().size());
    for (Network::LayerId id : computeLayers(b.net())) {
        const Layer& l = b.net().layer(id);
        params[id] = b.trainable(id, weightCount(l), biasCount(l));
    }
    return params;
}

/// The local weight gradient of compute layer `id`: reads the error signal `error` and the
/// layer's input tensors, writes (accumulates after the first sample) its dW.
void localWeightGrad(Builder& b, Network::LayerId id, Pass pass, const std::vector<int>& inputs,
                     int error, const Builder::Trainable& t, int sample,
                     const std::string& suffix) {
    const Layer& l = b.net().layer(id);
    Kernel k = b.kernel(id, KernelKind::WeightGrad, pass, gradOp(l.op, "_weight_grad"), suffix);
    k.macs = l.stats.macs;
    k.inputElements = inputElementsOf(l) + l.output.elements();
    k.outputElements = t.params;
    k.outputBytes = t.params * b.widths().dw;
    std::vector<int> reads{error, sample > 0 ? t.dw : -1};
    reads.insert(reads.end(), inputs.begin(), inputs.end());
    b.emit(std::move(k), std::move(reads), {t.dw});
}

std::vector<int> inputTensors(const Builder& b, Network::LayerId id, const std::vector<int>& acts) {
    std::vector<int> out;
    for (Network::LayerId in : b.net().inputsOf(id)) {
        out.push_back(b.act(acts, in));
    }
    return out;
}

void updateAllAfterBatch(Builder& b, const std::vector<Builder::Trainable>& params) {
    if (b.batch() == 1) {
        return;
    }
    for (Network::LayerId id : computeLayers(b.net())) {
        const auto& t = params[id];
        b.update(id, t.params, t.weights, t.dw, t.state, "");
    }
}

} // namespace

Schedule lowerForwardForward(const Network& original, int batch, const TrainingOptions& options) {
    Builder b(original, batch, options);
    const Network& net = b.net();
    const auto params = trainAll(b);
    const auto inputs = net.graphInputs();
    // The sample kept for the label embedding of both passes (TRAINING.md §2.4).
    std::vector<int> kept;
    for (int sample = 0; sample < b.batch(); ++sample) {
        int64_t bytes = 0;
        for (Network::LayerId in : inputs) {
            bytes += net.layer(in).output.elements() * b.widths().act;
        }
        kept.push_back(b.tensor("input" + sampleSuffix(b.batch(), sample),
                                TensorRole::SavedActivation, bytes));
    }
    for (int sample = 0; sample < b.batch(); ++sample) {
        for (Pass pass : {Pass::Positive, Pass::Negative}) {
            const std::string sfx =
                std::string(pass == Pass::Positive ? "+" : "-") + sampleSuffix(b.batch(), sample);
            const std::vector<int> acts = b.passTensors(sfx);
            for (Network::LayerId in : inputs) {
                const int64_t e = net.layer(in).output.elements();
                b.emit(b.elementwise(in, KernelKind::Elementwise, pass, "elementwise",
                                     net.layer(in).name + ".embed_label" + sfx, e, e),
                       {kept[static_cast<std::size_t>(sample)]}, {b.act(acts, in)});
            }
            for (Network::LayerId id : b.order()) {
                const Layer& l = net.layer(id);
                if (l.op == OpKind::Input || l.op == OpKind::Softmax) {
                    continue; // FF runs no softmax head
                }
                const bool compute = isCompute(l.op);
                b.forward(id, pass, acts, sfx, compute ? params[id].weights : -1);
                if (!compute) {
                    continue;
                }
                const int y = b.act(acts, id);
                const int64_t e = l.output.elements();
                Kernel good = b.elementwise(id, KernelKind::Goodness, pass, "goodness",
                                            l.name + ".goodness" + sfx, e, 1);
                good.macs = e;
                b.emit(std::move(good), {y}, {});
                // Updated in place after each pass at batch 1: the pass's own gradient buffer,
                // released at its update (the max over layers, not the sum).
                Builder::Trainable t = params[id];
                if (b.batch() == 1) {
                    t.dw = b.tensor(l.name + ".dW" + sfx, TensorRole::WeightGradient,
                                    b.tensorBytes(t.dw));
                }
                localWeightGrad(b, id, pass, inputTensors(b, id, acts), y, t, sample, sfx);
                Kernel norm = b.elementwise(id, KernelKind::Normalize, pass, "normalize",
                                            l.name + ".normalize" + sfx, e, e);
                norm.macs = e;
                b.emit(std::move(norm), {y}, {y});
                if (b.batch() == 1) {
                    b.update(id, t.params, t.weights, t.dw, t.state, sfx);
                }
            }
        }
    }
    updateAllAfterBatch(b, params);
    b.setSheetActivations(sheetForwardForward(b.bufferSequence()));
    return b.finish();
}

Schedule lowerPepita(const Network& original, int batch, const TrainingOptions& options,
                     FeedbackStorage feedback, bool memoryEfficient) {
    Builder b(original, batch, options);
    const Network& net = b.net();
    const auto params = trainAll(b);
    const Widths& w = b.widths();
    const auto inputs = net.graphInputs();
    const auto outputs = net.graphOutputs();
    int64_t dIn = 0;
    for (Network::LayerId in : inputs) {
        dIn += net.layer(in).output.elements();
    }
    int64_t c = 0;
    for (Network::LayerId out : outputs) {
        c += net.layer(out).output.elements();
    }
    // F (d_in x C): in RAM as the algorithm runs it, a constant in Flash, or regenerated
    // from a seed for each projection (TRAINING.md §2.5).
    int f = -1;
    if (feedback == FeedbackStorage::Ram) {
        f = b.tensor("F", TensorRole::Feedback, dIn * c * w.weight, true);
    } else if (feedback == FeedbackStorage::Flash) {
        b.schedule().weightBytes += dIn * c * w.weight;
    }
    const std::vector<Network::LayerId> compute = computeLayers(net);
    const Network::LayerId last = compute.empty() ? 0 : compute.back();
    for (int sample = 0; sample < b.batch(); ++sample) {
        const std::string sfx = sampleSuffix(b.batch(), sample);
        // Pass 1: clean. PEPITA keeps every h_l for the modulated pass; MEMPEPITA only
        // needs the error.
        const std::vector<int> clean = b.passTensors(".clean" + sfx);
        for (Network::LayerId id : b.order()) {
            if (net.layer(id).op != OpKind::Input) {
                b.forward(id, Pass::Clean, clean, ".clean" + sfx,
                          isCompute(net.layer(id).op) ? params[id].weights : -1);
            }
        }
        const int e = b.tensor("e" + sfx, TensorRole::ActivationGradient, c * w.grad);
        for (Network::LayerId out : outputs) {
            b.loss(out, Pass::Clean, b.act(clean, out), e, sfx);
        }
        // x_err = x + F e
        const std::vector<int> err = b.passTensors(".err" + sfx);
        for (Network::LayerId in : inputs) {
            if (feedback == FeedbackStorage::Seed) {
                Kernel rng = b.elementwise(in, KernelKind::Perturb, Pass::Modulated, "rng_perturb",
                                           "F.regenerate" + sfx, 0, dIn * c);
                rng.outputBytes = 0; // consumed as generated
                b.emit(std::move(rng), {}, {});
            }
            Kernel proj = b.elementwise(in, KernelKind::Projection, Pass::Modulated, "projection",
                                        net.layer(in).name + ".projection" + sfx, c + dIn, dIn);
            proj.macs = c * net.layer(in).output.elements();
            b.emit(std::move(proj), {e, f, b.act(clean, in)}, {b.act(err, in)});
        }
        const std::vector<int> clean2 = memoryEfficient ? b.passTensors(".clean2" + sfx) : clean;
        if (memoryEfficient) {
            for (Network::LayerId in : inputs) {
                // the clean pass restarts from the input, kept in the pass-1 buffer
                const int64_t n = net.layer(in).output.elements();
                b.emit(b.elementwise(in, KernelKind::Elementwise, Pass::Clean, "elementwise",
                                     net.layer(in).name + ".restart" + sfx, n, n),
                       {b.act(clean, in)}, {b.act(clean2, in)});
            }
        }
        for (Network::LayerId id : b.order()) {
            const Layer& l = net.layer(id);
            if (l.op == OpKind::Input) {
                continue;
            }
            const bool isC = isCompute(l.op);
            if (memoryEfficient) {
                b.forward(id, Pass::Clean, clean2, ".clean2" + sfx, isC ? params[id].weights : -1);
            }
            b.forward(id, Pass::Modulated, err, ".err" + sfx, isC ? params[id].weights : -1);
            if (!isC) {
                continue;
            }
            int signal = e; // the last layer: dW_L = e^T h_{L-1}^err
            if (id != last) {
                const int64_t n = l.output.elements();
                signal =
                    b.tensor(l.name + ".diff" + sfx, TensorRole::ActivationGradient, n * w.grad);
                b.emit(b.elementwise(id, KernelKind::Elementwise, Pass::Modulated, "elementwise",
                                     l.name + ".difference" + sfx, 2 * n, n),
                       {b.act(clean2, id), b.act(err, id)}, {signal});
            }
            localWeightGrad(b, id, Pass::Modulated, inputTensors(b, id, err), signal, params[id],
                            sample, sfx);
            if (b.batch() == 1) {
                b.update(id, params[id].params, params[id].weights, params[id].dw, params[id].state,
                         sfx);
            }
        }
    }
    updateAllAfterBatch(b, params);
    const auto seq = b.bufferSequence();
    b.setSheetActivations(memoryEfficient ? sheetMempepita(seq) : sheetSum(seq));
    return b.finish();
}

Schedule lowerZerothOrder(const Network& original, int batch, const TrainingOptions& options,
                          int directions) {
    Builder b(original, batch, options);
    const Network& net = b.net();
    const auto params = trainAll(b);
    // The RNG seed and the two losses: O(1) state.
    constexpr int64_t kStateBytes = 16; // seed (8) + two fp32 losses
    const int state = b.tensor("zo.seed_and_losses", TensorRole::OptimizerState, kStateBytes, true);
    const auto compute = computeLayers(net);
    const auto sweep = [&](const std::string& what, const std::string& sfx) {
        for (Network::LayerId id : compute) {
            const auto& t = params[id];
            Kernel k = b.elementwise(id, KernelKind::Perturb, Pass::Perturbed, "rng_perturb",
                                     net.layer(id).name + "." + what + sfx, t.params, t.params);
            k.macs = options.pauAymone ? 0 : t.params; // w += s * z, z drawn from the seed
            k.weightsInRam = true;
            k.weightBytes = b.schedule().tensors[static_cast<std::size_t>(t.weights)].bytes;
            b.emit(std::move(k), {t.weights, state}, {t.weights});
        }
    };
    for (int d = 0; d < directions; ++d) {
        const std::string dsfx = directions > 1 ? "@" + std::to_string(d) : "";
        sweep("perturb+", dsfx);
        for (const char* sign : {"+", "-"}) {
            if (std::string(sign) == "-") {
                sweep("perturb-2", dsfx);
            }
            for (int sample = 0; sample < b.batch(); ++sample) {
                const std::string sfx = sign + dsfx + sampleSuffix(b.batch(), sample);
                const std::vector<int> acts = b.passTensors(sfx);
                for (Network::LayerId id : b.order()) {
                    if (net.layer(id).op != OpKind::Input) {
                        b.forward(id, Pass::Perturbed, acts, sfx,
                                  isCompute(net.layer(id).op) ? params[id].weights : -1);
                    }
                }
                for (Network::LayerId out : net.graphOutputs()) {
                    b.loss(out, Pass::Perturbed, b.act(acts, out), state, sfx);
                }
            }
        }
        sweep("restore", dsfx);
        // The update regenerates z from the seed: w -= lr * g * z (optimizer state aside).
        for (Network::LayerId id : compute) {
            const auto& t = params[id];
            Kernel k = b.elementwise(id, KernelKind::Optimizer, Pass::Update, "rng_perturb",
                                     net.layer(id).name + ".update" + dsfx, t.params, t.params);
            k.macs = options.pauAymone ? 0 : t.params;
            k.weightsInRam = true;
            k.weightBytes = b.schedule().tensors[static_cast<std::size_t>(t.weights)].bytes;
            b.emit(std::move(k), {t.weights, state, t.state}, {t.weights, t.state});
        }
    }
    return b.finish();
}

Network networkAbove(const Network& net, Network::LayerId layer) {
    const auto ins = net.inputsOf(layer);
    const std::string where = "<" + net.name() + ">";
    if (ins.size() != 1) {
        throw InputError(where, "layers['" + net.layer(layer).name + "']",
                         "a latent replay layer needs exactly one input");
    }
    const Network::LayerId cut = ins.front();
    // Downstream of the cut: every layer reachable from it.
    std::vector<bool> below(net.size(), false);
    below[cut] = true;
    Network out(net.name() + "@" + net.layer(layer).name);
    std::vector<Network::LayerId> map(net.size(), 0);
    Layer latent;
    latent.name = net.layer(cut).name + ".latent";
    latent.op = OpKind::Input;
    latent.targetShape = net.layer(cut).output.shape;
    latent.outputDtype = net.layer(cut).output.dtype;
    map[cut] = out.addLayer(latent);
    for (Network::LayerId id : net.executionOrder()) {
        if (id == cut) {
            continue;
        }
        const auto inputs = net.inputsOf(id);
        const bool downstream =
            std::any_of(inputs.begin(), inputs.end(), [&](Network::LayerId i) { return below[i]; });
        if (!downstream) {
            continue;
        }
        std::vector<Network::LayerId> mapped;
        for (Network::LayerId i : inputs) {
            if (!below[i]) {
                throw InputError(where, "layers['" + net.layer(id).name + "']",
                                 "reads '" + net.layer(i).name +
                                     "' from before the replay layer '" + net.layer(layer).name +
                                     "': the graph cannot be cut there");
            }
            mapped.push_back(map[i]);
        }
        below[id] = true;
        Layer copy = net.layer(id);
        copy.inputShapes.clear();
        map[id] = out.addLayer(copy, mapped);
    }
    for (Network::LayerId o : net.graphOutputs()) {
        if (below[o]) {
            out.markOutput(map[o]);
        }
    }
    inferShapes(out, where);
    return out;
}

Schedule composeContinual(const ContinualEvent& e) {
    Schedule s;
    s.network = e.step.network;
    s.strategy = e.step.strategy;
    s.batch = e.step.batch;
    const auto append = [&s](const Schedule& part, const std::string& prefix) {
        for (Kernel k : part.kernels) {
            k.name = prefix + k.name;
            s.macs += k.macs;
            s.kernels.push_back(std::move(k));
        }
    };
    const int64_t kernels = e.newSamples * static_cast<int64_t>(e.inference.kernels.size()) +
                            e.steps * static_cast<int64_t>(e.step.kernels.size());
    if (kernels > kMaxScheduleKernels) {
        throw InputError("<command line>", "--strategy-param",
                         "an adaptation event of " + std::to_string(e.steps) +
                             " training steps and " + std::to_string(e.newSamples) +
                             " inferences has " + std::to_string(kernels) +
                             " kernels, above the limit of " + std::to_string(kMaxScheduleKernels) +
                             " (fewer epochs, buffer_samples or adapt_every, or a larger batch)");
    }
    for (int64_t i = 0; i < e.newSamples; ++i) {
        append(e.inference, "new" + std::to_string(i) + "/");
    }
    for (int64_t i = 0; i < e.steps; ++i) {
        append(e.step, "step" + std::to_string(i) + "/");
    }
    TrainingMemory m = *e.step.training;
    m.arenaBytes = std::max(e.inference.arenaBytes, m.arenaBytes) + e.bufferRamBytes;
    m.peakLiveBytes += e.bufferRamBytes;
    m.peakByRole[static_cast<std::size_t>(TensorRole::ReplayBuffer)] += e.bufferRamBytes;
    for (auto& [kind, macs] : m.macsByKind) {
        macs *= e.steps;
    }
    m.macsByKind["forward"] += e.newSamples * e.inference.macs;
    m.periodS = e.periodS;
    m.samplesPerRun = e.trainingSamples;
    s.arenaBytes = m.arenaBytes;
    s.weightBytes = std::max(e.inference.weightBytes, e.step.weightBytes) + e.bufferFlashBytes;
    s.training = m;
    return s;
}

} // namespace edgesim::workloads
