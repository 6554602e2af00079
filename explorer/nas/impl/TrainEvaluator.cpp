// The `train` accuracy evaluator: real training with libtorch of the candidate's network (the
// graph the simulator runs, with batch norms back in, GraphModule) on a subset of Fashion-MNIST
// (Debian dataset-fashion-mnist), Adam for a few epochs with fixed seeds, then top-1 accuracy
// on a subset of the test set. Float training: the accuracy of the network before int8
// post-training quantisation.
#include "explorer/nas/AccuracyEvaluator.h"

#include "common/Diagnostics.h"
#include "common/Registry.h"
#include "explorer/nas/FashionMnist.h"
#include "explorer/nas/TorchModel.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

namespace edgesim::explorer::nas {

namespace {

// Defaults of TrainSpec (nas.proto), small enough for a search on two cores.
constexpr int64_t kDefaultTrainImages = 2000;
constexpr int64_t kDefaultTestImages = 1000;
constexpr int kDefaultEpochs = 2;
constexpr int kDefaultBatch = 64;
constexpr double kDefaultLearningRate = 0.003;
constexpr int64_t kEvalBatch = 256;

/// Fashion-MNIST as raw bytes (torch tensors are made per evaluation, so that a process that
/// forks workers after configure() has started no torch thread pool).
struct Data {
    ImageSet train, test;
};

torch::Tensor imagesOf(const ImageSet& s, const std::vector<int64_t>& idx) {
    const int64_t px = s.rows * s.cols;
    torch::Tensor t = torch::empty({static_cast<int64_t>(idx.size()), s.rows, s.cols}, torch::kUInt8);
    auto* p = t.data_ptr<uint8_t>();
    for (std::size_t i = 0; i < idx.size(); ++i) {
        std::copy_n(s.pixels.data() + idx[i] * px, px, p + static_cast<int64_t>(i) * px);
    }
    return t;
}

torch::Tensor labelsOf(const ImageSet& s, const std::vector<int64_t>& idx) {
    torch::Tensor t = torch::empty({static_cast<int64_t>(idx.size())}, torch::kInt64);
    auto* p = t.data_ptr<int64_t>();
    for (std::size_t i = 0; i < idx.size(); ++i) {
        p[i] = s.labels[static_cast<std::size_t>(idx[i])];
    }
    return t;
}

class TrainEvaluator final : public AccuracyEvaluator {
public:
    void configure(const spec::AccuracySpec& spec, const std::string& studyFile) override {
        const auto& t = spec.train();
        dir_ = t.data_dir().empty() ? kFashionMnistDir : t.data_dir();
        trainImages_ = t.train_images() > 0 ? t.train_images() : kDefaultTrainImages;
        testImages_ = t.test_images() > 0 ? t.test_images() : kDefaultTestImages;
        epochs_ = t.epochs() > 0 ? t.epochs() : kDefaultEpochs;
        batch_ = t.batch_size() > 0 ? t.batch_size() : kDefaultBatch;
        lr_ = t.learning_rate() > 0 ? t.learning_rate() : kDefaultLearningRate;
        threads_ = t.threads() > 0 ? t.threads() : 1;
        try {
            data_.train = loadFashionMnist(dir_, "train", trainImages_);
            data_.test = loadFashionMnist(dir_, "t10k", testImages_);
        } catch (const std::runtime_error& e) {
            throw InputError(studyFile, t.data_dir().empty() ? "accuracy.train" : "accuracy.train.data_dir",
                             std::string(e.what()) + " (scripts/setup.sh installs it)");
        }
    }

    AccuracyResult evaluate(const Candidate& candidate, uint64_t seed, const std::string&) override {
        AccuracyResult r;
        const auto start = std::chrono::steady_clock::now();
        try {
            torch::set_num_threads(threads_);
            torch::manual_seed(seed);
            GraphModule model(*candidate.network, true);
            torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(lr_));
            std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
            std::vector<int64_t> order(static_cast<std::size_t>(data_.train.count));
            std::iota(order.begin(), order.end(), 0);
            model->train();
            for (int e = 0; e < epochs_; ++e) {
                std::shuffle(order.begin(), order.end(), rng);
                for (std::size_t b = 0; b < order.size(); b += static_cast<std::size_t>(batch_)) {
                    const std::vector<int64_t> idx(
                        order.begin() + static_cast<std::ptrdiff_t>(b),
                        order.begin() + static_cast<std::ptrdiff_t>(
                                            std::min(order.size(), b + static_cast<std::size_t>(batch_))));
                    if (idx.size() < 2) {
                        continue; // batch norm needs two samples
                    }
                    const torch::Tensor x = imagesAsInput(imagesOf(data_.train, idx), model->inputShape());
                    const torch::Tensor y = labelsOf(data_.train, idx);
                    opt.zero_grad();
                    const torch::Tensor loss =
                        torch::nn::functional::cross_entropy(model->forward(x), y);
                    if (!std::isfinite(loss.item<double>())) {
                        r.error = fmt::format("training diverged in epoch {} (loss {})", e + 1,
                                              loss.item<double>());
                        return r;
                    }
                    loss.backward();
                    opt.step();
                }
            }
            model->eval();
            torch::NoGradGuard noGrad;
            int64_t correct = 0;
            for (int64_t b = 0; b < data_.test.count; b += kEvalBatch) {
                std::vector<int64_t> idx(static_cast<std::size_t>(std::min(kEvalBatch, data_.test.count - b)));
                std::iota(idx.begin(), idx.end(), b);
                const torch::Tensor x = imagesAsInput(imagesOf(data_.test, idx), model->inputShape());
                const torch::Tensor pred = model->forward(x).argmax(1);
                correct += pred.eq(labelsOf(data_.test, idx)).sum().item<int64_t>();
            }
            r.accuracy = static_cast<double>(correct) / static_cast<double>(data_.test.count);
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return r;
    }

private:
    std::string dir_;
    int64_t trainImages_ = 0, testImages_ = 0;
    int epochs_ = 0, batch_ = 0, threads_ = 1;
    double lr_ = 0;
    Data data_;
};

const bool registered = Registry<AccuracyEvaluator>::instance().add(
    "train", [] { return std::make_unique<TrainEvaluator>(); });

} // namespace

} // namespace edgesim::explorer::nas
