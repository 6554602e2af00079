// Pareto fronts against independent truth: small sets whose fronts are worked out by hand, a
// brute-force reference that applies the definition of dominance pair by pair to random sets
// (ties, duplicates, infinities and NaN included), and large sets whose front is known by
// construction.
#include "analysis/Pareto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace edgesim::analysis {
namespace {

using Points = std::vector<std::vector<double>>;
using Indices = std::vector<std::size_t>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// The contract's definition, written out without any of the implementation's reasoning.
bool dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Sense>& senses) {
    bool strictly = false;
    for (std::size_t k = 0; k < senses.size(); ++k) {
        if (std::isnan(a[k]) || std::isnan(b[k])) {
            return false;
        }
        const bool better = senses[k] == Sense::Minimize ? a[k] < b[k] : a[k] > b[k];
        const bool worse = senses[k] == Sense::Minimize ? a[k] > b[k] : a[k] < b[k];
        if (worse) {
            return false;
        }
        strictly = strictly || better;
    }
    return strictly;
}

Indices bruteForceFront(const Points& points, const std::vector<Sense>& senses) {
    Indices front;
    for (std::size_t i = 0; i < points.size(); ++i) {
        bool onFront = true;
        for (double v : points[i]) {
            onFront = onFront && !std::isnan(v);
        }
        for (std::size_t j = 0; j < points.size() && onFront; ++j) {
            onFront = !dominates(points[j], points[i], senses);
        }
        if (onFront) {
            front.push_back(i);
        }
    }
    return front;
}

TEST(ParetoTest, TwoObjectivesByHand) {
    // (latency, energy), both minimised: (1,5), (2,3), (4,1) trade off; (3,4) loses to (2,3),
    // (5,5) to everything, (2,6) to (1,5), (4,2) to (4,1).
    const Points points = {{3, 4}, {1, 5}, {5, 5}, {2, 3}, {2, 6}, {4, 1}, {4, 2}};
    EXPECT_EQ(paretoFront(points, {Sense::Minimize, Sense::Minimize}), (Indices{1, 3, 5}));
}

TEST(ParetoTest, MaximizeFlipsTheDirection) {
    // (latency, accuracy): minimise latency, maximise accuracy.
    const Points points = {{1, 0.70}, {2, 0.80}, {3, 0.75}, {4, 0.90}, {4, 0.85}};
    EXPECT_EQ(paretoFront(points, {Sense::Minimize, Sense::Maximize}), (Indices{0, 1, 3}));
    // Both maximised: only (4, 0.90) is not beaten.
    EXPECT_EQ(paretoFront(points, {Sense::Maximize, Sense::Maximize}), (Indices{3}));
    // Both minimised: only (1, 0.70).
    EXPECT_EQ(paretoFront(points, {Sense::Minimize, Sense::Minimize}), (Indices{0}));
}

TEST(ParetoTest, EqualFirstObjectiveIsBeatenBySmallerSecond) {
    const Points points = {{1, 2}, {1, 1}, {0, 2}};
    // (1,2) loses to both; (1,1) and (0,2) trade off.
    EXPECT_EQ(paretoFront(points, {Sense::Minimize, Sense::Minimize}), (Indices{1, 2}));
}

TEST(ParetoTest, DuplicatesOfFrontPointsAreAllKept) {
    const Points points = {{1, 2}, {2, 1}, {1, 2}, {3, 3}, {3, 3}, {2, 1}, {1, 2}};
    EXPECT_EQ(paretoFront(points, {Sense::Minimize, Sense::Minimize}), (Indices{0, 1, 2, 5, 6}));
    const Points same = {{7, 7, 7}, {7, 7, 7}, {7, 7, 7}};
    EXPECT_EQ(paretoFront(same, {Sense::Minimize, Sense::Maximize, Sense::Minimize}),
              (Indices{0, 1, 2}));
}

TEST(ParetoTest, NanRowsAreNeitherOnTheFrontNorDominate) {
    // Row 0 would beat everything if NaN were ignored; row 2 would beat row 3.
    const Points points = {{0, kNaN}, {2, 2}, {kNaN, 0}, {1, 3}, {kNaN, kNaN}};
    EXPECT_EQ(paretoFront(points, {Sense::Minimize, Sense::Minimize}), (Indices{1, 3}));
    EXPECT_EQ(paretoFront(Points{{kNaN, 1}}, {Sense::Minimize, Sense::Minimize}), Indices{});
}

TEST(ParetoTest, InfinitiesAreOrdinaryValues) {
    const std::vector<Sense> min2 = {Sense::Minimize, Sense::Minimize};
    EXPECT_EQ(paretoFront(Points{{0, kInf}, {1, 5}}, min2), (Indices{0, 1}));
    EXPECT_EQ(paretoFront(Points{{0, kInf}, {1, kInf}}, min2), (Indices{0}));
    EXPECT_EQ(paretoFront(Points{{-kInf, kInf}, {kInf, -kInf}, {kInf, kInf}}, min2),
              (Indices{0, 1}));
}

TEST(ParetoTest, OneObjectiveKeepsEveryMinimum) {
    const Points points = {{3}, {1}, {2}, {1}, {kNaN}, {1}};
    EXPECT_EQ(paretoFront(points, {Sense::Minimize}), (Indices{1, 3, 5}));
    EXPECT_EQ(paretoFront(points, {Sense::Maximize}), (Indices{0}));
}

