// bias-only: TinyTL-style fine-tuning of biases (TRAINING.md §2.2): no weight gradients, so
// no layer inputs kept, only the activation masks; input gradients down to the lowest
// trained bias.
#include "workloads/strategy/Training.h"

#include "common/Diagnostics.h"

namespace edgesim::workloads {

namespace {

class BiasOnlyStrategy : public Strategy {
public:
    std::string description() const override {
        return "bias-only fine-tuning (TinyTL): biases of the compute layers from "
               "lowest_layer up";
    }
    std::vector<StrategyParameter> parameters() const override {
        const StrategyParameter lowest =
            numberParameter("lowest_layer", "0",
                            "lowest compute layer (1 = the first) whose bias is trained; 0 "
                            "= all layers",
                            0, 10000, true);
        return withTrainingParameters({lowest});
    }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        const auto compute = computeLayers(net);
        const auto lowest = static_cast<std::size_t>(options.number("lowest_layer"));
        if (lowest > compute.size()) {
            throw InputError("<command line>", "--strategy-param",
                             "lowest_layer " + std::to_string(lowest) + ": the network has " +
                                 std::to_string(compute.size()) + " compute layers");
        }
        UpdateSet update = noUpdates(net);
        for (std::size_t i = 0; i < compute.size(); ++i) {
            update.biases[compute[i]] =
                (lowest == 0 || i + 1 >= lowest) && net.layer(compute[i]).hasBias;
        }
        Schedule s = lowerBackpropFamily(net, batch, trainingOptions(options), update);
        s.strategy = "bias-only";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("bias-only", [] { return std::make_unique<BiasOnlyStrategy>(); });

} // namespace

} // namespace edgesim::workloads
