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

} // namespace

Network foldBatchNorms(const Network& net) {
    Network work = net;
    std::vector<bool> absorbed(net.size(), false);
    for (LayerId v = 0; v < work.size(); ++v) {
        if (work.layer(v).op != OpKind::BatchNorm) {
            continue;
        }
        if (auto p = soleProducer(work, v); p && isCompute(work.layer(*p).op) &&
                                            !absorbed[*p] &&
                                            work.layer(*p).activation.kind ==
                                                ActivationKind::None) {
            work.layer(*p).hasBias = true;
            work.layer(*p).activation = work.layer(v).activation;
            absorbed[v] = true;
        }
    }
    return withoutAbsorbed(work, absorbed);
}

Network fuseActivations(const Network& net) {
    Network work = net;
    std::vector<bool> absorbed(net.size(), false);
    for (LayerId v = 0; v < work.size(); ++v) {
        if (work.layer(v).op != OpKind::Activation) {
            continue;
        }
        if (auto p = soleProducer(work, v); p && canFuseActivation(work.layer(*p).op) &&
                                            !absorbed[*p] &&
                                            work.layer(*p).activation.kind ==
                                                ActivationKind::None) {
            work.layer(*p).activation = work.layer(v).activation;
            absorbed[v] = true;
        }
    }
    return withoutAbsorbed(work, absorbed);
}

Network canonicalize(const Network& net, const std::string& file) {
    Network out = fuseActivations(foldBatchNorms(net));
    inferShapes(out, file);
    return out;
}

} // namespace edgesim::workloads
