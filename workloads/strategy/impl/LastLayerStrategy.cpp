// last-layer: fine-tuning of the classifier only (TinyOL-style, TRAINING.md §2.2): one forward
// pass, the loss, the last compute layer's weight and bias gradients; no input gradient.
#include "workloads/strategy/Training.h"

namespace edgesim::workloads {

namespace {

class LastLayerStrategy : public Strategy {
public:
    std::string description() const override {
        return "last-layer fine-tuning: only the classifier's weights and bias";
    }
    std::vector<StrategyParameter> parameters() const override { return trainingParameters(); }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        UpdateSet update = noUpdates(net);
        const auto compute = computeLayers(net);
        if (!compute.empty()) {
            update.weights[compute.back()] = true;
            update.biases[compute.back()] = net.layer(compute.back()).hasBias;
        }
        Schedule s = lowerBackpropFamily(net, batch, trainingOptions(options), update);
        s.strategy = "last-layer";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("last-layer", [] { return std::make_unique<LastLayerStrategy>(); });

} // namespace

} // namespace edgesim::workloads
