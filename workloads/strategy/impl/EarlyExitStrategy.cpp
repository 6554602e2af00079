// early-exit: dynamic inference with exit branches (BranchyNet-style): after each compute
// layer named in `exits`, a branch (global average pool where the output is spatial, a dense
// classifier, softmax) lets `exit_shares` of the samples leave. The schedule runs the worst
// case (every segment and branch) and records which segment each kernel belongs to, so the
// result gives expected and worst-case latency and energy.
#include "common/Diagnostics.h"
#include "workloads/graph/ShapeInference.h"
#include "workloads/strategy/Training.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace edgesim::workloads {

namespace {

class EarlyExitStrategy : public Strategy {
public:
    std::string description() const override {
        return "early exits: branches after chosen layers, each taken by a share of the "
               "samples (expected and worst-case cost)";
    }
    std::vector<StrategyParameter> parameters() const override {
        return {listParameter("exits", "1",
                              "compute layers (1 = the first) followed by an exit branch", 1, 10000,
                              true),
                listParameter("exit_shares", "0.5",
                              "share of all samples leaving at each exit (as many as exits, "
                              "summing to at most 1)",
                              0, 1, false),
                numberParameter("exit_classes", "0",
                                "outputs of each exit's classifier; 0 = the network's outputs", 0,
                                1e6, true)};
    }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        const std::string where = "<command line>";
        const auto compute = computeLayers(net);
        std::vector<double> at = options.numbers("exits");
        const std::vector<double> shares = options.numbers("exit_shares");
        if (shares.size() != at.size()) {
            throw InputError(
                where, "--strategy-param",
                fmt::format("exit_shares has {} values for {} exits", shares.size(), at.size()));
        }
        if (std::accumulate(shares.begin(), shares.end(), 0.0) > 1.0 + 1e-9) {
            throw InputError(where, "--strategy-param", "exit_shares sum to more than 1");
        }
        std::vector<std::pair<std::size_t, double>> exits;
        for (std::size_t i = 0; i < at.size(); ++i) {
            const auto index = static_cast<std::size_t>(at[i]);
            if (index >= compute.size()) {
                throw InputError(where, "--strategy-param",
                                 fmt::format("exits: layer {} is not before the last of the {} "
                                             "compute layers",
                                             index, compute.size()));
            }
            exits.emplace_back(index, shares[i]);
        }
        std::sort(exits.begin(), exits.end());
        for (std::size_t i = 1; i < exits.size(); ++i) {
            if (exits[i].first == exits[i - 1].first) {
                throw InputError(where, "--strategy-param",
                                 fmt::format("exits: layer {} is named twice", exits[i].first));
            }
        }
        int64_t classes = static_cast<int64_t>(options.number("exit_classes"));
        if (classes == 0) {
            for (Network::LayerId o : net.graphOutputs()) {
                classes += net.layer(o).output.elements();
            }
        }

        // The network with its exit branches.
        Network aug = net;
        const auto outputs = net.graphOutputs();
        for (Network::LayerId o : outputs) {
            aug.markOutput(o);
        }
        std::vector<std::vector<Network::LayerId>> branch(exits.size());
        for (std::size_t k = 0; k < exits.size(); ++k) {
            const Network::LayerId from = compute[exits[k].first - 1];
            const Layer& src = net.layer(from);
            Network::LayerId prev = from;
            // A branch layer after `prev`, in the exit layer's precision.
            const auto add = [&](const char* suffix, OpKind op) {
                Layer l;
                l.name = src.name + suffix;
                l.op = op;
                l.outputDtype = src.outputDtype;
                l.weightDtype = src.weightDtype;
                l.biasDtype = src.biasDtype;
                l.outChannels = classes;
                prev = aug.addLayer(l, {prev});
                branch[k].push_back(prev);
            };
            if (src.output.shape.size() >= 2) {
                add(".exit_pool", OpKind::GlobalAvgPool);
                add(".exit_flatten", OpKind::Flatten);
            }
            add(".exit_fc", OpKind::Dense);
            add(".exit_softmax", OpKind::Softmax);
            aug.markOutput(prev);
        }
        inferShapes(aug, "<" + net.name() + ">");

        // Kernels segment by segment: the main layers up to exit k, then its branch.
        std::vector<int> segment(aug.size(), -1);
        std::vector<int> exitStep(exits.size());
        const auto order = net.executionOrder();
        for (std::size_t k = 0; k < exits.size(); ++k) {
            exitStep[k] = static_cast<int>(
                std::find(order.begin(), order.end(), compute[exits[k].first - 1]) - order.begin());
            for (Network::LayerId id : branch[k]) {
                segment[id] = static_cast<int>(k);
            }
        }
        for (std::size_t p = 0; p < order.size(); ++p) {
            segment[order[p]] = static_cast<int>(std::count_if(
                exitStep.begin(), exitStep.end(), [p](int e) { return e < static_cast<int>(p); }));
        }
        Schedule s;
        s.network = net.name();
        s.strategy = "early-exit";
        s.batch = std::max(1, batch);
        s.arenaBytes = planMemory(aug).arenaBytes;
        DynamicInference d;
        const int segments = static_cast<int>(exits.size()) + 1;
        for (int sample = 0; sample < s.batch; ++sample) {
            for (int seg = 0; seg < segments; ++seg) {
                const auto emit = [&](Network::LayerId id) {
                    if (aug.layer(id).op == OpKind::Input || segment[id] != seg) {
                        return;
                    }
                    Kernel k = forwardKernel(aug, id);
                    if (s.batch > 1) {
                        k.name += "#" + std::to_string(sample);
                    }
                    s.macs += k.macs;
                    s.kernels.push_back(std::move(k));
                    d.segmentOfKernel.push_back(seg);
                };
                for (Network::LayerId id : order) {
                    emit(id);
                }
                if (seg < segments - 1) {
                    for (Network::LayerId id : branch[static_cast<std::size_t>(seg)]) {
                        emit(id);
                    }
                }
            }
        }
        for (Network::LayerId id = 0; id < aug.size(); ++id) {
            if (aug.layer(id).op != OpKind::Input) {
                s.weightBytes += aug.layer(id).stats.weightBytes;
            }
        }
        double left = 1.0;
        for (int seg = 0; seg < segments; ++seg) {
            d.reach.push_back(left);
            if (seg < segments - 1) {
                d.exits.push_back(
                    net.layer(compute[exits[static_cast<std::size_t>(seg)].first - 1]).name);
                d.exitShare.push_back(exits[static_cast<std::size_t>(seg)].second);
                left -= exits[static_cast<std::size_t>(seg)].second;
            }
        }
        s.dynamic = d;
        return s;
    }
};

const bool kRegistered =
    registerStrategy("early-exit", [] { return std::make_unique<EarlyExitStrategy>(); });

} // namespace

} // namespace edgesim::workloads
