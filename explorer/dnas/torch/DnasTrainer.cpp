#include "explorer/dnas/torch/DnasTrainer.h"

#include "explorer/dnas/torch/CostTensor.h"
#include "explorer/dnas/torch/DnasMethod.h"
#include "explorer/nas/torch/FashionMnist.h"
#include "explorer/nas/torch/TorchModel.h"
#include "explorer/nas/torch/Training.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>

namespace edgesim::explorer::dnas {

namespace {

using nas::BatchOrder;
using nas::GraphModule;
using nas::ImageSet;
namespace F = torch::nn::functional;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// The least distance of the seed's cost to a limit that the limit's strength assumes, as a
/// share of the limit: estimate, so that exceeding a limit the seed meets by 10% costs as
/// much as the warm-up's task loss.
constexpr double kLimitMargin = 0.1;

bool masked(workloads::OpKind op) {
    return op == workloads::OpKind::Conv2d || op == workloads::OpKind::DepthwiseConv2d ||
           op == workloads::OpKind::TemporalConv || op == workloads::OpKind::Dense;
}

class Trainer final : public DnasSearcher {
public:
    std::string configure(const DnasSettings& settings) override {
        s_ = settings;
        if (!makeDnasMethod(s_.method)) {
            return "unknown method '" + s_.method + "'";
        }
        try {
            train_ = nas::loadFashionMnist(s_.dataDir, "train", s_.trainImages);
            test_ = nas::loadFashionMnist(s_.dataDir, "t10k", s_.testImages);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }

    DnasOutcome search(const DnasProblem& p,
                       const std::function<bool(const EpochRecord&)>& onEpoch) override {
        DnasOutcome out;
        try {
            run(p, onEpoch, out);
        } catch (const std::exception& e) {
            out.error = e.what();
        }
        return out;
    }

private:
    void run(const DnasProblem& p, const std::function<bool(const EpochRecord&)>& onEpoch,
             DnasOutcome& out) {
        torch::set_num_threads(s_.threads);
        torch::manual_seed(p.seed);
        const auto& groups = p.costs.groups;
        std::map<workloads::Network::LayerId, nas::GraphModuleImpl::Alternatives> alternatives;
        for (const auto& block : p.choices) {
            const auto id = p.network->find(block.layer);
            if (!id) {
                throw std::invalid_argument("choice block '" + block.layer + "' is not a layer");
            }
            alternatives[*id] = {block.alternatives, block.identity};
        }
        GraphModule model(*p.network, true, alternatives);
        auto method = makeDnasMethod(s_.method);
        method->build(groups, p.costs.layers, s_);
        const CostTensor cost(p.costs);

        // Which group's mask each module layer's output takes.
        std::vector<int> maskGroup;
        for (auto id : model->layers()) {
            const int g = p.groupOfLayer.at(id);
            maskGroup.push_back(masked(p.network->layer(id).op) && g >= 0 &&
                                        groups[static_cast<std::size_t>(g)].searchable
                                    ? g
                                    : -1);
        }
        // Which cost-model step each module layer is (for its weight precision).
        std::vector<int> stepOf(model->layers().size(), -1);
        for (std::size_t s = 0; s < p.costs.layers.size(); ++s) {
            const auto id = p.network->find(p.costs.layers[s].layer);
            for (std::size_t i = 0; id && i < model->layers().size(); ++i) {
                if (model->layers()[i] == *id) {
                    stepOf[i] = static_cast<int>(s);
                }
            }
        }
        const auto applyMasks = [&](const ChannelChoice& c) {
            std::vector<torch::Tensor> masks;
            for (int g : maskGroup) {
                masks.push_back(g >= 0 ? c.masks[static_cast<std::size_t>(g)] : torch::Tensor());
            }
            model->setChannelMasks(std::move(masks));
            // Per-step probabilities over a table's bits as the module's per-layer precisions.
            const auto perLayerPrecisions =
                [&](const std::vector<torch::Tensor>& perStep,
                    const std::function<const std::vector<int>&(const LayerCostTable&)>& bitsOf) {
                    std::vector<nas::GraphModuleImpl::WeightPrecision> v(stepOf.size());
                    for (std::size_t i = 0; i < stepOf.size(); ++i) {
                        const auto s = static_cast<std::size_t>(stepOf[i]);
                        if (stepOf[i] >= 0 && s < perStep.size() && perStep[s].defined()) {
                            v[i] = {bitsOf(p.costs.layers[s]), perStep[s]};
                        }
                    }
                    return v;
                };
            model->setWeightPrecisions(perLayerPrecisions(
                c.precision, [](const LayerCostTable& t) -> const auto& {
                    return t.isSplit() ? t.computeBits : t.weightBits;
                }));
            model->setActivationPrecisions(perLayerPrecisions(
                c.activation,
                [](const LayerCostTable& t) -> const auto& { return t.outActivationBits; }));
            // Per-step tensors as the module's per-layer ones.
            const auto perLayer = [&](const std::vector<torch::Tensor>& perStep) {
                std::vector<torch::Tensor> v(stepOf.size());
                for (std::size_t i = 0; i < stepOf.size(); ++i) {
                    const int s = stepOf[i];
                    if (s >= 0 && static_cast<std::size_t>(s) < perStep.size()) {
                        v[i] = perStep[static_cast<std::size_t>(s)];
                    }
                }
                return v;
            };
            model->setTapMasks(perLayer(c.taps));
            model->setChoiceProbabilities(perLayer(c.choices));
        };
        std::vector<int64_t> seedChannels;
        for (const auto& g : groups) {
            seedChannels.push_back(g.channels);
        }
        const auto seedCosts = cost.costs(seedChannels);
        std::copy(seedCosts.begin(), seedCosts.end(), out.seedPredicted);

        std::vector<int> limitMetric;
        for (const auto& l : p.limits) {
            limitMetric.push_back(costMetricIndex(l.metric));
            if (limitMetric.back() < 0) {
                throw std::invalid_argument("unknown cost metric '" + l.metric + "'");
            }
        }
        const int energy = costMetricIndex("energy_j");

        torch::optim::Adam weights(model->parameters(), torch::optim::AdamOptions(s_.learningRate));
        std::vector<torch::Tensor> theta = method->parameters();
        std::unique_ptr<torch::optim::Adam> arch;
        if (!theta.empty()) {
            arch = std::make_unique<torch::optim::Adam>(
                theta, torch::optim::AdamOptions(s_.archLearningRate));
        }
        BatchOrder order(train_.count, p.seed);
        std::vector<double> lambda(p.limits.size(), 0.0);
        double warmupLoss = kNaN;
        const int total = s_.warmupEpochs + s_.searchEpochs + s_.finetuneEpochs;
        std::vector<int64_t> keep, keepSplit;
        std::vector<int> keepBits, keepVariants, keepAct;
        std::vector<std::vector<int64_t>> keepChannelBits;

        for (int e = 0; e < total; ++e) {
            const auto started = std::chrono::steady_clock::now();
            const bool warmup = e < s_.warmupEpochs;
            const bool searching = !warmup && e < s_.warmupEpochs + s_.searchEpochs;
            const int searchEpoch = e - s_.warmupEpochs;
            if (e == s_.warmupEpochs) {
                // Strength of each limit, once, from the warm-up's task loss and the seed's
                // distance to the target (NAS.md §2): overshooting by that distance costs a
                // warm-up loss. A seed within (or just over) its limit counts as
                // kLimitMargin of the limit away, so that a limit the seed meets still holds.
                for (std::size_t i = 0; i < p.limits.size(); ++i) {
                    const double over =
                        seedCosts[static_cast<std::size_t>(limitMetric[i])] - p.limits[i].max;
                    const double distance = std::max(over, kLimitMargin * p.limits[i].max);
                    lambda[i] =
                        distance > 0 && std::isfinite(warmupLoss) ? warmupLoss / distance : 0.0;
                }
            }
            if (e == s_.warmupEpochs && s_.searchEpochs > 0) {
                method->startSearch(channelImportance(model, maskGroup, groups.size()));
            }
            if (searching) {
                method->startEpoch(searchEpoch, s_.searchEpochs);
            }
            if (e == s_.warmupEpochs + s_.searchEpochs) {
                keep = exportChannels(*method, groups);
                keepBits = method->exportedBits();
                keepSplit = method->exportedSplit();
                keepVariants = method->exportedVariants();
                keepChannelBits = method->exportedChannelBits(keep);
                keepAct = method->exportedActivationBits();
                method->freeze(keep, keepBits, keepSplit, keepVariants);
            }
            std::vector<double> lambdaNow(p.limits.size(), 0.0);
            for (std::size_t i = 0; i < p.limits.size(); ++i) {
                lambdaNow[i] = searching ? lambdaAt(lambda[i], searchEpoch, s_.searchEpochs) : 0;
            }
            model->train();
            double lossSum = 0;
            int64_t lossCount = 0;
            for (const auto& idx : order.epoch(s_.batchSize)) {
                const ChannelChoice c = method->choice();
                applyMasks(c);
                const torch::Tensor x =
                    nas::imagesAsInput(nas::imagesOf(train_, idx), model->inputShape());
                const torch::Tensor task =
                    F::cross_entropy(model->forward(x), nas::labelsOf(train_, idx));
                torch::Tensor loss = task;
                if (searching) {
                    const auto costs = cost.costs(c.channels, c.precision, c.split, false, c.taps,
                                                  c.choices, c.precisionChannels, c.activation);
                    for (std::size_t i = 0; i < p.limits.size(); ++i) {
                        loss =
                            loss + lambdaNow[i] *
                                       torch::relu(costs[static_cast<std::size_t>(limitMetric[i])] -
                                                   p.limits[i].max);
                    }
                    if (p.energyWeight > 0 && seedCosts[static_cast<std::size_t>(energy)] > 0) {
                        loss = loss + p.energyWeight * costs[static_cast<std::size_t>(energy)] /
                                          seedCosts[static_cast<std::size_t>(energy)];
                    }
                }
                const double l = task.item<double>();
                if (!std::isfinite(l)) {
                    throw std::runtime_error(
                        fmt::format("training diverged in epoch {} (loss {})", e + 1, l));
                }
                lossSum += l * static_cast<double>(idx.size());
                lossCount += static_cast<int64_t>(idx.size());
                weights.zero_grad();
                if (arch) {
                    arch->zero_grad();
                }
                loss.backward();
                weights.step();
                if (searching && arch) {
                    arch->step();
                }
            }
            EpochRecord r;
            r.phase = warmup ? "warmup" : searching ? "search" : "finetune";
            r.epoch = e + 1;
            r.taskLoss = lossCount > 0 ? lossSum / static_cast<double>(lossCount) : kNaN;
            if (warmup) {
                warmupLoss = r.taskLoss;
            }
            const std::vector<int64_t> now = keep.empty() ? exportChannels(*method, groups) : keep;
            const std::vector<int> nowBits = keep.empty() ? method->exportedBits() : keepBits;
            const std::vector<int64_t> nowSplit =
                keep.empty() ? method->exportedSplit() : keepSplit;
            const std::vector<int> nowVariants =
                keep.empty() ? method->exportedVariants() : keepVariants;
            const auto nowChannelBits =
                keep.empty() ? method->exportedChannelBits(now) : keepChannelBits;
            const std::vector<int> nowAct =
                keep.empty() ? method->exportedActivationBits() : keepAct;
            const auto costs =
                cost.costs(now, nowBits, nowSplit, nowVariants, nowChannelBits, nowAct);
            std::copy(costs.begin(), costs.end(), r.costs);
            r.lambdas = lambdaNow;
            r.temperature = method->temperature();
            r.accuracy = accuracy(model, *method, maskGroup, applyMasks);
            r.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            out.epochs.push_back(r);
            if (onEpoch && !onEpoch(r)) {
                out.error = kStopped;
                return;
            }
        }
        if (keep.empty()) {
            keep = exportChannels(*method, groups);
            keepBits = method->exportedBits();
            keepSplit = method->exportedSplit();
            keepVariants = method->exportedVariants();
            keepChannelBits = method->exportedChannelBits(keep);
            keepAct = method->exportedActivationBits();
        }
        out.channels = keep;
        out.activationBits = keepAct;
        out.weightBits = keepBits;
        out.split = keepSplit;
        out.variants = keepVariants;
        out.channelBits = keepChannelBits;
        const auto predicted =
            cost.costs(keep, keepBits, keepSplit, keepVariants, keepChannelBits, keepAct);
        std::copy(predicted.begin(), predicted.end(), out.predicted);
        out.accuracy = out.epochs.empty() ? kNaN : out.epochs.back().accuracy;
        out.seedAccuracy = s_.baseline ? baseline(p, total, stepOf) : kNaN;
    }

    /// Each group's channel importance: the L2 norms of the output channels' weights of the
    /// group's masked layers, each layer's normalised to mean 1, summed.
    static std::vector<torch::Tensor>
    channelImportance(GraphModule& model, const std::vector<int>& maskGroup, std::size_t groups) {
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> importance(groups);
        for (std::size_t i = 0; i < maskGroup.size(); ++i) {
            const torch::Tensor w = maskGroup[i] >= 0 ? model->weight(i) : torch::Tensor();
            if (!w.defined()) {
                continue;
            }
            torch::Tensor n = w.flatten(1).norm(2, 1).to(torch::kFloat64);
            n = n / n.mean().clamp_min(std::numeric_limits<double>::min());
            auto& sum = importance[static_cast<std::size_t>(maskGroup[i])];
            sum = sum.defined() ? sum + n : n;
        }
        return importance;
    }

    /// Each group's kept channels, rounded up to its tile (at most the seed's count).
    static std::vector<int64_t> exportChannels(DnasMethod& method,
                                               const std::vector<ChannelGroup>& groups) {
        std::vector<int64_t> keep = method.exported();
        for (std::size_t g = 0; g < groups.size(); ++g) {
            if (!groups[g].searchable) {
                keep[g] = groups[g].channels;
                continue;
            }
            const int64_t t = std::max<int64_t>(1, groups[g].tile);
            keep[g] = std::min(groups[g].channels, (keep[g] + t - 1) / t * t);
        }
        return keep;
    }

    double accuracy(GraphModule& model, DnasMethod& method, const std::vector<int>&,
                    const std::function<void(const ChannelChoice&)>& applyMasks) {
        model->eval();
        {
            torch::NoGradGuard noGrad;
            applyMasks(method.choice());
        }
        const double a = nas::testAccuracy(
            test_, model->inputShape(), [&](const torch::Tensor& x) { return model->forward(x); });
        model->train();
        return a;
    }

    /// The seed trained as long as the search with the same seed: the accuracy to compare.
    /// Its layers with split tables train at the precision of the engine the target's mapper
    /// runs them on (an analog array's ternary weights), as the seed deploys; `stepOf` is
    /// the cost-model step of each module layer (-1: none).
    double baseline(const DnasProblem& p, int epochs, const std::vector<int>& stepOf) {
        torch::manual_seed(p.seed);
        GraphModule model(*p.network, true);
        std::vector<nas::GraphModuleImpl::WeightPrecision> precisions(stepOf.size());
        for (std::size_t i = 0; i < stepOf.size(); ++i) {
            if (stepOf[i] >= 0) {
                const auto& t = p.costs.layers[static_cast<std::size_t>(stepOf[i])];
                if (t.isSplit()) {
                    precisions[i] = {{t.computeBits.front()}, torch::ones({1})};
                }
            }
        }
        model->setWeightPrecisions(std::move(precisions));
        torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(s_.learningRate));
        BatchOrder order(train_.count, p.seed);
        model->train();
        for (int e = 0; e < epochs; ++e) {
            for (const auto& idx : order.epoch(s_.batchSize)) {
                const torch::Tensor x =
                    nas::imagesAsInput(nas::imagesOf(train_, idx), model->inputShape());
                opt.zero_grad();
                F::cross_entropy(model->forward(x), nas::labelsOf(train_, idx)).backward();
                opt.step();
            }
        }
        model->eval();
        return nas::testAccuracy(test_, model->inputShape(),
                                 [&](const torch::Tensor& x) { return model->forward(x); });
    }

    DnasSettings s_;
    ImageSet train_, test_;
};

} // namespace

double lambdaAt(double lambda, int epoch, int searchEpochs) {
    const double half = std::max(1.0, searchEpochs / 2.0);
    return std::min(lambda / 100 + epoch * 0.99 * lambda / half, lambda);
}

std::unique_ptr<DnasSearcher> makeTorchDnasSearcher() {
    return std::make_unique<Trainer>();
}

} // namespace edgesim::explorer::dnas
