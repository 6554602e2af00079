// backprop: full backpropagation (TRAINING.md §2.1): one forward pass, the loss, input
// gradients down to the second layer, weight and bias gradients of every layer, and the
// optimizer (in place per layer at batch 1).
#include "workloads/strategy/Training.h"

namespace edgesim::workloads {

namespace {

class BackpropStrategy : public Strategy {
public:
    std::string description() const override {
        return "full backpropagation: every layer's weights and biases trained";
    }
    std::vector<StrategyParameter> parameters() const override { return trainingParameters(); }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        UpdateSet update = noUpdates(net);
        for (Network::LayerId id : computeLayers(net)) {
            update.weights[id] = true;
            update.biases[id] = net.layer(id).hasBias;
        }
        Schedule s = lowerBackpropFamily(net, batch, trainingOptions(options), update);
        s.strategy = "backprop";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("backprop", [] { return std::make_unique<BackpropStrategy>(); });

} // namespace

} // namespace edgesim::workloads
