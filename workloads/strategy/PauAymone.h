// Per-sample training MAC counts under the conventions of Pau & Aymone (IEEE COINS 2023), as
// ../shared/TRAINING.md §1.1 and §2 list them: the `counting=pau-aymone` convention of the
// training strategies. Computed from the formulas, never fitted to published totals.
#pragma once

#include "workloads/graph/Network.h"

#include <cstdint>

namespace edgesim::workloads {

struct PauAymoneCounts {
    int64_t forward = 0;      ///< FW without the softmax head
    int64_t softmaxHead = 0;  ///< converter 2C + non-linearity 15C + converter 2C
    int64_t backward = 0;     ///< BW: input gradients, the first compute layer's skipped
    int64_t weightUpdate = 0; ///< WU: weight gradients of every compute layer
    int64_t goodness = 0;     ///< FF GOOD: one per output element of each compute layer
    int64_t normalize = 0;    ///< FF NORM: likewise
    int64_t error = 0;        ///< ERR = C, the network's output elements
    int64_t projection = 0;   ///< PEPITA PROJ = C x d_in

    int64_t forwardWithHead() const { return forward + softmaxHead; }
    /// BP = FW + BW + WU + ERR (FW with the head).
    int64_t backprop() const { return forwardWithHead() + backward + weightUpdate + error; }
    /// FF train = 2 (FW + WU + GOOD + NORM), FW without the head.
    int64_t forwardForward() const { return 2 * (forward + weightUpdate + goodness + normalize); }
    /// PEPITA = 2 FW + WU + ERR + PROJ.
    int64_t pepita() const { return 2 * forwardWithHead() + weightUpdate + error + projection; }
    /// MEMPEPITA = 3 FW + WU + ERR + PROJ.
    int64_t mempepita() const { return 3 * forwardWithHead() + weightUpdate + error + projection; }
};

/// The counts of one training sample of `net` (canonical, shapes inferred): compute layers
/// their MACs; a pool its input elements H_in x W_in x C (forward and backward; the sheet's
/// DS-CNN pool is 25 x 5 x 64 = 8000 although its window is 24 x 5); a residual add its output
/// elements in the forward pass; batch norm, padding, reshapes and activations nothing (TRAINING.md
/// §1.1).
PauAymoneCounts pauAymoneCounts(const Network& net);

} // namespace edgesim::workloads
