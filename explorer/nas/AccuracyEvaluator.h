// The accuracy evaluator of a NAS study, an extension point: an implementation in impl/
// registers itself by name (train, proxy, command) and the study's `accuracy.evaluator`
// picks it.
//
// Contract: configure() checks everything the evaluator needs before the search starts (a
// dataset that is missing or unreadable, a bad setting) and throws InputError naming the study
// file and field; evaluate() scores one candidate, the same candidate and seed giving the same
// accuracy, and never throws for a candidate it cannot score: it returns the reason instead
// (the candidate becomes a row with that status). Evaluations may run in worker processes, so
// an evaluator keeps no state that results depend on beyond what configure() set.
#pragma once

#include "explorer/nas/AccuracyResult.h"
#include "explorer/nas/SearchSpace.h"
#include "explorer/spec/nas.pb.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::explorer::nas {

class AccuracyEvaluator {
public:
    virtual ~AccuracyEvaluator() = default;
    /// `spec`: the study's accuracy settings; `studyFile` names errors.
    virtual void configure(const spec::AccuracySpec& spec, const std::string& studyFile) = 0;
    /// Scores `candidate` (which has a network). `dir` is a directory the evaluator may write
    /// the candidate's files to; `seed` fixes every random choice.
    virtual AccuracyResult evaluate(const Candidate& candidate, uint64_t seed,
                                    const std::string& dir) = 0;
};

std::unique_ptr<AccuracyEvaluator> makeAccuracyEvaluator(const std::string& name);
std::vector<std::string> accuracyEvaluatorNames();

} // namespace edgesim::explorer::nas
