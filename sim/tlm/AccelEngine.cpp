#include "sim/tlm/AccelEngine.h"

#include "sim/model/Spans.h"
#include "sim/tlm/Time.h"

#include <array>

namespace edgesim::sim {

void AccelEngine::Completion::arrive() {
    --pending;
    event.notify(sc_core::SC_ZERO_TIME);
}

AccelEngine::AccelEngine(const sc_core::sc_module_name& name, std::vector<DmaEngine*> dmas)
    : sc_core::sc_module(name), dmas_(std::move(dmas)) {
    SC_HAS_PROCESS(AccelEngine);
    SC_THREAD(run);
}

void AccelEngine::start(const Program& program, const EngineTask& task, const std::string& layer,
                        TaskStats& stats, sc_core::sc_event& done) {
    program_ = &program;
    task_ = &task;
    layer_ = layer;
    stats_ = &stats;
    done_ = &done;
    startEvent_.notify(sc_core::SC_ZERO_TIME);
}

void AccelEngine::move(const std::vector<Hop>& route, std::size_t hop, int64_t bytes, int channel,
                       Completion& c) {
    const Hop& h = route[hop];
    DmaEngine& dma = *dmas_[static_cast<std::size_t>(h.dma)];
    DmaTransfer t;
    t.source = h.from;
    t.destination = h.to;
    t.bytes = bytes;
    t.label = layer_;
    t.writeAfterRead = h.from == program_->weightsStreamMemory;
    t.onDone = [this, &route, hop, bytes, channel, &c](uint64_t begin, uint64_t end) {
        dmaSpans_.emplace_back(begin, end);
        if (hop + 1 < route.size()) {
            // The next hop (another DMA, e.g. L2 -> L1 after L3 -> L2) on the same channel.
            move(route, hop + 1, bytes, channel, c);
        } else {
            c.arrive();
        }
    };
    dma.enqueue(channel % dma.channels(), t);
}

void AccelEngine::waitFor(Completion& c) {
    while (c.pending > 0) {
        wait(c.event);
    }
}

void AccelEngine::run() {
    for (;;) {
        wait(startEvent_);
        const Program& prog = *program_;
        const EngineTask& task = *task_;
        const auto& tiles = task.plan.tiles;
        const uint64_t begin = timeToCycles(sc_core::sc_time_stamp());
        dmaSpans_.clear();
        computeSpans_.clear();
        std::array<Completion, 2> loads;
        Completion stores;
        const auto load = [&](std::size_t i) {
            Completion& c = loads[i % 2];
            const TileWork& t = tiles[i];
            c.pending = 1;  // held until both transfers are queued
            if (t.weightBytes > 0 && !task.weightRoute.empty()) {
                ++c.pending;
                move(task.weightRoute, 0, t.weightBytes, task.loadChannel, c);
            }
            if (t.inputBytes > 0 && !task.inputRoute.empty()) {
                ++c.pending;
                move(task.inputRoute, 0, t.inputBytes, task.loadChannel, c);
            }
            c.arrive();
        };
        const auto store = [&](std::size_t i) {
            const TileWork& t = tiles[i];
            if (t.outputBytes > 0 && !task.outputRoute.empty()) {
                ++stores.pending;
                move(task.outputRoute, 0, t.outputBytes, task.storeChannel, stores);
            }
        };
        const bool pipelined = prog.buffers >= 2;
        uint64_t busy = 0;
        if (!tiles.empty()) {
            load(0);
        }
        for (std::size_t i = 0; i < tiles.size(); ++i) {
            waitFor(loads[i % 2]);
            if (pipelined) {
                if (i + 1 < tiles.size()) {
                    load(i + 1);
                }
                // Two output buffers: tile i may overwrite the one tile i-2 stored from.
                while (stores.pending > 1) {
                    wait(stores.event);
                }
            }
            const uint64_t c0 = timeToCycles(sc_core::sc_time_stamp());
            wait(cyclesToTime(tiles[i].computeCycles));
            const uint64_t c1 = c0 + tiles[i].computeCycles;
            computeSpans_.emplace_back(c0, c1);
            busy += tiles[i].computeCycles;
            if (observer_ != nullptr) {
                observer_->onSpan(basename(), layer_, c0, c1, 0);
            }
            store(i);
            if (!pipelined) {
                waitFor(stores);
                if (i + 1 < tiles.size()) {
                    load(i + 1);
                }
            }
        }
        waitFor(stores);
        const uint64_t end = timeToCycles(sc_core::sc_time_stamp());
        const auto [dma, hidden] = coverage(dmaSpans_, computeSpans_);
        *stats_ = TaskStats{begin, end, busy, dma, hidden};
        program_ = nullptr;
        done_->notify(sc_core::SC_ZERO_TIME);
    }
}

} // namespace edgesim::sim
