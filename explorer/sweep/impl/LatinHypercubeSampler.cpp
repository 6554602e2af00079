// latin-hypercube: `count` points such that, in every dimension, each of the `count` equal
// strata [s / count, (s + 1) / count) of [0, 1) holds exactly one point's u. Per dimension a
// random permutation assigns strata to points and u is uniform within its stratum, so every
// coordinate on its own is uniform in [0, 1). A continuous dimension takes u itself; a
// discrete one with k levels takes level floor(u * k), which keeps each point's level uniform
// over the k levels and balances the levels across points:
//   - when k divides count, every level is taken by exactly count / k points;
//   - in general, level L is taken by at least floor((L + 1) * count / k) - ceil(L * count / k)
//     and at most ceil((L + 1) * count / k) - floor(L * count / k) points (the strata inside
//     its interval [L / k, (L + 1) / k) and those that overlap it), so always by more than
//     count / k - 2 and fewer than count / k + 2, and by at most 2 when k > count.
// Dimension d draws from its own stream (permutation first, then each point's position within
// its stratum), so a dimension's values do not depend on the dimensions after it.
#include "explorer/sweep/Sampler.h"
#include "explorer/sweep/impl/Random.h"

#include <cmath>

namespace edgesim::explorer {

namespace {

constexpr uint32_t kSalt = 0x6c687300; // "lhs": this sampler's streams

/// (stratum + jitter) / count, with jitter in [0, 1), nudged back into the stratum where
/// rounding of the sum or the quotient pushed it onto a neighbour's edge (or onto 1.0): the
/// result always has floor(u * count) == stratum in double arithmetic, and u < 1.
double inStratum(int64_t stratum, int64_t count, double jitter) {
    const auto n = static_cast<double>(count);
    const auto s = static_cast<double>(stratum);
    double u = (s + jitter) / n;
    while (u * n >= s + 1.0) {
        u = std::nextafter(u, 0.0);
    }
    while (u * n < s) {
        u = std::nextafter(u, 1.0);
    }
    return u;
}

/// floor(u * levels) for u uniform in the stratum, in exact integer arithmetic: u is taken at
/// resolution 1 / (count * levels), where the stratum holds `levels` equally likely positions
/// stratum * levels + offset (offset uniform in [0, levels)) and level = position / count.
/// With levels = a * count + b the position splits as stratum * a * count + (stratum * b +
/// offset), neither part overflowing (stratum * b < count^2 <= 1e16, offset < 2^53).
uint64_t levelInStratum(uint64_t stratum, uint64_t count, uint64_t levels, uint64_t offset) {
    const uint64_t a = levels / count;
    const uint64_t b = levels % count;
    return stratum * a + (stratum * b + offset) / count;
}

class LatinHypercubeSampler : public Sampler {
public:
    std::vector<SamplePoint> sample(const std::vector<SampleDimension>& dimensions, int64_t count,
                                    uint64_t seed) const override {
        detail::checkRandomArguments("latin-hypercube", dimensions, count);
        const auto n = static_cast<std::size_t>(count);
        std::vector<SamplePoint> points(n, SamplePoint(dimensions.size()));
        for (std::size_t d = 0; d < dimensions.size(); ++d) {
            std::mt19937_64 rng = detail::makeStream(seed, kSalt, d);
            const std::vector<int64_t> strata = detail::randomPermutation(rng, count);
            const int64_t levels = dimensions[d].levels;
            for (std::size_t i = 0; i < n; ++i) {
                if (levels == 0) {
                    points[i][d] = inStratum(strata[i], count, detail::unitInterval(rng));
                } else {
                    const auto k = static_cast<uint64_t>(levels);
                    points[i][d] = static_cast<double>(levelInStratum(
                        static_cast<uint64_t>(strata[i]), static_cast<uint64_t>(count), k,
                        detail::uniformBelow(rng, k)));
                }
            }
        }
        return points;
    }

    int64_t pointCount(const std::vector<SampleDimension>& dimensions,
                       int64_t count) const override {
        detail::checkRandomArguments("latin-hypercube", dimensions, count);
        return count;
    }

    bool needsCount() const override { return true; }
};

const bool kRegistered =
    registerSampler("latin-hypercube", [] { return std::make_unique<LatinHypercubeSampler>(); });

} // namespace

} // namespace edgesim::explorer
