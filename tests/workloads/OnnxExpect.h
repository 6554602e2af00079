// Helpers of the ONNX import tests: layers by op, and every model of a fixture folder against
// the totals its generator counted independently (expected.json). Header-only.
#pragma once

#include "common/TextProto.h"
#include "workloads/onnx/OnnxImporter.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace edgesim::workloads {

/// Layers of a given op, in execution order.
inline std::vector<const Layer*> layersOf(const Network& net, OpKind op) {
    std::vector<const Layer*> out;
    for (auto v : net.executionOrder()) {
        if (net.layer(v).op == op) {
            out.push_back(&net.layer(v));
        }
    }
    return out;
}

/// Imports every model `dir`/expected.json lists (at least `atLeast` of them) and checks its
/// MACs, parameters and output shape; `more` checks the rest of an entry.
inline void expectEveryModelMatches(
    const std::string& dir, std::size_t atLeast,
    const std::function<void(const Network&, const nlohmann::json&)>& more = {}) {
    const auto expected = nlohmann::json::parse(readFile(dir + "expected.json"));
    ASSERT_GE(expected.size(), atLeast);
    for (const auto& [file, e] : expected.items()) {
        SCOPED_TRACE(file);
        const Network net = importOnnx(readFile(dir + file), dir + file);
        EXPECT_EQ(net.totals().macs, e.at("macs").get<int64_t>());
        EXPECT_EQ(net.totals().params, e.at("params").get<int64_t>());
        // ONNX output shape [C, spatial...] -> ours [spatial..., C].
        auto onnxShape = e.at("output_shape").get<std::vector<int64_t>>();
        Shape ours(onnxShape.begin() + (onnxShape.size() > 1 ? 1 : 0), onnxShape.end());
        if (onnxShape.size() > 1) {
            ours.push_back(onnxShape.front());
        }
        const auto outs = net.graphOutputs();
        ASSERT_EQ(outs.size(), 1U);
        EXPECT_EQ(net.layer(outs[0]).output.shape, ours);
        if (more) {
            more(net, e);
        }
    }
}

} // namespace edgesim::workloads
