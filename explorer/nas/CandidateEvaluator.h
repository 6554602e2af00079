// Evaluates NAS candidates: decodes a genome into its network, simulates it on every target of
// the study through a Session (the network defined in memory, never written out), and scores
// its accuracy with the study's evaluator. Runs in the writer's process or in workers (the
// WorkFunction of a WorkerPool); an outcome is a value: a candidate that cannot be built, run
// or scored is an outcome with a status and a reason, never an exception.
#pragma once

#include "explorer/nas/AccuracyEvaluator.h"
#include "explorer/nas/Evolution.h"
#include "explorer/nas/NasStudy.h"
#include "explorer/session/Session.h"
#include "explorer/spec/nas_wire.pb.h"
#include "explorer/spec/sweep_wire.pb.h"

#include <memory>
#include <string>
#include <vector>

namespace edgesim::explorer::nas {

class CandidateEvaluator {
public:
    /// `workDir`: where evaluators may write candidates' files (a directory next to the
    /// output). Configures the accuracy evaluator (InputError for a missing dataset or a bad
    /// setting).
    CandidateEvaluator(const NasStudy& study, Session& session, std::string workDir);

    const SearchSpace& space() const { return space_; }
    /// The query target `t` runs (its network field empty).
    const Query& target(std::size_t t) const { return targets_.at(t); }

    /// Checks what needs the configs before a run writes anything: every target's platform,
    /// stack, overrides, operating point and mapping, and the strategy lowering `genome`'s
    /// network. InputError naming the study file and the target's field.
    void preflight(const Genome& genome);

    /// The outcome of `genome` (individual `id`).
    wire::NasOutcome evaluate(const Genome& genome, int64_t id);
    /// A worker's task: every job of the NasTask in the task's payload, outcomes in the
    /// result's payload (NasResult).
    wire::Result run(const wire::Task& task);

private:
    const NasStudy& study_;
    Session& session_;
    SearchSpace space_;
    std::vector<Query> targets_;
    std::unique_ptr<AccuracyEvaluator> accuracy_;
    std::string workDir_;
};

/// Objectives (to minimise: maximised metrics negated) and total violation of `outcome`
/// under the study's objectives and constraints (NasStudy.h; nas.proto Constraint): a
/// target that could not run violates by 1, and so does a feasible candidate missing an
/// objective. `withAccuracy` false: accuracy objectives (0) and constraints left out (what
/// the simulations alone decide, before training).
Evaluation score(const spec::NasStudySpec& study, const wire::NasOutcome& outcome,
                 bool withAccuracy = true);

/// The value of `metric` ("latency_s", "params", "accuracy", ...) of target `target` (by
/// name, empty for network metrics) in `outcome`; NaN when not produced.
double metricValue(const spec::NasStudySpec& study, const wire::NasOutcome& outcome,
                   const std::string& metric, const std::string& target);

} // namespace edgesim::explorer::nas
