// continual: continual learning with a replay buffer (docs/notes/training-model.md): every
// `adapt_every` new samples (each inferred as it arrives), `epochs` passes of a training
// strategy over the buffer of `buffer_samples` stored samples plus the new ones. The buffer
// holds raw inputs, or latent activations at the input of compute layer `replay_layer`
// (then only the layers from it up are trained), in RAM or Flash. One simulation is one
// adaptation event; the result's training block gives its period at `inference_rate_hz` and
// the average power.
#include "workloads/strategy/Training.h"

#include "common/Diagnostics.h"

#include <cmath>

namespace edgesim::workloads {

namespace {

class ContinualStrategy : public Strategy {
public:
    std::string description() const override {
        return "continual learning: an adaptation over a replay buffer (raw or latent) every "
               "adapt_every new samples";
    }
    std::vector<StrategyParameter> parameters() const override {
        return withTrainingParameters({
            choiceParameter("update", "last-layer",
                            "training strategy of each adaptation (its defaults)",
                            {"backprop", "sparse-backprop", "bias-only", "last-layer",
                             "forward-forward", "pepita", "mempepita", "zeroth-order"}),
            choiceParameter("replay", "raw",
                            "what the buffer stores: raw inputs, or latent activations at "
                            "replay_layer (only the layers from it up are trained)",
                            {"raw", "latent"}),
            numberParameter("replay_layer", "0",
                            "compute layer (1 = the first) whose input is the latent; 0 = the "
                            "last compute layer",
                            0, 10000, true),
            numberParameter("buffer_samples", "100", "samples kept in the replay buffer", 0, 1e6,
                            true),
            choiceParameter("buffer_memory", "ram", "where the replay buffer lives",
                            {"ram", "flash"}),
            numberParameter("adapt_every", "10", "new samples between two adaptations", 1, 1e6,
                            true),
            numberParameter("epochs", "1", "passes over buffer + new samples per adaptation", 1,
                            1000, true),
            numberParameter("inference_rate_hz", "1", "new samples (inferences) per second", 1e-6,
                            1e6, false),
        });
    }
    Schedule lower(const Network& net, int batch, const StrategyOptions& options) const override {
        const TrainingOptions common = trainingOptions(options);
        const auto compute = computeLayers(net);
        if (compute.empty()) {
            throw InputError("<" + net.name() + ">", "layers",
                             "continual learning needs a layer with weights to train");
        }
        const bool latent = options.text("replay") == "latent";
        if (!latent && options.number("replay_layer") != 0) {
            throw InputError("<command line>", "--strategy-param",
                             "replay_layer applies to replay=latent (raw replay stores inputs)");
        }
        Network trained = net;
        int64_t sampleElements = 0;
        for (Network::LayerId in : net.graphInputs()) {
            sampleElements += net.layer(in).output.elements();
        }
        int64_t sampleBytes =
            sampleElements * bytesPerElement(net.layer(net.graphInputs().front()).output.dtype);
        if (latent) {
            const auto index = static_cast<std::size_t>(options.number("replay_layer"));
            if (index > compute.size()) {
                throw InputError("<command line>", "--strategy-param",
                                 "replay_layer " + std::to_string(index) + ": the network has " +
                                     std::to_string(compute.size()) + " compute layers");
            }
            trained = networkAbove(net, compute[index == 0 ? compute.size() - 1 : index - 1]);
            const Network fp = inTrainingPrecision(trained, common.dtype);
            sampleBytes = 0;
            for (Network::LayerId in : fp.graphInputs()) {
                sampleBytes += fp.layer(in).output.bytes();
            }
        }
        // The update strategy with its own defaults and the common options given here.
        const auto update = makeStrategy(options.text("update"));
        const StrategyOptions updateOptions = resolveStrategyOptions(
            options.text("update"),
            {"dtype=" + options.text("dtype"), "optimizer=" + options.text("optimizer"),
             "counting=" + options.text("counting")});
        ContinualEvent e;
        e.inference = lowerInference(inTrainingPrecision(net, common.dtype));
        e.step = update->lower(trained, batch, updateOptions);
        const auto n = static_cast<int64_t>(options.number("buffer_samples"));
        e.newSamples = static_cast<int64_t>(options.number("adapt_every"));
        const int64_t perEpoch = (n + e.newSamples + batch - 1) / batch;
        e.steps = static_cast<int64_t>(options.number("epochs")) * perEpoch;
        e.trainingSamples = static_cast<int64_t>(options.number("epochs")) * (n + e.newSamples);
        const bool flash = options.text("buffer_memory") == "flash";
        e.bufferRamBytes = (flash ? 0 : n * sampleBytes) + e.newSamples * sampleBytes;
        e.bufferFlashBytes = flash ? n * sampleBytes : 0;
        e.periodS = static_cast<double>(e.newSamples) / options.number("inference_rate_hz");
        Schedule s = composeContinual(e);
        s.network = net.name();
        s.strategy = "continual";
        return s;
    }
};

const bool kRegistered =
    registerStrategy("continual", [] { return std::make_unique<ContinualStrategy>(); });

} // namespace

} // namespace edgesim::workloads
