#include "workloads/graph/Network.h"

#include "common/Checked.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>

namespace edgesim::workloads {

Network::Network(const Network& other)
    : description(other.description), source(other.source), name_(other.name_),
      graph_(other.graph_ ? std::make_unique<Graph>(*other.graph_) : nullptr),
      byName_(other.byName_), outputs_(other.outputs_) {}

Network& Network::operator=(const Network& other) {
    if (this != &other) {
        Network copy(other);
        *this = std::move(copy);
    }
    return *this;
}

const Network::Graph& Network::graph() const {
    static const Graph empty;
    return graph_ ? *graph_ : empty;
}

Network::Graph& Network::mutableGraph() {
    if (!graph_) {
        graph_ = std::make_unique<Graph>();
    }
    return *graph_;
}

Network::LayerId Network::addLayer(Layer layer, const std::vector<LayerId>& inputs) {
    if (find(layer.name)) {
        throw std::invalid_argument("duplicate layer name '" + layer.name + "'");
    }
    for (LayerId in : inputs) {
        if (in >= size()) {
            throw std::invalid_argument("layer '" + layer.name + "' reads an unknown layer");
        }
    }
    std::string name = layer.name;
    LayerId id = boost::add_vertex(std::move(layer), mutableGraph());
    byName_.emplace(std::move(name), id);
    for (std::size_t slot = 0; slot < inputs.size(); ++slot) {
        boost::add_edge(inputs[slot], id, EdgeProps{static_cast<int>(slot)}, *graph_);
    }
    return id;
}

std::vector<Network::LayerId> Network::inputsOf(LayerId id) const {
    std::vector<std::pair<int, LayerId>> bySlot;
    for (auto [it, end] = boost::in_edges(id, graph()); it != end; ++it) {
        bySlot.emplace_back(graph()[*it].slot, boost::source(*it, graph()));
    }
    std::sort(bySlot.begin(), bySlot.end());
    std::vector<LayerId> out;
    out.reserve(bySlot.size());
    for (const auto& [slot, src] : bySlot) {
        out.push_back(src);
    }
    return out;
}

std::vector<Network::LayerId> Network::consumersOf(LayerId id) const {
    std::vector<LayerId> out;
    for (auto [it, end] = boost::out_edges(id, graph()); it != end; ++it) {
        out.push_back(boost::target(*it, graph()));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::optional<Network::LayerId> Network::find(const std::string& name) const {
    const auto it = byName_.find(name);
    if (it == byName_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<Network::LayerId> Network::graphInputs() const {
    std::vector<LayerId> out;
    for (LayerId v = 0; v < size(); ++v) {
        if (graph()[v].op == OpKind::Input) {
            out.push_back(v);
        }
    }
    return out;
}

void Network::markOutput(LayerId id) {
    if (id >= size()) {
        throw std::invalid_argument("markOutput: unknown layer");
    }
    if (!isGraphOutput(id) || outputs_.empty()) {
        outputs_.push_back(id);
    }
}

bool Network::isGraphOutput(LayerId id) const {
    if (!outputs_.empty()) {
        return std::find(outputs_.begin(), outputs_.end(), id) != outputs_.end();
    }
    return graph()[id].op != OpKind::Input && boost::out_degree(id, graph()) == 0;
}

std::vector<Network::LayerId> Network::graphOutputs() const {
    if (!outputs_.empty()) {
        return outputs_;
    }
    std::vector<LayerId> out;
    for (LayerId v = 0; v < size(); ++v) {
        if (isGraphOutput(v)) {
            out.push_back(v);
        }
    }
    return out;
}

std::vector<Network::LayerId> Network::executionOrder() const {
    // Kahn's algorithm with the lowest id first among ready layers.
    std::vector<std::size_t> pending(size(), 0);
    std::priority_queue<LayerId, std::vector<LayerId>, std::greater<>> ready;
    for (LayerId v = 0; v < size(); ++v) {
        pending[v] = boost::in_degree(v, graph());
        if (pending[v] == 0) {
            ready.push(v);
        }
    }
    std::vector<LayerId> order;
    order.reserve(size());
    while (!ready.empty()) {
        LayerId v = ready.top();
        ready.pop();
        order.push_back(v);
        for (auto [it, end] = boost::out_edges(v, graph()); it != end; ++it) {
            LayerId t = boost::target(*it, graph());
            if (--pending[t] == 0) {
                ready.push(t);
            }
        }
    }
    if (order.size() != size()) {
        throw std::logic_error("network graph has a cycle");
    }
    return order;
}

Network::Totals Network::totals() const {
    Totals t;
    for (LayerId v = 0; v < size(); ++v) {
        const Layer& l = graph()[v];
        if (l.op == OpKind::Input) {
            t.inputBytes = checkedAdd(t.inputBytes, l.output.bytes());
            continue;
        }
        ++t.layers;
        t.macs = checkedAdd(t.macs, l.stats.macs);
        t.params = checkedAdd(t.params, l.stats.params);
        t.weightBytes = checkedAdd(t.weightBytes, l.stats.weightBytes);
        for (std::size_t i = 0; i < t.weightBytesByDtype.size(); ++i) {
            t.weightBytesByDtype[i] =
                checkedAdd(t.weightBytesByDtype[i], l.stats.weightBytesByDtype[i]);
        }
    }
    for (LayerId v : graphOutputs()) {
        t.outputBytes = checkedAdd(t.outputBytes, graph()[v].output.bytes());
    }
    return t;
}

} // namespace edgesim::workloads
