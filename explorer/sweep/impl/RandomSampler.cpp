// random: `count` independent points, each coordinate uniform: a continuous dimension in
// [0, 1), a discrete one over its level indices. Dimension d draws from its own stream, in
// point order, so the first k points do not depend on `count` and a dimension's values do not
// depend on the dimensions after it.
#include "explorer/sweep/Sampler.h"
#include "explorer/sweep/impl/Random.h"

namespace edgesim::explorer {

namespace {

constexpr uint32_t kSalt = 0x72616e64; // "rand": this sampler's streams

class RandomSampler : public Sampler {
public:
    std::vector<SamplePoint> sample(const std::vector<SampleDimension>& dimensions, int64_t count,
                                    uint64_t seed) const override {
        detail::checkRandomArguments("random", dimensions, count);
        const auto n = static_cast<std::size_t>(count);
        std::vector<SamplePoint> points(n, SamplePoint(dimensions.size()));
        for (std::size_t d = 0; d < dimensions.size(); ++d) {
            std::mt19937_64 rng = detail::makeStream(seed, kSalt, d);
            const int64_t levels = dimensions[d].levels;
            for (std::size_t i = 0; i < n; ++i) {
                points[i][d] = levels == 0 ? detail::unitInterval(rng)
                                           : static_cast<double>(detail::uniformBelow(
                                                 rng, static_cast<uint64_t>(levels)));
            }
        }
        return points;
    }

    int64_t pointCount(const std::vector<SampleDimension>& dimensions,
                       int64_t count) const override {
        detail::checkRandomArguments("random", dimensions, count);
        return count;
    }

    bool needsCount() const override { return true; }
};

const bool kRegistered =
    registerSampler("random", [] { return std::make_unique<RandomSampler>(); });

} // namespace

} // namespace edgesim::explorer
