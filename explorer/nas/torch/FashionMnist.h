// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017; Debian `dataset-fashion-mnist`, IDX files under
// /usr/share/datasets/fashion-mnist): 60,000 training and 10,000 test images of 28 x 28 grey
// pixels in 10 classes, read from the gzip-compressed IDX files as Debian ships them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgesim::explorer::nas {

struct ImageSet {
    int64_t count = 0, rows = 0, cols = 0;
    std::vector<uint8_t> pixels; ///< count x rows x cols, row-major
    std::vector<uint8_t> labels; ///< count
};

/// The first `limit` images of the "train" or "t10k" split in `dir` (all when limit <= 0).
/// Throws std::runtime_error naming the file when it is missing or not an IDX file of the
/// expected kind (the caller turns it into an input error naming the study field).
ImageSet loadFashionMnist(const std::string& dir, const std::string& split, int64_t limit);

} // namespace edgesim::explorer::nas
