// Tiling limits: a layer of absurd size is planned in bounded host time and memory, and one
// that would need more tiles than the simulator lists says so instead of enumerating them.
#include "sim/engine/Tiling.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

namespace edgesim::sim {
namespace {

TilingProblem pointwise(int64_t k, int64_t c, int64_t rows, int64_t cols, int64_t capacity) {
    TilingProblem p;
    p.loops.k = k;
    p.loops.c = c;
    p.loops.oy = p.loops.iy = rows;
    p.loops.ox = p.loops.ix = cols;
    // Saturated: the layer's own byte count may not fit either (SizesThatOverflowDoNotFit).
    if (__builtin_mul_overflow(k, c, &p.weightBytes)) {
        p.weightBytes = INT64_MAX;
    }
    p.capacityBytes = capacity;
    return p;
}

TEST(Tiling, OrdinaryLayerListsEveryTile) {
    const Tiling t = chooseTiling(pointwise(64, 64, 25, 5, 16 * 1024));
    ASSERT_TRUE(t.fits);
    EXPECT_FALSE(t.tooManyTiles);
    int64_t outputs = 0;
    for (const auto& tile : t.tiles) {
        outputs += tile.outputBytes;
    }
    EXPECT_EQ(outputs, 64 * 25 * 5); // every output stored once
}

TEST(Tiling, AbsurdLayerNeedsTooManyTilesAndIsPlannedQuickly) {
    const auto start = std::chrono::steady_clock::now();
    // 2^34 output channels through 64 KB: millions of tiles whatever the block sizes.
    const Tiling t = chooseTiling(pointwise(int64_t{1} << 34, 64, 5, 25, 64 * 1024));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_FALSE(t.fits);
    EXPECT_TRUE(t.tooManyTiles);
    EXPECT_TRUE(t.tiles.empty());
    EXPECT_LT(seconds, 5.0);
}

TEST(Tiling, SizesThatOverflowDoNotFit) {
    const Tiling t = chooseTiling(pointwise(int64_t{1} << 40, int64_t{1} << 40, 1, 1, 1 << 20));
    EXPECT_FALSE(t.fits);
}

} // namespace
} // namespace edgesim::sim
