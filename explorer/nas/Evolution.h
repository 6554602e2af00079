// The generation loop every evolutionary search shares: a first population of seeds and
// random chromosomes, then propose / evaluate / survive for each generation, with hooks for
// the caller's evaluation (a NAS runner simulating and training candidates, a benchmark
// function in tests) and for what it records per generation.
#pragma once

#include "explorer/nas/SearchAlgorithm.h"

#include <functional>

namespace edgesim::explorer::nas {

/// An evaluated chromosome: objectives to minimise and the total constraint violation.
struct Evaluation {
    std::vector<double> objectives;
    double violation = 0;
};

struct EvolutionHooks {
    /// Evaluates the chromosomes of `generation`, in order (required).
    std::function<std::vector<Evaluation>(int generation, const std::vector<Offspring>&)> evaluate;
    /// After each generation (0 = the first population): the individuals it evaluated, each
    /// with its rank and crowding distance among the population it competed in, and the
    /// population that goes on (optional).
    std::function<void(int generation, const std::vector<Individual>& evaluated,
                       const std::vector<Individual>& population)>
        generationDone;
    /// Checked before each generation: true stops the search (optional).
    std::function<bool()> stop;
};

/// Runs `settings.generations()` generations of `algorithm` (configured here) after the first
/// population: `seeds` first, then random chromosomes (no repeats where a few redraws avoid
/// them) up to `settings.population()`. Every random number comes from one std::mt19937
/// seeded with `seed`. Returns the last population.
std::vector<Individual> evolve(SearchAlgorithm& algorithm, const spec::Algorithm& settings,
                               const Bounds& bounds, const std::vector<Chromosome>& seeds,
                               uint64_t seed, const EvolutionHooks& hooks);

/// A chromosome drawn uniformly within `bounds` (integers uniformly among whole values).
Chromosome randomChromosome(const Bounds& bounds, std::mt19937& rng);

} // namespace edgesim::explorer::nas
