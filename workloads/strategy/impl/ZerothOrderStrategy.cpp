// zeroth-order: MeZO / SPSA (Malladi et al., NeurIPS 2023; TRAINING.md §2.7): per random
// direction two perturbed forward passes and four sweeps over the weights regenerating the
// direction from a seed; no activations or gradients kept beyond inference.
#include "workloads/strategy/Training.h"

namespace edgesim::workloads {

namespace {

class ZerothOrderStrategy : public Strategy {
public:
    std::string description() const override {
        return "zeroth-order (MeZO/SPSA): two perturbed forward passes per direction, weights "
               "updated in place";
    }
    std::vector<StrategyParameter> parameters() const override {
        const StrategyParameter directions =
            numberParameter("directions", "1", "random directions per step", 1, 64, true);
        return withTrainingParameters({directions});
    }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        Schedule s = lowerZerothOrder(net, batch, trainingOptions(options),
                                      static_cast<int>(options.number("directions")));
        s.strategy = "zeroth-order";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("zeroth-order", [] { return std::make_unique<ZerothOrderStrategy>(); });

} // namespace

} // namespace edgesim::workloads
