// The accuracy evaluators that score through the libtorch plugin (TorchScorer.h): `train` and
// `proxy` (impl/), which differ only in the settings they take from the study.
#pragma once

#include "explorer/nas/AccuracyEvaluator.h"
#include "explorer/nas/TorchScorer.h"

#include <memory>
#include <string>

namespace edgesim::explorer::nas {

/// An accuracy evaluator that scores through the plugin: implementations say which settings
/// the study's accuracy spec gives and which field names the data in errors.
class TorchEvaluator : public AccuracyEvaluator {
public:
    /// Loads the plugin and configures a scorer; InputError naming `studyFile` and
    /// dataField() when the plugin or the data cannot be loaded.
    void configure(const spec::AccuracySpec& spec, const std::string& studyFile) override;
    AccuracyResult evaluate(const Candidate& candidate, uint64_t seed,
                            const std::string& dir) override;

protected:
    virtual TorchSettings settings(const spec::AccuracySpec& spec) const = 0;
    virtual std::string dataField(const spec::AccuracySpec& spec) const = 0;

private:
    std::unique_ptr<TorchScorer> scorer_;
};

} // namespace edgesim::explorer::nas
