// exhaustive: every per-layer choice, channel splits across engine pairs included. Layer
// costs are independent (layer barrier), so the best mapping for latency or energy is found
// per layer. Energy under a latency budget is a multiple-choice knapsack: dynamic
// programming over layers on the latency axis (discretised into kBuckets steps of the
// budget; exact up to that rounding, conservative). The energy-delay product of the network,
// (sum of energies) x (sum of latencies), does not decompose per layer: the same programme
// gives the least energy for every latency up to the least-energy mapping's (no mapping
// slower than that can have a smaller product), and the product is minimised over it.
#include "sim/mapping/Mapper.h"

#include <cmath>
#include <limits>

namespace edgesim::sim {

namespace {

constexpr int kBuckets = 4096; // latency-axis resolution of the budgeted search

class ExhaustiveMapper : public Mapper {
public:
    Mapping map(const workloads::Schedule& schedule, const LayerCoster& coster,
                const MapperOptions& options) const override {
        Mapping m;
        m.name = "exhaustive";
        const auto choices = coster.candidates(true, options.splitSteps);
        // costs[k][c]: layer k under choice c.
        std::vector<std::vector<LayerCost>> costs;
        for (const auto& k : schedule.kernels) {
            std::vector<LayerCost> row;
            for (const auto& c : choices) {
                row.push_back(coster.cost(k, c));
            }
            costs.push_back(std::move(row));
        }
        if (options.objective == Objective::Energy && options.latencyBudgetS > 0) {
            const double fixedCycles = static_cast<double>(coster.fixedCost().cycles);
            const double budgetCycles = options.latencyBudgetS * coster.clockHz() - fixedCycles;
            m.latencyBudgetS = options.latencyBudgetS;
            const auto fastest = perLayer(choices, costs, Objective::Latency);
            m.bestLatencyS = (fixedCycles + cyclesOf(choices, costs, fastest)) / coster.clockHz();
            if (budgetCycles > 0) {
                const Frontier f(costs, budgetCycles);
                if (f.feasible(kBuckets)) {
                    m.kernels = f.pick(choices, costs, kBuckets);
                    m.name = "exhaustive-energy-within-budget";
                    return m;
                }
            }
            // No mapping meets the budget: the closest one, the fastest (the run reports
            // over_budget with the best latency achievable).
            m.kernels = fastest;
            m.name = "exhaustive-latency-over-budget";
            return m;
        }
        m.kernels = perLayer(choices, costs, options.objective);
        if (options.objective == Objective::EnergyDelay) {
            m.kernels = leastEnergyDelay(coster, choices, costs, m.kernels);
        }
        return m;
    }

private:
    /// Cost-model cycles of the layers under `chosen`.
    static double cyclesOf(const std::vector<LayerChoice>& choices,
                           const std::vector<std::vector<LayerCost>>& costs,
                           const std::vector<LayerChoice>& chosen) {
        double total = 0;
        for (std::size_t k = 0; k < costs.size(); ++k) {
            for (std::size_t c = 0; c < choices.size(); ++c) {
                if (choices[c] == chosen[k] && costs[k][c].ok) {
                    total += static_cast<double>(costs[k][c].cycles);
                    break;
                }
            }
        }
        return total;
    }

    static std::vector<LayerChoice> perLayer(const std::vector<LayerChoice>& choices,
                                             const std::vector<std::vector<LayerCost>>& costs,
                                             Objective objective) {
        std::vector<LayerChoice> out;
        for (std::size_t k = 0; k < costs.size(); ++k) {
            std::size_t best = 0;
            double bestScore = std::numeric_limits<double>::infinity();
            for (std::size_t c = 0; c < choices.size(); ++c) {
                const LayerCost& cost = costs[k][c];
                if (!cost.ok) {
                    continue;
                }
                const auto cycles = static_cast<double>(cost.cycles);
                const double score = objective == Objective::Latency ? cycles + cost.energyJ * 1e-30
                                     : objective == Objective::Energy
                                         ? cost.energyJ + cycles * 1e-30
                                         : cost.energyJ * cycles;
                if (score < bestScore) {
                    bestScore = score;
                    best = c;
                }
            }
            out.push_back(choices[best]);
        }
        return out;
    }

