#include "sim/engine/Tiling.h"

#include <algorithm>
#include <tuple>

namespace edgesim::sim {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

/// Distinct block sizes ceil(n / parts) for parts = 1..n (about 2 sqrt(n) of them), rounded
/// up to multiples of `granularity`, largest first, down to the granularity.
std::vector<int64_t> blockSizes(int64_t n, int64_t granularity) {
    std::vector<int64_t> out;
    int64_t parts = 1;
    while (parts <= n) {
        const int64_t raw = ceilDiv(n, parts);
        const int64_t v = std::min(n, ceilDiv(raw, granularity) * granularity);
        if (out.empty() || v < out.back()) {
            out.push_back(v);
        }
        if (raw <= granularity || raw == 1) {
            break;
        }
        parts = ceilDiv(n, raw - 1);  // the first part count giving a smaller block
    }
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
    s.weights = ceilDiv(p.weightBytes * kt * ct, totalChannels * n.c);
    const int64_t inRows = n.inputRowsFor(yt);
    s.inputs = inRows * n.ix *
               (p.perChannel ? kt * p.inputsPerChannel : ct * n.g) * p.inputElementBytes;
    const int64_t outElems = kt * yt * n.ox;
    s.outputs = outElems * p.outputElementBytes;
    const int64_t outBuffer = splitC ? outElems * p.accumulatorBytes : s.outputs;
    s.footprint = s.weights + s.inputs + outBuffer;
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
                const Sizes s = tileSizes(p, kt, yt, ct, splitC);
                if (s.footprint * p.buffers > p.capacityBytes) {
                    continue;
                }
                const int64_t nY = ceilDiv(rows, yt);
                // Inputs are re-read per K block (unless per-channel); weights per row block
                // when C is split; outputs once.
                const int64_t inPerPass = p.perChannel ? 1 : nK;
                const int64_t rest = rows % yt;
                const int64_t inputRows = rows / yt * n.inputRowsFor(yt) +
                                          (rest > 0 ? n.inputRowsFor(rest) : 0);
                const int64_t inputs = inputRows * n.ix *
                                       (p.perChannel ? totalChannels * p.inputsPerChannel
                                                     : n.c * n.g) *
                                       p.inputElementBytes * inPerPass;
                const int64_t weights = p.weightBytes * (splitC ? nY : 1);
                const int64_t traffic =
                    weights + inputs + totalChannels * rows * n.ox * p.outputElementBytes;
                const std::tuple<int64_t, int64_t, int64_t> key{traffic, nK * nY * nC, -kt};
                if (!best.fits || key < bestKey) {
                    best.fits = true;
                    bestKey = key;
                    best.channelsPerTile = kt;
                    best.rowsPerTile = yt;
                    best.inChannelsPerTile = ct;
                    best.trafficBytes = traffic;
                }
            }
        }
        if (best.fits) {
            break;  // splitting C only when nothing fits without it
        }
    }
    if (!best.fits) {
        return best;
    }
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
