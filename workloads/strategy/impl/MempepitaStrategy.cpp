// mempepita: memory-efficient PEPITA (Pau & Aymone, COINS 2023; TRAINING.md §2.6): a first
// clean pass for the error only, then the clean and modulated passes layer by layer in
// lockstep, so no layer output is kept across the step.
#include "workloads/strategy/Training.h"

namespace edgesim::workloads {

namespace {

class MempepitaStrategy : public Strategy {
public:
    std::string description() const override {
        return "memory-efficient PEPITA: the clean pass recomputed in lockstep with the modulated "
               "one instead of kept";
    }
    std::vector<StrategyParameter> parameters() const override { return pepitaParameters(); }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        Schedule s =
            lowerPepita(net, batch, trainingOptions(options), feedbackStorage(options), true);
        s.strategy = "mempepita";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("mempepita", [] { return std::make_unique<MempepitaStrategy>(); });

} // namespace

} // namespace edgesim::workloads
