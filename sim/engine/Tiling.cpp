#include "sim/engine/Tiling.h"

#include "common/Checked.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace edgesim::sim {

namespace {

// Simulator limits, not hardware constants: they bound the host time and memory one layer
// may take whatever sizes a config or network asks for. Real layers stay far below both
// (block lists of a few dozen sizes, tens to thousands of tiles), so their results do not
// depend on them.
constexpr std::size_t kMaxBlockSizes = 256;    ///< candidate block sizes per loop
constexpr int64_t kMaxTilesPerLayer = 1 << 16; ///< tiles one engine plan may list

__extension__ using Wide = __int128; // GCC/Clang 128-bit integer, for exact ratios

int64_t ceilDiv(int64_t a, int64_t b) {
    return a / b + (a % b != 0 ? 1 : 0);
}

/// `sizes` (largest first) thinned to at most kMaxBlockSizes entries spread evenly over the
/// list, the largest and the smallest kept.
void thin(std::vector<int64_t>& sizes) {
    if (sizes.size() <= kMaxBlockSizes) {
        return;
    }
    std::vector<int64_t> kept;
    const std::size_t last = sizes.size() - 1;
    for (std::size_t i = 0; i < kMaxBlockSizes; ++i) {
        const std::size_t at = i * last / (kMaxBlockSizes - 1);
        if (kept.empty() || sizes[at] != kept.back()) {
            kept.push_back(sizes[at]);
        }
    }
    sizes = std::move(kept);
}

/// Distinct block sizes ceil(n / parts) for parts = 1..n (about 2 sqrt(n) of them), rounded
/// up to multiples of `granularity`, largest first, down to the granularity.
std::vector<int64_t> blockSizes(int64_t n, int64_t granularity) {
    std::vector<int64_t> out;
    const auto add = [&](int64_t raw) {
        const int64_t up = ceilDiv(raw, granularity);
        const int64_t v = up > n / granularity ? n : std::min(n, up * granularity);
        if (out.empty() || v < out.back()) {
            out.push_back(v);
        }
    };
    constexpr int64_t kExactUpTo = int64_t{1} << 24; // about 8k distinct sizes
    if (n > kExactUpTo) {
        // Part counts on a geometric grid from 1 to n: enumerating every distinct size
        // (2 sqrt(n) of them) would take minutes for absurd loop sizes.
        const double steps = static_cast<double>(kMaxBlockSizes) - 1.0;
        for (std::size_t i = 0; i < kMaxBlockSizes; ++i) {
            const double parts = std::pow(static_cast<double>(n), static_cast<double>(i) / steps);
            add(ceilDiv(n, std::clamp<int64_t>(static_cast<int64_t>(parts), 1, n)));
        }
        return out;
    }
    int64_t parts = 1;
    while (parts <= n) {
        const int64_t raw = ceilDiv(n, parts);
        add(raw);
        if (raw <= granularity || raw == 1) {
            break;
        }
        parts = ceilDiv(n, raw - 1); // the first part count giving a smaller block
    }
    thin(out);
    return out;
}

struct Sizes {
    int64_t weights = 0;
    int64_t inputs = 0;
    int64_t outputs = 0;
    int64_t footprint = 0;
};

Sizes tileSizes(const TilingProblem& p, int64_t kt, int64_t yt, int64_t ct, bool splitC) {
    const auto& n = p.loops;
    const int64_t totalChannels = std::max<int64_t>(1, n.outputChannels());
    Sizes s;
    // weightBytes * (kt / K) * (ct / C), rounded up, in 128-bit so that it cannot overflow
    const auto up = [](Wide a, Wide b) { return a / b + (a % b != 0 ? 1 : 0); };
    const int64_t inChannels = std::max<int64_t>(1, n.c);
    Wide num = 0;
    Wide w = 0;
    if (!__builtin_mul_overflow(static_cast<Wide>(p.weightBytes) * kt, static_cast<Wide>(ct),
                                &num)) {
        w = up(num, static_cast<Wide>(totalChannels) * inChannels);
    } else { // beyond 2^127 (absurd sizes only): in two steps, each rounded up
        w = up(up(static_cast<Wide>(p.weightBytes) * kt, totalChannels) * ct, inChannels);
    }
    if (w > INT64_MAX) {
        throw ArithmeticOverflow("tile weight bytes do not fit a 64-bit integer");
    }
    s.weights = static_cast<int64_t>(w);
    const int64_t inRows = n.inputRowsFor(yt);
    s.inputs = checkedMul(
        checkedMul(checkedMul(inRows, n.ix),
                   p.perChannel ? checkedMul(kt, p.inputsPerChannel) : checkedMul(ct, n.g)),
        p.inputElementBytes);
    const int64_t outElems = checkedMul(checkedMul(kt, yt), n.ox);
    s.outputs = checkedMul(outElems, p.outputElementBytes);
    const int64_t outBuffer = splitC ? checkedMul(outElems, p.accumulatorBytes) : s.outputs;
    s.footprint = checkedAdd(checkedAdd(s.weights, s.inputs), outBuffer);
    return s;
}

} // namespace

