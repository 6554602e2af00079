#include "explorer/nas/Export.h"

#include "workloads/onnx/OnnxExporter.h"

#include <google/protobuf/text_format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace edgesim::explorer::nas {

namespace {

void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error(path + ": cannot be written");
    }
}

} // namespace

std::string candidateJson(const Candidate& c) {
    using nlohmann::json;
    json j;
    j["name"] = c.spec.name();
    j["genes"] = c.spec.description();
    j["network_sha256"] = c.sha256;
    if (!c.network) {
        j["error"] = c.reason;
        return j.dump(2);
    }
    const workloads::Network& n = *c.network;
    json layers = json::array();
    for (auto id : n.executionOrder()) {
        const workloads::Layer& l = n.layer(id);
        if (l.op == workloads::OpKind::Input) {
            j["input"] = {{"name", l.name}, {"shape", l.output.shape}};
            continue;
        }
        json e;
        e["name"] = l.name;
        e["op"] = std::string(workloads::toString(l.op));
        json inputs = json::array();
        for (auto in : n.inputsOf(id)) {
            inputs.push_back(n.layer(in).name);
        }
        e["inputs"] = inputs;
        e["output_shape"] = l.output.shape;
        if (workloads::isCompute(l.op) || l.op == workloads::OpKind::AvgPool ||
            l.op == workloads::OpKind::MaxPool) {
            if (!l.window.kernel.empty()) {
                e["kernel"] = l.window.kernel;
                e["stride"] = l.window.stride;
                e["dilation"] = l.window.dilation;
                e["padding"] = std::string(workloads::toString(l.window.padding));
            }
        }
        if (l.op == workloads::OpKind::Conv2d || l.op == workloads::OpKind::TemporalConv ||
            l.op == workloads::OpKind::Dense || l.op == workloads::OpKind::DepthwiseConv2d) {
            e["out_channels"] = l.output.shape.back();
            // A depthwise convolution is grouped by its input channels.
            e["groups"] = l.op == workloads::OpKind::DepthwiseConv2d ? l.inputShapes.at(0).back()
                                                                      : l.groups;
        }
        if (isCompute(l.op)) {
            e["bias"] = l.hasBias;
            e["weight_dtype"] = std::string(workloads::toString(l.weightDtype));
        }
        e["activation"] = std::string(workloads::toString(l.activation.kind));
        e["macs"] = l.stats.macs;
        e["params"] = l.stats.params;
        layers.push_back(e);
    }
    j["layers"] = layers;
    j["macs"] = n.totals().macs;
    j["params"] = n.totals().params;
    return j.dump(2);
}

std::string writeCandidateFiles(const Candidate& c, const std::string& dir,
                                const std::string& stem) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw std::runtime_error(dir + ": cannot be created: " + ec.message());
    }
    const std::string base = (std::filesystem::path(dir) / stem).string();
    std::string text;
    google::protobuf::TextFormat::PrintToString(c.spec, &text);
    writeText(base + ".textproto", "# " + c.spec.description() + "\n" + text);
    writeText(base + ".json", candidateJson(c) + "\n");
    if (c.network) {
        writeText(base + ".onnx", workloads::exportOnnx(*c.network));
    }
    return base;
}

} // namespace edgesim::explorer::nas
