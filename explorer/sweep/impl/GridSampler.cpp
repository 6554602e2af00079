// grid: every combination of the discrete dimensions' levels (the full factorial design), in
// row-major order: the first dimension varies slowest, the last fastest, as nested loops
// written in dimension order would visit them. Needs no count and no seed.
#include "explorer/sweep/Sampler.h"

#include <fmt/format.h>

#include <stdexcept>

namespace edgesim::explorer {

namespace {

/// More points than any sweep could run, and more than memory holds as SamplePoints.
constexpr int64_t kMaxGridPoints = 1'000'000'000;

class GridSampler : public Sampler {
public:
    std::vector<SamplePoint> sample(const std::vector<SampleDimension>& dimensions,
                                    int64_t /*count*/, uint64_t /*seed*/) const override {
        const int64_t total = gridSize(dimensions);
        std::vector<SamplePoint> points;
        points.reserve(static_cast<std::size_t>(total));
        // An odometer over the level indices, the last dimension turning fastest.
        SamplePoint current(dimensions.size(), 0.0);
        for (int64_t i = 0; i < total; ++i) {
            points.push_back(current);
            for (std::size_t d = dimensions.size(); d-- > 0;) {
                current[d] += 1.0;
                if (current[d] < static_cast<double>(dimensions[d].levels)) {
                    break;
                }
                current[d] = 0.0;
            }
        }
        return points;
    }

    int64_t pointCount(const std::vector<SampleDimension>& dimensions,
                       int64_t /*count*/) const override {
        return gridSize(dimensions);
    }

    bool needsCount() const override { return false; }

private:
    /// The product of the levels (1 for no dimensions), checked before it can overflow.
    static int64_t gridSize(const std::vector<SampleDimension>& dimensions) {
        int64_t total = 1;
        for (std::size_t d = 0; d < dimensions.size(); ++d) {
            const int64_t levels = dimensions[d].levels;
            if (levels == 0) {
                throw std::invalid_argument(
                    fmt::format("a grid needs a number of steps for every range (dimension {} is a "
                                "continuous range without one); give it steps or use random or "
                                "latin-hypercube sampling",
                                d));
            }
            if (levels < 0) {
                throw std::invalid_argument(fmt::format(
                    "dimension {} has {} levels; a grid dimension needs at least one", d, levels));
            }
            if (levels > kMaxGridPoints / total) {
                throw std::invalid_argument(fmt::format(
                    "the grid has more than {} points (the product of the dimensions' levels); "
                    "use fewer levels, or random or latin-hypercube sampling",
                    kMaxGridPoints));
            }
            total *= levels;
        }
        return total;
    }
};

const bool kRegistered = registerSampler("grid", [] { return std::make_unique<GridSampler>(); });

} // namespace

} // namespace edgesim::explorer
