// inference: the forward pass only, one kernel per layer in execution order, the samples of a
// batch one after the other in the same activation arena (lowerInference, Schedule.h).
#include "workloads/strategy/Strategy.h"

namespace edgesim::workloads {

namespace {

class InferenceStrategy : public Strategy {
public:
    std::string description() const override {
        return "forward pass only, batch norm folded, activations fused";
    }
    Schedule lower(const Network& net, int batch,
                   const StrategyOptions& /*options*/) const override {
        return lowerInference(net, batch);
    }
};

const bool kRegistered =
    registerStrategy("inference", [] { return std::make_unique<InferenceStrategy>(); });

} // namespace

} // namespace edgesim::workloads
