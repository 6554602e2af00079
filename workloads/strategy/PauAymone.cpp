#include "workloads/strategy/PauAymone.h"

namespace edgesim::workloads {

namespace {

int64_t inputElements(const Layer& l) {
    int64_t n = 0;
    for (const auto& shape : l.inputShapes) {
        n += numElements(shape);
    }
    return n;
}

} // namespace

PauAymoneCounts pauAymoneCounts(const Network& net) {
    PauAymoneCounts c;
    bool firstCompute = true;
    for (Network::LayerId id : net.executionOrder()) {
        const Layer& l = net.layer(id);
        const int64_t outputs = l.output.elements();
        if (isCompute(l.op)) {
            c.forward += l.stats.macs;
            c.weightUpdate += l.stats.macs;
            c.backward += firstCompute ? 0 : l.stats.macs;
            c.goodness += outputs;
            c.normalize += outputs;
            firstCompute = false;
            continue;
        }
        switch (l.op) {
        case OpKind::GlobalAvgPool:
        case OpKind::AvgPool:
        case OpKind::MaxPool:
            // H_in x W_in x C, as the sheet counts DS-CNN's 24x5 pool over a 25x5 input
            c.forward += inputElements(l);
            c.backward += inputElements(l);
            break;
        case OpKind::Add: c.forward += outputs; break;
        case OpKind::Softmax: c.softmaxHead += (2 + 15 + 2) * outputs; break;
        default: break;
        }
    }
    for (Network::LayerId id : net.graphOutputs()) {
        c.error += net.layer(id).output.elements();
    }
    int64_t inputs = 0;
    for (Network::LayerId id : net.graphInputs()) {
        inputs += net.layer(id).output.elements();
    }
    c.projection = c.error * inputs;
    return c;
}

} // namespace edgesim::workloads
