// The boundary between edgesim and its differentiable NAS code (explorer/dnas/torch/, part of
// the libtorch plugin libedgesim_torch.so): the seed network's graph, its cost model as plain
// tables measured on the simulator (CostModel.h builds them), the cost limits and the training
// settings go in; the search's epochs, the channels it keeps and their accuracy come out. No
// protobuf type crosses it (the plugin links no generated code).
#pragma once

#include "workloads/graph/Network.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::explorer::dnas {

/// The cost metrics a search can limit, in this order wherever costs are listed.
/// weight_bytes: the network's parameters as the stack stores them (weights and biases, packed
/// by precision), which is flash_bytes less the runtime's own code and data.
inline constexpr const char* kCostMetrics[] = {"latency_s", "energy_j", "weight_bytes",
                                               "flash_bytes", "peak_ram_bytes"};
inline constexpr int kCostMetricCount = 5;
/// Index of `metric` in kCostMetrics, -1 when it is none of them.
inline int costMetricIndex(const std::string& metric) {
    for (int i = 0; i < kCostMetricCount; ++i) {
        if (metric == kCostMetrics[i]) {
            return i;
        }
    }
    return -1;
}

/// Tensors whose channel count one set of architecture parameters decides: a convolution's or
/// dense layer's output, and every tensor that keeps its channels (depthwise convolution,
/// pooling, activation, flatten) or must match it (the inputs of an Add).
struct ChannelGroup {
    std::string name;       ///< the first layer producing it
    int64_t channels = 0;   ///< in the seed
    bool searchable = true; ///< false for the graph input and the classifier's output
    /// The hardware tile of its channels: the least common multiple of the tiles of the
    /// engines that read or write it (NPU unrolls, a kernel's fast path that needs a multiple
    /// of input channels). The search exports multiples of it (or the seed's count).
    int64_t tile = 1;
};

/// One layer's cost as a table over the channel counts of its input and output groups,
/// measured by simulating the layer alone at each grid point (the seed's geometry and
/// precisions otherwise). An axis whose group is fixed has one point, the seed's.
struct LayerCostTable {
    std::string layer;
    int inGroup = -1, outGroup = -1;      ///< -1: not a group of its own (fixed)
    std::vector<int64_t> inGrid, outGrid; ///< increasing channel counts of the groups
    /// The groups' tiles: costs are read at ceil(c / tile) * tile (1: no rounding).
    int64_t inTile = 1, outTile = 1;
    /// Weight precisions the table holds (bits: 8, 4, 2), the seed's first; more than one
    /// only for a mixed-precision search, and only those the target runs the layer in.
    std::vector<int> weightBits = {8};
    /// MPS activation precision (per layer, NAS.md §2): the input activation precisions the
    /// table holds (bits: 8, 4, 2), the seed's first; more than one only when the step whose
    /// output this layer reads (`actSource`) has its precision searched. Values hold a plane
    /// per (activation, weight) pair, activation-major: precision index a x weightBits.size()
    /// + w (planeOf).
    std::vector<int> activationBits = {8};
    /// The step whose output activation precision is this layer's input's (the producer of
    /// its first input, through ops without weights, which keep the type they read); -1:
    /// a graph input or a step whose precision is not searched.
    int actSource = -1;
    /// The step whose precision this layer's output has: itself when it is searched
    /// (outActivationBits), its actSource for an op without weights, else -1 (the seed's).
    int outSource = -1;
    /// The output activation precisions a search may give this step (seed's first); empty
    /// when its output keeps the seed's (graph outputs, the layers feeding them, tensors a
    /// join (add, concat) reads, layers whose readers the target cannot run at the others).
    std::vector<int> outActivationBits;
    /// Number of precision planes (activation x weight).
    std::size_t precisionCount() const { return activationBits.size() * weightBits.size(); }
    /// The plane of activation precision index `a` and weight precision index `w`.
    std::size_t planeOf(std::size_t a, std::size_t w) const { return a * weightBits.size() + w; }
    /// Split tables (ODiMO, NAS.md §2): exactly two variants, each the layer with all of its
    /// output channels forced onto one engine (`engines`, the one the target's mapper picks
    /// for the seed first); a network may split the layer's output channels between them,
    /// both parts running in parallel (a mapping file's split_engine and fraction). Both
    /// variants keep the layer's weight type (weightBits); `computeBits` is the precision
    /// each engine computes with (an analog array's ternary weights: 2), what training
    /// fake-quantises the channels on it to. Empty for other tables.
    std::vector<std::string> engines;
    std::vector<int> computeBits;
    /// The granularity of each engine's share of channels (its output-channel unroll): the
    /// simulator rounds a split's first share to the first, and each part is read from its
    /// table at a multiple of its own (the table's outTile is 1).
    int64_t splitTiles[2] = {1, 1};
    /// What running both parts costs beyond the larger part's latency and the parts' summed
    /// energy (the second launch, the shared DMA), per metric: measured at an even split.
    /// For a table of several weight precisions in an MPS per-channel search: what running
    /// the layer as sub-layers of two precisions and a concat costs beyond their tables
    /// (latency, energy, peak RAM), measured at an even split of the seed's channels and
    /// scaled by the layer's output channels (the concat copies each output element).
    double splitOverhead[kCostMetricCount] = {};
    bool isSplit() const { return engines.size() == 2; }
    /// Receptive-field variants (PIT on a causal temporal convolution, NAS.md §2): per
    /// variant the kernel's taps and its dilation, the seed's first; every other variant
    /// keeps taps 0, s, 2s, ... of the seed's kernel (counted back from the newest input), s a
    /// power of two: `kernels[v]` taps at dilation s x the seed's. Empty: the seed's only.
    std::vector<int64_t> kernels, dilations;
    /// SuperNet choice block (ChoiceBlock): per variant a label, the seed's layer first
    /// ("seed"), then its alternatives (their op and geometry, "depthwise_conv2d 5x5"), then
    /// "identity" when the block may be skipped (its costs are zero). Empty: not a block.
    std::vector<std::string> choices;
    /// The number of variants, receptive-field or choices (1 without).
    std::size_t variantCount() const {
        return std::max<std::size_t>({1, kernels.size(), choices.size()});
    }
    /// Per metric (kCostMetrics), values at [precision][variant][in][out], row-major (for
    /// split tables [engine][in][out]). Latency and energy are the layer's own row of the
    /// simulation; flash and RAM its whole single-layer network's.
    std::vector<double> values[kCostMetricCount];
};

