#include "explorer/nas/torch/Training.h"

#include "explorer/nas/torch/TorchModel.h"

#include <algorithm>
#include <numeric>

namespace edgesim::explorer::nas {

namespace {

/// Test images per forward pass when measuring accuracy (memory, not results).
constexpr int64_t kEvalBatch = 256;

} // namespace

torch::Tensor imagesOf(const ImageSet& s, const std::vector<int64_t>& idx) {
    const int64_t px = s.rows * s.cols;
    torch::Tensor t =
        torch::empty({static_cast<int64_t>(idx.size()), s.rows, s.cols}, torch::kUInt8);
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

BatchOrder::BatchOrder(int64_t count, uint64_t seed)
    : rng_(static_cast<std::mt19937::result_type>(seed)), order_(static_cast<std::size_t>(count)) {
    std::iota(order_.begin(), order_.end(), 0);
}

std::vector<std::vector<int64_t>> BatchOrder::epoch(int batch) {
    std::shuffle(order_.begin(), order_.end(), rng_);
    std::vector<std::vector<int64_t>> batches;
    const auto b = static_cast<std::size_t>(batch);
    for (std::size_t i = 0; i < order_.size(); i += b) {
        std::vector<int64_t> idx(order_.begin() + static_cast<std::ptrdiff_t>(i),
                                 order_.begin() +
                                     static_cast<std::ptrdiff_t>(std::min(order_.size(), i + b)));
        if (idx.size() >= 2) {
            batches.push_back(std::move(idx));
        }
    }
    return batches;
}

double testAccuracy(const ImageSet& s, const std::vector<int64_t>& inputShape,
                    const std::function<torch::Tensor(const torch::Tensor&)>& logits) {
    torch::NoGradGuard noGrad;
    int64_t correct = 0;
    for (int64_t b = 0; b < s.count; b += kEvalBatch) {
        std::vector<int64_t> idx(static_cast<std::size_t>(std::min(kEvalBatch, s.count - b)));
        std::iota(idx.begin(), idx.end(), b);
        const torch::Tensor x = imagesAsInput(imagesOf(s, idx), inputShape);
        correct += logits(x).argmax(1).eq(labelsOf(s, idx)).sum().item<int64_t>();
    }
    return s.count == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(s.count);
}

} // namespace edgesim::explorer::nas
