// Graph rewrites applied before a network is costed, as deployment tool chains do:
// batch norm folded into the preceding convolution or dense layer, and ReLU/ReLU6/clip
// fused into their producer's output stage.
#pragma once

#include "workloads/graph/Network.h"

namespace edgesim::workloads {

/// Folds every batch norm whose input is a conv/depthwise/temporal/dense layer read by
/// nothing else into that layer, which gains a bias. Other batch norms stay as layers.
Network foldBatchNorms(Network net);

/// One clamp equal to `first` followed by `then` (ReLU, ReLU6 and clip are clamps).
Activation composeClamps(const Activation& first, const Activation& then);

/// Fuses every activation layer into its producer when the producer can apply it
/// (conv, dense, pool, add) and feeds only this activation; a producer that already clamps
/// gets the composed clamp.
Network fuseActivations(Network net);

/// foldBatchNorms then fuseActivations, then shape inference. The form every tool reports.
/// The passes take their network by value: pass an rvalue to avoid copying the graph.
Network canonicalize(Network net, const std::string& file);

} // namespace edgesim::workloads
