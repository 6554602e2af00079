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

uint64_t tileCycles(const Program& program, const KernelJob& job, int tile) {
    // Overlapped transfers accumulate per port; blocking ones add their stalls.
    std::vector<std::pair<int, uint64_t>> ports;
    uint64_t blocking = 0;
    for (const auto& a : job.accesses) {
        const auto bytes = static_cast<int64_t>(
            KernelJob::share(static_cast<uint64_t>(a.bytes), job.tiles, tile));
        if (bytes == 0) {
            continue;
        }
        const MemoryTiming& mem = program.memories[static_cast<std::size_t>(a.memory)];
        const BusTiming& bus = program.buses[static_cast<std::size_t>(mem.bus)];
        const uint64_t transfer = bus.transferCycles(bytes, mem.serviceCycles(bytes, a.write));
        if (!mem.overlapsCompute) {
            blocking += transfer - mem.lines(bytes);
            continue;
        }
        const int port = bus.shared ? -1 - mem.bus : a.memory;
        auto it = std::find_if(ports.begin(), ports.end(),
                               [port](const auto& p) { return p.first == port; });
        if (it == ports.end()) {
            ports.emplace_back(port, transfer);
        } else {
            it->second += transfer;
        }
    }
    uint64_t longest = KernelJob::share(job.computeCycles, job.tiles, tile);
    for (const auto& p : ports) {
        longest = std::max(longest, p.second);
    }
    return longest + blocking;
}

void evaluateAnalytical(const Program& program, SimResult& result) {
    if (program.status != Status::Ok) {
        return;
    }
    uint64_t now = 0;
    for (std::size_t k = 0; k < program.kernels.size(); ++k) {
        const KernelJob& job = program.kernels[k];
        LayerResult& layer = result.layers[k];
        layer.startCycle = now;
        for (int t = 0; t < job.tiles; ++t) {
            now += tileCycles(program, job, t);
        }
        layer.endCycle = now;
    }
    result.latencyCycles = now;
    result.latencyS = static_cast<double>(now) / program.operatingPoint.clockHz;
}

} // namespace edgesim::sim
