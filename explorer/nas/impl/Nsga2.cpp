// NSGA-II (Deb et al., IEEE TEVC 2002) with constraint domination: binary tournaments,
// SBX crossover and polynomial mutation (SearchAlgorithm.h: crossover, mutate), and elitist (mu +
// lambda) survival by front, then crowding distance. ../NAS.md section 4.
#include "explorer/nas/SearchAlgorithm.h"

#include "common/Registry.h"

#include <algorithm>
#include <numeric>

namespace edgesim::explorer::nas {

namespace {

class Nsga2 final : public ConfiguredAlgorithm {
public:
    std::vector<Offspring> propose(const std::vector<Individual>& population,
                                   std::mt19937& rng) override {
        std::vector<Offspring> children;
        const auto wanted = static_cast<std::size_t>(settings_.offspring());
        int redraws = 0;
        while (children.size() < wanted) {
            const Individual& a = tournament(population, rng);
            const Individual& b = tournament(population, rng);
            auto pair = crossover(a.chromosome, b.chromosome, bounds_,
                                  settings_.crossover_probability(), settings_.eta_c(), rng);
            for (Chromosome* c : {&pair.first, &pair.second}) {
                mutate(*c, bounds_, settings_.mutation_probability(), settings_.eta_m(), rng);
                if (children.size() >= wanted) {
                    break;
                }
                if (repeats(*c, population, children) &&
                    redraws < kDuplicateRedraws * static_cast<int>(wanted)) {
                    ++redraws;
                    continue;
                }
                children.push_back({*c, {a.id, b.id}});
            }
        }
        return children;
    }

    std::vector<Individual> survive(std::vector<Individual> population,
                                    std::vector<Individual> children) override {
        for (auto& c : children) {
            population.push_back(std::move(c));
        }
        rankPopulation(population);
        std::vector<std::size_t> order(population.size());
        std::iota(order.begin(), order.end(), 0);
        // Front by front; within the last front admitted, larger crowding first; ties by id
        // (older first) so that the order never depends on the sort's stability.
        std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
            const Individual& a = population[x];
            const Individual& b = population[y];
            if (a.rank != b.rank) {
                return a.rank < b.rank;
            }
            if (a.crowding != b.crowding) {
                return a.crowding > b.crowding;
            }
            return a.id < b.id;
        });
        const auto keep = std::min(order.size(), static_cast<std::size_t>(settings_.population()));
        std::vector<Individual> next;
        for (std::size_t k = 0; k < keep; ++k) {
            next.push_back(std::move(population[order[k]]));
        }
        // Crowding distances of the survivors' own fronts, as the next tournaments see them.
        rankPopulation(next);
        std::sort(next.begin(), next.end(),
                  [](const Individual& a, const Individual& b) { return a.id < b.id; });
        return next;
    }

private:
    const Individual& tournament(const std::vector<Individual>& population, std::mt19937& rng) {
        std::uniform_int_distribution<std::size_t> pick(0, population.size() - 1);
        const Individual& a = population[pick(rng)];
        const Individual& b = population[pick(rng)];
        return tournamentBeats(b, a) ? b : a;
    }
};

const bool registered =
    Registry<SearchAlgorithm>::instance().add("nsga2", [] { return std::make_unique<Nsga2>(); });

} // namespace

} // namespace edgesim::explorer::nas
