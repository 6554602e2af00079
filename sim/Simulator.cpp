#include "sim/Simulator.h"

#include "sim/analytical/AnalyticalEvaluator.h"
#include "sim/kernel/SimContext.h"
#include "sim/model/Energy.h"
#include "sim/tlm/PlatformModel.h"

#include <chrono>

namespace edgesim::sim {

struct Simulator::Model {
    SimContext context;  // first: the modules must go before their context
    std::unique_ptr<PlatformModel> platform;
};

Simulator::Simulator(platforms::spec::PlatformSpec platform, platforms::spec::StackSpec stack)
    : platform_(std::move(platform)), stack_(std::move(stack)) {
    // Placement reachability does not depend on the network: check it now.
    const ResolvedOperatingPoint op = resolveOperatingPoint(platform_, {}, platform_.name());
    bindProgram(workloads::Schedule{}, platform_, stack_, op);
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
    const Program program = bindProgram(schedule, platform_, stack_, op);
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
