// exhaustive: every per-layer choice, channel splits across engine pairs included. Layer
// costs are independent (layer barrier), so the best mapping for latency, energy or
// energy-delay product is found per layer, except energy under a latency budget, which is a
// multiple-choice knapsack: dynamic programming over layers on the latency axis
// (discretised into kBuckets steps of the budget; exact up to that rounding, conservative).
#include "sim/mapping/Mapper.h"

#include <cmath>
#include <limits>

namespace edgesim::sim {

namespace {

constexpr int kBuckets = 4096;  // latency-axis resolution of the budgeted search

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
            if (budgeted(coster, options, choices, costs, m)) {
                return m;
            }
        }
        for (std::size_t k = 0; k < costs.size(); ++k) {
            std::size_t best = 0;
            double bestScore = std::numeric_limits<double>::infinity();
            for (std::size_t c = 0; c < choices.size(); ++c) {
                const LayerCost& cost = costs[k][c];
                if (!cost.ok) {
                    continue;
                }
                const auto cycles = static_cast<double>(cost.cycles);
                const double score = options.objective == Objective::Latency
                                         ? cycles + cost.energyJ * 1e-30
                                     : options.objective == Objective::Energy
                                         ? cost.energyJ + cycles * 1e-30
                                         : cost.energyJ * cycles;
                if (score < bestScore) {
                    bestScore = score;
                    best = c;
                }
            }
            m.kernels.push_back(choices[best]);
        }
        return m;
    }

private:
    /// Least energy with total cycles within the budget; false if no mapping meets it.
    static bool budgeted(const LayerCoster& coster, const MapperOptions& options,
                         const std::vector<LayerChoice>& choices,
                         const std::vector<std::vector<LayerCost>>& costs, Mapping& m) {
        const double clockHz = coster.clockHz();
        const double budgetCycles =
            options.latencyBudgetS * clockHz - static_cast<double>(coster.fixedCycles());
        if (budgetCycles <= 0) {
            return false;
        }
        const double step = budgetCycles / kBuckets;
        const double inf = std::numeric_limits<double>::infinity();
        const std::size_t n = costs.size();
        // best[k][b]: least energy of layers < k within b buckets; pick[k][b] the choice.
        std::vector<std::vector<double>> best(n + 1, std::vector<double>(kBuckets + 1, inf));
        std::vector<std::vector<int>> pick(n, std::vector<int>(kBuckets + 1, -1));
        std::fill(best[0].begin(), best[0].end(), 0.0);
        for (std::size_t k = 0; k < n; ++k) {
            for (int b = 0; b <= kBuckets; ++b) {
                for (std::size_t c = 0; c < choices.size(); ++c) {
                    const LayerCost& cost = costs[k][c];
                    if (!cost.ok) {
                        continue;
                    }
                    const int need =
                        static_cast<int>(std::ceil(static_cast<double>(cost.cycles) / step));
                    if (need > b || best[k][b - need] == inf) {
                        continue;
                    }
                    const double e = best[k][b - need] + cost.energyJ;
                    if (e < best[k + 1][b]) {
                        best[k + 1][b] = e;
                        pick[k][b] = static_cast<int>(c);
                    }
                }
            }
        }
        if (best[n][kBuckets] == inf) {
            return false;
        }
        std::vector<LayerChoice> chosen(n);
        int b = kBuckets;
        for (std::size_t k = n; k-- > 0;) {
            const int c = pick[k][b];
            chosen[k] = choices[static_cast<std::size_t>(c)];
            b -= static_cast<int>(std::ceil(
                static_cast<double>(costs[k][static_cast<std::size_t>(c)].cycles) / step));
        }
        m.kernels = std::move(chosen);
        m.name = "exhaustive-energy-within-budget";
        return true;
    }
};

const bool kRegistered =
    registerMapper("exhaustive", [] { return std::make_unique<ExhaustiveMapper>(); });

} // namespace

} // namespace edgesim::sim
