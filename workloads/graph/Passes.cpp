#include "workloads/graph/Passes.h"

#include "workloads/graph/ShapeInference.h"

namespace edgesim::workloads {

namespace {

using LayerId = Network::LayerId;

/// Copy of `net` without the layers in `absorbed`; each absorbed layer's readers read its
/// (single) producer instead, which takes the absorbed layer's output dtype.
Network withoutAbsorbed(const Network& net, const std::vector<bool>& absorbed) {
    Network out(net.name());
    out.description = net.description;
    out.source = net.source;
    std::vector<LayerId> newId(net.size());
    for (LayerId v : net.executionOrder()) {
        const auto ins = net.inputsOf(v);
        if (absorbed[v]) {
            newId[v] = newId[ins.front()];
            out.layer(newId[v]).outputDtype = net.layer(v).outputDtype;
            continue;
        }
        std::vector<LayerId> mapped;
        mapped.reserve(ins.size());
        for (LayerId in : ins) {
            mapped.push_back(newId[in]);
        }
        newId[v] = out.addLayer(net.layer(v), mapped);
    }
    for (LayerId v : net.graphOutputs()) {
        out.markOutput(newId[v]);
    }
    return out;
}

/// The producer `p` of single-input layer `v` if `v` is p's only reader and p is not a
/// graph output (so absorbing v into p is invisible to everyone else).
std::optional<LayerId> soleProducer(const Network& net, LayerId v) {
    const auto ins = net.inputsOf(v);
    if (ins.size() != 1) {
        return std::nullopt;
    }
    const LayerId p = ins.front();
    if (net.consumersOf(p).size() != 1 || net.isGraphOutput(p)) {
        return std::nullopt;
    }
    return p;
}

/// Absorbs every layer of kind `op` into its sole producer when `accepts(producer)` holds and
/// the producer has no activation yet; `absorb(producer, layer)` moves the layer's effect.
template <typename Accepts, typename Absorb>
Network absorbInto(const Network& net, OpKind op, Accepts accepts, Absorb absorb) {
    Network work = net;
    std::vector<bool> absorbed(net.size(), false);
    for (LayerId v = 0; v < work.size(); ++v) {
        if (work.layer(v).op != op) {
            continue;
        }
        if (auto p = soleProducer(work, v);
            p && !absorbed[*p] && accepts(work.layer(*p).op) &&
            work.layer(*p).activation.kind == ActivationKind::None) {
            absorb(work.layer(*p), work.layer(v));
            absorbed[v] = true;
        }
    }
    return withoutAbsorbed(work, absorbed);
}

} // namespace

Network foldBatchNorms(const Network& net) {
    return absorbInto(net, OpKind::BatchNorm, isCompute, [](Layer& producer, const Layer& bn) {
        producer.hasBias = true;  // the folded shift becomes a per-channel bias
        producer.activation = bn.activation;
    });
}

Network fuseActivations(const Network& net) {
    return absorbInto(net, OpKind::Activation, canFuseActivation,
                      [](Layer& producer, const Layer& act) {
                          producer.activation = act.activation;
                      });
}

Network canonicalize(const Network& net, const std::string& file) {
    Network out = fuseActivations(foldBatchNorms(net));
    inferShapes(out, file);
    return out;
}

} // namespace edgesim::workloads
