#include "sim/tlm/CoreEngine.h"

#include "sim/tlm/Burst.h"

#include <algorithm>

namespace edgesim::sim {

CoreEngine::CoreEngine(const sc_core::sc_module_name& name)
    : sc_core::sc_module(name), socket("socket") {
    SC_HAS_PROCESS(CoreEngine);
    SC_THREAD(run);
}

void CoreEngine::start(const Program& program, std::vector<LayerResult>& layers,
                       SimObserver* observer) {
    program_ = &program;
    layers_ = &layers;
    observer_ = observer;
    streaming_ = program.streamedWeightBytes > 0;
    if (streaming_) {
        fetchSpans_.assign(program.kernels.size(), {0, 0});
        fetchDone_.assign(program.kernels.size(), 0);
    }
    startEvent_.notify(sc_core::SC_ZERO_TIME);
}

void CoreEngine::fetchHop(std::size_t kernel, std::size_t hop) {
    const KernelJob& job = program_->kernels[kernel];
    const Hop& h = job.fetch.route[hop];
    DmaEngine& dma = *dmas_.at(static_cast<std::size_t>(h.dma));
    DmaTransfer t;
    t.source = h.from;
    t.destination = h.to;
    t.bytes = job.fetch.bytes;
    t.label = job.name + " (weights)";
    t.writeAfterRead = h.from == program_->weightsStreamMemory;
    t.onDone = [this, kernel, hop](uint64_t begin, uint64_t end) {
        auto& span = fetchSpans_[kernel];
        span.first = hop == 0 ? begin : span.first;
        if (hop + 1 < program_->kernels[kernel].fetch.route.size()) {
            fetchHop(kernel, hop + 1); // the next DMA of the chain
            return;
        }
        span.second = end;
        fetchDone_[kernel] = 1;
        fetchArrived_.notify(sc_core::SC_ZERO_TIME);
    };
    dma.enqueue(job.fetch.channel % dma.channels(), t);
}

void CoreEngine::issueFetches(int after) {
    for (std::size_t j = 0; j < program_->kernels.size(); ++j) {
        const WeightFetch& f = program_->kernels[j].fetch;
        if (f.bytes > 0 && f.issueAfter == after) {
            fetchHop(j, 0);
        }
    }
}

void CoreEngine::awaitFetch(std::size_t k, uint64_t kernelStart, LayerResult& layer) {
    while (fetchDone_[k] == 0) {
        wait(fetchArrived_);
    }
    const auto [begin, end] = fetchSpans_[k];
    layer.stallCycles = timeToCycles(sc_core::sc_time_stamp()) - kernelStart;
    layer.dmaCycles += end - begin;
    layer.hiddenCycles +=
        std::min(end, kernelStart) > begin ? std::min(end, kernelStart) - begin : 0;
}

uint64_t CoreEngine::transfer(int memory, int64_t bytes, bool write, uint64_t at) {
    return issueBurst(*socket.operator->(), payload_, memory, bytes, write, at, name());
}

void CoreEngine::runOffloaded(const KernelJob& job, LayerResult& layer) {
    wait(cyclesToTime(job.computeCycles)); // the driver's launch work
    const std::size_t n = job.tasks.size();
    while (taskDone_.size() < n) {
        taskDone_.push_back(std::make_unique<sc_core::sc_event>());
    }
    taskStats_.assign(n, TaskStats{});
    sc_core::sc_event_and_list all;
    for (std::size_t t = 0; t < n; ++t) {
        const EngineTask& task = job.tasks[t];
        engines_.at(static_cast<std::size_t>(task.engine))
            ->start(*program_, task, job.name, taskStats_[t], *taskDone_[t]);
        all &= *taskDone_[t];
    }
    wait(all);
    // Busy cycles per engine are the plan's (makeResult); overlap is what the run achieved.
    for (std::size_t t = 0; t < n; ++t) {
        layer.dmaCycles += taskStats_[t].dmaCycles;
        layer.hiddenCycles += taskStats_[t].hiddenCycles;
    }
}

void CoreEngine::run() {
    for (;;) {
        wait(startEvent_);
        const Program& prog = *program_;
        startCycle_ = timeToCycles(sc_core::sc_time_stamp());
        for (std::size_t k = 0; k < prog.kernels.size(); ++k) {
            const KernelJob& job = prog.kernels[k];
            const uint64_t kernelStart = timeToCycles(sc_core::sc_time_stamp());
            LayerResult& layer = (*layers_)[k];
            if (streaming_) {
                issueFetches(static_cast<int>(k) - 1);
                if (job.fetch.bytes > 0) {
                    awaitFetch(k, kernelStart, layer);
                }
            }
            const uint64_t ready = kernelStart + layer.stallCycles;
            if (!job.tasks.empty()) {
                runOffloaded(job, layer);
                const uint64_t kernelEnd = timeToCycles(sc_core::sc_time_stamp());
                layer.startCycle = kernelStart - startCycle_;
                layer.endCycle = kernelEnd - startCycle_;
                if (observer_ != nullptr) {
                    observer_->onSpan(basename(), job.name + " (launch)", ready,
                                      ready + job.computeCycles, 0);
                }
                continue;
            }
            uint64_t local = 0; // cycles ahead of SystemC time (temporal decoupling)
            for (int t = 0; t < job.tiles; ++t) {
                uint64_t end = local + KernelJob::share(job.computeCycles, job.tiles, t);
                for (const auto& a : job.accesses) {
                    const auto bytes = static_cast<int64_t>(
                        KernelJob::share(static_cast<uint64_t>(a.bytes), job.tiles, t));
                    if (bytes > 0 && streamsUnderCompute(prog.memories, a)) {
                        end = std::max(end, transfer(a.memory, bytes, a.write, local));
                    }
                }
                for (const auto& a : job.accesses) {
                    const auto& mem = prog.memories[static_cast<std::size_t>(a.memory)];
                    const auto bytes = static_cast<int64_t>(
                        KernelJob::share(static_cast<uint64_t>(a.bytes), job.tiles, t));
                    if (bytes > 0 && !streamsUnderCompute(prog.memories, a)) {
                        end = transfer(a.memory, bytes, a.write, end) - mem.lines(bytes);
                    }
                }
                local = end;
            }
            wait(cyclesToTime(local));
            const uint64_t kernelEnd = ready + local;
            layer.startCycle = kernelStart - startCycle_;
            layer.endCycle = kernelEnd - startCycle_;
            if (observer_ != nullptr) {
                observer_->onSpan(basename(), job.name, ready, kernelEnd, 0);
            }
        }
        endCycle_ = timeToCycles(sc_core::sc_time_stamp());
        program_ = nullptr;
    }
}

} // namespace edgesim::sim
