#include "explorer/nas/TorchEvaluator.h"

#include "common/Diagnostics.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace edgesim::explorer::nas {

void* torchPluginSymbol(const char* symbol) {
    static std::mutex mutex;
    static void* handle = nullptr;
    const std::lock_guard<std::mutex> lock(mutex);
    std::string tried;
    if (handle == nullptr) {
        const char* env = std::getenv("EDGESIM_TORCH_PLUGIN");
        for (const std::string& path :
             {std::string(env != nullptr ? env : ""), std::string(EDGESIM_TORCH_PLUGIN_PATH),
              std::string("libedgesim_torch.so")}) {
            if (path.empty()) {
                continue;
            }
            // Loaded for good: the plugin stays until the process ends.
            handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (handle != nullptr) {
                break;
            }
            tried += (tried.empty() ? "" : "; ") + std::string(dlerror());
            if (env != nullptr && path == env) {
                break; // asked for by name: no other copy instead
            }
        }
    }
    void* found = handle != nullptr ? dlsym(handle, symbol) : nullptr;
    if (found == nullptr) {
        if (handle != nullptr) {
            tried = std::string("the plugin has no ") + symbol;
        }
        throw std::runtime_error("the libtorch plugin cannot be loaded (" + tried +
                                 "); set EDGESIM_TORCH_PLUGIN to libedgesim_torch.so");
    }
    return found;
}

std::unique_ptr<TorchScorer> makeTorchScorer() {
    const auto factory =
        reinterpret_cast<TorchScorerFactory>(torchPluginSymbol(kTorchScorerFactory));
    return std::unique_ptr<TorchScorer>(factory());
}

void TorchEvaluator::configure(const spec::AccuracySpec& spec, const std::string& studyFile) {
    const std::string field = dataField(spec);
    try {
        scorer_ = makeTorchScorer();
    } catch (const std::runtime_error& e) {
        throw InputError(studyFile, "accuracy.evaluator", e.what());
    }
    const std::string problem = scorer_->configure(settings(spec));
    if (!problem.empty()) {
        throw InputError(studyFile, field,
                         problem + " (scripts/setup.sh installs the Debian "
                                   "package dataset-fashion-mnist)");
    }
}

AccuracyResult TorchEvaluator::evaluate(const Candidate& candidate, uint64_t seed,
                                        const std::string&) {
    return scorer_->score(*candidate.network, seed);
}

} // namespace edgesim::explorer::nas