Tiling chooseTiling(const TilingProblem& p) {
    const auto& n = p.loops;
    const int64_t totalChannels = std::max<int64_t>(1, n.outputChannels());
    const int64_t rows = std::max<int64_t>(1, n.oy);
    const bool canSplitC = p.splitInputChannels && !p.perChannel && n.c > 1;
    Tiling best;
    std::tuple<int64_t, int64_t, int64_t> bestKey{0, 0, 0};
    const auto kts = blockSizes(totalChannels, std::max<int64_t>(1, p.channelGranularity));
    const auto yts = blockSizes(rows, 1);
    const auto cts = canSplitC ? blockSizes(n.c, 1) : std::vector<int64_t>{n.c};
    for (int64_t ct : cts) {
        const bool splitC = ct < n.c;
        const int64_t nC = ceilDiv(n.c, ct);
        for (int64_t kt : kts) {
            const int64_t nK = ceilDiv(totalChannels, kt);
            for (int64_t yt : yts) {
                // A candidate whose sizes overflow cannot fit any local memory: skipped.
                try {
                    const Sizes s = tileSizes(p, kt, yt, ct, splitC);
                    if (checkedMul(s.footprint, p.buffers) > p.capacityBytes) {
                        continue;
                    }
                    const int64_t nY = ceilDiv(rows, yt);
                    const int64_t count = checkedMul(checkedMul(nK, nY), nC);
                    if (count > kMaxTilesPerLayer) {
                        best.tooManyTiles = true;
                        continue;
                    }
                    // Inputs are re-read per K block (unless per-channel); weights per row
                    // block when C is split; outputs once.
                    const int64_t inPerPass = p.perChannel ? 1 : nK;
                    const int64_t rest = rows % yt;
                    const int64_t inputRows = checkedAdd(checkedMul(rows / yt, n.inputRowsFor(yt)),
                                                         rest > 0 ? n.inputRowsFor(rest) : 0);
                    const int64_t inputs = checkedMul(
                        checkedMul(checkedMul(checkedMul(inputRows, n.ix),
                                              p.perChannel
                                                  ? checkedMul(totalChannels, p.inputsPerChannel)
                                                  : checkedMul(n.c, n.g)),
                                   p.inputElementBytes),
                        inPerPass);
                    const int64_t weights = checkedMul(p.weightBytes, splitC ? nY : 1);
                    const int64_t traffic =
                        checkedAdd(checkedAdd(weights, inputs),
                                   checkedMul(checkedMul(checkedMul(totalChannels, rows), n.ox),
                                              p.outputElementBytes));
                    const std::tuple<int64_t, int64_t, int64_t> key{traffic, count, -kt};
                    if (!best.fits || key < bestKey) {
                        best.fits = true;
                        bestKey = key;
                        best.channelsPerTile = kt;
                        best.rowsPerTile = yt;
                        best.inChannelsPerTile = ct;
                        best.trafficBytes = traffic;
                    }
                } catch (const ArithmeticOverflow&) {
                    continue;
                }
            }
        }
        if (best.fits) {
            break; // splitting C only when nothing fits without it
        }
    }
    if (!best.fits) {
        return best;
    }
    best.tooManyTiles = false;
    const int64_t kt = best.channelsPerTile;
    const int64_t yt = best.rowsPerTile;
    const int64_t ct = best.inChannelsPerTile;
    const bool splitC = ct < n.c;
    for (int64_t k = 0; k < totalChannels; k += kt) {
        const int64_t kk = std::min(kt, totalChannels - k);
        for (int64_t y = 0; y < rows; y += yt) {
            const int64_t yy = std::min(yt, rows - y);
            for (int64_t c = 0; c < n.c; c += ct) {
                const int64_t cc = std::min(ct, n.c - c);
                const Sizes s = tileSizes(p, kk, yy, cc, splitC);
                TileDims t;
                t.channels = kk;
                t.rows = yy;
                t.inChannels = cc;
                t.weightBytes = (splitC || y == 0) ? s.weights : 0;
                t.inputBytes = s.inputs;
                t.outputBytes = c + cc >= n.c ? s.outputs : 0;
                t.footprintBytes = s.footprint;
                best.footprintBytes = std::max(best.footprintBytes, s.footprint);
                best.tiles.push_back(t);
            }
        }
    }
    return best;
}

} // namespace edgesim::sim
