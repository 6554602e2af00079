// The cost model of a differentiable search, measured on the simulator (NAS.md §3): the seed
// network's channel groups, and per layer a table of latency, energy, flash and RAM over the
// channel counts of its groups, each grid point the simulation of that layer alone on the
// target (platform + stack + mapper + operating point). Tables are cached on disk by the
// target's and the seed's hash, so a second search on the same target does not re-query.
#pragma once

#include "explorer/dnas/DnasSearch.h"
#include "explorer/session/Session.h"
#include "platforms/spec/mapping.pb.h"
#include "workloads/spec/network.pb.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace edgesim::explorer::dnas {

/// The channel groups of `net` (shapes inferred) and the group of each layer's output.
struct Grouping {
    std::vector<ChannelGroup> groups;
    std::vector<int> groupOfLayer; ///< per LayerId; -1 for no group
};

/// Groups as DnasSearch.h defines them. A tensor whose channels an op the search does not
/// follow produces or reads (concat, reshape, transpose, slice, grouped convolutions, ...) is
/// in a fixed group, and so is every graph input and output: the search keeps them as they are.
Grouping channelGroups(const workloads::Network& net);

struct CostTableOptions {
    /// Grid spacing in channels (points at 1, multiples of the step and the seed's count);
    /// rounded up to the layer's hardware tile.
    int64_t channelStep = 4;
    /// Where tables are cached ("" = no cache).
    std::string cacheDir;
    /// Weight precisions (bits) to tabulate besides the seed's, for the layers with weights
    /// the target runs in them (a mixed-precision search); empty: the seed's only.
    std::vector<int> weightBits;
    /// Split tables (ODiMO): for each layer two engines can each run alone, a table per
    /// engine with the layer forced onto it (LayerCostTable::isSplit).
    bool splitEngines = false;
    /// Receptive-field variants (PIT, NAS.md §2) for each causal temporal convolution with
    /// more than one tap: every kernel of taps 0, s, 2s, ... of the seed's (s a power of two)
    /// at dilation s x the seed's (LayerCostTable::kernels).
    bool receptiveField = false;
    /// SuperNet choice blocks: their layers' tables hold a variant per alternative
    /// (LayerCostTable::choices); `choicesKey` identifies them in the cache key (e.g. a hash
    /// of their specs).
    std::vector<ChoiceBlock> choices;
    std::string choicesKey;
    /// MPS per channel: for each layer with several weight precisions, what deploying it as
    /// one sub-layer per precision and a concat costs beyond its parts (the concat's copy, its
    /// buffers), measured once at an even split of its first two precisions
    /// (LayerCostTable::splitOverhead).
    bool perChannel = false;
    /// MPS activation precision: the output activation precisions (bits) to tabulate for the
    /// steps whose readers the target runs at them (LayerCostTable::outActivationBits); empty:
    /// the seed's only.
    std::vector<int> activationBits;
};

/// What building a cost model did.
struct CostModelStats {
    int64_t queries = 0; ///< single-layer simulations run
    bool cached = false; ///< read from the cache instead
    double seconds = 0;
    std::string cacheFile; ///< the cache file read or written ("" without a cache)
};

/// The cost model of `seed` (shapes inferred; `seedSha256` the hash of its spec) on `target`
/// (its network field is replaced). InputError (from the session) when the target cannot run;
/// a layer the target cannot run alone (unsupported, does_not_fit) is std::runtime_error
/// naming the layer and the status.
CostModel buildCostModel(Session& session, const Query& target, const workloads::Network& seed,
                         const std::string& seedSha256, const Grouping& grouping,
                         const CostTableOptions& options, CostModelStats* stats = nullptr);

/// The model's costs (kCostMetrics order) of the network whose groups have `channels` and
/// whose layers (steps) have weights of `weightBits` (empty: each table's first, the seed's)
/// and, per step of a split table, `split` output channels on its first engine and the rest
/// on its second (-1 or empty: all on the first): the layer's latency is the slower part's,
/// its energy and weights the sum of the parts'. `variants`: per step, the variant of a table
/// that has them (-1 or empty: the seed's). `channelBits`: per step, the output channels at
/// each of its table's weight precisions (MPS per channel; empty: the step's `weightBits`):
/// the layer costs the sum of its per-precision parts (RAM: the whole layer's).
/// `activationBits`: per step, the output activation precision of a step whose precision is
/// searched (LayerCostTable::outActivationBits; 0 or empty: the seed's): its readers' tables
/// are read at it, and the buffers it writes (and those of the ops without weights after it)
/// scale with it.
std::array<double, kCostMetricCount>
predictCosts(const CostModel& model, const std::vector<int64_t>& channels,
             const std::vector<int>& weightBits = {}, const std::vector<int64_t>& split = {},
             const std::vector<int>& variants = {},
             const std::vector<std::vector<int64_t>>& channelBits = {},
             const std::vector<int>& activationBits = {});

/// The receptive-field variants of `seedKernel` taps: (kernel, tap stride s) pairs, the seed's
/// (seedKernel, 1) first, then by stride and decreasing kernel, one single tap last.
std::vector<std::pair<int64_t, int64_t>> tapVariants(int64_t seedKernel);

