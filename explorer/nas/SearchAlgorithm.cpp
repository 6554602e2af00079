#include "explorer/nas/SearchAlgorithm.h"

#include "common/Registry.h"

#include <pagmo/utils/genetic_operators.hpp>
#include <pagmo/utils/hypervolume.hpp>
#include <pagmo/utils/multi_objective.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace edgesim::explorer::nas {

std::unique_ptr<SearchAlgorithm> makeSearchAlgorithm(const std::string& name) {
    return Registry<SearchAlgorithm>::instance().make(name);
}

std::vector<std::string> searchAlgorithmNames() {
    return Registry<SearchAlgorithm>::instance().names();
}

void rankPopulation(std::vector<Individual>& population) {
    std::vector<std::size_t> feasible;
    std::map<double, std::vector<std::size_t>> infeasible; // by violation, ascending
    for (std::size_t i = 0; i < population.size(); ++i) {
        if (population[i].violation > 0) {
            infeasible[population[i].violation].push_back(i);
        } else {
            feasible.push_back(i);
        }
    }
    int nextRank = 0;
    if (feasible.size() == 1) {
        population[feasible[0]].rank = nextRank++;
        population[feasible[0]].crowding = std::numeric_limits<double>::infinity();
    } else if (!feasible.empty() && population[feasible[0]].objectives.size() == 1) {
        // One objective: fronts are the distinct values, ascending (pagmo sorts two or more).
        std::map<double, std::vector<std::size_t>> byValue;
        for (std::size_t i : feasible) {
            byValue[population[i].objectives[0]].push_back(i);
        }
        for (const auto& entry : byValue) {
            for (std::size_t i : entry.second) {
                population[i].rank = nextRank;
                population[i].crowding = std::numeric_limits<double>::infinity();
            }
            ++nextRank;
        }
    } else if (!feasible.empty()) {
        std::vector<pagmo::vector_double> points;
        for (std::size_t i : feasible) {
            points.push_back(population[i].objectives);
        }
        const auto fronts = std::get<0>(pagmo::fast_non_dominated_sorting(points));
        for (const auto& front : fronts) {
            std::vector<pagmo::vector_double> fp;
            for (auto k : front) {
                fp.push_back(points[k]);
            }
            // pagmo needs two points per front; one or two are both ends (+inf).
            pagmo::vector_double crowd(front.size(), std::numeric_limits<double>::infinity());
            if (front.size() > 2) {
                crowd = pagmo::crowding_distance(fp);
            }
            for (std::size_t k = 0; k < front.size(); ++k) {
                Individual& ind = population[feasible[front[k]]];
                ind.rank = nextRank;
                ind.crowding = crowd[k];
            }
            ++nextRank;
        }
    }
    for (const auto& entry : infeasible) {
        for (std::size_t i : entry.second) {
            population[i].rank = nextRank;
            population[i].crowding = 0;
        }
        ++nextRank;
    }
}

bool tournamentBeats(const Individual& a, const Individual& b) {
    if (a.violation > 0 || b.violation > 0) {
        return a.violation < b.violation;
    }
    if (a.rank != b.rank) {
        return a.rank < b.rank;
    }
    return a.crowding > b.crowding;
}

double hypervolume(const std::vector<std::vector<double>>& points,
                   const std::vector<double>& reference) {
    std::vector<pagmo::vector_double> inside;
    for (const auto& p : points) {
        bool better = p.size() == reference.size();
        for (std::size_t k = 0; better && k < p.size(); ++k) {
            better = std::isfinite(p[k]) && p[k] < reference[k];
        }
        if (better) {
            inside.push_back(p);
        }
    }
    if (inside.empty()) {
        return 0.0;
    }
    return pagmo::hypervolume(inside, false).compute(reference);
}

namespace {

/// Bounds with each integer gene widened to [lower - 0.5, upper + 0.5 - epsilon].
std::pair<pagmo::vector_double, pagmo::vector_double> realBox(const Bounds& b) {
    std::pair<pagmo::vector_double, pagmo::vector_double> box{b.lower, b.upper};
    for (std::size_t g = b.lower.size() - b.integers; g < b.lower.size(); ++g) {
        box.first[g] -= 0.5;
        box.second[g] += 0.5 - 1e-9;
    }
    return box;
}

void roundIntegers(Chromosome& c, const Bounds& b) {
    for (std::size_t g = c.size() - b.integers; g < c.size(); ++g) {
        c[g] = std::clamp(std::round(c[g]), b.lower[g], b.upper[g]);
    }
}

} // namespace

std::pair<Chromosome, Chromosome> crossover(const Chromosome& a, const Chromosome& b,
                                            const Bounds& bounds, double probability, double eta,
                                            std::mt19937& rng) {
    auto children = pagmo::sbx_crossover(a, b, realBox(bounds), 0, probability, eta, rng);
    roundIntegers(children.first, bounds);
    roundIntegers(children.second, bounds);
    return children;
}

void mutate(Chromosome& c, const Bounds& bounds, double probability, double eta,
            std::mt19937& rng) {
    pagmo::polynomial_mutation(c, realBox(bounds), 0, probability, eta, rng);
    roundIntegers(c, bounds);
}

bool repeats(const Chromosome& c, const std::vector<Individual>& population,
             const std::vector<Offspring>& children) {
    return std::any_of(population.begin(), population.end(),
                       [&](const Individual& i) { return i.chromosome == c; }) ||
           std::any_of(children.begin(), children.end(),
                       [&](const Offspring& o) { return o.chromosome == c; });
}

} // namespace edgesim::explorer::nas
