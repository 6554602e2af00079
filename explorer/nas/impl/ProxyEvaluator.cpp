// The `proxy` accuracy evaluator: a training-free score of the untrained candidate, computed
// with libtorch on a batch of Fashion-MNIST images, for quick searches. Higher is better; the
// score is not a fraction (the accuracy column holds it).
//   naswot   Mellor et al., ICML 2021: log |K| where K[i][j] counts the activations that
//            images i and j switch the same way (both on or both off), over every activation
//            of the network.
//   synflow  Tanaka et al., NeurIPS 2020: log of sum |theta * dR/dtheta| for R the sum of the
//            outputs of the network with |theta| weights on an all-ones input (no batch norm,
//            in double precision).
#include "explorer/nas/AccuracyEvaluator.h"

#include "common/Diagnostics.h"
#include "common/Registry.h"
#include "explorer/nas/FashionMnist.h"
#include "explorer/nas/TorchModel.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

namespace edgesim::explorer::nas {

namespace {

constexpr int kDefaultProxyBatch = 64; // ProxySpec.batch_size default (NASWOT's 128 halved)

class ProxyEvaluator final : public AccuracyEvaluator {
public:
    void configure(const spec::AccuracySpec& spec, const std::string& studyFile) override {
        kind_ = spec.proxy().kind().empty() ? "naswot" : spec.proxy().kind();
        batch_ = spec.proxy().batch_size() > 0 ? spec.proxy().batch_size() : kDefaultProxyBatch;
        const std::string dir =
            spec.train().data_dir().empty() ? kFashionMnistDir : spec.train().data_dir();
        try {
            images_ = loadFashionMnist(dir, "train", 10000);
        } catch (const std::runtime_error& e) {
            throw InputError(studyFile, "accuracy.proxy",
                             std::string(e.what()) + " (scripts/setup.sh installs it)");
        }
    }

    AccuracyResult evaluate(const Candidate& candidate, uint64_t seed, const std::string&) override {
        AccuracyResult r;
        const auto start = std::chrono::steady_clock::now();
        try {
            torch::set_num_threads(1);
            torch::manual_seed(seed);
            r.accuracy = kind_ == "synflow" ? synflow(*candidate.network) : naswot(*candidate.network, seed);
            if (!std::isfinite(r.accuracy)) {
                r.error = "the " + kind_ + " score is not finite";
            }
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return r;
    }

private:
    double naswot(const workloads::Network& net, uint64_t seed) {
        GraphModule model(net, true);
        model->train();
        std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
        std::vector<int64_t> idx(static_cast<std::size_t>(images_.count));
        std::iota(idx.begin(), idx.end(), 0);
        std::shuffle(idx.begin(), idx.end(), rng);
        idx.resize(static_cast<std::size_t>(std::min<int64_t>(batch_, images_.count)));
        const int64_t px = images_.rows * images_.cols;
        torch::Tensor raw = torch::empty({static_cast<int64_t>(idx.size()), images_.rows, images_.cols},
                                         torch::kUInt8);
        for (std::size_t i = 0; i < idx.size(); ++i) {
            std::copy_n(images_.pixels.data() + idx[i] * px, px,
                        raw.data_ptr<uint8_t>() + static_cast<int64_t>(i) * px);
        }
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> codes;
        model->forward(imagesAsInput(raw, model->inputShape()), &codes);
        if (codes.empty()) {
            throw std::invalid_argument("naswot: the network has no activation to score");
        }
        const torch::Tensor c = torch::cat(codes, 1);
        const torch::Tensor k = c.matmul(c.t()) + (1 - c).matmul((1 - c).t());
        return std::get<1>(torch::slogdet(k)).item<double>();
    }

    static double synflow(const workloads::Network& net) {
        GraphModule model(net, false);
        model->to(torch::kFloat64);
        model->eval();
        for (auto& p : model->parameters()) {
            torch::NoGradGuard noGrad;
            p.abs_();
        }
        std::vector<int64_t> shape = {1};
        const auto& in = model->inputShape();
        if (in.size() == 2) {
            shape.insert(shape.end(), {in[1], in[0]});
        } else {
            shape.insert(shape.end(), {in[2], in[0], in[1]});
        }
        const torch::Tensor x = torch::ones(shape, torch::kFloat64);
        model->forward(x).sum().backward();
        double total = 0;
        for (const auto& p : model->parameters()) {
            total += (p * p.grad()).abs().sum().item<double>();
        }
        return std::log(total);
    }

    std::string kind_;
    int batch_ = kDefaultProxyBatch;
    ImageSet images_;
};

const bool registered = Registry<AccuracyEvaluator>::instance().add(
    "proxy", [] { return std::make_unique<ProxyEvaluator>(); });

} // namespace

} // namespace edgesim::explorer::nas
