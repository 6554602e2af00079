// Tiling of a layer's loop nest for an engine with a local memory: chooses how many output
// channels (K), output rows (OY) and input channels (C) one tile covers so that a tile's
// weights, inputs and outputs (times the buffer count) fit the capacity exactly, minimising
// the bytes the DMA moves (as an autotiler does), and lists the tiles in loop order
// (K blocks outer, then rows, then C blocks; weights stay resident across row blocks when C
// is not split).
#pragma once

#include "workloads/schedule/Schedule.h"

#include <cstdint>
#include <vector>

namespace edgesim::sim {

struct TilingProblem {
    workloads::LoopNest loops;
    bool perChannel = false;      ///< depthwise / pooling / element-wise: own inputs only
    int64_t inputsPerChannel = 1; ///< input tensors read per output channel (add: 2)
    int64_t weightBytes = 0;      ///< of the whole (share of the) layer, biases included
    int64_t inputElementBytes = 1;
    int64_t outputElementBytes = 1;
    int64_t accumulatorBytes = 4; ///< per partial sum kept while C is split
    int64_t capacityBytes = 0;
    int buffers = 2;
    int64_t channelGranularity = 1; ///< K blocks are multiples of it (the array's K unroll)
    bool splitInputChannels = true; ///< allow C blocks (partial sums in local memory)
};

struct TileDims {
    int64_t channels = 0;    ///< output channels (G x K) of the tile
    int64_t rows = 0;        ///< output rows
    int64_t inChannels = 0;  ///< input channels per group of the tile (C block)
    int64_t weightBytes = 0; ///< to load before this tile (0 when resident)
    int64_t inputBytes = 0;
    int64_t outputBytes = 0; ///< to store after this tile (0 until the last C block)
    int64_t footprintBytes = 0;
};

struct Tiling {
    bool fits = false;
    /// When !fits: some tiling fits the memory but needs more tiles than the simulator lists
    /// for one layer (65536), so the layer is reported as not fitting with that
    /// reason instead of taking unbounded host time and memory.
    bool tooManyTiles = false;
    int64_t channelsPerTile = 0;
    int64_t rowsPerTile = 0;
    int64_t inChannelsPerTile = 0;
    int64_t trafficBytes = 0;    ///< total DMA bytes (weights + inputs + outputs)
    int64_t footprintBytes = 0;  ///< largest tile, one buffer set
    std::vector<TileDims> tiles; ///< in execution order
};

/// The tiling with the least DMA traffic (then the fewest tiles) that fits; `fits` false
/// when even the smallest tile does not.
Tiling chooseTiling(const TilingProblem& problem);

} // namespace edgesim::sim
