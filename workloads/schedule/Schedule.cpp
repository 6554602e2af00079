#include "workloads/schedule/Schedule.h"

#include <algorithm>

namespace edgesim::workloads {

namespace {

/// Positions of the sliding window (product of the kernel extents).
int64_t windowArea(const Layer& l) {
    int64_t area = 1;
    for (int64_t k : l.window.kernel) {
        area *= k;
    }
    return area;
}

void fillIm2col(const Layer& l, Kernel& k) {
    const bool conv = l.op == OpKind::Conv2d || l.op == OpKind::TemporalConv;
    if (!conv || l.inputShapes.empty() || windowArea(l) <= 1) {
        return;
    }
    const int64_t inChannels = l.inputShapes.front().back() / std::max<int64_t>(1, l.groups);
    const int64_t outPixels = l.output.elements() / std::max<int64_t>(1, l.output.shape.back());
    const int64_t patch = windowArea(l) * inChannels;
    k.im2colElements = outPixels * patch;
    k.im2colPatchElements = patch;
}

} // namespace

Schedule lowerInference(const Network& net, int batch) {
    Schedule s;
    s.network = net.name();
    s.batch = std::max(1, batch);
    const MemoryPlan plan = planMemory(net);
    s.arenaBytes = plan.arenaBytes;
    for (Network::LayerId id : plan.order) {
        const Layer& l = net.layer(id);
        if (l.op == OpKind::Input) {
            continue;
        }
        Kernel k;
        k.layer = id;
        k.name = l.name;
        k.op = l.op;
        k.activation = l.activation.kind;
        k.dtype = l.output.dtype;
        k.weightDtype = l.weightDtype;
        k.macs = l.stats.macs;
        k.weightBytes = l.stats.weightBytes;
        for (const auto& shape : l.inputShapes) {
            k.inputElements += numElements(shape);
        }
        k.inputBytes = l.stats.inputBytes;
        k.outputElements = l.output.elements();
        k.outputBytes = l.stats.outputBytes;
        fillIm2col(l, k);
        if (!l.window.kernel.empty()) {
            k.windowTaps = k.outputElements * windowArea(l);
        }
        s.macs += k.macs;
        s.weightBytes += k.weightBytes;
        s.kernels.push_back(std::move(k));
    }
    const std::size_t perSample = s.kernels.size();
    for (int b = 1; b < s.batch; ++b) {
        for (std::size_t i = 0; i < perSample; ++i) {
            Kernel k = s.kernels[i];
            k.name += "#" + std::to_string(b);
            s.macs += k.macs;
            s.kernels.push_back(std::move(k));
        }
    }
    if (s.batch > 1) {
        for (std::size_t i = 0; i < perSample; ++i) {
            s.kernels[i].name += "#0";
        }
    }
    return s;
}

} // namespace edgesim::workloads
