// Cost models of the compute engines besides the host cores (PULP clusters, MAC-array NPUs,
// analog in-memory-compute crossbars): each turns one layer, or its share of output channels,
// into tiles that fit the engine's local memory, with the cycles each tile computes for and
// the bytes its DMA must bring in and take out. The TLM model runs the tiles (overlap and
// contention come from the simulation); the analytical evaluator sums them in closed form.
#pragma once

#include "platforms/spec/platform.pb.h"
#include "platforms/spec/stack.pb.h"
#include "sim/engine/Tiling.h"
#include "sim/model/Program.h"
#include "workloads/schedule/Schedule.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::sim {

/// What an engine model needs besides the layer: its spec, the stack's kernels for it, and
/// the operating point. References must outlive the model.
struct EngineContext {
    const platforms::spec::EngineSpec& engine;
    const platforms::spec::StackSpec& stack;
    const StackIndex& kernels;
    double clockHz = 0;
    double voltageV = 0;
    int64_t localCapacityBytes = 0; ///< local memory available to tiles
    int buffers = 2;                ///< per operand: 2 = double buffering
};

/// Contract: deterministic and side-effect free; never throws for a layer it cannot run
/// (the plan's status says so); tiles respect `localCapacityBytes` exactly (every tile's
/// footprint times the buffer count fits).
class EngineModel {
public:
    virtual ~EngineModel() = default;
    /// Why the engine cannot run `kernel` ("" = it can).
    virtual std::string unsupportedReason(const workloads::Kernel& kernel,
                                          const std::string& dtype) const = 0;
    /// Tiles for `kernel`, which may be a channel share of a layer (workloads::Kernel with
    /// fewer output channels, see shareOfChannels).
    virtual EnginePlan plan(const workloads::Kernel& kernel, const std::string& dtype) const = 0;
    /// MAC-array granularity along output channels (split fractions round to it).
    virtual int64_t channelGranularity() const { return 1; }
};

using EngineFactory = std::function<std::unique_ptr<EngineModel>(const EngineContext&)>;

/// Registers a factory for an engine kind (one per impl/ file, at static initialisation).
bool registerEngineModel(platforms::spec::EngineKind kind, EngineFactory factory);
/// The model for `context.engine.kind()`; std::invalid_argument when none is registered.
std::unique_ptr<EngineModel> makeEngineModel(const EngineContext& context);

/// The part of `kernel` computing `channels` of its output channels (G x K): MACs, weights
/// and outputs scale with the share; per-channel ops (depthwise, pooling) also read only
/// their channels' inputs.
workloads::Kernel shareOfChannels(const workloads::Kernel& kernel, int64_t channels);

} // namespace edgesim::sim

namespace edgesim::sim {

/// The tiling problem of `kernel` on an engine with `context`'s local memory.
TilingProblem tilingProblemFor(const workloads::Kernel& kernel, const EngineContext& context,
                               int64_t channelGranularity);
/// True for ops computing each output channel from its own input channel only.
bool isPerChannel(const workloads::Kernel& kernel);
/// The stack's kernel for `kernel` on engine `engine` (null if none).
const platforms::spec::KernelSpec*
findKernel(const EngineContext& context, const workloads::Kernel& kernel, const std::string& dtype);
/// Why the engine of `context` cannot run `kernel`: the op is missing from `ops` (the
/// hardware's list; null = any op) or the stack has no kernel for it on this engine; "" if it can.
std::string missingSupport(const EngineContext& context,
                           const google::protobuf::RepeatedPtrField<std::string>* ops,
                           const workloads::Kernel& kernel, const std::string& dtype);
/// The work of tile `t` of a tiling, computing for `cycles` (rounded to whole cycles).
TileWork tileWork(const TileDims& t, double cycles);
/// A plan that failed with `status` for `reason`.
EnginePlan failedPlan(Status status, std::string reason);
/// The plan for a layer none of whose tiles fits the engine's local memory.
EnginePlan noTilePlan(const EngineContext& context, const workloads::Kernel& kernel,
                      const Tiling& tiling);

/// Energy of `capacitancePf` switched once at `volts` (E = C V^2), in joules.
double switchedEnergyJ(double capacitancePf, double volts);

} // namespace edgesim::sim