/// An activation buffer of the seed's memory plan (MemoryPlanner.h), for the RAM cost.
struct BufferUse {
    int group = -1;              ///< -1: fixed size
    int64_t bytesPerChannel = 0; ///< bytes = this x the group's channels (fixed: total)
    std::vector<int> liveAt;     ///< steps it is live in (from its writer to its last reader)
    std::vector<int> touchedBy;  ///< steps whose single-layer network holds it (in or out)
    int writer = -1;             ///< the step that writes it (-1: a graph input)
};

/// A network's costs as a function of its groups' channel counts:
///   latency, energy, weights = fixed + sum over layers of the table;
///   flash           = fixed + sum over layers of (table - fixed)  (the runtime counted once);
///   peak RAM        = max over steps of (table + the other buffers live then).
struct CostModel {
    std::vector<ChannelGroup> groups;
    std::vector<LayerCostTable> layers; ///< steps: the seed's layers in execution order
    std::vector<BufferUse> buffers;
    double fixed[kCostMetricCount] = {};
};

/// A SuperNet choice block (NAS.md §2): the seed's layer `layer` or one of `alternatives`
/// (layers of the same output shape, shapes inferred, named as the seed's layer and reading its
/// input), or with `identity` no layer at all (its input passed on: a searchable depth).
struct ChoiceBlock {
    std::string layer;
    std::vector<workloads::Layer> alternatives;
    bool identity = false;
};

/// One hard limit of the search: cost `metric` <= `max` (in its unit: s, J, B).
struct CostLimit {
    std::string metric;
    double max = 0;
};

