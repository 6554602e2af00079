#include "explorer/nas/CandidateEvaluator.h"

#include "common/Diagnostics.h"
#include "explorer/results/RunRecords.h"
#include "workloads/strategy/Strategy.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>

namespace edgesim::explorer::nas {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}

/// The seed of a candidate's training: the study's, mixed with the network's hash, so the same
/// network trains the same way whichever individual, generation or worker asks.
uint64_t candidateSeed(uint64_t studySeed, const std::string& sha256) {
    const uint64_t h = std::stoull(sha256.substr(0, 15), nullptr, 16);
    return studySeed ^ h;
}

std::string candidateName(int64_t id) {
    return fmt::format("nas/{}", id);
}

} // namespace

CandidateEvaluator::CandidateEvaluator(const NasStudy& study, Session& session, std::string workDir)
    : study_(study), session_(session), space_(study.spec.space()), workDir_(std::move(workDir)) {
    for (int i = 0; i < study.spec.targets_size(); ++i) {
        targets_.push_back(
            targetQuery(study.spec.targets(i), fmt::format("targets[{}]", i), study.file));
        targets_.back().seed = study.spec.seed();
    }
    const std::string& name = study.spec.accuracy().evaluator();
    if (!name.empty() && name != "none") {
        accuracy_ = makeAccuracyEvaluator(name);
        accuracy_->configure(study.spec.accuracy(), study.file);
    }
}

void CandidateEvaluator::preflight(const Genome& genome) {
    const Candidate c = space_.decode(genome, "preflight");
    if (!c.network) {
        throw InputError(study_.file, "space", "the first candidate has no network: " + c.reason);
    }
    const std::string name = candidateName(-1);
    session_.defineNetwork(name, *c.network, c.sha256);
    Diagnostics diags(study_.file);
    const FieldCursor at(diags, study_.locations.get());
    for (std::size_t t = 0; t < targets_.size(); ++t) {
        Query q = targets_[t];
        q.network = name;
        try {
            session_.specs(q);
            session_.operatingPoint(q);
            session_.network(q);
            session_.mapping(q);
        } catch (const InputError& e) {
            // Named at the target's field in the study, with its line.
            const int i = static_cast<int>(t);
            const FieldCursor target = at.child(study_.spec, "targets", i);
            const std::string prefix = fmt::format("targets[{}].", i);
            for (const Diagnostic& d : e.diagnostics()) {
                if (d.field.rfind(prefix, 0) != 0 || d.line != 0) {
                    diags.add(d);
                    continue;
                }
                const std::string rest = d.field.substr(prefix.size());
                const std::string field = rest.substr(0, rest.find_first_of(".["));
                target.error(study_.spec.targets(i), field,
                             (field == rest ? "" : rest + ": ") + d.reason);
            }
        }
    }
    session_.forgetNetwork(name);
    diags.throwIfAny();
}

wire::NasOutcome CandidateEvaluator::evaluate(const Genome& genome, int64_t id) {
    wire::NasOutcome out;
    out.set_id(id);
    out.set_accuracy(kNaN);
    out.set_params(kNaN);
    out.set_macs(kNaN);
    const Candidate c = space_.decode(genome, candidateName(id));
    out.set_network_sha256(c.sha256);
    if (!c.network) {
        out.set_status("invalid");
        out.set_reason(c.reason);
        return out;
    }
    const auto totals = c.network->totals();
    out.set_params(static_cast<double>(totals.params));
    out.set_macs(static_cast<double>(totals.macs));
    const std::string name = candidateName(id);
    session_.defineNetwork(name, *c.network, c.sha256);
    std::string status = "ok";
    std::string reason;
    double simSeconds = 0;
    for (std::size_t t = 0; t < targets_.size(); ++t) {
        Query q = targets_[t];
        q.network = name;
        wire::TargetOutcome& to = *out.add_targets();
        const auto started = Clock::now();
        try {
            const QueryResult r = session_.run(q);
            const RunMetrics m = metricsOf(&r.result);
            for (double v :
                 {m.latencyS, m.latencyCycles, m.energyJ, m.peakRamBytes, m.flashBytes, m.macs}) {
                to.add_metrics(v);
            }
            to.set_status(sim::toString(r.result.status));
            to.set_reason(r.result.reason);
            to.set_config_sha256(r.configSha256);
        } catch (const InputError& e) {
            // What this candidate cannot do on the target (e.g. a strategy that cannot lower
            // it): the study was checked before the run.
            for (std::size_t k = 0; k < targetMetrics().size(); ++k) {
                to.add_metrics(kNaN);
            }
            to.set_status("invalid");
            to.set_reason(e.what());
        }
        to.set_sim_s(seconds(started));
        simSeconds += to.sim_s();
        if (status == "ok" && to.status() != "ok") {
            status = to.status();
            reason = targetName(study_.spec.targets(static_cast<int>(t))) + ": " + to.reason();
        }
    }
    session_.forgetNetwork(name);
    out.set_sim_s(simSeconds);
    out.set_status(status);
    out.set_reason(reason);
    // Accuracy only for candidates the simulated constraints admit: an infeasible candidate
    // competes by its violation alone, so training it would change nothing.
    if (accuracy_ && status == "ok" && score(study_.spec, out, false).violation == 0) {
        const AccuracyResult a =
            accuracy_->evaluate(c, candidateSeed(study_.spec.seed(), c.sha256), workDir_);
        out.set_accuracy(a.accuracy);
        out.set_train_s(a.seconds);
        if (!a.error.empty()) {
            out.set_status("accuracy_failed");
            out.set_reason(a.error);
        }
    }
    return out;
}

