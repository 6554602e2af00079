// The network graph: a DAG on Boost.Graph whose vertices are layers and whose edges are the
// tensors flowing between them (an edge u->v carries u's output tensor into input slot k of v).
#pragma once

#include "workloads/graph/Layer.h"

#include <boost/graph/adjacency_list.hpp>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace edgesim::workloads {

class Network {
public:
    struct EdgeProps {
        int slot = 0; ///< which input of the consumer this tensor feeds
    };
    using Graph =
        boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Layer, EdgeProps>;
    using LayerId = Graph::vertex_descriptor;

    /// Whole-network sums of the per-layer figures.
    struct Totals {
        int64_t layers = 0; ///< excluding graph inputs
        int64_t macs = 0;
        int64_t params = 0;
        int64_t weightBytes = 0;
        std::array<int64_t, kDTypeCount> weightBytesByDtype{};
        int64_t inputBytes = 0;  ///< graph input tensors
        int64_t outputBytes = 0; ///< graph output tensors
    };

    explicit Network(std::string name = {}) : name_(std::move(name)) {}
    // Boost's adjacency_list has no move constructor (and its swap copies), so the graph is
    // held by pointer: moving a network is O(1), copying it copies the graph.
    Network(const Network& other);
    Network& operator=(const Network& other);
    Network(Network&&) noexcept = default;
    Network& operator=(Network&&) noexcept = default;
    ~Network() = default;

    /// Adds a layer reading the outputs of `inputs` (in slot order). Inputs must exist, so the
    /// graph stays acyclic. Layer names must be unique (std::invalid_argument otherwise) and
    /// are fixed once added: find() looks them up in an index built here, so that building a
    /// network costs O(1) per layer, not a scan of the layers before it.
    LayerId addLayer(Layer layer, const std::vector<LayerId>& inputs = {});

    std::size_t size() const { return boost::num_vertices(graph()); }
    const Layer& layer(LayerId id) const { return graph()[id]; }
    Layer& layer(LayerId id) { return mutableGraph()[id]; }
    /// The graph (an empty one for a moved-from network).
    const Graph& graph() const;

    /// Producers of `id`'s inputs, in slot order.
    std::vector<LayerId> inputsOf(LayerId id) const;
    /// Distinct consumers of `id`'s output, ascending.
    std::vector<LayerId> consumersOf(LayerId id) const;
    std::optional<LayerId> find(const std::string& name) const;

    /// Input layers, ascending.
    std::vector<LayerId> graphInputs() const;
    /// Layers marked as outputs, else every non-input layer nobody reads.
    std::vector<LayerId> graphOutputs() const;
    void markOutput(LayerId id);
    bool isGraphOutput(LayerId id) const;

    /// A topological order; among ready layers the one added first runs first, so a graph
    /// built in definition order executes in that order (as deployed runtimes do).
    std::vector<LayerId> executionOrder() const;

    /// Sums over layers; valid after inferShapes().
    Totals totals() const;

    const std::string& name() const { return name_; }
    void setName(std::string n) { name_ = std::move(n); }
    std::string description;
    std::string source; ///< provenance of the architecture (paper, repository, file)

private:
    Graph& mutableGraph();

    std::string name_;
    std::unique_ptr<Graph> graph_; ///< null until the first layer (and after a move)
    std::unordered_map<std::string, LayerId> byName_;
    std::vector<LayerId> outputs_;
};

} // namespace edgesim::workloads
