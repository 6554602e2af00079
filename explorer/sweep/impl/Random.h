// What the samplers that draw random points (random, latin-hypercube) share: random streams
// and conversions whose output the C++ standard fixes bit for bit, and the checks of their
// arguments. Internal to explorer/sweep/impl.
//
// Determinism: std::mt19937_64 and std::seed_seq are specified exactly by the standard; the
// std:: distributions and std::shuffle are not (each library converts differently), so the
// conversions to doubles, bounded integers and permutations are written out here.
#pragma once

#include "explorer/sweep/Sampler.h"

#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace edgesim::explorer::detail {

/// Largest point count a random sampler accepts: beyond it the points alone need gigabytes.
constexpr int64_t kMaxRandomPoints = 100'000'000;
/// Largest number of levels of a discrete dimension: level indices are stored as doubles,
/// which hold every whole number up to 2^53 exactly.
constexpr int64_t kMaxLevels = int64_t{1} << 53;

/// The random stream of one (sampler, dimension) pair for a study's seed: `salt` tells
/// samplers apart, so that "random" and "latin-hypercube" with one seed are unrelated, and a
/// stream per dimension keeps a dimension's values the same when dimensions are added after
/// it. std::seed_seq spreads the few seed words over the whole engine state.
inline std::mt19937_64 makeStream(uint64_t seed, uint32_t salt, uint64_t dimension) {
    const auto low = [](uint64_t v) { return static_cast<uint32_t>(v & 0xffffffffU); };
    const auto high = [](uint64_t v) { return static_cast<uint32_t>(v >> 32); };
    std::seed_seq words{low(seed), high(seed), salt, low(dimension), high(dimension)};
    return std::mt19937_64(words);
}

/// Uniform in [0, 1): the top 53 bits of one draw, scaled exactly (every value is a multiple
/// of 2^-53, so 1.0 cannot come out).
inline double unitInterval(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Uniform in [0, n), n >= 1, without modulo bias: draws below 2^64 mod n are rejected, which
/// leaves a whole multiple of n equally likely values (fewer than two draws on average for
/// any n, and almost never a second one for small n).
inline uint64_t uniformBelow(std::mt19937_64& rng, uint64_t n) {
    const uint64_t rejectBelow = (uint64_t{0} - n) % n; // 2^64 mod n, in unsigned arithmetic
    uint64_t x = rng();
    while (x < rejectBelow) {
        x = rng();
    }
    return x % n;
}

/// A uniformly random permutation of 0 .. n-1 (Fisher–Yates, from the back).
inline std::vector<int64_t> randomPermutation(std::mt19937_64& rng, int64_t n) {
    std::vector<int64_t> p(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        p[static_cast<std::size_t>(i)] = i;
    }
    for (int64_t i = n - 1; i > 0; --i) {
        const auto j = uniformBelow(rng, static_cast<uint64_t>(i) + 1);
        std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
    }
    return p;
}

/// The checks `sample` and `pointCount` of a random sampler share.
inline void checkRandomArguments(std::string_view sampler,
                                 const std::vector<SampleDimension>& dimensions, int64_t count) {
    if (count < 1 || count > kMaxRandomPoints) {
        throw std::invalid_argument(
            fmt::format("the {} sampler needs a number of points from 1 to {} (got {})", sampler,
                        kMaxRandomPoints, count));
    }
    for (std::size_t d = 0; d < dimensions.size(); ++d) {
        const int64_t levels = dimensions[d].levels;
        if (levels < 0 || levels > kMaxLevels) {
            throw std::invalid_argument(
                fmt::format("dimension {} has {} levels; a discrete dimension needs 1 to {} "
                            "levels (0 for a continuous one)",
                            d, levels, kMaxLevels));
        }
    }
}

} // namespace edgesim::explorer::detail
