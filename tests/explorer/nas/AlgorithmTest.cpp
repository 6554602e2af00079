// The NAS search algorithms (explorer/nas/impl/) on benchmark problems with known fronts:
// ZDT1 and ZDT2 (Zitzler, Deb and Thiele 2000; 30 continuous variables), Deb's constrained
// CONSTR problem, and an integer problem with a constraint as NAS genomes are; plus the
// constraint-domination ranking and determinism.
#include "explorer/nas/Evolution.h"
#include "explorer/nas/SearchAlgorithm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace edgesim::explorer::nas {
namespace {

using Problem = std::function<Evaluation(const Chromosome&)>;

Evaluation zdt(const Chromosome& x, bool convex) {
    double sum = 0;
    for (std::size_t i = 1; i < x.size(); ++i) {
        sum += x[i];
    }
    const double g = 1 + 9 * sum / static_cast<double>(x.size() - 1);
    const double r = x[0] / g;
    const double h = convex ? 1 - std::sqrt(r) : 1 - r * r;
    return {{x[0], g * h}, 0.0};
}

/// Deb's CONSTR: min x1, (1 + x2) / x1 s.t. x2 + 9 x1 >= 6, -x2 + 9 x1 >= 1.
Evaluation constr(const Chromosome& x) {
    const double v = std::max(0.0, 6 - (x[1] + 9 * x[0])) + std::max(0.0, 1 - (-x[1] + 9 * x[0]));
    return {{x[0], (1 + x[1]) / x[0]}, v};
}

spec::Algorithm settings(const std::string& kind, int population, int generations,
                         std::size_t genes) {
    spec::Algorithm a;
    a.set_kind(kind);
    a.set_population(population);
    a.set_generations(generations);
    a.set_offspring(kind == "nsga2" ? population : population / 4);
    a.set_sample_size(std::max(2, population / 4));
    a.set_crossover_probability(0.9);
    a.set_mutation_probability(1.0 / static_cast<double>(genes));
    a.set_eta_c(15);
    a.set_eta_m(20);
    return a;
}

std::vector<Individual> run(const std::string& kind, const Problem& f, const Bounds& b,
                            int population, int generations, uint64_t seed,
                            int* evaluations = nullptr,
                            std::vector<Individual>* archive = nullptr) {
    auto algo = makeSearchAlgorithm(kind);
    EXPECT_NE(algo, nullptr);
    EvolutionHooks hooks;
    hooks.evaluate = [&](int, const std::vector<Offspring>& o) {
        std::vector<Evaluation> out;
        for (const auto& c : o) {
            out.push_back(f(c.chromosome));
        }
        if (evaluations != nullptr) {
            *evaluations += static_cast<int>(o.size());
        }
        return out;
    };
    if (archive != nullptr) {
        hooks.generationDone = [&](int, const std::vector<Individual>& evaluated,
                                   const std::vector<Individual>&) {
            archive->insert(archive->end(), evaluated.begin(), evaluated.end());
        };
    }
    return evolve(*algo, settings(kind, population, generations, b.lower.size()), b, {}, seed,
                  hooks);
}

std::vector<std::vector<double>> objectives(const std::vector<Individual>& pop) {
    std::vector<std::vector<double>> out;
    for (const auto& i : pop) {
        if (i.violation == 0) {
            out.push_back(i.objectives);
        }
    }
    return out;
}

TEST(NasAlgorithmTest, Nsga2ReachesTheZdtFronts) {
    const Bounds b{Chromosome(30, 0.0), Chromosome(30, 1.0), 0};
    // Hypervolume of the true fronts up to (1, 1): ZDT1 integral of sqrt(f1) = 2/3; ZDT2
    // integral of f1^2 = 1/3.
    for (bool convex : {true, false}) {
        SCOPED_TRACE(convex ? "ZDT1" : "ZDT2");
        const auto pop = run(
            "nsga2", [&](const Chromosome& x) { return zdt(x, convex); }, b, 100, 250, 1);
        const double hv = hypervolume(objectives(pop), {1.0, 1.0});
        const double known = convex ? 2.0 / 3.0 : 1.0 / 3.0;
        EXPECT_GT(hv, 0.97 * known);
        EXPECT_LE(hv, known + 1e-9);
    }
}

TEST(NasAlgorithmTest, Nsga2RespectsConstraintsOnConstr) {
    const Bounds b{{0.1, 0.0}, {1.0, 5.0}, 0};
    const auto pop = run("nsga2", constr, b, 60, 100, 2);
    for (const auto& i : pop) {
        EXPECT_EQ(i.violation, 0.0);
    }
    // The known front: x2 = 6 - 9 x1 for x1 in [7/18, 2/3], x2 = 0 for x1 in [2/3, 1];
    // its hypervolume up to (1, 10) by a fine sum over f1.
    double known = 0;
    const int n = 200000;
    for (int k = 0; k < n; ++k) {
        const double x1 = 7.0 / 18 + (1 - 7.0 / 18) * (k + 0.5) / n;
        const double f2 = x1 <= 2.0 / 3 ? (7 - 9 * x1) / x1 : 1 / x1;
        known += (10 - f2) * (1 - 7.0 / 18) / n;
    }
    const double hv = hypervolume(objectives(pop), {1.0, 10.0});
    EXPECT_GT(hv, 0.97 * known);
    EXPECT_LE(hv, known * 1.001);
}

/// Integer genes in [0, 9] (a NAS genome's choice indices): minimise the sum and the sum of
/// (9 - g)^2 subject to g0 + g1 >= 12: the front has g0 + g1 = 12 or more.
Evaluation integerProblem(const Chromosome& g) {
    double s = 0;
    double q = 0;
    for (double v : g) {
        s += v;
        q += (9 - v) * (9 - v);
    }
    return {{s, q}, std::max(0.0, 12 - (g[0] + g[1])) / 12};
}

TEST(NasAlgorithmTest, BothAlgorithmsHandleIntegerGenomesAndConstraints) {
    const Bounds b{Chromosome(8, 0.0), Chromosome(8, 9.0), 8};
    for (const char* kind : {"nsga2", "aging-evolution"}) {
        SCOPED_TRACE(kind);
        int evaluations = 0;
        std::vector<Individual> archive;
        const bool nsga2 = kind == std::string("nsga2");
        const int generations = nsga2 ? 100 : 400;
        const auto pop = run(kind, integerProblem, b, 40, generations, 3, &evaluations, &archive);
        EXPECT_EQ(static_cast<int>(archive.size()), evaluations);
        EXPECT_EQ(static_cast<int>(pop.size()), 40);
        int feasible = 0;
        for (const auto& i : pop) {
            for (double v : i.chromosome) {
                EXPECT_EQ(v, std::round(v));
                EXPECT_GE(v, 0);
                EXPECT_LE(v, 9);
            }
            feasible += i.violation == 0 ? 1 : 0;
        }
        // NSGA-II keeps the best 40 (all feasible); aging evolution keeps the 40 youngest,
        // most of them feasible children of feasible parents.
        EXPECT_GE(feasible, nsga2 ? 40 : 30);
        // Against the true front, by dynamic programming over the genes: the least sum of
        // squares for each feasible total.
        std::vector<double> rest(73, 1e18); // genes 2..7: least sum of squares per total
        rest[0] = 0;
        for (int gene = 2; gene < 8; ++gene) {
            std::vector<double> next(73, 1e18);
            for (int t = 0; t <= 72; ++t) {
                for (int v = 0; v <= 9 && t + v <= 72; ++v) {
                    next[t + v] = std::min(next[t + v], rest[t] + (9 - v) * (9 - v));
                }
            }
            rest = next;
        }
        std::vector<std::vector<double>> front;
        for (int g0 = 0; g0 <= 9; ++g0) {
            for (int g1 = 12 - g0; g1 <= 9; ++g1) {
                for (int t = 0; t <= 54; ++t) {
                    front.push_back({static_cast<double>(g0 + g1 + t),
                                     rest[t] + (9 - g0) * (9 - g0) + (9 - g1) * (9 - g1)});
                }
            }
        }
        const std::vector<double> ref = {73, 649};
        const double known = hypervolume(front, ref);
        const double hv = hypervolume(objectives(pop), ref);
        EXPECT_LE(hv, known);
        // Aging evolution keeps the youngest, not the best, so its last population holds
        // less of the front than everything it evaluated; that beats random search with the
        // same budget clearly.
        EXPECT_GT(hv, (nsga2 ? 0.99 : 0.90) * known);
        const double archived = hypervolume(objectives(archive), ref);
        EXPECT_GE(archived, hv);
        EXPECT_GT(archived, 0.98 * known);
        std::mt19937 rng(3);
        std::vector<std::vector<double>> sampled;
        for (int i = 0; i < evaluations; ++i) {
            const Evaluation e = integerProblem(randomChromosome(b, rng));
            if (e.violation == 0) {
                sampled.push_back(e.objectives);
            }
        }
        EXPECT_GT(archived, hypervolume(sampled, ref) + 0.02 * known);
        EXPECT_EQ(evaluations, 40 + generations * (nsga2 ? 40 : 10));
    }
}

TEST(NasAlgorithmTest, SameSeedSameRunOtherSeedOtherRun) {
    const Bounds b{Chromosome(8, 0.0), Chromosome(8, 9.0), 8};
    for (const char* kind : {"nsga2", "aging-evolution"}) {
        const auto a = run(kind, integerProblem, b, 20, 10, 5);
        const auto c = run(kind, integerProblem, b, 20, 10, 5);
        const auto d = run(kind, integerProblem, b, 20, 10, 6);
        ASSERT_EQ(a.size(), c.size());
        bool differs = false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            EXPECT_EQ(a[i].id, c[i].id);
            EXPECT_EQ(a[i].chromosome, c[i].chromosome);
            differs = differs || a[i].chromosome != d[i].chromosome;
        }
        EXPECT_TRUE(differs);
    }
}

