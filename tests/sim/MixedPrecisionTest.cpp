// The MPIC platform and its mixed-precision kernels (configs/platforms/mpic.textproto,
// configs/stacks/mpic-qnn.textproto) reproduce the model they are taken from: PLiNIO's MPIC
// cost model (eml-eda/plinio:plinio/cost/mpic_latency.py and mpic_energy.py, after Ottavi et
// al., arXiv 2010.04073): a convolution, depthwise or dense layer reading a-bit activations
// with w-bit weights costs MACs / LUT[a][w] cycles, energy is time x the mean power.
#include "platforms/PlatformCatalog.h"
#include "sim/Simulator.h"
#include "tests/sim/SimTestData.h"
#include "workloads/schedule/Schedule.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

namespace {

using edgesim::sim::SimResult;
using edgesim::sim::Status;

// MAC/cycle by (activation bits, weight bits), as the source publishes them.
const std::map<int, std::map<int, double>> kMacsPerCycle = {
    {8, {{8, 2.1}, {4, 2.3}, {2, 2.5}}},
    {4, {{8, 2.1}, {4, 3.5}, {2, 3.9}}},
    {2, {{8, 2.2}, {4, 4.0}, {2, 6.5}}},
};

const char* typeOf(int bits) {
    return bits == 8 ? "INT8" : bits == 4 ? "INT4" : "INT2";
}

SimResult run(const edgesim::workloads::Schedule& schedule, edgesim::sim::Fidelity fidelity) {
    const auto paths = edgesim::test::configPaths();
    edgesim::sim::Simulator sim(edgesim::platforms::loadPlatform("mpic", paths),
                                edgesim::platforms::loadStack("mpic-qnn", paths));
    edgesim::sim::RunOptions o;
    o.fidelity = fidelity;
    return sim.run(schedule, o);
}

TEST(MpicTest, EveryPrecisionPairRunsAtItsPublishedMacsPerCycle) {
    for (const auto& [a, row] : kMacsPerCycle) {
        for (const auto& [w, macsPerCycle] : row) {
            SCOPED_TRACE("a" + std::to_string(a) + " w" + std::to_string(w));
            // A stem producing a-bit activations, then the layers under test reading them.
            const std::string text =
                std::string("name: \"mixed\"\ninputs { name: \"x\" shape: [8, 8, 16] }\n") +
                "layers { name: \"stem\" conv2d { out_channels: 16 window { kernel: [1, 1] } } "
                "output_dtype: " +
                typeOf(a) + " }\n" +
                "layers { name: \"conv\" conv2d { out_channels: 32 window { kernel: [3, 3] } } "
                "weight_dtype: " +
                typeOf(w) + " output_dtype: " + typeOf(a) + " }\n" +
                "layers { name: \"dw\" depthwise_conv2d { window { kernel: [3, 3] } } "
                "weight_dtype: " +
                typeOf(w) + " output_dtype: " + typeOf(a) + " }\n" +
                "layers { name: \"flat\" flatten {} }\n" +
                "layers { name: \"fc\" dense { units: 10 } weight_dtype: " + typeOf(w) + " }\n";
            const auto schedule = edgesim::workloads::lowerInference(
                edgesim::workloads::parseNetworkText(text, "<mixed>"));
            for (const auto fidelity :
                 {edgesim::sim::Fidelity::Analytical, edgesim::sim::Fidelity::Tlm}) {
                const SimResult r = run(schedule, fidelity);
                ASSERT_EQ(r.status, Status::Ok) << r.reason;
                ASSERT_EQ(r.layers.size(), 5U); // runtime, stem, conv, dw, fc (flatten is free)
                for (std::size_t i = 2; i < r.layers.size(); ++i) {
                    if (r.layers[i].macs == 0) {
                        continue;
                    }
                    EXPECT_NEAR(static_cast<double>(r.layers[i].computeCycles),
                                static_cast<double>(r.layers[i].macs) / macsPerCycle, 1.0)
                        << r.layers[i].name;
                }
                // Energy = time x the mean measured power, 5.38 mW (mpic_energy.py).
                EXPECT_NEAR(r.energyJ / r.latencyS, 5.38e-3, 1e-5);
            }
        }
    }
}

} // namespace
