// Analog in-memory-compute crossbar: a layer's weight matrix (C x FY x FX rows by K columns)
// is cut into blocks of the array's rows x columns; each block is programmed (cycles per row,
// energy per cell) and then every output pixel takes one fixed-latency matrix-vector
// operation, with DACs driving the used rows and ADCs converting the used columns. When K is
// small, several output pixels share one operation side by side (pixel unroll), as DIANA's
// compiler does. Activations stream through the engine's local memory in row tiles.
#include "sim/engine/EngineModel.h"

#include "common/Checked.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace edgesim::sim {

namespace {

namespace ps = platforms::spec;

class AimcModel : public EngineModel {
public:
    explicit AimcModel(const EngineContext& context) : ctx_(context) {}

    std::string unsupportedReason(const workloads::Kernel& kernel,
                                  const std::string& dtype) const override {
        const std::string missing = missingSupport(ctx_, &ctx_.engine.aimc().ops(), kernel, dtype);
        if (!missing.empty() || kernel.loops.g <= 1) {
            return missing;
        }
        return fmt::format("engine '{}' cannot map grouped or depthwise convolutions (a crossbar "
                           "column sums over all of its rows)",
                           ctx_.engine.name());
    }

    EnginePlan plan(const workloads::Kernel& kernel, const std::string& dtype) const override {
        const std::string why = unsupportedReason(kernel, dtype);
        if (!why.empty()) {
            return failedPlan(Status::Unsupported, why);
        }
        const ps::KernelSpec& ks = *findKernel(ctx_, kernel, dtype);
        const ps::AimcSpec& a = ctx_.engine.aimc();
        const auto& n = kernel.loops;
        const int64_t rows = std::max(1, a.rows());
        const int64_t cols = std::max(1, a.columns());
        const int64_t matrixRows = n.c * n.fx * n.fy;
        const int64_t rowBlocks = (matrixRows + rows - 1) / rows;
        const int64_t colBlocks = (n.k + cols - 1) / cols;
        // Pixels per operation: the largest power of two (up to the maximum) whose columns
        // and overlapping input windows still fit one block.
        int64_t unroll = 1;
        const int64_t channelRows = std::max<int64_t>(a.min_rows_per_channel_group(), n.c);
        while (rowBlocks == 1 && colBlocks == 1 &&
               unroll * 2 <= std::max(1, a.max_pixel_unroll()) && unroll * 2 * n.k <= cols &&
               (unroll * 2 + n.fx - 1) * channelRows * n.fy <= rows) {
            unroll *= 2;
        }
        // Activations stream through local memory; the weights live in the crossbar.
        TilingProblem problem = tilingProblemFor(kernel, ctx_, 1);
        problem.weightBytes = 0;
        problem.splitInputChannels = false;
        const Tiling tiling = chooseTiling(problem);
        if (!tiling.fits) {
            return noTilePlan(ctx_, kernel, tiling);
        }
        EnginePlan plan;
        const double mvmCycles = a.mvm_latency_s() * ctx_.clockHz;
        const double bitsPerWeight = std::max(1, a.weight_bits());
        constexpr double kPico = 1e-12;
        double energyPj = 0;
        for (int64_t cb = 0; cb < colBlocks; ++cb) {
            const int64_t usedCols = std::min(cols, n.k - cb * cols);
            for (int64_t rb = 0; rb < rowBlocks; ++rb) {
                const int64_t usedRows = std::min(rows, matrixRows - rb * rows);
                const double programCycles =
                    a.program_cycles_per_row() * static_cast<double>(usedRows);
                energyPj +=
                    a.program_energy_pj_per_cell() * static_cast<double>(usedRows * usedCols);
                const auto weightBytes = static_cast<int64_t>(
                    std::ceil(static_cast<double>(usedRows * usedCols) * bitsPerWeight / 8.0));
                for (std::size_t i = 0; i < tiling.tiles.size(); ++i) {
                    const TileDims& t = tiling.tiles[i];
                    const int64_t pixels = t.rows * n.ox;
                    const auto ops = static_cast<double>((pixels + unroll - 1) / unroll);
                    energyPj += ops * (a.dac_energy_pj() * static_cast<double>(usedRows) *
                                           static_cast<double>(std::min(unroll, pixels)) +
                                       a.adc_energy_pj() * static_cast<double>(usedCols) *
                                           static_cast<double>(std::min(unroll, pixels)));
                    double cycles = ops * mvmCycles + ks.cycles_per_tile();
                    TileWork w;
                    if (i == 0) {
                        cycles += programCycles;
                        w.weightBytes = weightBytes;
                    }
                    if (i == 0 && cb == 0 && rb == 0) {
                        cycles += ks.overhead_cycles();
                    }
                    w.computeCycles = toCount(cycles, "a tile's cycle count");
                    // Each row block reads its slice of the input channels; the outputs of a
                    // column block leave after its last row block (partial sums add up in
                    // the digital post-processing).
                    w.inputBytes = (t.inputBytes * usedRows + matrixRows - 1) / matrixRows;
                    w.outputBytes =
                        rb + 1 == rowBlocks ? (t.outputBytes * usedCols + n.k - 1) / n.k : 0;
                    w.footprintBytes = t.footprintBytes;
                    plan.tiles.push_back(w);
                }
            }
        }
        plan.macs = kernel.macs;
        plan.eventEnergyJ = energyPj * kPico;
        return plan;
    }

private:
    EngineContext ctx_;
};

const bool kRegistered = registerEngineModel(
    ps::AIMC, [](const EngineContext& c) { return std::make_unique<AimcModel>(c); });

} // namespace

} // namespace edgesim::sim
