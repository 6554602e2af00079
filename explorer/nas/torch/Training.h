// Training helpers shared by the libtorch plugin's scorers and searches: Fashion-MNIST subsets
// as tensors, seeded mini-batch order and top-1 accuracy on a test set.
#pragma once

#include "explorer/nas/torch/FashionMnist.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace edgesim::explorer::nas {

/// `idx` images of `s` as a uint8 tensor [n, rows, cols].
torch::Tensor imagesOf(const ImageSet& s, const std::vector<int64_t>& idx);
/// `idx` labels of `s` as an int64 tensor [n].
torch::Tensor labelsOf(const ImageSet& s, const std::vector<int64_t>& idx);

/// Seeded mini-batch order over `count` images: each epoch shuffles the previous epoch's order.
class BatchOrder {
public:
    BatchOrder(int64_t count, uint64_t seed);
    /// The next epoch's batches of `batch` indices (a last batch of one image is dropped:
    /// batch norm needs two).
    std::vector<std::vector<int64_t>> epoch(int batch);

private:
    std::mt19937 rng_;
    std::vector<int64_t> order_;
};

/// Top-1 accuracy of `logits` (images already laid out as the model's input) on all of `s`.
double testAccuracy(const ImageSet& s, const std::vector<int64_t>& inputShape,
                    const std::function<torch::Tensor(const torch::Tensor&)>& logits);

} // namespace edgesim::explorer::nas
