// The boundary between edgesim and its libtorch code (explorer/nas/torch/, built as the plugin
// libedgesim_torch.so): the `train` and `proxy` accuracy evaluators load the plugin with dlopen
// the first time they are configured, so that no other command pays libtorch's start-up (a
// third of a second per process). The plugin sees plain settings and the network graph only.
#pragma once

#include "explorer/nas/AccuracyResult.h"
#include "workloads/graph/Network.h"

#include <cstdint>
#include <memory>
#include <string>

namespace edgesim::explorer::nas {

/// Where Debian's dataset-fashion-mnist puts the IDX files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct TorchSettings {
    std::string task = "train"; ///< train, naswot or synflow
    std::string dataDir;        ///< Fashion-MNIST's IDX files
    int64_t trainImages = 0, testImages = 0;
    int epochs = 0, batchSize = 0, threads = 1;
    double learningRate = 0;
};

/// Contract: configure() loads what the task needs and returns why it cannot ("" when it
/// can); score() trains or scores one network, the same network and seed giving the same
/// result, and never throws (a network it cannot handle is an AccuracyResult with an error).
class TorchScorer {
public:
    virtual ~TorchScorer() = default;
    virtual std::string configure(const TorchSettings& settings) = 0;
    virtual AccuracyResult score(const workloads::Network& network, uint64_t seed) = 0;
};

/// The plugin's factory, `extern "C"` under this name.
inline constexpr const char* kTorchScorerFactory = "edgesim_make_torch_scorer";
using TorchScorerFactory = TorchScorer* (*)();

/// Symbol `symbol` of the plugin: $EDGESIM_TORCH_PLUGIN, else the plugin this build made, else
/// libedgesim_torch.so on the library path (loaded once per process). std::runtime_error
/// naming what was tried when it cannot be loaded or lacks the symbol.
void* torchPluginSymbol(const char* symbol);

/// A scorer from the plugin: $EDGESIM_TORCH_PLUGIN, else the plugin this build made, else
/// libedgesim_torch.so on the library path (loaded once per process). std::runtime_error
/// naming what was tried when it cannot be loaded.
std::unique_ptr<TorchScorer> makeTorchScorer();

} // namespace edgesim::explorer::nas
