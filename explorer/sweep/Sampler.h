// Samplers of a study's design space (DESIGN.md §3 studies): which points of the product of
// the study's axes a sweep runs. An extension point: one file per sampler in impl/,
// registered by name ("grid", "random", "latin-hypercube").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::explorer {

/// One axis of the design space as a sampler sees it.
struct SampleDimension {
    /// > 0: a discrete axis with this many levels (values 0 .. levels-1);
    /// 0: a continuous axis (values in [0, 1)).
    int64_t levels = 0;
};

/// One point: per dimension, a level index (a whole number stored as double) for a discrete
/// dimension, a coordinate in [0, 1) for a continuous one.
using SamplePoint = std::vector<double>;

/// Contract: `sample` is deterministic for (dimensions, count, seed): the same arguments give
/// bit-identical points on any platform and in any process (random numbers come from
/// std::mt19937_64, whose sequence the C++ standard fixes, converted by the sampler itself:
/// never through std:: distributions, whose output is implementation-defined). Every point
/// has one value per dimension. It throws std::invalid_argument (with a reason a user can
/// act on) when it cannot sample the dimensions, e.g. a grid over a continuous dimension.
class Sampler {
public:
    virtual ~Sampler() = default;
    /// `count` is the number of points asked for (ignored by samplers that enumerate, such
    /// as the grid); `seed` the study's seed.
    virtual std::vector<SamplePoint> sample(const std::vector<SampleDimension>& dimensions,
                                            int64_t count, uint64_t seed) const = 0;
    /// Number of points `sample` returns, without producing them (for validation and
    /// progress). std::invalid_argument as sample().
    virtual int64_t pointCount(const std::vector<SampleDimension>& dimensions,
                               int64_t count) const = 0;
    /// Whether the sampler needs a point count (random, Latin hypercube) or enumerates.
    virtual bool needsCount() const = 0;
};

using SamplerFactory = std::function<std::unique_ptr<Sampler>()>;
/// False (the first registration kept) when `name` is taken.
bool registerSampler(const std::string& name, SamplerFactory factory);
/// Null when no sampler has that name.
std::unique_ptr<Sampler> makeSampler(const std::string& name);
/// Registered names, sorted.
std::vector<std::string> samplerNames();

} // namespace edgesim::explorer
