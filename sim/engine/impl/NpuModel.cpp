// MAC-array NPU: PEs unrolled spatially over loop dimensions (e.g. 16 OX x 16 K output
// stationary, or Ethos-U55's 2x2 OY/OX x 8 C x 8 K); a tile takes the product over loop
// dimensions of ceil(extent / unroll) cycles (so shapes that do not fill the array waste
// PEs), divided by the element type's throughput factor and the stack's achieved array
// efficiency, plus pipeline fill. Ops without MACs use the element-wise lanes. Local-buffer
// reads follow the dataflow: the stationary operand is read once per tile, the streamed
// ones once per MAC divided by their spatial reuse.
#include "sim/engine/EngineModel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace edgesim::sim {

namespace {

namespace ps = platforms::spec;

enum Dim { kK, kC, kOX, kOY, kFX, kFY, kG, kDims };

int dimIndex(ps::LoopDim d) {
    switch (d) {
    case ps::K: return kK;
    case ps::C: return kC;
    case ps::OX: return kOX;
    case ps::OY: return kOY;
    case ps::FX: return kFX;
    case ps::FY: return kFY;
    case ps::G: return kG;
    default: return -1;
    }
}

using Unroll = std::array<int64_t, kDims>;

Unroll unrollOf(const google::protobuf::RepeatedPtrField<ps::SpatialUnroll>& spec) {
    Unroll u;
    u.fill(1);
    for (const auto& d : spec) {
        const int i = dimIndex(d.dim());
        if (i >= 0) {
            u[static_cast<std::size_t>(i)] *= std::max(1, d.size());
        }
    }
    return u;
}

/// One configuration of the array: its unroll and the cycles a step of it takes.
struct ArrayMode {
    Unroll unroll{};
    double cyclesPerStep = 1;
    bool bitSerialWeights = false; ///< cyclesPerStep is for 8-bit weights
};

/// A filter mode of the platform, resolved once per engine.
struct FilterModeEntry {
    std::string op;
    std::vector<std::string> sizes; ///< "HxW"
    ArrayMode mode;
};

class NpuModel : public EngineModel {
public:
    explicit NpuModel(const EngineContext& context) : ctx_(context) {
        unroll_ = unrollOf(context.engine.npu().unroll());
        for (const auto& m : context.engine.npu().filter_modes()) {
            modes_.push_back(
                {m.op(),
                 {m.sizes().begin(), m.sizes().end()},
                 {unrollOf(m.unroll()), m.cycles_per_step() > 0 ? m.cycles_per_step() : 1.0,
                  m.bit_serial_weights()}});
        }
    }

    int64_t channelGranularity() const override { return unroll_[kK]; }

    /// Why the filter of `kernel` is outside the sizes the engine lists for its op ("" = ok).
    std::string filterLimitReason(const workloads::Kernel& kernel) const {
        const std::string op = kernel.opName();
        for (const auto& limit : ctx_.engine.npu().filter_limits()) {
            if (limit.op() != op) {
                continue;
            }
            const std::string size = fmt::format("{}x{}", kernel.loops.fy, kernel.loops.fx);
            if (std::find(limit.sizes().begin(), limit.sizes().end(), size) !=
                limit.sizes().end()) {
                return "";
            }
            return fmt::format("engine '{}' runs {} with filters {} only (this layer: {})",
                               ctx_.engine.name(), op, fmt::join(limit.sizes(), ", "), size);
        }
        return "";
    }

    std::string unsupportedReason(const workloads::Kernel& kernel,
                                  const std::string& dtype) const override {
        if (throughput(dtype) <= 0) {
            return fmt::format("engine '{}' has no {} datapath", ctx_.engine.name(), dtype);
        }
        const std::string why = missingSupport(ctx_, &ctx_.engine.npu().ops(), kernel, dtype);
        return why.empty() ? filterLimitReason(kernel) : why;
    }

