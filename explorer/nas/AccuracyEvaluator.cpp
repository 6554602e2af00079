#include "explorer/nas/AccuracyEvaluator.h"

#include "common/Registry.h"

namespace edgesim::explorer::nas {

std::unique_ptr<AccuracyEvaluator> makeAccuracyEvaluator(const std::string& name) {
    return Registry<AccuracyEvaluator>::instance().make(name);
}

std::vector<std::string> accuracyEvaluatorNames() {
    return Registry<AccuracyEvaluator>::instance().names();
}

} // namespace edgesim::explorer::nas
