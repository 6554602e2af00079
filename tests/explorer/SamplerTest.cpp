// Design-space samplers: the registry, the grid's enumeration order on cases checked by hand,
// determinism (same seed bit-identical, pinned golden values), the Latin hypercube's one point
// per stratum and level balance, ranges, and the argument checks.
#include "explorer/sweep/Sampler.h"
#include "explorer/sweep/impl/Random.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace edgesim::explorer {
namespace {

using Points = std::vector<SamplePoint>;
using ::testing::HasSubstr;

const std::vector<std::string> kRandomSamplers = {"random", "latin-hypercube"};

/// Two continuous and two discrete dimensions, interleaved.
const std::vector<SampleDimension> kMixed = {{0}, {5}, {0}, {3}};

std::unique_ptr<Sampler> make(const std::string& name) {
    auto sampler = makeSampler(name);
    EXPECT_NE(sampler, nullptr) << name;
    return sampler;
}

/// The message of the std::invalid_argument sample() throws ("" when it throws none).
std::string sampleError(const Sampler& sampler, const std::vector<SampleDimension>& dims,
                        int64_t count) {
    try {
        sampler.sample(dims, count, 1);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

/// The message of the std::invalid_argument pointCount() throws ("" when it throws none).
std::string countError(const Sampler& sampler, const std::vector<SampleDimension>& dims,
                       int64_t count) {
    try {
        sampler.pointCount(dims, count);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TEST(SamplerRegistryTest, NamesAreSortedAndComplete) {
    EXPECT_EQ(samplerNames(), (std::vector<std::string>{"grid", "latin-hypercube", "random"}));
    for (const std::string& name : samplerNames()) {
        EXPECT_NE(makeSampler(name), nullptr) << name;
    }
    EXPECT_EQ(makeSampler("sobol"), nullptr);
    EXPECT_EQ(makeSampler(""), nullptr);
}

TEST(SamplerRegistryTest, OnlyTheGridEnumerates) {
    EXPECT_FALSE(make("grid")->needsCount());
    EXPECT_TRUE(make("random")->needsCount());
    EXPECT_TRUE(make("latin-hypercube")->needsCount());
}

TEST(SamplerGridTest, EnumeratesRowMajor) {
    const auto grid = make("grid");
    // First dimension slowest, last fastest, as nested loops in dimension order.
    const Points expected = {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}};
    EXPECT_EQ(grid->sample({{2}, {3}}, 0, 0), expected);
    EXPECT_EQ(grid->pointCount({{2}, {3}}, 0), 6);
    const Points threeDims = {{0, 0, 0}, {0, 0, 1}, {1, 0, 0}, {1, 0, 1}, {2, 0, 0}, {2, 0, 1}};
    EXPECT_EQ(grid->sample({{3}, {1}, {2}}, 0, 0), threeDims);
    EXPECT_EQ(grid->sample({{4}}, 0, 0), (Points{{0}, {1}, {2}, {3}}));
}

TEST(SamplerGridTest, IgnoresCountAndSeed) {
    const auto grid = make("grid");
    const std::vector<SampleDimension> dims = {{2}, {3}, {4}};
    EXPECT_EQ(grid->sample(dims, 5, 99), grid->sample(dims, 0, 0));
    EXPECT_EQ(grid->pointCount(dims, -7), 24);
    EXPECT_EQ(grid->sample(dims, 0, 0).size(), 24U);
}

TEST(SamplerGridTest, NoDimensionsIsOneEmptyPoint) {
    const auto grid = make("grid");
    EXPECT_EQ(grid->sample({}, 0, 0), (Points{SamplePoint{}}));
    EXPECT_EQ(grid->pointCount({}, 0), 1);
}

TEST(SamplerGridTest, RejectsContinuousDimensions) {
    const auto grid = make("grid");
    const std::vector<SampleDimension> dims = {{3}, {0}};
    EXPECT_THAT(sampleError(*grid, dims, 10),
                HasSubstr("a grid needs a number of steps for every range"));
    EXPECT_THAT(countError(*grid, dims, 10),
                HasSubstr("a grid needs a number of steps for every range"));
    EXPECT_THAT(countError(*grid, {{2}, {-1}}, 0), HasSubstr("dimension 1 has -1 levels"));
}

TEST(SamplerGridTest, RejectsMoreThanABillionPoints) {
    const auto grid = make("grid");
    EXPECT_EQ(grid->pointCount({{1000}, {1000}, {1000}}, 0), 1'000'000'000);
    EXPECT_THAT(countError(*grid, {{1000}, {1000}, {1001}}, 0),
                HasSubstr("more than 1000000000 points"));
    EXPECT_THAT(sampleError(*grid, {{100'000}, {100'000}}, 0),
                HasSubstr("more than 1000000000 points"));
    // A product that overflows int64 is caught before it is formed.
    constexpr int64_t kHuge = std::numeric_limits<int64_t>::max();
    EXPECT_THAT(countError(*grid, {{kHuge}, {kHuge}, {kHuge}}, 0),
                HasSubstr("more than 1000000000 points"));
}

TEST(SamplerRandomTest, RejectBadCountsAndLevels) {
    for (const std::string& name : kRandomSamplers) {
        const auto sampler = make(name);
        for (int64_t count : {int64_t{0}, int64_t{-1}, int64_t{100'000'001}}) {
            EXPECT_THAT(sampleError(*sampler, kMixed, count),
                        HasSubstr("number of points from 1 to 100000000"))
                << name << " " << count;
            EXPECT_THROW(sampler->pointCount(kMixed, count), std::invalid_argument) << name;
        }
        EXPECT_EQ(sampler->pointCount(kMixed, 100'000'000), 100'000'000) << name;
        EXPECT_THAT(sampleError(*sampler, {{0}, {-2}}, 10), HasSubstr("dimension 1 has -2 levels"))
            << name;
        const int64_t tooMany = (int64_t{1} << 53) + 1;
        EXPECT_THROW(sampler->pointCount({{tooMany}}, 10), std::invalid_argument) << name;
        EXPECT_NO_THROW(sampler->sample({{tooMany - 1}}, 10, 1)) << name;
    }
}

TEST(SamplerAllTest, PointCountMatchesSampleSize) {
    const std::vector<std::vector<SampleDimension>> dimensionSets = {
        {}, {{1}}, {{0}}, kMixed, {{2}, {3}, {5}}};
    for (const std::string& name : samplerNames()) {
        const auto sampler = make(name);
        for (const auto& dims : dimensionSets) {
            const bool continuous =
                std::any_of(dims.begin(), dims.end(), [](const auto& d) { return d.levels == 0; });
            if (name == "grid" && continuous) {
                continue; // rejected, tested above
            }
            for (int64_t count : {1, 7, 64}) {
                const Points points = sampler->sample(dims, count, 3);
                EXPECT_EQ(static_cast<int64_t>(points.size()), sampler->pointCount(dims, count))
                    << name << " with " << dims.size() << " dimensions, count " << count;
                for (const SamplePoint& p : points) {
                    ASSERT_EQ(p.size(), dims.size()) << name;
                }
            }
        }
    }
}

/// Continuous coordinates in [0, 1), discrete ones whole level indices in [0, levels).
void expectInRange(const Points& points, const std::vector<SampleDimension>& dims,
                   const std::string& what) {
    for (const SamplePoint& p : points) {
        ASSERT_EQ(p.size(), dims.size()) << what;
        for (std::size_t d = 0; d < dims.size(); ++d) {
            EXPECT_GE(p[d], 0.0) << what << " dimension " << d;
            if (dims[d].levels == 0) {
                EXPECT_LT(p[d], 1.0) << what << " dimension " << d;
            } else {
                EXPECT_EQ(p[d], std::floor(p[d])) << what << " dimension " << d;
                EXPECT_LT(p[d], static_cast<double>(dims[d].levels)) << what << " dimension " << d;
            }
        }
    }
}

TEST(SamplerRandomTest, CoordinatesAreInRange) {
    const std::vector<SampleDimension> dims = {{0}, {1}, {2}, {7}, {0}, {1000}};
    for (const std::string& name : kRandomSamplers) {
        for (uint64_t seed : {0ULL, 1ULL, 42ULL, ~0ULL}) {
            for (int64_t count : {1, 2, 3, 10, 999}) {
                expectInRange(make(name)->sample(dims, count, seed), dims,
                              name + " seed " + std::to_string(seed));
            }
        }
    }
}

TEST(SamplerRandomTest, SameSeedIsBitIdenticalAndSeedsDiffer) {
    for (const std::string& name : kRandomSamplers) {
        // Two sampler objects: nothing may carry over between calls or instances.
        const Points first = make(name)->sample(kMixed, 50, 7);
        const Points again = make(name)->sample(kMixed, 50, 7);
        ASSERT_EQ(first.size(), again.size());
        for (std::size_t i = 0; i < first.size(); ++i) {
            for (std::size_t d = 0; d < kMixed.size(); ++d) {
                EXPECT_EQ(std::memcmp(&first[i][d], &again[i][d], sizeof(double)), 0)
                    << name << " point " << i << " dimension " << d;
            }
        }
        const Points other = make(name)->sample(kMixed, 50, 8);
        EXPECT_NE(first, other) << name;
        // Each continuous column changes completely with the seed.
        for (std::size_t i = 0; i < first.size(); ++i) {
            EXPECT_NE(first[i][0], other[i][0]) << name << " point " << i;
        }
    }
}

TEST(SamplerRandomTest, SamplersAndDimensionsDrawFromSeparateStreams) {
    const Points random = make("random")->sample({{0}, {0}}, 20, 5);
    const Points lhs = make("latin-hypercube")->sample({{0}, {0}}, 20, 5);
    for (std::size_t i = 0; i < random.size(); ++i) {
        EXPECT_NE(random[i][0], random[i][1]) << i;
        EXPECT_NE(random[i][0], lhs[i][0]) << i;
    }
    // A dimension's values do not depend on the dimensions after it.
    for (const std::string& name : kRandomSamplers) {
        const Points two = make(name)->sample({{0}, {4}}, 30, 11);
        const Points three = make(name)->sample({{0}, {4}, {0}}, 30, 11);
        for (std::size_t i = 0; i < two.size(); ++i) {
            EXPECT_EQ(two[i][0], three[i][0]) << name << " point " << i;
            EXPECT_EQ(two[i][1], three[i][1]) << name << " point " << i;
        }
    }
    // Random points come one after the other: asking for more extends the list.
    const Points few = make("random")->sample(kMixed, 10, 3);
    const Points many = make("random")->sample(kMixed, 40, 3);
    EXPECT_EQ(few, Points(many.begin(), many.begin() + 10));
}

// Golden values: the first points for seed 1, computed once with this implementation and
// written as exact hexadecimal doubles. They pin the promise that a study's points are the
// same on every platform, compiler, standard library and release: a change here silently
// changes which designs every existing seeded study runs. Never regenerate them to make the
// test pass; a deliberate change of the sampling algorithm must say so in its commit and in
// the release notes.
TEST(SamplerRandomTest, GoldenValuesForSeedOneStayFixed) {
    // The engine itself, as the C++ standard fixes it ([rand.predef]: the 10000th output of a
    // default-constructed std::mt19937_64). If this fails, the standard library is at fault.
    std::mt19937_64 engine;
    engine.discard(9999);
    EXPECT_EQ(engine(), 9981545732273789042ULL);

    const std::vector<SampleDimension> dims = {{0}, {7}};
    const Points random = {
        {0x1.d22125d9e0b4cp-1, 6},
        {0x1.17966bb78f41ap-2, 3},
        {0x1.552183cb1ff34p-1, 5},
        {0x1.1f4bee30e2c52p-1, 3},
    };
    EXPECT_EQ(make("random")->sample(dims, 4, 1), random);
    const Points lhs = {
        {0x1.4349e84b0a984p-5, 3},
        {0x1.22a288dd9a1ep-1, 3},
        {0x1.64d5cc9a83ea6p-2, 6},
        {0x1.d42e4755b7bdcp-1, 0},
    };
    EXPECT_EQ(make("latin-hypercube")->sample(dims, 4, 1), lhs);
}

/// The stratum of a continuous coordinate, as the sampler promises it: floor(u * count).
std::vector<int64_t> strataOf(const Points& points, std::size_t d) {
    std::vector<int64_t> strata;
    for (const SamplePoint& p : points) {
        strata.push_back(
            static_cast<int64_t>(std::floor(p[d] * static_cast<double>(points.size()))));
    }
    return strata;
}

TEST(SamplerLatinHypercubeTest, EachDimensionHasOnePointPerStratum) {
    const auto lhs = make("latin-hypercube");
    const std::vector<SampleDimension> dims = {{0}, {0}, {0}};
    for (int64_t count : {1, 2, 97, 1000, 100'000}) {
        for (uint64_t seed : {1ULL, 2ULL}) {
            const Points points = lhs->sample(dims, count, seed);
            for (std::size_t d = 0; d < dims.size(); ++d) {
                std::vector<int> hits(static_cast<std::size_t>(count), 0);
                for (int64_t s : strataOf(points, d)) {
                    ASSERT_GE(s, 0);
                    ASSERT_LT(s, count);
                    ++hits[static_cast<std::size_t>(s)];
                }
                EXPECT_EQ(std::count(hits.begin(), hits.end(), 1), count)
                    << "count " << count << " seed " << seed << " dimension " << d;
            }
        }
    }
}

/// How many points take each level of dimension d.
std::vector<int64_t> levelCounts(const Points& points, std::size_t d, int64_t levels) {
    std::vector<int64_t> counts(static_cast<std::size_t>(levels), 0);
    for (const SamplePoint& p : points) {
        ++counts[static_cast<std::size_t>(p[d])];
    }
    return counts;
}

// Whole-number division rounding down and up, for a >= 0 and b > 0.
int64_t floorDiv(int64_t a, int64_t b) {
    return a / b;
}
int64_t ceilDiv(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

TEST(SamplerLatinHypercubeTest, DiscreteLevelsAreBalanced) {
    const auto lhs = make("latin-hypercube");
    for (uint64_t seed = 0; seed < 20; ++seed) {
        // k divides count: exactly count / k points per level.
        for (const auto& [count, k] : std::vector<std::pair<int64_t, int64_t>>{
                 {100, 4}, {12, 3}, {7, 7}, {6, 1}, {1000, 8}}) {
            const Points points = lhs->sample({{k}, {0}}, count, seed);
            for (int64_t c : levelCounts(points, 0, k)) {
                EXPECT_EQ(c, count / k) << "count " << count << " levels " << k;
            }
        }
        // Otherwise: between the strata inside a level's interval [L/k, (L+1)/k) and those
        // overlapping it, i.e. within 2 of count / k.
        for (const auto& [count, k] : std::vector<std::pair<int64_t, int64_t>>{
                 {100, 3}, {10, 4}, {11, 7}, {4, 10}, {3, 1000}, {1, 5}}) {
            const Points points = lhs->sample({{0}, {k}}, count, seed);
            const std::vector<int64_t> counts = levelCounts(points, 1, k);
            for (int64_t level = 0; level < k; ++level) {
                const int64_t inside = floorDiv((level + 1) * count, k) - ceilDiv(level * count, k);
                const int64_t overlapping =
                    ceilDiv((level + 1) * count, k) - floorDiv(level * count, k);
                const auto c = counts[static_cast<std::size_t>(level)];
                EXPECT_GE(c, inside) << "count " << count << " levels " << k << " level " << level;
                EXPECT_LE(c, overlapping)
                    << "count " << count << " levels " << k << " level " << level;
            }
        }
    }
}

TEST(SamplerRandomTest, CoordinatesLookUniform) {
    // Loose checks (about 6 standard deviations for the random sampler) on a fixed seed, so
    // never flaky: a gross conversion error (wrong scale, modulo of a narrow draw, an
    // off-by-one level) would fail them.
    constexpr int64_t kCount = 20000;
    for (const std::string& name : kRandomSamplers) {
        const Points points = make(name)->sample({{0}, {5}}, kCount, 2024);
        double sum = 0;
        int64_t below = 0;
        for (const SamplePoint& p : points) {
            sum += p[0];
            below += p[0] < 0.25 ? 1 : 0;
        }
        EXPECT_NEAR(sum / kCount, 0.5, 0.015) << name;
        EXPECT_NEAR(static_cast<double>(below) / kCount, 0.25, 0.02) << name;
        for (int64_t c : levelCounts(points, 1, 5)) {
            EXPECT_NEAR(static_cast<double>(c), kCount / 5.0, 350.0) << name;
        }
    }
}

TEST(SamplerRandomHelpersTest, PermutationsAndBoundedIntegers) {
    std::mt19937_64 rng = detail::makeStream(1, 0, 0);
    for (int64_t n : {1, 2, 3, 10, 1000}) {
        std::vector<int64_t> p = detail::randomPermutation(rng, n);
        std::sort(p.begin(), p.end());
        for (int64_t i = 0; i < n; ++i) {
            EXPECT_EQ(p[static_cast<std::size_t>(i)], i);
        }
    }
    for (uint64_t n : {1ULL, 2ULL, 3ULL, 1ULL << 63, (1ULL << 63) + 1, ~0ULL}) {
        for (int i = 0; i < 100; ++i) {
            EXPECT_LT(detail::uniformBelow(rng, n), n);
        }
    }
    for (int i = 0; i < 1000; ++i) {
        const double u = detail::unitInterval(rng);
        EXPECT_GE(u, 0.0);
        EXPECT_LT(u, 1.0);
    }
}

} // namespace
} // namespace edgesim::explorer
