// greedy-latency / greedy-energy: each layer on the single engine (host core included) with
// the lowest latency (ties: lower energy), or the lowest energy (ties: lower latency). No
// splits: one engine per layer, as vendor compilers map.
#include "sim/mapping/Mapper.h"

#include <tuple>

namespace edgesim::sim {

namespace {

class GreedyMapper : public Mapper {
public:
    explicit GreedyMapper(bool energy) : energy_(energy) {}

    Mapping map(const workloads::Schedule& schedule, const LayerCoster& coster,
                const MapperOptions& options) const override {
        Mapping m;
        m.name = energy_ ? "greedy-energy" : "greedy-latency";
        const auto choices = coster.candidates(false, options.splitSteps);
        for (const auto& k : schedule.kernels) {
            LayerChoice best = choices.front();
            std::tuple<double, double> bestKey{0, 0};
            bool found = false;
            for (const auto& c : choices) {
                const LayerCost cost = coster.cost(k, c);
                if (!cost.ok) {
                    continue;
                }
                const auto cycles = static_cast<double>(cost.cycles);
                const std::tuple<double, double> key =
                    energy_ ? std::make_tuple(cost.energyJ, cycles)
                            : std::make_tuple(cycles, cost.energyJ);
                if (!found || key < bestKey) {
                    best = c;
                    bestKey = key;
                    found = true;
                }
            }
            m.kernels.push_back(best);
        }
        return m;
    }

private:
    bool energy_;
};

const bool kLatency = registerMapper(
    "greedy-latency", [] { return std::make_unique<GreedyMapper>(false); });
const bool kEnergy = registerMapper(
    "greedy-energy", [] { return std::make_unique<GreedyMapper>(true); });

} // namespace

} // namespace edgesim::sim
