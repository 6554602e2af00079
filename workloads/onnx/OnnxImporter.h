// ONNX model -> network graph. Float models and int8 models (QDQ with Quantize/
// DequantizeLinear pairs, or QLinearConv/QLinearMatMul) import as the layers a deployment
// runtime would execute: batch norm folded, activations fused, Q/DQ pairs absorbed into the
// int8 operators they wrap. NCHW tensors become channels-last per-sample shapes;
// 1-D convolutions become temporal convolutions.
#pragma once

#include "workloads/graph/Network.h"

#include <string>
#include <vector>

namespace edgesim::workloads {

/// Imports the serialized ModelProto in `bytes`. `file` labels diagnostics. Any problem
/// (malformed or truncated file, unsupported operator or dtype, missing weights, shapes
/// that do not fit) throws InputError naming the node, its op type and the reason; the
/// importer never crashes on hostile input.
Network importOnnx(const std::string& bytes, const std::string& file);

/// ONNX operator types (default domain) the importer understands, sorted.
const std::vector<std::string>& supportedOnnxOps();

} // namespace edgesim::workloads