    EnginePlan plan(const workloads::Kernel& kernel, const std::string& dtype) const override {
        const std::string why = unsupportedReason(kernel, dtype);
        if (!why.empty()) {
            return failedPlan(Status::Unsupported, why);
        }
        const ps::KernelSpec& ks = *findKernel(ctx_, kernel, dtype);
        const ps::NpuSpec& npu = ctx_.engine.npu();
        const bool perChannel = isPerChannel(kernel);
        const int64_t granularity = perChannel ? unroll_[kG] : unroll_[kK];
        const Tiling tiling = chooseTiling(tilingProblemFor(kernel, ctx_, granularity));
        if (!tiling.fits) {
            return noTilePlan(ctx_, kernel, tiling);
        }
        const ArrayMode mode = modeFor(kernel);
        EnginePlan plan;
        const double rate =
            throughput(dtype) * (ks.array_efficiency() > 0 ? ks.array_efficiency() : 1.0);
        const auto& n = kernel.loops;
        const double lanes = std::max(1, npu.elementwise_lanes());
        double bufferBytes = 0;
        for (std::size_t i = 0; i < tiling.tiles.size(); ++i) {
            const TileDims& t = tiling.tiles[i];
            double cycles = 0;
            if (kernel.macs > 0) {
                std::array<int64_t, kDims> ext{};
                ext[kK] = perChannel ? n.k : std::max<int64_t>(1, t.channels / n.g);
                ext[kG] = perChannel ? t.channels / std::max<int64_t>(1, n.k) : n.g;
                ext[kC] = t.inChannels;
                ext[kOX] = n.ox;
                ext[kOY] = t.rows;
                ext[kFX] = n.fx;
                ext[kFY] = n.fy;
                double steps = 1;
                for (int d = 0; d < kDims; ++d) {
                    steps *=
                        std::ceil(static_cast<double>(std::max<int64_t>(1, ext[d])) /
                                  static_cast<double>(mode.unroll[static_cast<std::size_t>(d)]));
                }
                cycles = steps * mode.cyclesPerStep / rate;
                bufferBytes += bufferReads(ext, t, mode.unroll);
            } else {
                const double outs = static_cast<double>(t.channels * t.rows * n.ox);
                cycles = outs * static_cast<double>(n.fx * n.fy) / lanes;
            }
            cycles += npu.fill_cycles() + ks.cycles_per_tile();
            if (i == 0) {
                cycles += ks.overhead_cycles();
            }
            plan.tiles.push_back(tileWork(t, cycles));
        }
        plan.macs = kernel.macs;
        constexpr double kPico = 1e-12;
        plan.eventEnergyJ = static_cast<double>(kernel.macs) *
                                switchedEnergyJ(ctx_.engine.mac_capacitance_pf(), ctx_.voltageV) +
                            bufferBytes * npu.buffer_read_energy_pj_per_byte() * kPico;
        return plan;
    }

private:
    /// The filter mode listed for the kernel's op and filter size, else the base array; a
    /// bit-serial mode's step scaled to the layer's weight bits.
    ArrayMode modeFor(const workloads::Kernel& kernel) const {
        if (modes_.empty()) {
            return {unroll_, 1.0, false};
        }
        const std::string op = kernel.opName();
        const std::string size = fmt::format("{}x{}", kernel.loops.fy, kernel.loops.fx);
        for (const FilterModeEntry& e : modes_) {
            if (e.op != op || std::find(e.sizes.begin(), e.sizes.end(), size) == e.sizes.end()) {
                continue;
            }
            ArrayMode mode = e.mode;
            if (mode.bitSerialWeights) {
                constexpr double kReferenceBits = 8;
                mode.cyclesPerStep *=
                    static_cast<double>(workloads::bitsPerElement(kernel.weightDtype)) /
                    kReferenceBits;
            }
            return mode;
        }
        return {unroll_, 1.0, false};
    }

    double throughput(const std::string& dtype) const {
        for (const auto& t : ctx_.engine.npu().throughput()) {
            if (t.dtype() == dtype) {
                return t.factor();
            }
        }
        return dtype == "int8" ? 1.0 : 0.0;
    }

    /// Local-buffer bytes read for one tile with extents `ext`.
    double bufferReads(const std::array<int64_t, kDims>& ext, const TileDims& t,
                       const Unroll& unroll) const {
        double macs = 1;
        for (int64_t e : ext) {
            macs *= static_cast<double>(std::max<int64_t>(1, e));
        }
        const auto reuse = [&unroll](std::initializer_list<int> dims) {
            double r = 1;
            for (int d : dims) {
                r *= static_cast<double>(unroll[static_cast<std::size_t>(d)]);
            }
            return r;
        };
        // Each operand is reused across the unrolled dimensions it does not depend on.
        const double weights = macs / reuse({kOX, kOY});
        const double inputs = macs / reuse({kK});
        const double psums = 4.0 * macs / reuse({kC, kFX, kFY});
        switch (ctx_.engine.npu().dataflow()) {
        case ps::WEIGHT_STATIONARY: return static_cast<double>(t.weightBytes) + inputs + psums;
        case ps::OUTPUT_STATIONARY:
        default: return weights + inputs + static_cast<double>(t.outputBytes);
        }
    }

    EngineContext ctx_;
    Unroll unroll_{};
    std::vector<FilterModeEntry> modes_;
};

const bool kRegistered = registerEngineModel(
    ps::NPU, [](const EngineContext& c) { return std::make_unique<NpuModel>(c); });

} // namespace

} // namespace edgesim::sim
