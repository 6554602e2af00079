#include "sim/model/Offload.h"

#include "common/Checked.h"
#include "common/Diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace edgesim::sim {

namespace ps = platforms::spec;

struct Offloader::Engine {
    int index = 0; ///< in Program::engines
    const ps::EngineSpec* spec = nullptr;
    std::unique_ptr<EngineContext> context;
    std::unique_ptr<EngineModel> model;
    std::vector<Hop> weightRoute;
    std::vector<Hop> inputRoute;
    std::vector<Hop> outputRoute;
};

Offloader::Offloader(const ps::PlatformSpec& platform, const ps::StackSpec& stack,
                     const StackIndex& index, Program& program, const std::string& source)
    : program_(program) {
    const auto memoryIndex = [&](const std::string& name) {
        for (std::size_t m = 0; m < program.memories.size(); ++m) {
            if (program.memories[m].name == name) {
                return static_cast<int>(m);
            }
        }
        return -1;
    };
    const auto dmaIndex = [&](const std::string& name) {
        for (std::size_t d = 0; d < program.dmas.size(); ++d) {
            if (program.dmas[d].name == name) {
                return static_cast<int>(d);
            }
        }
        return -1;
    };
    const int buffers = stack.engine_buffers() > 0 ? stack.engine_buffers() : 2;
    program.buffers = buffers;
    for (const auto& spec : platform.engines()) {
        auto e = std::make_unique<Engine>();
        e->index = static_cast<int>(engines_.size());
        e->spec = &spec;
        const int local = memoryIndex(spec.local_memory());
        const int dma = dmaIndex(spec.dma());
        if (local < 0 || dma < 0) {
            throw InputError(
                source, "engines",
                fmt::format("engine '{}' names an unknown local memory or DMA", spec.name()));
        }
        const auto& memSpec = platform.memories(local);
        e->context.reset(new EngineContext{
            spec, stack, index, program.operatingPoint.clockHz, program.operatingPoint.voltageV,
            memSpec.size_bytes() - spec.reserved_local_bytes(), buffers});
        e->model = makeEngineModel(*e->context);
        const std::string where = source + " engine '" + spec.name() + "'";
        e->weightRoute = routeBetween(program, program.weightsMemory, local, dma, where);
        e->inputRoute = routeBetween(program, program.activationsMemory, local, dma, where);
        e->outputRoute = routeBetween(program, local, program.activationsMemory, dma, where);
        EngineTiming t;
        t.name = spec.name();
        t.kind = spec.kind();
        t.localMemory = local;
        t.dma = dma;
        t.busyCapacitancePf = spec.busy_capacitance_pf();
        t.leakagePowerW = spec.leakage_power_w();
        program.engines.push_back(t);
        engines_.push_back(std::move(e));
    }
}

Offloader::~Offloader() = default;

int Offloader::engineIndex(const std::string& name) const {
    for (std::size_t i = 0; i < engines_.size(); ++i) {
        if (engines_[i]->spec->name() == name) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

bool Offloader::planTask(const Engine& e, const workloads::Kernel& kernel, const std::string& dtype,
                         int slot, EngineTask& task) const {
    task.engine = e.index;
    task.plan = e.model->plan(kernel, dtype);
    if (task.plan.status == Status::Unsupported) {
        return false;
    }
    if (kernel.weightBytes > 0) {
        task.weightRoute = e.weightRoute;
    }
    task.inputRoute = e.inputRoute;
    task.outputRoute = e.outputRoute;
    const int channels = program_
                             .dmas[static_cast<std::size_t>(
                                 program_.engines[static_cast<std::size_t>(task.engine)].dma)]
                             .channels;
    task.loadChannel = (2 * slot) % channels;
    task.storeChannel = (2 * slot + 1) % channels;
    return true;
}

bool Offloader::offload(const workloads::Kernel& kernel, const std::string& dtype,
                        const LayerChoice& choice, KernelJob& job, std::string& why) const {
    const int a = engineIndex(choice.engine);
    const int b = choice.isSplit() ? engineIndex(choice.splitEngine) : -1;
    const auto reason = [&](int e) {
        return engines_[static_cast<std::size_t>(e)]->model->unsupportedReason(kernel, dtype);
    };
    std::string whyA = a >= 0 ? reason(a) : "not an engine";
    std::string whyB = b >= 0 ? reason(b) : "";
    job.tasks.clear();
    if (a >= 0 && b >= 0 && whyA.empty() && whyB.empty()) {
        const auto& ea = *engines_[static_cast<std::size_t>(a)];
        const auto& eb = *engines_[static_cast<std::size_t>(b)];
        const int64_t total = kernel.loops.outputChannels();
        const int64_t gran = std::max(ea.model->channelGranularity(), int64_t{1});
        auto channelsA = static_cast<int64_t>(
            std::llround(static_cast<double>(total) * choice.fraction / static_cast<double>(gran)) *
            gran);
        channelsA = std::clamp<int64_t>(channelsA, 0, total);
        if (channelsA > 0 && channelsA < total) {
            EngineTask ta;
            EngineTask tb;
            planTask(ea, shareOfChannels(kernel, channelsA), dtype, 0, ta);
            planTask(eb, shareOfChannels(kernel, total - channelsA), dtype, 1, tb);
            job.tasks.push_back(std::move(ta));
            job.tasks.push_back(std::move(tb));
            job.engineLabel = ea.spec->name() + "+" + eb.spec->name();
        } else {
            EngineTask t;
            planTask(channelsA > 0 ? ea : eb, kernel, dtype, 0, t);
            job.tasks.push_back(std::move(t));
            job.engineLabel = (channelsA > 0 ? ea : eb).spec->name();
        }
    } else if (a >= 0 && whyA.empty()) {
        EngineTask t;
        planTask(*engines_[static_cast<std::size_t>(a)], kernel, dtype, 0, t);
        job.tasks.push_back(std::move(t));
        job.engineLabel = choice.engine;
    } else if (b >= 0 && whyB.empty()) {
        EngineTask t;
        planTask(*engines_[static_cast<std::size_t>(b)], kernel, dtype, 0, t);
        job.tasks.push_back(std::move(t));
        job.engineLabel = choice.splitEngine;
    } else {
        why = whyA.empty() ? whyB : whyA;
        return false;
    }
    double launch = 0;
    for (const auto& t : job.tasks) {
        launch += engines_[static_cast<std::size_t>(t.engine)]->spec->launch_cycles();
    }
    job.computeCycles = toCount(launch, "engine launch cycles");
    job.macs = kernel.macs;
    job.tiles = 0;
    for (const auto& t : job.tasks) {
        job.tiles += static_cast<int>(t.plan.tiles.size());
    }
    return true;
}

} // namespace edgesim::sim
