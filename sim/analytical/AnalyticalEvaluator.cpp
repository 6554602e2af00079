#include "sim/analytical/AnalyticalEvaluator.h"

#include "sim/model/Spans.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace edgesim::sim {

const char* toString(Fidelity f) {
    return f == Fidelity::Tlm ? "tlm" : "analytical";
}

SimResult makeResult(const Program& program, Fidelity fidelity) {
    SimResult r;
    r.status = program.status;
    r.reason = program.reason;
    r.fidelity = fidelity;
    r.operatingPoint = program.operatingPoint;
    r.peakRamBytes = program.peakRamBytes;
    r.flashBytes = program.flashBytes;
    r.weightBytes = program.weightBytes;
    r.macs = program.macs;
    r.streamedWeightBytes = program.streamedWeightBytes;
    const std::size_t n = program.memories.size();
    for (const auto& m : program.memories) {
        r.memories.push_back(m.name);
        r.memoryKinds.push_back(m.kind);
    }
    r.bytesRead.assign(n, 0);
    r.bytesWritten.assign(n, 0);
    if (program.status != Status::Ok) {
        return r;
    }
    r.layers.reserve(program.kernels.size());
    for (const auto& job : program.kernels) {
        LayerResult l;
        l.name = job.name;
        l.op = job.op;
        l.engine = job.engineLabel;
        l.fallback = job.fallback;
        l.macs = job.macs;
        l.tiles = job.tiles;
        l.computeCycles = job.computeCycles;
        l.bytesRead.assign(n, 0);
        l.bytesWritten.assign(n, 0);
        l.dmaBytes.assign(n, 0);
        l.engineBusyCycles.assign(program.engines.size(), 0);
        for (const auto& a : job.accesses) {
            auto& slot = a.write ? l.bytesWritten : l.bytesRead;
            slot[static_cast<std::size_t>(a.memory)] += a.bytes;
        }
        const auto moved = [&](const std::vector<Hop>& route, int64_t bytes) {
            for (const Hop& h : route) {
                l.bytesRead[static_cast<std::size_t>(h.from)] += bytes;
                l.bytesWritten[static_cast<std::size_t>(h.to)] += bytes;
                l.dmaBytes[static_cast<std::size_t>(h.from)] += bytes;
                l.dmaBytes[static_cast<std::size_t>(h.to)] += bytes;
            }
        };
        moved(job.fetch.route, job.fetch.bytes);
        for (const auto& task : job.tasks) {
            for (const TileWork& t : task.plan.tiles) {
                moved(task.weightRoute, t.weightBytes);
                moved(task.inputRoute, t.inputBytes);
                moved(task.outputRoute, t.outputBytes);
                l.engineBusyCycles[static_cast<std::size_t>(task.engine)] += t.computeCycles;
            }
        }
        for (std::size_t m = 0; m < n; ++m) {
            r.bytesRead[m] += l.bytesRead[m];
            r.bytesWritten[m] += l.bytesWritten[m];
        }
        r.layers.push_back(std::move(l));
    }
    return r;
}

uint64_t PortClock::runTile(const Program& program, const KernelJob& job, int tile,
                            uint64_t start) {
    // The same arithmetic as the TLM bus (first come, first served on busy-until ports) for
    // a single initiator that issues a tile's streamed transfers at the tile start and its
    // blocking ones after the stream.
    uint64_t end = start + KernelJob::share(job.computeCycles, job.tiles, tile);
    const auto book = [&](const Access& a, int64_t bytes, uint64_t at) {
        const MemoryTiming& mem = program.memories[static_cast<std::size_t>(a.memory)];
        const BusTiming& bus = program.buses[static_cast<std::size_t>(mem.bus)];
        const std::size_t port = bus.shared
                                     ? program.memories.size() + static_cast<std::size_t>(mem.bus)
                                     : static_cast<std::size_t>(a.memory);
        if (busyUntil_.size() <= port) {
            busyUntil_.resize(port + 1, 0);
        }
        const uint64_t begin = std::max(at, busyUntil_[port]);
        busyUntil_[port] = begin + bus.transferCycles(bytes, mem.serviceCycles(bytes, a.write));
        return busyUntil_[port];
    };
    for (const auto& a : job.accesses) {
        const auto bytes =
            static_cast<int64_t>(KernelJob::share(static_cast<uint64_t>(a.bytes), job.tiles, tile));
        if (bytes > 0 && streamsUnderCompute(program.memories, a)) {
            end = std::max(end, book(a, bytes, start));
        }
    }
    for (const auto& a : job.accesses) {
        const MemoryTiming& mem = program.memories[static_cast<std::size_t>(a.memory)];
        const auto bytes =
            static_cast<int64_t>(KernelJob::share(static_cast<uint64_t>(a.bytes), job.tiles, tile));
        if (bytes > 0 && !streamsUnderCompute(program.memories, a)) {
            end = book(a, bytes, end) - mem.lines(bytes);
        }
    }
    return end;
}

