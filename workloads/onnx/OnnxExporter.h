// Network graph -> ONNX model: the architecture of a network (NAS candidates, edited networks)
// for tools that read ONNX (a user's PyTorch training through onnx2torch or their own reader,
// Netron, a deployment flow). Float32 NCHW operators with explicit pads (the graph's SAME,
// explicit and causal padding made explicit), batch 1; weights are random (seeded): the model
// carries a shape, not trained values. importOnnx() reads it back to the same layers.
#pragma once

#include "workloads/graph/Network.h"

#include <cstdint>
#include <string>

namespace edgesim::workloads {

/// The serialized ModelProto (opset 13) of `network`. Throws std::invalid_argument naming the
/// first layer whose op it cannot write (ops besides convolutions, dense, pooling, add,
/// activations, flatten and softmax).
std::string exportOnnx(const Network& network, uint64_t seed = 0);

} // namespace edgesim::workloads
