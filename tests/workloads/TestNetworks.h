// Small hand-built networks for workload tests.
#pragma once

#include "workloads/graph/Network.h"
#include "workloads/graph/ShapeInference.h"

namespace edgesim::workloads::test {

inline Layer input(const std::string& name, Shape shape, DType dt = DType::Int8) {
    Layer l;
    l.name = name;
    l.op = OpKind::Input;
    l.targetShape = std::move(shape);
    l.outputDtype = dt;
    return l;
}

inline Layer dense(const std::string& name, int64_t units) {
    Layer l;
    l.name = name;
    l.op = OpKind::Dense;
    l.outChannels = units;
    return l;
}

inline Layer conv(const std::string& name, int64_t out, std::vector<int64_t> kernel,
                  std::vector<int64_t> stride = {1}, Padding pad = Padding::Same) {
    Layer l;
    l.name = name;
    l.op = OpKind::Conv2d;
    l.outChannels = out;
    l.window.kernel = std::move(kernel);
    l.window.stride = std::move(stride);
    l.window.padding = pad;
    return l;
}

inline Layer op(const std::string& name, OpKind kind) {
    Layer l;
    l.name = name;
    l.op = kind;
    return l;
}

} // namespace edgesim::workloads::test