TaskTiming evaluateTask(const Program& program, const EngineTask& task, uint64_t start) {
    // The TLM engine's schedule without contention: loads on one channel, stores on another
    // (the same one when the DMA has a single channel), compute in between; with double
    // buffering the next load starts when the current one ends and a tile waits for the
    // store of the tile two before it.
    const auto routeCycles = [&](const std::vector<Hop>& route, int64_t bytes) {
        uint64_t c = 0;
        for (const Hop& h : route) {
            c += bytes > 0 ? hopCycles(program, h, bytes) : 0;
        }
        return c;
    };
    const auto& tiles = task.plan.tiles;
    const bool pipelined = program.buffers >= 2;
    const bool oneChannel = task.loadChannel == task.storeChannel;
    std::vector<Span> dma;
    std::vector<Span> compute;
    uint64_t loadFree = start;
    uint64_t storeFree = start;
    uint64_t prevStoreEnd = start;  // store of tile i-1
    uint64_t prev2StoreEnd = start; // store of tile i-2
    uint64_t loadEnd = 0;
    uint64_t end = start;
    const auto load = [&](std::size_t i, uint64_t at) {
        const uint64_t c = routeCycles(task.weightRoute, tiles[i].weightBytes) +
                           routeCycles(task.inputRoute, tiles[i].inputBytes);
        uint64_t& free = oneChannel ? storeFree : loadFree;
        const uint64_t b = std::max(at, free);
        free = b + c;
        if (c > 0) {
            dma.emplace_back(b, b + c);
        }
        return b + c;
    };
    if (!tiles.empty()) {
        loadEnd = load(0, start);
    }
    uint64_t computeFree = start; // the engine computes one tile at a time
    for (std::size_t i = 0; i < tiles.size(); ++i) {
        uint64_t computeStart = std::max(loadEnd, computeFree);
        uint64_t nextLoadEnd = 0;
        if (pipelined) {
            if (i + 1 < tiles.size()) {
                // Tile i+1's buffer frees when tile i-1 has computed (the TLM engine issues
                // the load when tile i's data has arrived, after tile i-1's compute).
                nextLoadEnd = load(i + 1, std::max(loadEnd, computeFree));
            }
            computeStart = std::max(computeStart, prev2StoreEnd);
        }
        const uint64_t computeEnd = computeStart + tiles[i].computeCycles;
        computeFree = computeEnd;
        compute.emplace_back(computeStart, computeEnd);
        const uint64_t sc = routeCycles(task.outputRoute, tiles[i].outputBytes);
        const uint64_t sb = std::max(computeEnd, storeFree);
        const uint64_t storeEnd = sc > 0 ? sb + sc : computeEnd;
        if (sc > 0) {
            storeFree = storeEnd;
            dma.emplace_back(sb, storeEnd);
        }
        prev2StoreEnd = prevStoreEnd;
        prevStoreEnd = std::max(prevStoreEnd, storeEnd);
        end = std::max({end, computeEnd, prevStoreEnd});
        if (!pipelined && i + 1 < tiles.size()) {
            nextLoadEnd = load(i + 1, end);
        }
        loadEnd = nextLoadEnd;
    }
    TaskTiming t;
    t.endCycle = end;
    std::tie(t.dmaCycles, t.hiddenCycles) = coverage(dma, compute);
    return t;
}

void evaluateAnalytical(const Program& program, SimResult& result) {
    if (program.status != Status::Ok) {
        return;
    }
    uint64_t now = 0;
    PortClock ports;
    // Streamed weights (per layer): each copy is issued when the kernel freeing its slot ends
    // and queues behind the copies before it on the stream's DMA channel.
    const std::size_t n = program.kernels.size();
    const bool streaming = program.streamedWeightBytes > 0;
    std::vector<Span> fetches(streaming ? n : 0);
    // The fetches each kernel's end issues ([0]: those issued at the start), in kernel order:
    // found once, not by a scan of every kernel per kernel (quadratic in a batch's kernels).
    std::vector<std::vector<std::size_t>> issuedAfter(streaming ? n + 1 : 0);
    for (std::size_t j = 0; streaming && j < n; ++j) {
        const WeightFetch& f = program.kernels[j].fetch;
        if (f.bytes > 0 && f.issueAfter >= -1 && f.issueAfter < static_cast<int>(n)) {
            issuedAfter[static_cast<std::size_t>(f.issueAfter + 1)].push_back(j);
        }
    }
    uint64_t streamFree = 0;
    const auto issueFetches = [&](int after) {
        for (const std::size_t j : issuedAfter[static_cast<std::size_t>(after + 1)]) {
            const WeightFetch& f = program.kernels[j].fetch;
            {
                uint64_t cycles = 0;
                for (const Hop& h : f.route) {
                    cycles += hopCycles(program, h, f.bytes);
                }
                const uint64_t begin = std::max(now, streamFree);
                streamFree = begin + cycles;
                fetches[j] = {begin, streamFree};
            }
        }
    };
    for (std::size_t k = 0; k < n; ++k) {
        const KernelJob& job = program.kernels[k];
        LayerResult& layer = result.layers[k];
        layer.startCycle = now;
        if (streaming) {
            issueFetches(static_cast<int>(k) - 1);
            if (job.fetch.bytes > 0) {
                const auto [begin, end] = fetches[k];
                layer.stallCycles = end > now ? end - now : 0;
                layer.dmaCycles += end - begin;
                layer.hiddenCycles += std::min(end, now) > begin ? std::min(end, now) - begin : 0;
                now += layer.stallCycles;
            }
        }
        if (!job.tasks.empty()) {
            const uint64_t launched = now + job.computeCycles;
            uint64_t end = launched;
            for (const auto& task : job.tasks) {
                const TaskTiming t = evaluateTask(program, task, launched);
                end = std::max(end, t.endCycle);
                layer.dmaCycles += t.dmaCycles;
                layer.hiddenCycles += t.hiddenCycles;
            }
            now = end;
        } else {
            for (int t = 0; t < job.tiles; ++t) {
                now = ports.runTile(program, job, t, now);
            }
        }
        layer.endCycle = now;
    }
    result.latencyCycles = now;
    result.latencyS = static_cast<double>(now) / program.operatingPoint.clockHz;
}

} // namespace edgesim::sim
