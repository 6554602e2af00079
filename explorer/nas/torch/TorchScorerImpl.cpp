// The libtorch plugin's scorer (explorer/nas/TorchScorer.h): real training and training-free
// scores of a candidate's network, built as a GraphModule from the graph the simulator runs.
//   train    Adam for a few epochs with fixed seeds on the first images of Fashion-MNIST, then
//            top-1 accuracy on the first test images. Float training: the accuracy of the
//            network before int8 post-training quantisation.
//   naswot   Mellor et al., ICML 2021: log |K| where K[i][j] counts the activations that
//            images i and j switch the same way (both on or both off), over every activation
//            of the untrained network.
//   synflow  Tanaka et al., NeurIPS 2020: log of sum |theta * dR/dtheta| for R the sum of the
//            outputs of the network with |theta| weights on an all-ones input (no batch norm,
//            in double precision).
#include "explorer/nas/TorchScorer.h"
#include "explorer/nas/torch/FashionMnist.h"
#include "explorer/nas/torch/TorchModel.h"
#include "explorer/nas/torch/Training.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

namespace edgesim::explorer::nas {

namespace {

/// Images the training-free scores see at most (a shuffled draw from these).
constexpr int64_t kProxyPool = 10000;

/// The all-ones input batch of one sample for `shape` (channels last) in the module's layout.
std::vector<int64_t> batchShape(const std::vector<int64_t>& in) {
    std::vector<int64_t> shape = {1};
    if (in.size() == 2) {
        shape.insert(shape.end(), {in[1], in[0]});
    } else {
        shape.insert(shape.end(), {in[2], in[0], in[1]});
    }
    return shape;
}

class Scorer final : public TorchScorer {
public:
    std::string configure(const TorchSettings& settings) override {
        s_ = settings;
        try {
            // Raw bytes only: torch tensors are made per evaluation, so that a process that
            // forks workers after this has started no torch thread pool.
            if (s_.task == "train") {
                train_ = loadFashionMnist(s_.dataDir, "train", s_.trainImages);
                test_ = loadFashionMnist(s_.dataDir, "t10k", s_.testImages);
            } else {
                train_ = loadFashionMnist(s_.dataDir, "train", kProxyPool);
            }
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }

    AccuracyResult score(const workloads::Network& net, uint64_t seed) override {
        AccuracyResult r;
        const auto start = std::chrono::steady_clock::now();
        try {
            torch::set_num_threads(s_.threads);
            torch::manual_seed(seed);
            if (s_.task == "train") {
                train(net, seed, r);
            } else {
                r.accuracy = s_.task == "synflow" ? synflow(net) : naswot(net, seed);
                if (!std::isfinite(r.accuracy)) {
                    r.error = "the " + s_.task + " score is not finite";
                }
            }
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return r;
    }

private:
    void train(const workloads::Network& net, uint64_t seed, AccuracyResult& r) {
        GraphModule model(net, true);
        torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(s_.learningRate));
        BatchOrder order(train_.count, seed);
        model->train();
        for (int e = 0; e < s_.epochs; ++e) {
            for (const auto& idx : order.epoch(s_.batchSize)) {
                const torch::Tensor x = imagesAsInput(imagesOf(train_, idx), model->inputShape());
                opt.zero_grad();
                const torch::Tensor loss =
                    torch::nn::functional::cross_entropy(model->forward(x), labelsOf(train_, idx));
                const double l = loss.item<double>();
                if (!std::isfinite(l)) {
                    r.error = fmt::format("training diverged in epoch {} (loss {})", e + 1, l);
                    return;
                }
                loss.backward();
                opt.step();
            }
        }
        model->eval();
        r.accuracy = testAccuracy(test_, model->inputShape(),
                                  [&](const torch::Tensor& x) { return model->forward(x); });
    }

    double naswot(const workloads::Network& net, uint64_t seed) {
        GraphModule model(net, true);
        model->train();
        std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
        std::vector<int64_t> idx(static_cast<std::size_t>(train_.count));
        std::iota(idx.begin(), idx.end(), 0);
        std::shuffle(idx.begin(), idx.end(), rng);
        idx.resize(static_cast<std::size_t>(std::min<int64_t>(s_.batchSize, train_.count)));
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> codes;
        model->forward(imagesAsInput(imagesOf(train_, idx), model->inputShape()), &codes);
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
        model->forward(torch::ones(batchShape(model->inputShape()), torch::kFloat64))
            .sum()
            .backward();
        double total = 0;
        for (const auto& p : model->parameters()) {
            total += (p * p.grad()).abs().sum().item<double>();
        }
        return std::log(total);
    }

    TorchSettings s_;
    ImageSet train_, test_;
};

} // namespace

} // namespace edgesim::explorer::nas

extern "C" __attribute__((visibility("default"))) edgesim::explorer::nas::TorchScorer*
edgesim_make_torch_scorer() {
    return new edgesim::explorer::nas::Scorer();
}
