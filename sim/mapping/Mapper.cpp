#include "sim/mapping/Mapper.h"

#include "common/Registry.h"
#include "sim/analytical/AnalyticalEvaluator.h"
#include "sim/model/Energy.h"

namespace edgesim::sim {

bool registerMapper(const std::string& name, MapperFactory factory) {
    return Registry<Mapper>::instance().add(name, std::move(factory));
}

std::unique_ptr<Mapper> makeMapper(const std::string& name) {
    return Registry<Mapper>::instance().make(name);
}

std::vector<std::string> mapperNames() {
    return Registry<Mapper>::instance().names();
}

LayerCoster::LayerCoster(const platforms::spec::PlatformSpec& platform,
                         const platforms::spec::StackSpec& stack, const StackIndex& index,
                         const ResolvedOperatingPoint& op, Evaluate evaluate)
    : platform_(platform), stack_(stack), index_(index), op_(op),
      evaluate_(evaluate ? std::move(evaluate) : Evaluate([](const Program& program) {
          SimResult r = makeResult(program, Fidelity::Analytical);
          evaluateAnalytical(program, r);
          return r;
      })) {}

LayerCost LayerCoster::cost(const workloads::Kernel& kernel, const LayerChoice& choice) const {
    workloads::Schedule one;
    one.network = kernel.name;
    one.kernels.push_back(kernel);
    one.macs = kernel.macs;
    Mapping mapping;
    mapping.kernels.push_back(choice);
    const Program program = bindProgram(one, platform_, stack_, index_, op_, &mapping);
    LayerCost c;
    if (program.status != Status::Ok) {
        return c;
    }
    if (program.kernels.size() < 2) {
        c.ok = true; // only the runtime's job: a free op costs nothing on any engine
        return c;
    }
    const KernelJob& job = program.kernels.back();
    const bool onEngine = choice.engine != platform_.cores(0).name() || choice.isSplit();
    if (job.fallback || (onEngine && job.tasks.empty()) ||
        (choice.isSplit() && job.tasks.size() != 2)) {
        return c;
    }
    SimResult r = evaluate_(program);
    accountEnergy(r, platform_, program);
    c.ok = true;
    c.cycles = r.layers.back().cycles();
    // (the runtime's per-inference job, layers[0], is the same for every choice)
    c.energyJ = r.layers.back().energyJ;
    return c;
}

LayerCost LayerCoster::fixedCost() const {
    const Program program =
        bindProgram(workloads::Schedule{}, platform_, stack_, index_, op_, nullptr);
    LayerCost c;
    c.ok = true;
    if (program.status != Status::Ok || program.kernels.empty()) {
        return c;
    }
    SimResult r = evaluate_(program);
    accountEnergy(r, platform_, program);
    c.cycles = r.latencyCycles;
    c.energyJ = r.energyJ;
    return c;
}

std::vector<LayerChoice> LayerCoster::candidates(bool splits, int splitSteps) const {
    std::vector<LayerChoice> out;
    out.push_back({platform_.cores(0).name(), "", 1.0});
    for (const auto& e : platform_.engines()) {
        out.push_back({e.name(), "", 1.0});
    }
    if (splits) {
        for (int a = 0; a < platform_.engines_size(); ++a) {
            for (int b = a + 1; b < platform_.engines_size(); ++b) {
                for (int k = 1; k < splitSteps; ++k) {
                    out.push_back({platform_.engines(a).name(), platform_.engines(b).name(),
                                   static_cast<double>(k) / splitSteps});
                }
            }
        }
    }
    return out;
}

} // namespace edgesim::sim
