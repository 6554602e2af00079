#include "explorer/nas/torch/FashionMnist.h"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace edgesim::explorer::nas {

namespace {

/// IDX magic numbers: unsigned bytes, 1 dimension (labels) or 3 (images).
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr uint32_t kImagesMagic = 0x00000803;

struct GzCloser {
    void operator()(gzFile_s* f) const { gzclose(f); }
};

class Reader {
public:
    explicit Reader(std::string path) : path_(std::move(path)) {
        if (!std::filesystem::exists(path_)) {
            throw std::runtime_error(path_ + ": no such file (scripts/setup.sh installs it: Debian "
                                             "package dataset-fashion-mnist)");
        }
        file_.reset(gzopen(path_.c_str(), "rb"));
        if (!file_) {
            throw std::runtime_error(path_ + ": cannot be opened");
        }
    }
    uint32_t word() {
        std::array<unsigned char, 4> b{};
        read(b.data(), b.size());
        return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    }
    void read(void* to, std::size_t n) {
        auto* p = static_cast<unsigned char*>(to);
        while (n > 0) {
            const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n, 1U << 30));
            const int got = gzread(file_.get(), p, chunk);
            if (got <= 0) {
                throw std::runtime_error(path_ + ": truncated or not a gzip IDX file");
            }
            p += got;
            n -= static_cast<std::size_t>(got);
        }
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::unique_ptr<gzFile_s, GzCloser> file_;
};

} // namespace

ImageSet loadFashionMnist(const std::string& dir, const std::string& split, int64_t limit) {
    ImageSet s;
    Reader images(dir + "/" + split + "-images-idx3-ubyte.gz");
    if (images.word() != kImagesMagic) {
        throw std::runtime_error(images.path() + ": not an IDX image file");
    }
    const int64_t n = images.word();
    s.rows = images.word();
    s.cols = images.word();
    if (n <= 0 || s.rows <= 0 || s.cols <= 0 || s.rows > 4096 || s.cols > 4096) {
        throw std::runtime_error(images.path() + ": implausible image dimensions");
    }
    s.count = limit > 0 ? std::min(limit, n) : n;
    s.pixels.resize(static_cast<std::size_t>(s.count * s.rows * s.cols));
    images.read(s.pixels.data(), s.pixels.size());

    Reader labels(dir + "/" + split + "-labels-idx1-ubyte.gz");
    if (labels.word() != kLabelsMagic) {
        throw std::runtime_error(labels.path() + ": not an IDX label file");
    }
    if (static_cast<int64_t>(labels.word()) != n) {
        throw std::runtime_error(labels.path() + ": its count differs from the images'");
    }
    s.labels.resize(static_cast<std::size_t>(s.count));
    labels.read(s.labels.data(), s.labels.size());
    for (uint8_t l : s.labels) {
        if (l > 9) {
            throw std::runtime_error(
                fmt::format("{}: label {} out of range 0..9", labels.path(), l));
        }
    }
    return s;
}

} // namespace edgesim::explorer::nas