    /// Least energy for every latency up to `maxCycles` (kBuckets steps, each layer's cycles
    /// rounded up to whole steps): best[k][b] is the least energy of layers < k within b
    /// steps, pick[k][b] the choice of layer k - 1 that achieves it.
    class Frontier {
    public:
        Frontier(const std::vector<std::vector<LayerCost>>& costs, double maxCycles)
            : step_(maxCycles / kBuckets), n_(costs.size()),
              best_(n_ + 1, std::vector<double>(kBuckets + 1, kInf)),
              pick_(n_, std::vector<int>(kBuckets + 1, -1)) {
            std::fill(best_[0].begin(), best_[0].end(), 0.0);
            for (std::size_t k = 0; k < n_; ++k) {
                for (int b = 0; b <= kBuckets; ++b) {
                    for (std::size_t c = 0; c < costs[k].size(); ++c) {
                        const LayerCost& cost = costs[k][c];
                        if (!cost.ok) {
                            continue;
                        }
                        const int need = steps(cost);
                        if (need > b || best_[k][b - need] == kInf) {
                            continue;
                        }
                        const double e = best_[k][b - need] + cost.energyJ;
                        if (e < best_[k + 1][b]) {
                            best_[k + 1][b] = e;
                            pick_[k][b] = static_cast<int>(c);
                        }
                    }
                }
            }
        }
        bool feasible(int b) const { return best_[n_][b] != kInf; }
        double energy(int b) const { return best_[n_][b]; }
        double cycles(int b) const { return step_ * b; }
        std::vector<LayerChoice> pick(const std::vector<LayerChoice>& choices,
                                      const std::vector<std::vector<LayerCost>>& costs,
                                      int b) const {
            std::vector<LayerChoice> chosen(n_);
            for (std::size_t k = n_; k-- > 0;) {
                const auto c = static_cast<std::size_t>(pick_[k][b]);
                chosen[k] = choices[c];
                b -= steps(costs[k][c]);
            }
            return chosen;
        }

    private:
        static constexpr double kInf = std::numeric_limits<double>::infinity();
        int steps(const LayerCost& cost) const {
            return step_ > 0 ? static_cast<int>(std::ceil(static_cast<double>(cost.cycles) / step_))
                             : 0;
        }
        double step_;
        std::size_t n_;
        std::vector<std::vector<double>> best_;
        std::vector<std::vector<int>> pick_;
    };

    /// Totals of `mapping` (layer choices in `choices` order per layer).
    static std::pair<double, double> totals(const std::vector<LayerChoice>& mapping,
                                            const std::vector<LayerChoice>& choices,
                                            const std::vector<std::vector<LayerCost>>& costs) {
        double cycles = 0;
        double energy = 0;
        for (std::size_t k = 0; k < mapping.size(); ++k) {
            for (std::size_t c = 0; c < choices.size(); ++c) {
                if (choices[c] == mapping[k]) {
                    cycles += static_cast<double>(costs[k][c].cycles);
                    energy += costs[k][c].energyJ;
                    break;
                }
            }
        }
        return {cycles, energy};
    }

    /// The mapping with the least network energy-delay product: the best point of the
    /// least-energy frontier, or `fallback` (the per-layer product minimum) if that is
    /// better after the frontier's rounding.
    static std::vector<LayerChoice>
    leastEnergyDelay(const LayerCoster& coster, const std::vector<LayerChoice>& choices,
                     const std::vector<std::vector<LayerCost>>& costs,
                     std::vector<LayerChoice> fallback) {
        const LayerCost fixedCost = coster.fixedCost();
        const auto fixed = static_cast<double>(fixedCost.cycles);
        const double fixedEnergy = fixedCost.energyJ;
        const auto product = [&](const std::vector<LayerChoice>& m) {
            const auto [cycles, energy] = totals(m, choices, costs);
            return (cycles + fixed) * (energy + fixedEnergy);
        };
        const auto leastEnergy = perLayer(choices, costs, Objective::Energy);
        const double maxCycles = totals(leastEnergy, choices, costs).first;
        std::vector<LayerChoice> best = std::move(fallback);
        double bestProduct = product(best);
        if (maxCycles <= 0) {
            return best;
        }
        const Frontier f(costs, maxCycles);
        int bestBucket = -1;
        double bestEstimate = std::numeric_limits<double>::infinity();
        for (int b = 0; b <= kBuckets; ++b) {
            const double estimate = (f.cycles(b) + fixed) * (f.energy(b) + fixedEnergy);
            if (f.feasible(b) && estimate < bestEstimate) {
                bestEstimate = estimate;
                bestBucket = b;
            }
        }
        if (bestBucket >= 0) {
            auto candidate = f.pick(choices, costs, bestBucket);
            if (product(candidate) < bestProduct) {
                best = std::move(candidate);
                bestProduct = product(best);
            }
        }
        return best;
    }
};

const bool kRegistered =
    registerMapper("exhaustive", [] { return std::make_unique<ExhaustiveMapper>(); });

} // namespace

} // namespace edgesim::sim
