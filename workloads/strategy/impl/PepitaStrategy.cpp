// pepita: PEPITA (Dellaferrera & Kreiman, ICML 2022; TRAINING.md §2.5): a clean pass that keeps
// every layer output, the error e, the input modulated by F·e, and a modulated pass whose
// per-layer differences drive the weight updates. F lives in RAM, in Flash, or is
// regenerated from a seed (`feedback`).
#include "workloads/strategy/Training.h"

namespace edgesim::workloads {

namespace {

class PepitaStrategy : public Strategy {
public:
    std::string description() const override {
        return "PEPITA: a clean pass keeping every layer output, the error projected onto the "
               "input through F, a modulated pass with local updates";
    }
    std::vector<StrategyParameter> parameters() const override { return pepitaParameters(); }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        Schedule s =
            lowerPepita(net, batch, trainingOptions(options), feedbackStorage(options), false);
        s.strategy = "pepita";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("pepita", [] { return std::make_unique<PepitaStrategy>(); });

} // namespace

} // namespace edgesim::workloads