/// Variant `v` of table `t` as text: taps x dilation ("5x4": 5 taps at dilation 4) or the
/// choice's label ("identity").
std::string variantText(const LayerCostTable& t, int v);

/// The alternatives' specs of SuperNet choice blocks, by layer, in ChoiceBlock order.
struct ChoiceSpec {
    std::string layer;
    std::vector<workloads::spec::LayerSpec> alternatives; ///< op and attributes only
    bool identity = false;
};

/// A choice's label: its op and geometry ("depthwise_conv2d 5x5", "conv2d 3x3/64").
std::string choiceLabel(const workloads::Layer& layer);

/// Whether `split` (per step, as predictCosts) splits or moves any layer.
bool anySplit(const std::vector<int64_t>& split);

/// The output channels of split table `table`'s layer in the network whose groups have
/// `channels`.
int64_t splitChannels(const LayerCostTable& table, const std::vector<int64_t>& channels);

/// A split table's value of `metric` with `first` of its output channels on its first engine
/// and `second` on the other (an engine with none costs nothing; latency: the larger part;
/// RAM: the whole layer's).
double splitValue(const LayerCostTable& table, int metric, double cin, double first, double second,
                  double fixedFlash);

/// One layer's table read at (cin, cout) channels of its groups, rounded up to its tiles and
/// interpolated linearly between grid points (extrapolated past the ends), for its weight
/// precision number `precision` (an index into weightBits) and receptive-field variant
/// `variant` (`roundOut` false: the output channels as given, for footprints of a part).
double tableValue(const LayerCostTable& table, int metric, double cin, double cout,
                  std::size_t precision = 0, std::size_t variant = 0, bool roundOut = true);

/// The integer type of `bits` (8 int8, 4 int4, 2 int2), for weights or activations;
/// std::invalid_argument otherwise.
workloads::DType dtypeOfBits(int bits);

/// The seed's channel counts per group.
std::vector<int64_t> seedChannels(const Grouping& grouping);

/// The exported mapping of a network with split layers: `base` (the mapper's mapping of the
/// network, as a MappingSpec) with each split step's layer set to its two engines and the
/// fraction `split[step] / channels` on the first (a share of 0 or all: that engine alone).
platforms::spec::MappingSpec splitMapping(const platforms::spec::MappingSpec& base,
                                          const CostModel& model,
                                          const std::vector<int64_t>& channels,
                                          const std::vector<int64_t>& split);

/// `seedSpec` (the network `seed` was built from) with each group's producers resized to
/// `channels`: convolutions' out_channels and dense units; with `model` and `weightBits`
/// (per step, as predictCosts), each layer's weight type set to its precision where it
/// differs from the seed's, and with `variants` (per step, as predictCosts) each temporal
/// convolution's kernel and dilation set to its receptive-field variant and each choice
/// block's layer replaced by its alternative in `choices` (identity: removed, its readers
/// reading its input), and with `channelBits` (per step, as predictCosts) each layer with
/// channels at more than one precision split into one sub-layer per precision
/// (`<layer>_w<bits>`, reading its input) and a concat named as the layer, and with
/// `activationBits` (per step, as predictCosts) each such step's output_dtype set.
/// std::invalid_argument when a count is below 1 or a fixed group changes.
workloads::spec::NetworkSpec
resizedSpec(const workloads::spec::NetworkSpec& seedSpec, const workloads::Network& seed,
            const Grouping& grouping, const std::vector<int64_t>& channels,
            const CostModel* model = nullptr, const std::vector<int>& weightBits = {},
            const std::vector<int>& variants = {}, const std::vector<ChoiceSpec>& choices = {},
            const std::vector<std::vector<int64_t>>& channelBits = {},
            const std::vector<int>& activationBits = {});

/// A seed network's cost model with what resizing the seed needs: the model, the seed's
/// groups, graph and spec (what `edgesim.cost_model` returns to Python).
struct SeedCostModel {
    CostModel model;
    Grouping grouping;
    workloads::Network seed;
    workloads::spec::NetworkSpec seedSpec;
    std::string label; ///< the seed's file (or label), for errors
};

/// The cost model of the network text `seedText` (`label` names it in errors) on `target`:
/// parses and groups the seed, then buildCostModel. InputError for a bad seed or target.
SeedCostModel buildSeedCostModel(Session& session, const Query& target, const std::string& seedText,
                                 const std::string& label, const CostTableOptions& options);

/// predictCosts at `channels` (one count per group of `model`; InputError naming `field`
/// otherwise).
std::array<double, kCostMetricCount> predictSeedCosts(const SeedCostModel& model,
                                                      const std::vector<int64_t>& channels,
                                                      const std::string& source,
                                                      const std::string& field);

/// The seed resized to `channels` as network text, named `name` (empty: the seed's); a bad
/// count is InputError naming `field` of `source`.
std::string resizedSeedText(const SeedCostModel& model, const std::vector<int64_t>& channels,
                            const std::string& name, const std::string& source,
                            const std::string& field);

} // namespace edgesim::explorer::dnas
