// Weight streaming from L3 on the PULP-style SoCs: when a network's weights do not fit in
// the weights memory (L2) beside the activation arena, the runtime's RAM and the code, the
// deployment flows (DORY; the GreenWaves NNTool/AutoTiler) keep them in L3 (HyperRAM or
// HyperFlash, MRAM) and have the I/O micro-DMA copy them into L2 on every inference. This
// decides which layers stream and how, at bind time; the copies are ordinary DMA hops that the
// TLM model runs as transactions (CoreEngine, AccelEngine) and the analytical evaluator times
// in closed form.
//
// Policy (also in configs/platforms/README.md, "Weight streaming"):
//  1. Resident first: when every weight fits beside the arena, runtime RAM and code, nothing
//     streams and the bound program is left as it is.
//  2. Otherwise the layers with the most weight bytes stream (ties in schedule order), each in
//     one of two ways:
//     - per layer: its weights are copied whole into the next of `weights_stream_buffers` L2
//       slots (each as large as the largest layer streamed this way) as soon as the layer
//       that last used that slot has finished: with two slots, during the layers before it
//       (DORY's double buffering of the next layer's weights); it waits for the copy before
//       it starts;
//     - per tile (a layer an engine runs): each tile's weights travel L3 -> L2 -> L1 inside
//       the layer, under the previous tile's compute when the engine double-buffers (DORY's
//       L3 weight tiling, the AutoTiler's three-level tiling); L2 stages one tile's weights
//       per engine task at a time. The host core streams whole layers only.
//     Candidates: the fewest streamed layers that fit, as few of them per tile as fit; then
//     for each smaller number of per-tile layers (the smallest of them turned per layer), the
//     fewest streamed layers whose slots fit. The analytical model times each candidate and
//     the fastest is kept (ties: fewer streamed bytes), so the same plan runs at both
//     fidelities: per-layer copies hide under the layers before them but need more L2;
//     streaming fewer bytes matters when the stream, not the compute, bounds the network.
//  3. does_not_fit when all the weights exceed the L3 memory, or when no streamed set leaves
//     room for its buffers (a host-run layer larger than the slots that fit, an arena leaving
//     no room for the largest tile); the reason names the memories and the sizes.
// Layers are placed, not kernels: every kernel of a streamed layer (each sample of a batch)
// copies its weights again. Mappers cost a layer alone, with its weights resident.
#pragma once

#include "platforms/spec/platform.pb.h"
#include "sim/model/Program.h"
#include "workloads/schedule/Schedule.h"

#include <cstdint>
#include <string>
#include <vector>

namespace edgesim::sim {

enum class StreamMode { Resident, PerLayer, PerTile };

/// One layer with weights, as the policy sees it.
struct StreamCandidate {
    std::string name;
    int64_t weightBytes = 0;
    /// L2 staging its tiles need when it streams per tile; -1 when the host core runs it (it
    /// can only stream per layer).
    int64_t stagingBytes = 0;
};

struct StreamPlan {
    std::vector<StreamMode> modes; ///< per candidate
    int64_t slotBytes = 0;         ///< size of each per-layer slot (0: none streams per layer)
    int64_t stagingBytes = 0;      ///< per-tile staging (0: none streams per tile)
    int64_t streamedBytes = 0;     ///< weights of the streamed layers
    std::string problem;           ///< why nothing fits ("" = the plan fits)
};

/// The candidate plans of the policy above (step 2) for `layers` whose weights share
/// `capacityBytes` of the weights memory with `buffers` slots, fewest streamed layers (then
/// most per-tile layers) first; none when every weight fits (nothing streams), and one plan
/// with only `problem` set when nothing fits.
std::vector<StreamPlan> streamingCandidates(const std::vector<StreamCandidate>& layers,
                                            int64_t capacityBytes, int buffers);

/// Applies the policy to `program` (bound from `schedule` on `platform` with every weight
/// resident) whose weights do not fit beside `otherBytes` (arena, runtime RAM and code) in the
/// weights memory: streamed kernels get their fetch, per-tile ones an L3 -> local weight
/// route, and the program its L3 memory and streamed bytes; or status DoesNotFit and why.
/// Throws InputError naming `source` only when no DMA chain links L3 to where the weights go
/// (platform validation rules that out).
void streamWeights(Program& program, const workloads::Schedule& schedule,
                   const platforms::spec::PlatformSpec& platform, int64_t otherBytes,
                   const std::string& source);

} // namespace edgesim::sim
