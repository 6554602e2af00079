// The `proxy` accuracy evaluator: a training-free score of the untrained candidate (libtorch,
// the plugin explorer/nas/torch/) on a batch of Fashion-MNIST images, for quick searches:
// `naswot` (Mellor et al., ICML 2021) or `synflow` (Tanaka et al., NeurIPS 2020). Higher is
// better; the score is not a fraction (the accuracy column holds it).
#include "explorer/nas/TorchEvaluator.h"

#include "common/Registry.h"
#include "explorer/nas/NasStudy.h"

namespace edgesim::explorer::nas {

namespace {

constexpr int kDefaultProxyBatch = 64; // ProxySpec.batch_size default (NASWOT's 128 halved)

class ProxyEvaluator final : public TorchEvaluator {
    TorchSettings settings(const spec::AccuracySpec& spec) const override {
        TorchSettings s;
        s.task = spec.proxy().kind().empty() ? "naswot" : spec.proxy().kind();
        s.batchSize =
            spec.proxy().batch_size() > 0 ? spec.proxy().batch_size() : kDefaultProxyBatch;
        s.dataDir = spec.train().data_dir().empty() ? kFashionMnistDir : spec.train().data_dir();
        return s;
    }
    std::string dataField(const spec::AccuracySpec& spec) const override {
        return spec.train().data_dir().empty() ? "accuracy.proxy" : "accuracy.train.data_dir";
    }
};

const bool registered = Registry<AccuracyEvaluator>::instance().add(
    "proxy", [] { return std::make_unique<ProxyEvaluator>(); });

} // namespace

} // namespace edgesim::explorer::nas
