#include "explorer/nas/Evolution.h"

#include <cmath>
#include <stdexcept>

namespace edgesim::explorer::nas {

namespace {

/// `offspring` with their evaluations as individuals numbered from `nextId`.
std::vector<Individual> individuals(int generation, std::vector<Offspring> offspring,
                                    const std::vector<Evaluation>& evaluations, int64_t& nextId) {
    if (evaluations.size() != offspring.size()) {
        throw std::logic_error("evolve: the evaluation hook returned a wrong number of results");
    }
    std::vector<Individual> out;
    for (std::size_t i = 0; i < offspring.size(); ++i) {
        Individual ind;
        ind.id = nextId++;
        ind.generation = generation;
        ind.chromosome = std::move(offspring[i].chromosome);
        ind.parents = std::move(offspring[i].parents);
        ind.objectives = evaluations[i].objectives;
        ind.violation = evaluations[i].violation;
        out.push_back(std::move(ind));
    }
    return out;
}

} // namespace

Chromosome randomChromosome(const Bounds& bounds, std::mt19937& rng) {
    Chromosome c(bounds.lower.size());
    const std::size_t firstInteger = c.size() - bounds.integers;
    for (std::size_t g = 0; g < c.size(); ++g) {
        if (g >= firstInteger) {
            c[g] = static_cast<double>(std::uniform_int_distribution<int64_t>(
                static_cast<int64_t>(bounds.lower[g]), static_cast<int64_t>(bounds.upper[g]))(rng));
        } else {
            c[g] = std::uniform_real_distribution<double>(bounds.lower[g], bounds.upper[g])(rng);
        }
    }
    return c;
}

std::vector<Individual> evolve(SearchAlgorithm& algorithm, const spec::Algorithm& settings,
                               const Bounds& bounds, const std::vector<Chromosome>& seeds,
                               uint64_t seed, const EvolutionHooks& hooks) {
    algorithm.configure(settings, bounds);
    std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
    int64_t nextId = 0;

    std::vector<Offspring> first;
    for (const auto& s : seeds) {
        if (!repeats(s, {}, first)) {
            first.push_back({s, {}});
        }
    }
    const auto population = static_cast<std::size_t>(settings.population());
    int redraws = 0;
    while (first.size() < population) {
        Chromosome c = randomChromosome(bounds, rng);
        if (repeats(c, {}, first) && redraws < kDuplicateRedraws * static_cast<int>(population)) {
            ++redraws;
            continue;
        }
        first.push_back({std::move(c), {}});
    }
    std::vector<Individual> current = individuals(0, first, hooks.evaluate(0, first), nextId);
    rankPopulation(current);
    if (hooks.generationDone) {
        hooks.generationDone(0, current, current);
    }
    for (int g = 1; g <= settings.generations(); ++g) {
        if (hooks.stop && hooks.stop()) {
            break;
        }
        std::vector<Offspring> proposed = algorithm.propose(current, rng);
        const std::vector<Evaluation> evaluations = hooks.evaluate(g, proposed);
        std::vector<Individual> children = individuals(g, std::move(proposed), evaluations, nextId);
        if (hooks.generationDone) {
            // Each child's rank and crowding among everything it competed with.
            std::vector<Individual> all = current;
            all.insert(all.end(), children.begin(), children.end());
            rankPopulation(all);
            std::vector<Individual> ranked(all.end() - static_cast<std::ptrdiff_t>(children.size()),
                                           all.end());
            current = algorithm.survive(std::move(current), std::move(children));
            hooks.generationDone(g, ranked, current);
        } else {
            current = algorithm.survive(std::move(current), std::move(children));
        }
    }
    return current;
}

} // namespace edgesim::explorer::nas
