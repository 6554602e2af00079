#include "sim/Simulator.h"

#include "sim/analytical/AnalyticalEvaluator.h"
#include "sim/kernel/SimContext.h"
#include "sim/model/Energy.h"
#include "sim/tlm/PlatformModel.h"

#include <chrono>
#include <stdexcept>

namespace edgesim::sim {

struct Simulator::Model {
    SimContext::Detached context;  // first: the modules must go before their context
    std::unique_ptr<PlatformModel> platform;
};

Simulator::Simulator(platforms::spec::PlatformSpec platform, platforms::spec::StackSpec stack)
    : platform_(std::move(platform)), stack_(std::move(stack)),
      stackIndex_(std::make_unique<StackIndex>(stack_)) {
    // Placement reachability does not depend on the network: check it now.
    const ResolvedOperatingPoint op = resolveOperatingPoint(platform_, {}, platform_.name());
    bindProgram(workloads::Schedule{}, platform_, stack_, *stackIndex_, op);
}

namespace {

std::string structureOf(const platforms::spec::PlatformSpec& p) {
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
    for (const auto& b : p.buses()) {
        s += "b:" + b.name() + ";";
        for (const auto& m : b.masters()) {
            s += m + ",";
        }
        for (const auto& m : b.slaves()) {
            s += m + ",";
        }
    }
    return s;
}

} // namespace

void Simulator::reconfigure(platforms::spec::PlatformSpec platform,
                            platforms::spec::StackSpec stack) {
    if (structureOf(platform) != structureOf(platform_)) {
        throw std::invalid_argument("Simulator::reconfigure: the platform structure changed");
    }
    platform_ = std::move(platform);
    stack_ = std::move(stack);
    stackIndex_ = std::make_unique<StackIndex>(stack_);
}

Simulator::~Simulator() {
    if (model_) {
        SimContext::Scope scope(model_->context);
        model_->platform.reset();
    }
}

SimResult Simulator::run(const workloads::Schedule& schedule, const RunOptions& options) {
    const auto begin = std::chrono::steady_clock::now();
    const ResolvedOperatingPoint op =
        resolveOperatingPoint(platform_, options.operatingPoint, options.source);
    const Program program = bindProgram(schedule, platform_, stack_, *stackIndex_, op);
    SimResult result = makeResult(program, options.fidelity);
    result.platform = platform_.name();
    result.stack = stack_.name();
    result.network = schedule.network;
    result.strategy = schedule.strategy;
    if (program.status == Status::Ok) {
        if (options.fidelity == Fidelity::Analytical) {
            evaluateAnalytical(program, result);
            if (options.observer != nullptr) {
                const std::string core = platform_.cores(program.core).name();
                for (auto& layer : result.layers) {
                    layer.engine = core;
                    options.observer->onSpan(core, layer.name, layer.startCycle, layer.endCycle,
                                             0);
                }
            }
        } else {
            if (!model_) {
                model_ = std::make_unique<Model>();
                SimContext::Scope scope(model_->context);
                model_->platform = std::make_unique<PlatformModel>(platform_);
            }
            SimContext::Scope scope(model_->context);
            model_->platform->run(program, result, options.observer);
        }
        for (auto& layer : result.layers) {
            layer.engine = platform_.cores(program.core).name();
        }
        accountEnergy(result, platform_, program);
    }
    result.hostSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    return result;
}

} // namespace edgesim::sim
