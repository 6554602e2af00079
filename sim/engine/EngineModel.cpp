#include "sim/engine/EngineModel.h"

#include "common/Checked.h"
#include "platforms/PlatformCatalog.h"
#include "sim/engine/Tiling.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace edgesim::sim {

namespace {

std::map<platforms::spec::EngineKind, EngineFactory>& registry() {
    static std::map<platforms::spec::EngineKind, EngineFactory> r;
    return r;
}

int64_t scaled(int64_t value, int64_t part, int64_t whole) {
    return whole > 0 ? (value * part + whole - 1) / whole : 0;
}

} // namespace

bool registerEngineModel(platforms::spec::EngineKind kind, EngineFactory factory) {
    registry()[kind] = std::move(factory);
    return true;
}

std::unique_ptr<EngineModel> makeEngineModel(const EngineContext& context) {
    const auto it = registry().find(context.engine.kind());
    if (it == registry().end()) {
        throw std::invalid_argument("no engine model registered for kind " +
                                    platforms::spec::EngineKind_Name(context.engine.kind()));
    }
    return it->second(context);
}

bool isPerChannel(const workloads::Kernel& kernel) {
    return kernel.macs == 0 || (kernel.loops.c == 1 && kernel.loops.g > 1);
}

workloads::Kernel shareOfChannels(const workloads::Kernel& kernel, int64_t channels) {
    const int64_t total = kernel.loops.outputChannels();
    workloads::Kernel k = kernel;
    if (channels >= total || total <= 0) {
        return k;
    }
    const bool perChannel = isPerChannel(kernel);
    if (perChannel) {
        k.loops.g = channels / std::max<int64_t>(1, kernel.loops.k);
        k.inputElements = scaled(kernel.inputElements, channels, total);
        k.inputBytes = scaled(kernel.inputBytes, channels, total);
    } else {
        k.loops.k = channels / std::max<int64_t>(1, kernel.loops.g);
    }
    k.macs = scaled(kernel.macs, channels, total);
    k.weightBytes = scaled(kernel.weightBytes, channels, total);
    k.outputElements = scaled(kernel.outputElements, channels, total);
    k.outputBytes = scaled(kernel.outputBytes, channels, total);
    k.windowTaps = scaled(kernel.windowTaps, channels, total);
    k.im2colElements =
        perChannel ? scaled(kernel.im2colElements, channels, total) : kernel.im2colElements;
    k.im2colPositions =
        perChannel ? scaled(kernel.im2colPositions, channels, total) : kernel.im2colPositions;
    return k;
}

TilingProblem tilingProblemFor(const workloads::Kernel& kernel, const EngineContext& context,
                               int64_t channelGranularity) {
    TilingProblem p;
    p.loops = kernel.loops;
    p.perChannel = isPerChannel(kernel);
    const int64_t inPerChannel = kernel.loops.iy * kernel.loops.ix * kernel.loops.g;
    p.inputsPerChannel = p.perChannel && inPerChannel > 0
                             ? std::max<int64_t>(1, kernel.inputElements / inPerChannel)
                             : 1;
    p.weightBytes = kernel.weightBytes;
    p.inputElementBytes = kernel.inputElements > 0
                              ? std::max<int64_t>(1, kernel.inputBytes / kernel.inputElements)
                              : 1;
    p.outputElementBytes = kernel.outputElements > 0
                               ? std::max<int64_t>(1, kernel.outputBytes / kernel.outputElements)
                               : 1;
    p.capacityBytes = context.localCapacityBytes;
    p.buffers = context.buffers;
    p.channelGranularity = channelGranularity;
    return p;
}

const platforms::spec::KernelSpec* findKernel(const EngineContext& context,
                                              const workloads::Kernel& kernel,
                                              const std::string& dtype) {
    return context.kernels.find(kernel, dtype, context.engine.name());
}

std::string missingSupport(const EngineContext& context,
                           const google::protobuf::RepeatedPtrField<std::string>* ops,
                           const workloads::Kernel& kernel, const std::string& dtype) {
    const std::string op = kernel.opName();
    if (ops != nullptr && std::find(ops->begin(), ops->end(), op) == ops->end()) {
        return fmt::format("engine '{}' does not support {}", context.engine.name(), op);
    }
    if (findKernel(context, kernel, dtype) == nullptr) {
        return fmt::format(
            "stack '{}' has no {} kernel on {} for engine '{}'", context.stack.name(), op,
            platforms::kernelTypeText(dtype, kernel.weightBytes > 0), context.engine.name());
    }
    return "";
}

TileWork tileWork(const TileDims& t, double cycles) {
    TileWork w;
    w.computeCycles = toCount(cycles, "a tile's cycle count");
    w.weightBytes = t.weightBytes;
    w.inputBytes = t.inputBytes;
    w.outputBytes = t.outputBytes;
    w.footprintBytes = t.footprintBytes;
    return w;
}

EnginePlan failedPlan(Status status, std::string reason) {
    EnginePlan plan;
    plan.status = status;
    plan.reason = std::move(reason);
    return plan;
}

EnginePlan noTilePlan(const EngineContext& context, const workloads::Kernel& kernel,
                      const Tiling& tiling) {
    if (tiling.tooManyTiles) {
        return failedPlan(Status::DoesNotFit,
                          fmt::format("layer '{}' needs more than 65536 tiles of the {} "
                                      "bytes of '{}', more than the simulator lists per layer",
                                      kernel.name, context.localCapacityBytes,
                                      context.engine.local_memory()));
    }
    return failedPlan(Status::DoesNotFit,
                      fmt::format("layer '{}' has no tile that fits the {} bytes of '{}'",
                                  kernel.name, context.localCapacityBytes,
                                  context.engine.local_memory()));
}

double switchedEnergyJ(double capacitancePf, double volts) {
    constexpr double kPico = 1e-12;
    return capacitancePf * volts * volts * kPico;
}

} // namespace edgesim::sim
