#include "sim/analytical/AnalyticalEvaluator.h"

#include <algorithm>
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
    r.macs = program.macs;
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
        l.macs = job.macs;
        l.tiles = job.tiles;
        l.computeCycles = job.computeCycles;
        l.bytesRead.assign(n, 0);
        l.bytesWritten.assign(n, 0);
        for (const auto& a : job.accesses) {
            auto& slot = a.write ? l.bytesWritten : l.bytesRead;
            slot[static_cast<std::size_t>(a.memory)] += a.bytes;
            (a.write ? r.bytesWritten : r.bytesRead)[static_cast<std::size_t>(a.memory)] +=
                a.bytes;
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
        const std::size_t port = bus.shared ? program.memories.size() + static_cast<std::size_t>(mem.bus)
                                            : static_cast<std::size_t>(a.memory);
        if (busyUntil_.size() <= port) {
            busyUntil_.resize(port + 1, 0);
        }
        const uint64_t begin = std::max(at, busyUntil_[port]);
        busyUntil_[port] = begin + bus.transferCycles(bytes, mem.serviceCycles(bytes, a.write));
        return busyUntil_[port];
    };
    for (const auto& a : job.accesses) {
        const auto bytes = static_cast<int64_t>(
            KernelJob::share(static_cast<uint64_t>(a.bytes), job.tiles, tile));
        if (bytes > 0 && program.memories[static_cast<std::size_t>(a.memory)].overlapsCompute) {
            end = std::max(end, book(a, bytes, start));
        }
    }
    for (const auto& a : job.accesses) {
        const MemoryTiming& mem = program.memories[static_cast<std::size_t>(a.memory)];
        const auto bytes = static_cast<int64_t>(
            KernelJob::share(static_cast<uint64_t>(a.bytes), job.tiles, tile));
        if (bytes > 0 && !mem.overlapsCompute) {
            end = book(a, bytes, end) - mem.lines(bytes);
        }
    }
    return end;
}

void evaluateAnalytical(const Program& program, SimResult& result) {
    if (program.status != Status::Ok) {
        return;
    }
    uint64_t now = 0;
    PortClock ports;
    for (std::size_t k = 0; k < program.kernels.size(); ++k) {
        const KernelJob& job = program.kernels[k];
        LayerResult& layer = result.layers[k];
        layer.startCycle = now;
        for (int t = 0; t < job.tiles; ++t) {
            now = ports.runTile(program, job, t, now);
        }
        layer.endCycle = now;
    }
    result.latencyCycles = now;
    result.latencyS = static_cast<double>(now) / program.operatingPoint.clockHz;
}

} // namespace edgesim::sim
