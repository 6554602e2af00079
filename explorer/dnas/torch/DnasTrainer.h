// The libtorch side of a differentiable search (explorer/dnas/DnasSearch.h): the seed as a
// GraphModule whose channel groups a DnasMethod masks, trained on Fashion-MNIST in four
// phases (NAS.md §1): warm-up (weights only), search (weights and θ with separate Adam
// optimizers, loss = task + Σ λ_i(e)·max(0, C_i − T_i) with the cost model's costs), export
// (θ binarised, each group's kept channels rounded up to its hardware tile) and fine-tuning of
// the exported network (weights only, masks fixed).
#pragma once

#include "explorer/dnas/DnasSearch.h"

#include <memory>

namespace edgesim::explorer::dnas {

/// The searcher the plugin's factory returns (tests link it directly).
std::unique_ptr<DnasSearcher> makeTorchDnasSearcher();

/// λ_i(e) of the multi-constraint regulariser (NAS.md §2, Burrello et al. TETC 2024): a linear
/// ramp from 1% to 100% of `lambda` over the first half of `searchEpochs`, then constant;
/// `epoch` counts search epochs from 0.
double lambdaAt(double lambda, int epoch, int searchEpochs);

} // namespace edgesim::explorer::dnas
