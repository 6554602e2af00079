// A differentiable search method (NAS.md §2): the architecture parameters θ of a seed's
// channel groups, the channel masks and effective channel counts they give at each training
// step, and the discrete choice they export. One file per method in impl/, registered by name.
#pragma once

#include "explorer/dnas/DnasSearch.h"

#include <torch/torch.h>

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::explorer::dnas {

/// What θ chooses at one training step: per channel group (undefined tensors for fixed
/// groups) and per layer of the cost model (its steps).
struct ChannelChoice {
    std::vector<torch::Tensor> masks;    ///< [C] multipliers of the group's channels (float32)
    std::vector<torch::Tensor> channels; ///< effective channel count (float64 scalar)
    /// Per step: probabilities ([P], float32) of the table's weight precisions; undefined
    /// for a layer with one precision (or a method that does not choose them). For a split
    /// table's step ([C, 2]): each output channel's probabilities of the two engines, whose
    /// computeBits its weights are fake-quantised to.
    std::vector<torch::Tensor> precision;
    /// Per step of a split table: the effective output channels on each engine ([2],
    /// float64); undefined for other steps (or a method that does not split).
    std::vector<torch::Tensor> split;
    /// Per step of a table with receptive-field variants: the mask of the seed kernel's taps
    /// ([K] float32, tap i is i steps back; TapMasks.h); undefined for other steps (or a
    /// method that does not search taps).
    std::vector<torch::Tensor> taps;
    /// Per step of a SuperNet choice block: the probabilities of its choices ([V], float32,
    /// LayerCostTable::choices order); undefined for other steps (or other methods).
    std::vector<torch::Tensor> choices;
    /// Per step with a per-channel precision choice ([C, P] in `precision`): the effective
    /// output channels at each precision ([P], float64; kept channels only), which its cost
    /// reads; undefined for other steps.
    std::vector<torch::Tensor> precisionChannels;
    /// Per step whose output activation precision is searched (LayerCostTable::
    /// outActivationBits): its probabilities ([A], float32); undefined for other steps (or
    /// methods).
    std::vector<torch::Tensor> activation;
};

/// Contract: build() creates θ for the searchable groups of the seed (nothing for fixed
/// ones) and, for methods that choose them, for the layers whose table holds more than one
/// weight precision, receptive-field variant or choice; choice() is differentiable in θ and,
/// before any θ update, keeps every channel and tap (the seed; a choice block's choices are
/// then all equally likely); exported() is the discrete channel choice (per group, at least 1, at
/// most the seed's) and exportedBits() the weight bits per step (the table's first when not
/// chosen); exportedSplit() per step the output channels on a split table's first engine (a
/// multiple of its splitTiles[0], -1 for steps not split; empty for methods that do not split);
/// exportedVariants() per step the variant, receptive-field or choice (-1 for steps without;
/// empty for methods that search neither); freeze(keep, bits, split, variants) makes choice()
/// return that fixed choice, keeping `keep[g]` channels of each group (the ones θ ranks highest)
/// for fine-tuning. startEpoch() tells the search epoch (from 0) for schedules such as a
/// temperature. Same θ, same results.
class DnasMethod {
public:
    virtual ~DnasMethod() = default;
    virtual void build(const std::vector<ChannelGroup>& groups,
                       const std::vector<LayerCostTable>& layers, const DnasSettings& settings) = 0;
    virtual std::vector<torch::Tensor> parameters() = 0;
    virtual ChannelChoice choice() = 0;
    virtual std::vector<int64_t> exported() = 0;
    virtual std::vector<int> exportedBits() = 0;
    virtual std::vector<int64_t> exportedSplit() { return {}; }
    virtual std::vector<int> exportedVariants() { return {}; }
    /// Per step, the output activation bits of a step whose precision is searched (its most
    /// probable; after freeze the frozen one), 0 for other steps; empty for methods that do
    /// not search activations.
    virtual std::vector<int> exportedActivationBits() { return {}; }
    /// Per step with a per-channel precision choice, the kept channels (the first `keep[g]`
    /// of the output group by rank, as freeze keeps them) at each of the table's precisions;
    /// empty for other steps (or methods).
    virtual std::vector<std::vector<int64_t>> exportedChannelBits(const std::vector<int64_t>&) {
        return {};
    }
    virtual void freeze(const std::vector<int64_t>& keep, const std::vector<int>& bits,
                        const std::vector<int64_t>& split, const std::vector<int>& taps) = 0;
    virtual void startEpoch(int /*searchEpoch*/, int /*searchEpochs*/) {}
    /// Called once when the search starts (after warm-up) with each group's channel
    /// importance ([C], larger = more important; undefined for fixed groups).
    virtual void startSearch(const std::vector<torch::Tensor>& /*importance*/) {}
    /// The softmax temperature of methods that have one (NaN otherwise).
    virtual double temperature() const { return std::numeric_limits<double>::quiet_NaN(); }
};

/// A softmax temperature that falls geometrically from 1 at the first search epoch to
/// kFinalTemperature at the last (methods that choose among discrete options: MPS, ODiMO).
double annealedTemperature(int searchEpoch, int searchEpochs);

/// A method that chooses among discrete options through softmax(θ / temperature_), the
/// temperature annealed over the search (annealedTemperature).
class AnnealedDnasMethod : public DnasMethod {
public:
    void startEpoch(int searchEpoch, int searchEpochs) override {
        temperature_ = annealedTemperature(searchEpoch, searchEpochs);
    }
    double temperature() const override { return temperature_; }

protected:
    double temperature_ = 1.0;
};
/// Temperature at the end of the search: estimate, low enough that the softmax is nearly the
/// argmax the export takes.
inline constexpr double kFinalTemperature = 0.05;
/// Initial logit of the seed's option (its precision, its engine) against 0 for the others:
/// estimate, p = e^3 / (e^3 + 2) = 0.91 with two alternatives, so warm-up trains nearly the
/// seed.
inline constexpr double kSeedLogit = 3.0;
/// Deviation of per-channel logits' initial values around their means (ODiMO, MPS per
/// channel), so that channels leave one by one as the cost pushes, not all at once: estimate,
/// a fraction of kSeedLogit.
inline constexpr double kInitialSpread = 0.5;

/// `first` followed by the defined tensors of `more` (a method's θ: its masks', then its
/// logits where a layer has them).
std::vector<torch::Tensor> withDefined(std::vector<torch::Tensor> first,
                                       const std::vector<torch::Tensor>& more);

using DnasMethodFactory = std::function<std::unique_ptr<DnasMethod>()>;

/// Registers a method under `name` (at static initialisation, from its impl/ file).
bool registerDnasMethod(const std::string& name, DnasMethodFactory factory);
/// The method named `name`, or null.
std::unique_ptr<DnasMethod> makeDnasMethod(const std::string& name);
/// Registered names, sorted.
std::vector<std::string> dnasMethods();

} // namespace edgesim::explorer::dnas