TEST(ParetoTest, ThreeObjectivesByHand) {
    // (latency, energy, error): rows 0-2 each best in one objective; row 3 trades off with
    // them; row 4 loses to row 3 only in the last objective; row 5 equals row 3 on two
    // objectives and loses on the third.
    const Points points = {{1, 9, 9}, {9, 1, 9}, {9, 9, 1}, {5, 5, 5}, {5, 5, 6}, {5, 6, 5}};
    const std::vector<Sense> min3 = {Sense::Minimize, Sense::Minimize, Sense::Minimize};
    EXPECT_EQ(paretoFront(points, min3), (Indices{0, 1, 2, 3}));
}

TEST(ParetoTest, EmptyInputGivesEmptyFront) {
    EXPECT_EQ(paretoFront(Points{}, {Sense::Minimize}), Indices{});
}

TEST(ParetoTest, InvalidArgumentsThrow) {
    EXPECT_THROW(paretoFront(Points{{1}}, {}), std::invalid_argument);
    EXPECT_THROW(paretoFront(Points{}, {}), std::invalid_argument);
    EXPECT_THROW(paretoFront(Points{{1, 2}, {1}}, {Sense::Minimize, Sense::Minimize}),
                 std::invalid_argument);
    EXPECT_THROW(paretoFront(Points{{1, 2, 3}}, {Sense::Minimize, Sense::Minimize}),
                 std::invalid_argument);
}

/// Random points drawn from a small pool of values, so that ties, duplicates, infinities and
/// NaN are common. The test data needs no cross-platform determinism (the reference is
/// computed on the same data), but modulo keeps it the same everywhere anyway.
Points randomPoints(std::mt19937_64& rng, std::size_t n, std::size_t width) {
    const double pool[] = {-kInf, 0, 1, 1.5, 2, 3, 4, kInf, kNaN};
    Points points(n, std::vector<double>(width));
    for (auto& p : points) {
        for (double& v : p) {
            // Mostly finite: NaN and infinities at 1 in 30 each.
            const uint64_t r = rng() % 30;
            v = r == 0 ? pool[0] : r == 1 ? pool[7] : r == 2 ? pool[8] : pool[1 + r % 6];
        }
    }
    return points;
}

/// As randomPoints, with continuous values (few ties) in [0, 1).
Points continuousPoints(std::mt19937_64& rng, std::size_t n, std::size_t width) {
    Points points(n, std::vector<double>(width));
    for (auto& p : points) {
        for (double& v : p) {
            v = static_cast<double>(rng() >> 11) * 0x1.0p-53;
        }
    }
    return points;
}

void expectMatchesBruteForce(const std::vector<Sense>& senses) {
    std::mt19937_64 rng(20240601 + senses.size());
    for (int trial = 0; trial < 20; ++trial) {
        const std::size_t n = 1 + rng() % 400;
        const Points tied = randomPoints(rng, n, senses.size());
        ASSERT_EQ(paretoFront(tied, senses), bruteForceFront(tied, senses))
            << senses.size() << " objectives, tied values, trial " << trial;
        const Points continuous = continuousPoints(rng, n, senses.size());
        ASSERT_EQ(paretoFront(continuous, senses), bruteForceFront(continuous, senses))
            << senses.size() << " objectives, continuous values, trial " << trial;
    }
}

TEST(ParetoTest, MatchesBruteForceWithTwoObjectives) {
    expectMatchesBruteForce({Sense::Minimize, Sense::Maximize});
    expectMatchesBruteForce({Sense::Maximize, Sense::Maximize});
}

TEST(ParetoTest, MatchesBruteForceWithThreeObjectives) {
    expectMatchesBruteForce({Sense::Minimize, Sense::Maximize, Sense::Minimize});
    expectMatchesBruteForce({Sense::Maximize, Sense::Minimize, Sense::Maximize});
}

TEST(ParetoTest, MatchesBruteForceWithFourObjectives) {
    expectMatchesBruteForce({Sense::Minimize, Sense::Maximize, Sense::Maximize, Sense::Minimize});
    expectMatchesBruteForce({Sense::Minimize, Sense::Minimize, Sense::Minimize, Sense::Minimize});
}

TEST(ParetoTest, LargeSetsWithKnownFronts) {
    // 2 objectives: (i, n - i) all trade off; each (i + 1, n - i) copy loses to its original.
    constexpr std::size_t kN = 50000;
    Points points2;
    for (std::size_t i = 0; i < kN; ++i) {
        const auto x = static_cast<double>(i);
        points2.push_back({x, kN - x});
        points2.push_back({x + 1, kN - x});
    }
    Indices expected2;
    for (std::size_t i = 0; i < 2 * kN; i += 2) {
        expected2.push_back(i);
    }
    EXPECT_EQ(paretoFront(points2, {Sense::Minimize, Sense::Minimize}), expected2);

    // 3 objectives: whole-number points of the plane x + y + z = m (none is <= another without
    // being equal), every one on the front; a copy raised by one in z loses to its original.
    constexpr int kM = 223; // (m + 1)(m + 2) / 2 = 25200 plane points, 50400 in all
    Points points3;
    Indices expected3;
    for (int x = 0; x <= kM; ++x) {
        for (int y = 0; x + y <= kM; ++y) {
            const int z = kM - x - y;
            expected3.push_back(points3.size());
            const double dx = x;
            const double dy = y;
            const double dz = z;
            points3.push_back({dx, -dy, dz});
            points3.push_back({dx, -dy, dz + 1});
        }
    }
    EXPECT_EQ(paretoFront(points3, {Sense::Minimize, Sense::Maximize, Sense::Minimize}), expected3);
}

} // namespace
} // namespace edgesim::analysis
