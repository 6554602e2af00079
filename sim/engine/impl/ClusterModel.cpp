// PULP-style cluster: N cores on a shared, word-interleaved L1. A tile's work (the stack's
// per-core kernel micro-model) is split across the cores by output rows (or channels when a
// tile has fewer rows than cores), paying the load imbalance, the bank-conflict stalls of N
// cores hitting B banks, and a barrier per tile.
#include "sim/engine/EngineModel.h"

#include <algorithm>
#include <cmath>

namespace edgesim::sim {

namespace {

namespace ps = platforms::spec;

class ClusterModel : public EngineModel {
public:
    explicit ClusterModel(const EngineContext& context) : ctx_(context) {}

    std::string unsupportedReason(const workloads::Kernel& kernel,
                                  const std::string& dtype) const override {
        return missingSupport(ctx_, nullptr, kernel, dtype);
    }

    EnginePlan plan(const workloads::Kernel& kernel, const std::string& dtype) const override {
        const ps::KernelSpec* ks = findKernel(ctx_, kernel, dtype);
        if (ks == nullptr) {
            return failedPlan(Status::Unsupported, unsupportedReason(kernel, dtype));
        }
        const Tiling tiling = chooseTiling(tilingProblemFor(kernel, ctx_, 1));
        if (!tiling.fits) {
            return noTilePlan(ctx_, kernel, tiling);
        }
        EnginePlan plan;
        const ps::ClusterSpec& cl = ctx_.engine.cluster();
        const double cores = std::max(1, cl.cores());
        // Expected stall per compute cycle: each access meets each other core's access in its
        // bank with probability 1/B; the losers of a conflict wait one cycle (half of them).
        const double a = cl.l1_accesses_per_cycle();
        const double banks = std::max(1, cl.l1_banks());
        const double conflictFactor = 1.0 + a * (cores - 1.0) * a / (2.0 * banks);
        const double totalOut = static_cast<double>(std::max<int64_t>(1, kernel.outputElements));
        const auto& n = kernel.loops;
        for (std::size_t i = 0; i < tiling.tiles.size(); ++i) {
            const TileDims& t = tiling.tiles[i];
            const double outs = static_cast<double>(t.channels * t.rows * n.ox);
            const double share = outs / totalOut * static_cast<double>(t.inChannels) /
                                 static_cast<double>(std::max<int64_t>(1, n.c));
            const double inputs =
                static_cast<double>(t.inputBytes) /
                static_cast<double>(std::max<int64_t>(
                    1, kernel.inputBytes / std::max<int64_t>(1, kernel.inputElements)));
            KernelWork portion = KernelWork::of(kernel).scaled(share);
            portion.outputs = t.outputBytes > 0 ? outs : 0.0;
            portion.inputs = inputs;
            const double work = kernelReferenceCycles(*ks, true, portion);
            const double units = static_cast<double>(t.rows >= cl.cores() ? t.rows : t.channels);
            const double imbalance = std::ceil(units / cores) / (units / cores);
            double cycles = work / cores * imbalance * conflictFactor + cl.barrier_cycles() +
                            ks->cycles_per_tile();
            if (i == 0) {
                cycles += ks->overhead_cycles();
            }
            plan.tiles.push_back(tileWork(t, cycles));
        }
        plan.macs = kernel.macs;
        plan.eventEnergyJ = static_cast<double>(kernel.macs) *
                            switchedEnergyJ(ctx_.engine.mac_capacitance_pf(), ctx_.voltageV);
        return plan;
    }

private:
    EngineContext ctx_;
};

const bool kRegistered = registerEngineModel(
    ps::CLUSTER, [](const EngineContext& c) { return std::make_unique<ClusterModel>(c); });

} // namespace

} // namespace edgesim::sim
