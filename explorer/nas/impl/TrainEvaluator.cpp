// The `train` accuracy evaluator: real training with libtorch (the plugin,
// explorer/nas/torch/) of the candidate's network on a subset of Fashion-MNIST (Debian
// dataset-fashion-mnist), Adam for a few epochs with fixed seeds, then top-1 accuracy on a
// subset of the test set.
#include "explorer/nas/TorchEvaluator.h"

#include "common/Registry.h"
#include "explorer/nas/NasStudy.h"

namespace edgesim::explorer::nas {

namespace {

// Defaults of TrainSpec (nas.proto), small enough for a search on two cores.
constexpr int64_t kDefaultTrainImages = 2000;
constexpr int64_t kDefaultTestImages = 1000;
constexpr int kDefaultEpochs = 2;
constexpr int kDefaultBatch = 64;
constexpr double kDefaultLearningRate = 0.003;

class TrainEvaluator final : public TorchEvaluator {
    TorchSettings settings(const spec::AccuracySpec& spec) const override {
        const auto& t = spec.train();
        TorchSettings s;
        s.task = "train";
        s.dataDir = t.data_dir().empty() ? kFashionMnistDir : t.data_dir();
        s.trainImages = t.train_images() > 0 ? t.train_images() : kDefaultTrainImages;
        s.testImages = t.test_images() > 0 ? t.test_images() : kDefaultTestImages;
        s.epochs = t.epochs() > 0 ? t.epochs() : kDefaultEpochs;
        s.batchSize = t.batch_size() > 0 ? t.batch_size() : kDefaultBatch;
        s.learningRate = t.learning_rate() > 0 ? t.learning_rate() : kDefaultLearningRate;
        s.threads = t.threads() > 0 ? t.threads() : 1;
        return s;
    }
    std::string dataField(const spec::AccuracySpec& spec) const override {
        return spec.train().data_dir().empty() ? "accuracy.train" : "accuracy.train.data_dir";
    }
};

const bool registered = Registry<AccuracyEvaluator>::instance().add(
    "train", [] { return std::make_unique<TrainEvaluator>(); });

} // namespace

} // namespace edgesim::explorer::nas
