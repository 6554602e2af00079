#include "workloads/graph/Passes.h"

#include <algorithm>
#include <cmath>
#include <utility>

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

/// Absorbs every layer of kind `op` into its sole producer when `absorb(producer, layer)`
/// can move the layer's effect into the producer (it returns false, changing nothing, if not).
template <typename Absorb> Network absorbInto(Network work, OpKind op, Absorb absorb) {
    std::vector<bool> absorbed(work.size(), false);
    std::vector<LayerId> into(work.size(), 0); // for absorbed layers: the layer now holding them
    bool any = false;
    for (LayerId v = 0; v < work.size(); ++v) {
        if (work.layer(v).op != op) {
            continue;
        }
        auto p = soleProducer(work, v);
        while (p && absorbed[*p]) { // a chain (conv -> relu -> clip) ends in one layer
            p = into[*p];
        }
        if (p && absorb(work.layer(*p), work.layer(v))) {
            absorbed[v] = true;
            into[v] = *p;
            any = true;
        }
    }
    if (!any) {
        return work; // moved out, not copied
    }
    return withoutAbsorbed(work, absorbed);
}

/// The clamp range of an activation ([0, inf) for ReLU).
std::pair<float, float> rangeOf(const Activation& a) {
    switch (a.kind) {
    case ActivationKind::Relu: return {0.0F, INFINITY};
    case ActivationKind::Relu6: return {0.0F, 6.0F};
    case ActivationKind::Clip: return {a.clipMin, a.clipMax};
    case ActivationKind::None: break;
    }
    return {-INFINITY, INFINITY};
}

} // namespace

Activation composeClamps(const Activation& first, const Activation& then) {
    if (first.kind == ActivationKind::None) {
        return then;
    }
    const auto [lo1, hi1] = rangeOf(first);
    const auto [lo2, hi2] = rangeOf(then);
    Activation a;
    a.clipMin = std::max(lo1, lo2);
    a.clipMax = std::min(hi1, hi2);
    a.kind = a.clipMin == 0.0F && std::isinf(a.clipMax) ? ActivationKind::Relu
             : a.clipMin == 0.0F && a.clipMax == 6.0F   ? ActivationKind::Relu6
                                                        : ActivationKind::Clip;
    if (a.kind != ActivationKind::Clip) {
        a.clipMin = a.clipMax = 0.0F;
    }
    return a;
}

Network foldBatchNorms(Network net) {
    return absorbInto(std::move(net), OpKind::BatchNorm, [](Layer& producer, const Layer& bn) {
        if (!isCompute(producer.op) || producer.activation.kind != ActivationKind::None) {
            return false;
        }
        producer.hasBias = true; // the folded shift becomes a per-channel bias
        producer.activation = bn.activation;
        return true;
    });
}

Network fuseActivations(Network net) {
    // A clamp after a clamp is one clamp (ReLU then ReLU6, as exporters write ReLU6).
    return absorbInto(std::move(net), OpKind::Activation, [](Layer& producer, const Layer& act) {
        if (!canFuseActivation(producer.op)) {
            return false;
        }
        producer.activation = composeClamps(producer.activation, act.activation);
        return true;
    });
}

Network canonicalize(Network net, const std::string& file) {
    Network out = fuseActivations(foldBatchNorms(std::move(net)));
    inferShapes(out, file);
    return out;
}

} // namespace edgesim::workloads
