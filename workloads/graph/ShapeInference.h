// Shape inference and per-layer workload figures (MACs, parameters, weight and activation
// bytes) over the network graph. Exact integer arithmetic, TensorFlow padding conventions.
#pragma once

#include "workloads/graph/Network.h"

#include <string>

namespace edgesim::workloads {

/// Computes every layer's output tensor and LayerStats in execution order.
/// Every inconsistency (channel mismatch, window larger than the input, bad reshape, ...)
/// is reported against the layer's origin; throws InputError labelled with `file` listing
/// all of them. Layers downstream of a failed layer are not checked again.
void inferShapes(Network& net, const std::string& file);

/// Shape inference for one layer whose inputs are already inferred (used by importers that
/// need shapes while they build). Throws InputError against the layer's origin.
void inferLayerShape(Network& net, Network::LayerId id, const std::string& file);

/// True when `s` equals `to` or broadcasts to it (numpy rules on channels-last shapes: aligned
/// on the last, channel, dimension; each dimension equal or 1).
bool broadcastsTo(const Shape& s, const Shape& to);

/// Output length of a window along one dimension; nullopt-like -1 when the window does not fit.
/// Also yields the padding actually applied at the beginning and the end of the dimension.
int64_t windowOutputLength(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                           Padding padding, int64_t padBegin, int64_t padEnd,
                           int64_t* appliedPadBegin = nullptr, int64_t* appliedPadEnd = nullptr);

/// True when window `w` (inferred: one entry per spatial dimension) pads the channels-last
/// input `in` anywhere, i.e. a kernel must test bounds or fill zeros.
bool windowPads(const Window& w, const Shape& in);

} // namespace edgesim::workloads
