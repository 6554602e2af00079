// `edgesim inspect --network N`: per-layer workload table, totals and activation memory plan.
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "workloads/NetworkSource.h"
#include "workloads/graph/MemoryPlanner.h"
#include "workloads/graph/Quantize.h"
#include "workloads/strategy/PauAymone.h"
#include "workloads/strategy/Strategy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <memory>
#include <optional>

namespace edgesim::app {

namespace {

using workloads::DType;
using workloads::Layer;
using workloads::Network;

struct InspectOptions {
    std::string network;
    std::string quantize;
    std::string format = "table";
    std::string strategy;
    std::vector<std::string> strategyParams;
    std::string counting;
    int batch = 1;
};

/// The training schedule `--strategy` asks for (none without it).
std::optional<workloads::Schedule> strategySchedule(const InspectOptions& o, const Network& net) {
    if (o.strategy.empty()) {
        if (!o.counting.empty() || !o.strategyParams.empty()) {
            throw InputError("<command line>",
                             o.counting.empty() ? "--strategy-param" : "--counting",
                             "needs --strategy (a training strategy)");
        }
        return std::nullopt;
    }
    std::vector<std::string> params = o.strategyParams;
    if (!o.counting.empty()) {
        params.push_back("counting=" + o.counting);
    }
    return workloads::lowerWithStrategy(net, o.strategy, o.batch, params);
}

nlohmann::json trainingJson(const workloads::Schedule& s) {
    nlohmann::json j = {{"strategy", s.strategy},
                        {"batch", s.batch},
                        {"macs", s.macs},
                        {"kernels", s.kernels.size()}};
    if (s.training) {
        const auto& m = *s.training;
        nlohmann::json roles = nlohmann::json::object();
        for (std::size_t r = 0; r < workloads::kTensorRoleCount; ++r) {
            roles[std::string(workloads::toString(static_cast<workloads::TensorRole>(r)))] =
                m.peakByRole[r];
        }
        j["counting"] = m.counting;
        j["macs_by_kind"] = m.macsByKind;
        j["training_arena_bytes"] = m.arenaBytes;
        j["peak_live_bytes"] = m.peakLiveBytes;
        j["ram_by_role_bytes"] = roles;
        j["trainable_params"] = m.trainableParams;
    }
    return j;
}

std::string inputShapes(const Layer& l) {
    std::string s;
    for (const auto& shape : l.inputShapes) {
        s += (s.empty() ? "" : " + ") + workloads::toString(shape);
    }
    return s.empty() ? "-" : s;
}

nlohmann::json byDtype(const std::array<int64_t, workloads::kDTypeCount>& bytes) {
    nlohmann::json j = nlohmann::json::object();
    for (DType t : workloads::allDTypes()) {
        if (int64_t b = bytes[static_cast<std::size_t>(t)]; b != 0) {
            j[std::string(workloads::toString(t))] = b;
        }
    }
    return j;
}

std::string opLabel(const Layer& l) {
    std::string op(workloads::toString(l.op));
    if (l.op == workloads::OpKind::Activation) {
        return std::string(workloads::toString(l.activation.kind));
    }
    if (l.activation.kind != workloads::ActivationKind::None) {
        op += "+" + std::string(workloads::toString(l.activation.kind));
    }
    return op;
}

void printJson(const workloads::LoadedNetwork& ln, const workloads::MemoryPlan& plan,
               const GlobalOptions& g, const std::optional<workloads::Schedule>& training) {
    const Network& net = ln.network;
    const auto totals = net.totals();
    nlohmann::json j;
    j["provenance"] = provenance(g.commandLine, ln.sha256);
    j["network"] = {{"name", net.name()},
                    {"description", net.description},
                    {"source", net.source},
                    {"file", ln.file},
                    {"format", ln.format}};
    j["totals"] = {{"layers", totals.layers},
                   {"macs", totals.macs},
                   {"params", totals.params},
                   {"weight_bytes", totals.weightBytes},
                   {"weight_bytes_by_dtype", byDtype(totals.weightBytesByDtype)},
                   {"input_bytes", totals.inputBytes},
                   {"output_bytes", totals.outputBytes},
                   {"peak_activation_bytes", plan.arenaBytes},
                   {"peak_live_bytes", plan.peakLiveBytes},
                   {"activation_bytes_without_reuse", plan.totalBytes}};
    if (training) {
        // With a strategy, the totals count one training step (per sample at batch 1).
        j["totals"]["inference_macs"] = totals.macs;
        j["totals"]["macs"] = training->macs;
        j["training"] = trainingJson(*training);
    }
    const auto pa = workloads::pauAymoneCounts(net);
    j["training_macs_per_sample"] = {{"convention", "pau-aymone"},
                                     {"backprop", pa.backprop()},
                                     {"forward_forward", pa.forwardForward()},
                                     {"pepita", pa.pepita()},
                                     {"mempepita", pa.mempepita()}};
    j["layers"] = nlohmann::json::array();
    for (std::size_t step = 0; step < plan.order.size(); ++step) {
        const auto id = plan.order[step];
        const Layer& l = net.layer(id);
        nlohmann::json inputs = nlohmann::json::array();
        for (auto in : net.inputsOf(id)) {
            inputs.push_back(net.layer(in).name);
        }
        const auto& buf = plan.buffers[static_cast<std::size_t>(plan.bufferOfLayer[id])];
        j["layers"].push_back({
            {"index", step},
            {"name", l.name},
            {"op", std::string(workloads::toString(l.op))},
            {"activation", std::string(workloads::toString(l.activation.kind))},
            {"inputs", inputs},
            {"input_shapes", l.inputShapes},
            {"output_shape", l.output.shape},
            {"output_dtype", std::string(workloads::toString(l.output.dtype))},
            {"weight_dtype", workloads::isCompute(l.op)
                                 ? nlohmann::json(std::string(workloads::toString(l.weightDtype)))
                                 : nlohmann::json(nullptr)},
            {"params", l.stats.params},
            {"macs", l.stats.macs},
            {"weight_bytes", l.stats.weightBytes},
            {"weight_bytes_by_dtype", byDtype(l.stats.weightBytesByDtype)},
            {"input_bytes", l.stats.inputBytes},
            {"output_bytes", l.stats.outputBytes},
            {"live_bytes", plan.liveBytes[step]},
            {"buffer_offset", buf.offset},
            {"in_place", buf.owner != id},
        });
    }
    std::cout << jsonText(j) << "\n";
}

Table layerTable(const workloads::LoadedNetwork& ln, const workloads::MemoryPlan& plan,
                 bool human) {
    const Network& net = ln.network;
    auto num = [&](int64_t v) { return human ? groupDigits(v) : std::to_string(v); };
    Table t;
    t.header = {"#",    "name",         "op",       "input",     "output",    "params",
                "macs", "weight_bytes", "in_bytes", "out_bytes", "live_bytes"};
    t.rightAlign = {true, false, false, false, false, true, true, true, true, true, true};
    for (std::size_t step = 0; step < plan.order.size(); ++step) {
        const Layer& l = net.layer(plan.order[step]);
        t.rows.push_back({std::to_string(step), l.name, opLabel(l), inputShapes(l),
                          workloads::toString(l.output.shape), num(l.stats.params),
                          num(l.stats.macs), num(l.stats.weightBytes), num(l.stats.inputBytes),
                          num(l.stats.outputBytes), num(plan.liveBytes[step])});
    }
    return t;
}

void run(const InspectOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    const ConfigPaths paths(g.configDir);
    auto ln = workloads::loadNetwork(o.network, paths);
    ln.network = workloads::quantize(
        ln.network, workloads::loadQuantizePlan(o.quantize, "<command line>", "--quantize"));
    const auto plan = workloads::planMemory(ln.network);
    const auto training = strategySchedule(o, ln.network);
    if (format == Format::Json) {
        printJson(ln, plan, g, training);
        return;
    }
    if (format == Format::Csv) {
        layerTable(ln, plan, false).printCsv(std::cout);
        return;
    }
    const auto totals = ln.network.totals();
    std::cout << fmt::format("network {} ({}, {})\n", ln.network.name(), ln.format, ln.file);
    if (!ln.network.description.empty()) {
        std::cout << "  " << ln.network.description << "\n";
    }
    std::cout << "\n";
    layerTable(ln, plan, true).print(std::cout);
    std::string dtypes;
    for (DType t : workloads::allDTypes()) {
        if (int64_t b = totals.weightBytesByDtype[static_cast<std::size_t>(t)]; b != 0) {
            dtypes += fmt::format("{}{} {}", dtypes.empty() ? "" : ", ", groupDigits(b),
                                  workloads::toString(t));
        }
    }
    std::cout << fmt::format("\ntotals: {} layers, {} MACs, {} params, {} weight bytes ({})\n",
                             totals.layers, groupDigits(totals.macs), groupDigits(totals.params),
                             groupDigits(totals.weightBytes), dtypes.empty() ? "none" : dtypes);
    std::cout << fmt::format(
        "activation RAM: peak {} bytes with greedy buffer reuse (live-bytes bound {}, {} "
        "without reuse)\n",
        groupDigits(plan.arenaBytes), groupDigits(plan.peakLiveBytes),
        groupDigits(plan.totalBytes));
    const auto pa = workloads::pauAymoneCounts(ln.network);
    std::cout << fmt::format("training MACs per sample (Pau & Aymone conventions): BP {}, FF {}, "
                             "PEPITA {}, MEMPEPITA {}\n",
                             groupDigits(pa.backprop()), groupDigits(pa.forwardForward()),
                             groupDigits(pa.pepita()), groupDigits(pa.mempepita()));
    if (training && training->training) {
        const auto& m = *training->training;
        std::vector<std::string> kinds;
        for (const auto& [kind, macs] : m.macsByKind) {
            if (macs > 0) {
                kinds.push_back(fmt::format("{} {}", kind, groupDigits(macs)));
            }
        }
        std::cout << fmt::format("{} ({} counting, batch {}): {} MACs per step ({}); training "
                                 "arena {} bytes\n",
                                 training->strategy, m.counting, training->batch,
                                 groupDigits(training->macs), fmt::join(kinds, ", "),
                                 groupDigits(m.arenaBytes));
    }
}

} // namespace

void registerInspect(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<InspectOptions>();
    auto* cmd = app.add_subcommand(
        "inspect", "Per-layer shapes, parameters, MACs and activation memory of a network");
    cmd->add_option("--network,-n", opts->network,
                    "Built-in name (see `edgesim list networks`), or a .textproto or .onnx file")
        ->required();
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_option("--quantize", opts->quantize,
                    "Show the network in this deployment precision (as simulate --quantize)");
    cmd->add_option("--strategy", opts->strategy,
                    "Also lower a training strategy (see `edgesim list strategies`): its MACs "
                    "per step and training arena");
    cmd->add_option("--strategy-param", opts->strategyParams,
                    "key=value for the strategy (repeatable)");
    cmd->add_option("--counting", opts->counting,
                    "Shorthand for --strategy-param counting=VALUE (physical | pau-aymone)");
    cmd->add_option("--batch", opts->batch, "Samples per training step (default 1)");
    cmd->callback([opts, &global] { run(*opts, global); });
}

} // namespace edgesim::app
