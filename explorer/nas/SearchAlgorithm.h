// The search algorithm of a NAS study, an extension point: an implementation in impl/
// registers itself by name (nsga2, aging-evolution) and the study's `algorithm.kind` picks it.
// Algorithms work on chromosomes of doubles within bounds, the last `integers` of them whole
// numbers (pagmo2's convention): a NAS genome is all integers (choice indices), the ZDT
// benchmarks all continuous.
//
// Contract: an algorithm proposes chromosomes and selects survivors; it never evaluates one
// (the runner does, possibly on other processes, and may answer from its cache), keeps no
// state between calls other than its settings (a resumed run replays the calls), and draws
// every random number from the generator it is given, so the same seed, settings and
// evaluations give the same run.
#pragma once

#include "explorer/spec/nas.pb.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace edgesim::explorer::nas {

using Chromosome = std::vector<double>;

struct Bounds {
    Chromosome lower, upper;
    std::size_t integers = 0; ///< the last `integers` genes are whole numbers
};

/// An evaluated member of a population.
struct Individual {
    int64_t id = 0; ///< order of creation (aging evolution's age)
    int generation = 0;
    Chromosome chromosome;
    std::vector<int64_t> parents;
    /// To minimise (a maximised metric negated); +inf where not produced.
    std::vector<double> objectives;
    double violation = 0; ///< total constraint violation; 0 = feasible
    /// Set by rankPopulation: front index under constraint domination (0 = best) and
    /// crowding distance within the front (+inf at its ends).
    int rank = 0;
    double crowding = 0;
};

/// A child to evaluate: its chromosome and the ids of its parents.
struct Offspring {
    Chromosome chromosome;
    std::vector<int64_t> parents;
};

class SearchAlgorithm {
public:
    virtual ~SearchAlgorithm() = default;
    /// Settings (the study's, defaults filled in) and the chromosome's bounds.
    virtual void configure(const spec::Algorithm& settings, const Bounds& bounds) = 0;
    /// The children of the next generation, bred from `population` (ranked by
    /// rankPopulation). Children that repeat a member of the population, or each other, are
    /// avoided where a few redraws can.
    virtual std::vector<Offspring> propose(const std::vector<Individual>& population,
                                           std::mt19937& rng) = 0;
    /// The population that goes on from `population` and its evaluated `children`, ranked.
    virtual std::vector<Individual> survive(std::vector<Individual> population,
                                            std::vector<Individual> children) = 0;
};

/// An algorithm that keeps its settings and bounds (both implementations).
class ConfiguredAlgorithm : public SearchAlgorithm {
public:
    void configure(const spec::Algorithm& settings, const Bounds& bounds) override {
        settings_ = settings;
        bounds_ = bounds;
    }

protected:
    spec::Algorithm settings_;
    Bounds bounds_;
};

/// Redraws of a chromosome that repeats an existing one, per chromosome wanted, before a
/// repeat is taken anyway (a small space may hold fewer distinct chromosomes than wanted).
inline constexpr int kDuplicateRedraws = 20;

/// The algorithm registered as `name`; null when none is.
std::unique_ptr<SearchAlgorithm> makeSearchAlgorithm(const std::string& name);
std::vector<std::string> searchAlgorithmNames();

/// Constraint domination (Deb 2000, as NSGA-II and pymoo): a feasible individual beats an
/// infeasible one, of two infeasible ones the smaller violation wins, of two feasible ones
/// Pareto domination decides. Sets rank (feasible fronts first, then the infeasible in order
/// of violation, equal violations sharing a rank) and crowding distance per front.
void rankPopulation(std::vector<Individual>& population);

/// Whether `a` beats `b` in a binary tournament: constraint domination, then lower rank,
/// then larger crowding distance (false on a tie).
bool tournamentBeats(const Individual& a, const Individual& b);

/// Hypervolume dominated by `points` (to minimise) up to `reference`; points not strictly
/// better than the reference in every objective add nothing. 0 for no such point.
double hypervolume(const std::vector<std::vector<double>>& points,
                   const std::vector<double>& reference);

/// The genetic operators both algorithms use, pagmo2's SBX crossover and polynomial mutation
/// with pymoo's rounding repair for integer genes: an integer gene varies as a real number over
/// [lower - 0.5, upper + 0.5) and is rounded back, so that neighbouring choices (a channel
/// count, a kernel size) are likelier than far ones, as for continuous genes.
std::pair<Chromosome, Chromosome> crossover(const Chromosome& a, const Chromosome& b,
                                            const Bounds& bounds, double probability, double eta,
                                            std::mt19937& rng);
void mutate(Chromosome& c, const Bounds& bounds, double probability, double eta, std::mt19937& rng);

/// Whether `c` equals a chromosome of `population` or of `children`.
bool repeats(const Chromosome& c, const std::vector<Individual>& population,
             const std::vector<Offspring>& children);

} // namespace edgesim::explorer::nas
