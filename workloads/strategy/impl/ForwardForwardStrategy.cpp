// forward-forward: Hinton's Forward-Forward (TRAINING.md §2.4): a positive and a negative
// forward pass, each layer trained locally on its goodness; no backward pass.
#include "workloads/strategy/Training.h"

namespace edgesim::workloads {

namespace {

class ForwardForwardStrategy : public Strategy {
public:
    std::string description() const override {
        return "Forward-Forward: positive and negative passes, per-layer goodness and local "
               "updates";
    }
    std::vector<StrategyParameter> parameters() const override { return trainingParameters(); }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        Schedule s = lowerForwardForward(net, batch, trainingOptions(options));
        s.strategy = "forward-forward";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("forward-forward", [] { return std::make_unique<ForwardForwardStrategy>(); });

} // namespace

} // namespace edgesim::workloads
