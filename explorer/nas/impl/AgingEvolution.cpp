// Aging (regularised) evolution (Real et al., AAAI 2019): each child is a mutation of the
// best of `sample_size` members drawn at random, and each child added retires the oldest
// member, not the worst. With several objectives "best" is the tournament order of NSGA-II
// (constraint domination, front, crowding distance). ../NAS.md section 4.
#include "explorer/nas/SearchAlgorithm.h"

#include "common/Registry.h"

#include <algorithm>
#include <cmath>

namespace edgesim::explorer::nas {

namespace {

class AgingEvolution final : public ConfiguredAlgorithm {
public:
    std::vector<Offspring> propose(const std::vector<Individual>& population,
                                   std::mt19937& rng) override {
        std::vector<Offspring> children;
        const auto wanted = static_cast<std::size_t>(settings_.offspring());
        const auto sample = std::min<std::size_t>(
            population.size(), static_cast<std::size_t>(settings_.sample_size()));
        int redraws = 0;
        while (children.size() < wanted) {
            // A sample without replacement (a partial Fisher-Yates shuffle of the indices).
            std::vector<std::size_t> idx(population.size());
            for (std::size_t i = 0; i < idx.size(); ++i) {
                idx[i] = i;
            }
            const Individual* best = nullptr;
            for (std::size_t k = 0; k < sample; ++k) {
                std::uniform_int_distribution<std::size_t> pick(k, idx.size() - 1);
                std::swap(idx[k], idx[pick(rng)]);
                const Individual& c = population[idx[k]];
                if (best == nullptr || tournamentBeats(c, *best)) {
                    best = &c;
                }
            }
            Chromosome c = child(best->chromosome, rng);
            if (repeats(c, population, children) &&
                redraws < kDuplicateRedraws * static_cast<int>(wanted)) {
                ++redraws;
                continue;
            }
            children.push_back({std::move(c), {best->id}});
        }
        return children;
    }

    std::vector<Individual> survive(std::vector<Individual> population,
                                    std::vector<Individual> children) override {
        for (auto& c : children) {
            population.push_back(std::move(c));
        }
        std::sort(population.begin(), population.end(),
                  [](const Individual& a, const Individual& b) { return a.id < b.id; });
        const auto keep = static_cast<std::size_t>(settings_.population());
        if (population.size() > keep) {
            population.erase(population.begin(),
                             population.begin() +
                                 static_cast<std::ptrdiff_t>(population.size() - keep));
        }
        rankPopulation(population);
        return population;
    }

private:
    /// Polynomial mutation (SearchAlgorithm.h: mutate); a mutation that changed nothing
    /// changes one gene, drawn at random, to another value (Real et al. mutate one choice
    /// each time).
    Chromosome child(const Chromosome& parent, std::mt19937& rng) const {
        Chromosome c = parent;
        mutate(c, bounds_, settings_.mutation_probability(), settings_.eta_m(), rng);
        if (c != parent) {
            return c;
        }
        std::vector<std::size_t> free;
        for (std::size_t g = 0; g < c.size(); ++g) {
            if (bounds_.upper[g] > bounds_.lower[g]) {
                free.push_back(g);
            }
        }
        if (free.empty()) {
            return c;
        }
        const std::size_t g =
            free[std::uniform_int_distribution<std::size_t>(0, free.size() - 1)(rng)];
        const bool integer = g >= c.size() - bounds_.integers;
        if (integer) {
            const auto lo = static_cast<int64_t>(bounds_.lower[g]);
            const auto hi = static_cast<int64_t>(bounds_.upper[g]);
            auto v = std::uniform_int_distribution<int64_t>(lo, hi - 1)(rng);
            if (v >= static_cast<int64_t>(c[g])) {
                ++v; // any value but the current one
            }
            c[g] = static_cast<double>(v);
        } else {
            c[g] = std::uniform_real_distribution<double>(bounds_.lower[g], bounds_.upper[g])(rng);
        }
        return c;
    }
};

const bool registered = Registry<SearchAlgorithm>::instance().add(
    "aging-evolution", [] { return std::make_unique<AgingEvolution>(); });

} // namespace

} // namespace edgesim::explorer::nas