TEST(NasAlgorithmTest, ConstraintDominationRanksFeasibleFirstThenByViolation) {
    std::vector<Individual> pop(5);
    pop[0].objectives = {1, 1};
    pop[1].objectives = {0, 3};
    pop[2].objectives = {2, 2}; // dominated by 0
    pop[3].objectives = {0, 0};
    pop[3].violation = 0.5; // best objectives, but infeasible
    pop[4].objectives = {0, 0};
    pop[4].violation = 0.1;
    rankPopulation(pop);
    EXPECT_EQ(pop[0].rank, 0);
    EXPECT_EQ(pop[1].rank, 0);
    EXPECT_EQ(pop[2].rank, 1);
    EXPECT_EQ(pop[4].rank, 2);
    EXPECT_EQ(pop[3].rank, 3);
    EXPECT_TRUE(tournamentBeats(pop[2], pop[4]));  // feasible beats infeasible
    EXPECT_TRUE(tournamentBeats(pop[4], pop[3]));  // smaller violation wins
    EXPECT_TRUE(tournamentBeats(pop[0], pop[2]));  // lower front wins
    EXPECT_FALSE(tournamentBeats(pop[0], pop[1])); // same front, both ends: a tie
    // One feasible individual: the first front alone.
    std::vector<Individual> lone(2);
    lone[0].objectives = {1, 1};
    lone[1].objectives = {0, 0};
    lone[1].violation = 1;
    rankPopulation(lone);
    EXPECT_EQ(lone[0].rank, 0);
    EXPECT_EQ(lone[1].rank, 1);
    // One objective: fronts are the values in order.
    std::vector<Individual> one(3);
    one[0].objectives = {3};
    one[1].objectives = {1};
    one[2].objectives = {2};
    rankPopulation(one);
    EXPECT_EQ(one[1].rank, 0);
    EXPECT_EQ(one[2].rank, 1);
    EXPECT_EQ(one[0].rank, 2);
}

TEST(NasAlgorithmTest, HypervolumeOfKnownPoints) {
    // Two points (1, 3) and (2, 1) up to (4, 4): 3*1 + 2*3 - 2*1 = 7.
    EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {2, 1}}, {4, 4}), 7.0);
    // A point outside the reference box adds nothing; none inside gives 0.
    EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {5, 0}}, {4, 4}), 3.0);
    EXPECT_DOUBLE_EQ(hypervolume({{5, 5}}, {4, 4}), 0.0);
}

} // namespace
} // namespace edgesim::explorer::nas