struct DnasSettings {
    std::string method = "pit"; ///< pit, mps, odimo, supernet
    std::string dataDir;        ///< Fashion-MNIST's IDX files
    int64_t trainImages = 0, testImages = 0;
    int batchSize = 0, threads = 1;
    double learningRate = 0, archLearningRate = 0;
    int warmupEpochs = 0, searchEpochs = 0, finetuneEpochs = 0;
    /// PIT: a channel is kept while |alpha| >= threshold.
    double threshold = 0.5;
    /// PIT: also search the taps of the temporal convolutions whose tables have receptive-field
    /// variants (LayerCostTable::kernels).
    bool receptiveField = false;
    /// MPS: weight precision per output channel (the layer exported as one sub-layer per
    /// precision and a concat) instead of per layer.
    bool perChannel = false;
    /// MPS: the output activation precisions (bits) searched per layer (LayerCostTable::
    /// outActivationBits); empty: activations stay the seed's.
    std::vector<int> activationBits;
    /// Also train the seed for warm-up + search + fine-tune epochs, as the accuracy to beat.
    bool baseline = true;
};

struct DnasProblem {
    const workloads::Network* network = nullptr; ///< the seed network
    std::vector<int> groupOfLayer; ///< per LayerId of `seed`, the group of its output (-1: none)
    CostModel costs;
    std::vector<CostLimit> limits;
    double energyWeight = 0;          ///< optional term: weight x energy_j / the seed's energy_j
    std::vector<ChoiceBlock> choices; ///< SuperNet blocks (their steps' tables have choices)
    uint64_t seed = 0;                ///< of the search (initial weights, batches)
};

/// One epoch of a search: its phase, the task loss, the test accuracy of the network as it
/// would be exported then, each cost of that network by the cost model, each limit's strength.
struct EpochRecord {
    std::string phase; ///< warmup, search, finetune
    int epoch = 0;     ///< counted over all phases, from 1
    double taskLoss = 0, accuracy = 0;
    double costs[kCostMetricCount] = {};
    std::vector<double> lambdas; ///< per limit
    double temperature = 0;      ///< NaN for methods without one
    double seconds = 0;
};

struct DnasOutcome {
    std::string error; ///< why the search could not run (empty when it did)
    std::vector<EpochRecord> epochs;
    std::vector<int64_t> channels; ///< per group, kept by the search
    std::vector<int> weightBits;   ///< per step (cost-model layer), the weights' precision
    /// Per step, the output channels on a split table's first engine (the rest on its
    /// second); -1 for steps that are not split. Empty for methods that do not split.
    std::vector<int64_t> split;
    /// Per step, the variant of a table that has them (LayerCostTable::variantCount: its
    /// receptive field or choice-block alternative; -1 for other steps). Empty for methods
    /// that search neither.
    std::vector<int> variants;
    /// Per step, MPS per channel: the kept output channels at each of the table's weight
    /// precisions (LayerCostTable::weightBits order); empty for other steps (or methods).
    std::vector<std::vector<int64_t>> channelBits;
    /// Per step, the output activation precision (bits) of a step whose precision was
    /// searched (LayerCostTable::outActivationBits), 0 for others; empty when not searched.
    std::vector<int> activationBits;
    double accuracy = 0; ///< of the exported network after fine-tuning
    /// The seed's, trained as long (NaN without a baseline); layers of split tables at the
    /// precision of the engine the target's mapper runs them on.
    double seedAccuracy = 0;
    double predicted[kCostMetricCount] = {}; ///< the exported network's costs
    double seedPredicted[kCostMetricCount] = {};
};

/// Contract: configure() loads the data and returns why it cannot ("" when it can); search()
/// runs one search, the same problem and seed giving the same outcome, reports each finished
/// epoch through `onEpoch` (may be empty; returning false stops the search, whose outcome then
/// has the error kStopped), and never throws (a problem it cannot handle is an outcome with an
/// error).
class DnasSearcher {
public:
    virtual ~DnasSearcher() = default;
    virtual std::string configure(const DnasSettings& settings) = 0;
    virtual DnasOutcome search(const DnasProblem& problem,
                               const std::function<bool(const EpochRecord&)>& onEpoch) = 0;
};

/// DnasOutcome::error of a search its caller stopped.
inline constexpr const char* kStopped = "stopped";

/// The plugin's factory, `extern "C"` under this name.
inline constexpr const char* kDnasSearcherFactory = "edgesim_make_dnas_searcher";
using DnasSearcherFactory = DnasSearcher* (*)();

/// A searcher from the libtorch plugin (explorer/nas/TorchScorer.h says where it is looked
/// for). std::runtime_error naming what was tried when it cannot be loaded.
std::unique_ptr<DnasSearcher> makeDnasSearcher();

} // namespace edgesim::explorer::dnas
