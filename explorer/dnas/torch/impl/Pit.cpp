// PIT (Risso et al., IEEE TC 2023; NAS.md §2): channel masks (PitMasks.h) and, with
// DnasSettings::receptiveField, the temporal convolutions' tap masks (TapMasks.h); the weights
// keep the seed's precision.
#include "explorer/dnas/torch/DnasMethod.h"
#include "explorer/dnas/torch/PitMasks.h"
#include "explorer/dnas/torch/TapMasks.h"

namespace edgesim::explorer::dnas {

namespace {

class Pit final : public DnasMethod {
public:
    void build(const std::vector<ChannelGroup>& groups, const std::vector<LayerCostTable>& layers,
               const DnasSettings& settings) override {
        masks_.build(groups, settings.threshold);
        taps_.build(settings.receptiveField ? layers : std::vector<LayerCostTable>(layers.size()),
                    settings.threshold);
        bits_.clear();
        for (const auto& t : layers) {
            bits_.push_back(t.weightBits.front());
        }
    }
    std::vector<torch::Tensor> parameters() override {
        return withDefined(masks_.parameters(), taps_.parameters());
    }
    ChannelChoice choice() override {
        ChannelChoice c = masks_.choice();
        c.precision.assign(bits_.size(), torch::Tensor());
        c.taps = taps_.choice();
        return c;
    }
    std::vector<int> exportedVariants() override { return taps_.exported(); }
    std::vector<int64_t> exported() override { return masks_.exported(); }
    void startSearch(const std::vector<torch::Tensor>& importance) override {
        masks_.rank(importance);
    }
    std::vector<int> exportedBits() override { return bits_; }
    void freeze(const std::vector<int64_t>& keep, const std::vector<int>&,
                const std::vector<int64_t>&, const std::vector<int>& taps) override {
        masks_.freeze(keep);
        taps_.freeze(taps);
    }

private:
    PitMasks masks_;
    TapMasks taps_;
    std::vector<int> bits_;
};

const bool kRegistered = registerDnasMethod("pit", [] { return std::make_unique<Pit>(); });

} // namespace

} // namespace edgesim::explorer::dnas
