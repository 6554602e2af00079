#include "workloads/graph/MemoryPlanner.h"

#include <algorithm>
#include <numeric>

namespace edgesim::workloads {

namespace {
bool isView(OpKind op, const MemoryPlannerOptions& o) {
    return o.inPlaceReshape && (op == OpKind::Flatten || op == OpKind::Reshape);
}
} // namespace

std::vector<int64_t> liveBytesPerStep(const std::vector<BufferLifetime>& buffers, int steps) {
    // Each buffer adds its size over its lifetime (a difference array, so the cost is linear
    // in buffers + steps, not in the sum of lifetimes).
    std::vector<int64_t> live(static_cast<std::size_t>(std::max(0, steps)), 0);
    std::vector<int64_t> delta(live.size() + 1, 0);
    for (const auto& b : buffers) {
        delta[static_cast<std::size_t>(b.firstStep)] += b.bytes;
        delta[static_cast<std::size_t>(b.lastStep) + 1] -= b.bytes;
    }
    int64_t sum = 0;
    for (std::size_t s = 0; s < live.size(); ++s) {
        sum += delta[s];
        live[s] = sum;
    }
    return live;
}

std::vector<int64_t> placeGreedy(const std::vector<BufferLifetime>& buffers, int steps,
                                 int64_t& arenaBytes) {
    arenaBytes = 0;
    std::vector<int64_t> offsets(buffers.size(), 0);
    std::vector<std::size_t> bySize(buffers.size());
    std::iota(bySize.begin(), bySize.end(), 0);
    std::stable_sort(bySize.begin(), bySize.end(), [&](std::size_t a, std::size_t b) {
        const auto& x = buffers[a];
        const auto& y = buffers[b];
        if (x.bytes != y.bytes) {
            return x.bytes > y.bytes;
        }
        return x.firstStep < y.firstStep;
    });
    // Placed buffers live at each step, so that a buffer meets only the buffers whose lifetimes
    // overlap its own (a chain of n layers costs O(n), not O(n^2)).
    std::vector<std::vector<std::size_t>> placedAt(static_cast<std::size_t>(std::max(0, steps)));
    std::vector<std::size_t> seen(buffers.size(), buffers.size());
    for (std::size_t i : bySize) {
        const auto& buf = buffers[i];
        std::vector<std::pair<int64_t, int64_t>> busy; // [offset, end) of overlapping buffers
        for (int s = buf.firstStep; s <= buf.lastStep; ++s) {
            for (std::size_t j : placedAt[static_cast<std::size_t>(s)]) {
                if (seen[j] != i) {
                    seen[j] = i;
                    busy.emplace_back(offsets[j], offsets[j] + buffers[j].bytes);
                }
            }
        }
        std::sort(busy.begin(), busy.end());
        int64_t candidate = 0;
        for (const auto& [start, end] : busy) {
            if (start - candidate >= buf.bytes) {
                break; // fits in the gap before this busy range
            }
            candidate = std::max(candidate, end);
        }
        offsets[i] = candidate;
        arenaBytes = std::max(arenaBytes, candidate + buf.bytes);
        for (int s = buf.firstStep; s <= buf.lastStep; ++s) {
            placedAt[static_cast<std::size_t>(s)].push_back(i);
        }
    }
    return offsets;
}

MemoryPlan planMemory(const Network& net, const MemoryPlannerOptions& options) {
    MemoryPlan plan;
    plan.order = net.executionOrder();
    const int steps = static_cast<int>(plan.order.size());
    std::vector<int> stepOf(net.size());
    for (int s = 0; s < steps; ++s) {
        stepOf[plan.order[static_cast<std::size_t>(s)]] = s;
    }

    // Buffers and lifetimes.
    plan.bufferOfLayer.assign(net.size(), -1);
    for (auto v : plan.order) {
        const Layer& l = net.layer(v);
        const auto ins = net.inputsOf(v);
        int b = -1;
        if (isView(l.op, options) && ins.size() == 1) {
            b = plan.bufferOfLayer[ins.front()];
            plan.buffers[static_cast<std::size_t>(b)].views.push_back(v);
        } else {
            b = static_cast<int>(plan.buffers.size());
            PlannedBuffer buf;
            buf.owner = v;
            buf.bytes = l.output.bytes();
            buf.firstStep = stepOf[v];
            buf.lastStep = stepOf[v];
            plan.buffers.push_back(buf);
        }
        plan.bufferOfLayer[v] = b;
        for (auto in : ins) {
            auto& src = plan.buffers[static_cast<std::size_t>(plan.bufferOfLayer[in])];
            src.lastStep = std::max(src.lastStep, stepOf[v]);
        }
    }
    for (auto v : net.graphOutputs()) {
        plan.buffers[static_cast<std::size_t>(plan.bufferOfLayer[v])].lastStep = steps - 1;
    }

    std::vector<BufferLifetime> lifetimes;
    for (const auto& b : plan.buffers) {
        plan.totalBytes += b.bytes;
        lifetimes.push_back({b.bytes, b.firstStep, b.lastStep});
    }
    plan.liveBytes = liveBytesPerStep(lifetimes, steps);
    plan.peakLiveBytes = plan.liveBytes.empty()
                             ? 0
                             : *std::max_element(plan.liveBytes.begin(), plan.liveBytes.end());
    const auto offsets = placeGreedy(lifetimes, steps, plan.arenaBytes);
    for (std::size_t i = 0; i < plan.buffers.size(); ++i) {
        plan.buffers[i].offset = offsets[i];
    }
    return plan;
}

} // namespace edgesim::workloads