wire::Result CandidateEvaluator::run(const wire::Task& task) {
    wire::NasTask jobs;
    if (!jobs.ParseFromString(task.payload())) {
        throw std::runtime_error("NAS worker: a task it cannot read");
    }
    wire::NasResult result;
    for (const auto& job : jobs.jobs()) {
        *result.add_outcomes() = evaluate(Genome(job.genes().begin(), job.genes().end()), job.id());
    }
    wire::Result out;
    result.SerializeToString(out.mutable_payload());
    return out;
}

double metricValue(const spec::NasStudySpec& study, const wire::NasOutcome& outcome,
                   const std::string& metric, const std::string& target) {
    if (target.empty()) {
        if (metric == "params") {
            return outcome.params();
        }
        if (metric == "macs") {
            return outcome.macs();
        }
        return outcome.accuracy();
    }
    for (int t = 0; t < study.targets_size() && t < outcome.targets_size(); ++t) {
        if (targetName(study.targets(t)) == target) {
            const auto& names = targetMetrics();
            for (std::size_t k = 0; k < names.size(); ++k) {
                if (names[k] == metric && static_cast<int>(k) < outcome.targets(t).metrics_size()) {
                    return outcome.targets(t).metrics(static_cast<int>(k));
                }
            }
        }
    }
    return kNaN;
}

Evaluation score(const spec::NasStudySpec& study, const wire::NasOutcome& outcome,
                 bool withAccuracy) {
    Evaluation e;
    for (const auto& t : outcome.targets()) {
        if (t.status() != "ok") {
            e.violation += 1;
        }
    }
    if (outcome.targets_size() == 0) {
        e.violation += 1; // no network
    }
    bool missing = false;
    for (const auto& o : study.objectives()) {
        if (!withAccuracy && o.metric() == kAccuracy) {
            e.objectives.push_back(0);
            continue;
        }
        const double v = metricValue(study, outcome, o.metric(), o.target());
        const bool maximise = maximised(o);
        if (!std::isfinite(v)) {
            e.objectives.push_back(std::numeric_limits<double>::infinity());
            missing = true;
            continue;
        }
        e.objectives.push_back(maximise ? -v : v);
    }
    for (const auto& k : study.constraints()) {
        if (!withAccuracy && k.metric() == kAccuracy) {
            continue;
        }
        const double v = metricValue(study, outcome, k.metric(), k.target());
        if (!std::isfinite(v)) {
            continue; // counted with its target, or accuracy that was not evaluated
        }
        if (k.has_max() && v > k.max()) {
            e.violation += (v - k.max()) / (k.max() != 0 ? std::abs(k.max()) : 1.0);
        }
        if (k.has_min() && v < k.min()) {
            e.violation += (k.min() - v) / (k.min() != 0 ? std::abs(k.min()) : 1.0);
        }
    }
    // An objective that was not produced (an accuracy that failed; a metric a run that is ok
    // did not give) makes an otherwise feasible candidate infeasible: fronts need numbers.
    // Where the candidate is infeasible already (accuracy is not evaluated then), nothing
    // more is added, so infeasible candidates compare by what they violate.
    // So does a candidate its accuracy evaluator failed on, even when accuracy is no objective:
    // a front of networks nobody could train would mislead.
    if ((missing || outcome.status() != "ok") && e.violation == 0) {
        e.violation = 1;
    }
    return e;
}

} // namespace edgesim::explorer::nas
