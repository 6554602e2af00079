#include "sim/Simulator.h"

#include "common/Diagnostics.h"
#include "sim/analytical/AnalyticalEvaluator.h"
#include "sim/kernel/SimContext.h"
#include "sim/model/Energy.h"
#include "sim/tlm/PlatformModel.h"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

namespace edgesim::sim {

struct Simulator::Model {
    SimContext::Detached context; // first: the modules must go before their context
    std::unique_ptr<PlatformModel> platform;
};

namespace {

void checkDeployable(const platforms::spec::PlatformSpec& platform,
                     const platforms::spec::StackSpec& stack, const StackIndex& index) {
    // Placement reachability and DMA routes depend on neither the network nor the operating
    // point (each run checks its own): bind an empty network at the declared default point.
    bindProgram(workloads::Schedule{}, platform, stack, index, declaredOperatingPoint(platform));
}

} // namespace

void checkDeployable(const platforms::spec::PlatformSpec& platform,
                     const platforms::spec::StackSpec& stack) {
    checkDeployable(platform, stack, StackIndex(stack));
}

Simulator::Simulator(platforms::spec::PlatformSpec platform, platforms::spec::StackSpec stack)
    : Simulator(std::make_shared<const platforms::spec::PlatformSpec>(std::move(platform)),
                std::make_shared<const platforms::spec::StackSpec>(std::move(stack))) {}

Simulator::Simulator(std::shared_ptr<const platforms::spec::PlatformSpec> platform,
                     std::shared_ptr<const platforms::spec::StackSpec> stack)
    : platform_(std::move(platform)), stack_(std::move(stack)),
      stackIndex_(std::make_unique<StackIndex>(*stack_)) {
    checkDeployable(*platform_, *stack_, *stackIndex_);
}

std::string platformStructure(const platforms::spec::PlatformSpec& p) {
    std::string s;
    for (const auto& c : p.cores()) {
        s += "c:" + c.name() + ";";
    }
    for (const auto& m : p.memories()) {
        s += "m:" + m.name() + ";";
    }
    for (const auto& d : p.dmas()) {
        s += "d:" + d.name() + "/" + std::to_string(d.channels()) + "/" +
             std::to_string(d.burst_bytes()) + ";";
    }
    for (const auto& e : p.engines()) {
        s += "e:" + e.name() + ";";
    }
    for (const auto& b : p.buses()) {
        s += "b:" + b.name() + ";";
        for (const auto& m : b.bridges()) {
            s += ">" + m + ",";
        }
        for (const auto& m : b.masters()) {
            s += m + ",";
        }
        for (const auto& m : b.slaves()) {
            s += m + ",";
        }
    }
    return s;
}

bool Simulator::sameStructure(const platforms::spec::PlatformSpec& platform) const {
    return platformStructure(platform) == platformStructure(*platform_);
}

namespace {

/// Whether two configurations place data alike (what checkDeployable depends on besides the
/// structure).
bool samePlacement(const platforms::spec::PlatformSpec& a, const platforms::spec::StackSpec& as,
                   const platforms::spec::PlatformSpec& b, const platforms::spec::StackSpec& bs) {
    return a.placement().weights_memory() == b.placement().weights_memory() &&
           a.placement().activations_memory() == b.placement().activations_memory() &&
           a.placement().code_memory() == b.placement().code_memory() &&
           a.placement().weights_stream_memory() == b.placement().weights_stream_memory() &&
           as.placement().weights() == bs.placement().weights();
}

} // namespace

void Simulator::reconfigure(platforms::spec::PlatformSpec platform,
                            platforms::spec::StackSpec stack) {
    reconfigure(std::make_shared<const platforms::spec::PlatformSpec>(std::move(platform)),
                std::make_shared<const platforms::spec::StackSpec>(std::move(stack)));
}

void Simulator::reconfigure(std::shared_ptr<const platforms::spec::PlatformSpec> platform,
                            std::shared_ptr<const platforms::spec::StackSpec> stack) {
    if (!sameStructure(*platform)) {
        throw std::invalid_argument("Simulator::reconfigure: the platform structure changed");
    }
    std::unique_ptr<StackIndex> index;
    if (stack) {
        index = std::make_unique<StackIndex>(*stack);
    } else {
        stack = stack_;
    }
    if (!samePlacement(*platform, *stack, *platform_, *stack_)) {
        // As the constructor, before anything changes.
        checkDeployable(*platform, *stack, index ? *index : *stackIndex_);
    }
    platform_ = std::move(platform);
    stack_ = std::move(stack);
    if (index) {
        stackIndex_ = std::move(index);
    }
}

Simulator::~Simulator() {
    if (model_) {
        SimContext::Scope scope(model_->context);
        model_->platform.reset();
    }
}

void Simulator::runTlm(const Program& program, SimResult& result, SimObserver* observer) {
    if (!model_) {
        model_ = std::make_unique<Model>();
        SimContext::Scope scope(model_->context);
        model_->platform = std::make_unique<PlatformModel>(*platform_);
    }
    SimContext::Scope scope(model_->context);
    model_->platform->run(program, result, observer);
}

Mapping Simulator::mappingFor(const workloads::Schedule& schedule, const RunOptions& options) {
    if (options.mapping != nullptr) {
        return *options.mapping;
    }
    checkMappingRequest(options.request, *stack_, options.source);
    if (options.request.fixed) {
        if (options.request.fixed->kernels.size() != schedule.kernels.size()) {
            throw std::invalid_argument("Simulator::mappingFor: a fixed mapping of " +
                                        std::to_string(options.request.fixed->kernels.size()) +
                                        " kernels for a schedule of " +
                                        std::to_string(schedule.kernels.size()));
        }
        return *options.request.fixed;
    }
    const std::string name = mapperName(options.request, *platform_, *stack_);
    if (name.empty()) {
        const auto spec = loadMappingSpec(options.request.mapping);
        return resolveMapping(spec, schedule, *platform_, options.request.mapping);
    }
    if (name == "host-only") {
        return hostOnlyMapping(schedule, *platform_);
    }
    const auto mapper = makeMapper(name);
    const ResolvedOperatingPoint op =
        resolveOperatingPoint(*platform_, options.operatingPoint, options.source);
    LayerCoster::Evaluate evaluate;
    if (options.fidelity == Fidelity::Tlm) {
        evaluate = [this](const Program& program) {
            SimResult result = makeResult(program, Fidelity::Tlm);
            runTlm(program, result, nullptr);
            return result;
        };
    }
    const LayerCoster coster(*platform_, *stack_, *stackIndex_, op, evaluate);
    return mapper->map(schedule, coster, mapperOptions(options.request));
}

namespace {

TrainingSummary summarizeTraining(const workloads::Schedule& schedule, const Program& program,
                                  const SimResult& result, const std::string& host,
                                  double staticPowerW) {
    const workloads::TrainingMemory& m = *schedule.training;
    TrainingSummary t;
    t.counting = m.counting;
    t.trainableParams = m.trainableParams;
    t.arenaBytes = m.arenaBytes;
    t.peakLiveBytes = m.peakLiveBytes;
    for (std::size_t r = 0; r < workloads::kTensorRoleCount; ++r) {
        t.ramByRole[std::string(workloads::toString(static_cast<workloads::TensorRole>(r)))] =
            m.peakByRole[r];
    }
    t.ramWeightBytes = m.ramWeightBytes;
    t.macsByKind = m.macsByKind;
    const auto samples = static_cast<double>(std::max<int64_t>(1, m.samplesPerRun));
    t.latencySPerSample = result.latencyS / samples;
    t.energyJPerSample = result.energyJ / samples;
    t.periodS = m.periodS;
    if (m.periodS > 0) {
        t.keepsUp = result.latencyS <= m.periodS;
        // Over a period: the event, then static power while idle; an event longer than its
        // period keeps the device busy throughout.
        t.averagePowerW =
            (result.energyJ + staticPowerW * std::max(0.0, m.periodS - result.latencyS)) /
            std::max(m.periodS, result.latencyS);
    }
    for (std::size_t i = 0; i < result.layers.size() && i < program.kernels.size(); ++i) {
        const LayerResult& l = result.layers[i];
        if (l.engine == host) {
            t.hostMacs += l.macs;
            t.hostCycles += l.cycles();
        } else {
            t.acceleratorMacs += l.macs;
            t.acceleratorCycles += l.cycles();
        }
    }
    return t;
}

DynamicSummary summarizeDynamic(const workloads::DynamicInference& d, const Program& program,
                                const SimResult& result) {
    // Per segment: its kernels' cycles and energy (the runtime's own work in every segment).
    const std::size_t segments = d.reach.size();
    std::vector<double> cycles(segments, 0);
    std::vector<double> energy(segments, 0);
    double always = 0;
    double alwaysJ = 0;
    double total = 0;
    for (std::size_t i = 0; i < result.layers.size() && i < program.kernels.size(); ++i) {
        const int k = program.kernels[i].scheduleKernel;
        const auto c = static_cast<double>(result.layers[i].cycles());
        total += c;
        if (k < 0 || static_cast<std::size_t>(k) >= d.segmentOfKernel.size()) {
            always += c;
            alwaysJ += result.layers[i].energyJ;
            continue;
        }
        const auto seg = static_cast<std::size_t>(d.segmentOfKernel[static_cast<std::size_t>(k)]);
        cycles[seg] += c;
        energy[seg] += result.layers[i].energyJ;
    }
    // Kernels that overlap in time (engines beside the host) count once: scale to the run.
    const double secondsPerCycle = total > 0 ? result.latencyS / total : 0;
    DynamicSummary out;
    out.worstLatencyS = result.latencyS;
    out.worstEnergyJ = result.energyJ;
    double expectedCycles = always;
    out.expectedEnergyJ = alwaysJ;
    double pathCycles = always;
    double pathJ = alwaysJ;
    for (std::size_t seg = 0; seg < segments; ++seg) {
        expectedCycles += d.reach[seg] * cycles[seg];
        out.expectedEnergyJ += d.reach[seg] * energy[seg];
        pathCycles += cycles[seg];
        pathJ += energy[seg];
        if (seg < d.exits.size()) {
            out.exits.push_back(
                {d.exits[seg], d.exitShare[seg], pathCycles * secondsPerCycle, pathJ});
        }
    }
    out.expectedLatencyS = expectedCycles * secondsPerCycle;
    return out;
}

} // namespace

SimResult Simulator::run(const workloads::Schedule& schedule, const RunOptions& options) {
    const auto begin = std::chrono::steady_clock::now();
    const ResolvedOperatingPoint op =
        resolveOperatingPoint(*platform_, options.operatingPoint, options.source);
    const Mapping mapping = mappingFor(schedule, options);
    const Program program = bindProgram(schedule, *platform_, *stack_, *stackIndex_, op, &mapping);
    SimResult result = makeResult(program, options.fidelity);
    result.mapping = mapping.name;
    result.platform = platform_->name();
    result.stack = stack_->name();
    result.network = schedule.network;
    result.strategy = schedule.strategy;
    result.batch = schedule.batch;
    if (program.status == Status::Ok) {
        if (options.fidelity == Fidelity::Analytical) {
            evaluateAnalytical(program, result);
            if (options.observer != nullptr) {
                for (auto& layer : result.layers) {
                    options.observer->onSpan(layer.engine, layer.name, layer.startCycle,
                                             layer.endCycle, 0);
                }
            }
        } else {
            runTlm(program, result, options.observer);
        }
        accountEnergy(result, *platform_, program);
        EngineUsage host{platform_->cores(program.core).name(), 0, 0};
        std::vector<EngineUsage> engines;
        for (const auto& e : program.engines) {
            engines.push_back({e.name, 0, 0});
        }
        for (const auto& layer : result.layers) {
            host.busyCycles += layer.hostBusyCycles;
            for (std::size_t e = 0; e < engines.size() && e < layer.engineBusyCycles.size(); ++e) {
                engines[e].busyCycles += layer.engineBusyCycles[e];
            }
        }
        result.engines.push_back(host);
        for (auto& e : engines) {
            result.engines.push_back(e);
        }
        for (auto& e : result.engines) {
            e.idleCycles =
                result.latencyCycles > e.busyCycles ? result.latencyCycles - e.busyCycles : 0;
        }
    }
    if (schedule.dynamic && program.status == Status::Ok) {
        result.dynamic = summarizeDynamic(*schedule.dynamic, program, result);
    }
    if (schedule.training) {
        result.training =
            summarizeTraining(schedule, program, result, platform_->cores(program.core).name(),
                              platform_->static_power_w());
    }
    if (result.status == Status::Ok && mapping.latencyBudgetS > 0 &&
        result.latencyS > mapping.latencyBudgetS) {
        result.status = Status::OverBudget;
        result.reason = fmt::format(
            "latency {:.4g} ms exceeds the {:.4g} ms budget; the fastest mapping reaches "
            "{:.4g} ms by the analytical cost model",
            result.latencyS * 1e3, mapping.latencyBudgetS * 1e3, mapping.bestLatencyS * 1e3);
    }
    result.hostSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    return result;
}

} // namespace edgesim::sim
