// sparse-backprop: sparse update (Lin et al., NeurIPS 2022; TRAINING.md §2.3): the weights of
// the last `weight_layers` compute layers (a `channel_ratio` share of their output channels)
// and the biases of the last `bias_layers`; backward only down to the lowest updated layer,
// inputs kept only for weight-updated layers, updates in place.
#include "workloads/strategy/Training.h"

#include <algorithm>

namespace edgesim::workloads {

namespace {

class SparseBackpropStrategy : public Strategy {
public:
    std::string description() const override {
        return "sparse update: weights of the last layers (a share of their channels), "
               "biases of more";
    }
    std::vector<StrategyParameter> parameters() const override {
        const StrategyParameter weights =
            numberParameter("weight_layers", "2",
                            "compute layers, counted from the output, whose weights are "
                            "updated (0 = all)",
                            0, 10000, true);
        const StrategyParameter ratio =
            numberParameter("channel_ratio", "0.5",
                            "share of each updated layer's output channels whose weights "
                            "are updated",
                            0.01, 1, false);
        const StrategyParameter biases =
            numberParameter("bias_layers", "4",
                            "compute layers, counted from the output, whose biases are "
                            "updated (0 = all)",
                            0, 10000, true);
        return withTrainingParameters({weights, ratio, biases});
    }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        const auto compute = computeLayers(net);
        const auto n = static_cast<int64_t>(compute.size());
        const auto lastN = [n](double v) {
            const auto k = static_cast<int64_t>(v);
            return k == 0 ? n : std::min(k, n);
        };
        const int64_t nw = lastN(options.number("weight_layers"));
        const int64_t nb = lastN(options.number("bias_layers"));
        UpdateSet update = noUpdates(net);
        update.channelRatio = options.number("channel_ratio");
        for (int64_t i = 0; i < n; ++i) {
            const Network::LayerId id = compute[static_cast<std::size_t>(i)];
            update.weights[id] = i >= n - nw;
            update.biases[id] = i >= n - nb && net.layer(id).hasBias;
        }
        Schedule s = lowerBackpropFamily(net, batch, trainingOptions(options), update);
        s.strategy = "sparse-backprop";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("sparse-backprop", [] { return std::make_unique<SparseBackpropStrategy>(); });

} // namespace

} // namespace edgesim::workloads
