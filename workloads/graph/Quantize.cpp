#include "workloads/graph/Quantize.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/TextProto.h"
#include "workloads/graph/ShapeInference.h"
#include "workloads/spec/precision.pb.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

namespace edgesim::workloads {

namespace {

using LayerId = Network::LayerId;

constexpr const char* kInt8 = "int8";
constexpr const char* kWeightsOnly = "int8-weights-only";
constexpr const char* kNone = "none";

bool isInteger(DType t) {
    return t != DType::Fp32;
}

/// '*' matches any run of characters; everything else matches itself.
bool matches(const std::string& pattern, const std::string& name) {
    std::size_t p = 0;
    std::size_t n = 0;
    std::size_t star = std::string::npos;
    std::size_t mark = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = n;
        } else if (p < pattern.size() && pattern[p] == name[n]) {
            ++p;
            ++n;
        } else if (star != std::string::npos) {
            p = star + 1;
            n = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

bool hasWeights(OpKind op) {
    return isCompute(op) || op == OpKind::BatchNorm;
}

struct Precision {
    DType weights = DType::Int8;
    DType activations = DType::Int8;
};

/// The precision `plan` gives layer `l`; marks the rule that matched.
Precision precisionOf(const QuantizePlan& plan, const Layer& l, std::vector<bool>& used) {
    Precision p;
    p.activations = plan.base == QuantizePlan::Base::Int8 ? DType::Int8 : l.outputDtype;
    p.weights = plan.base == QuantizePlan::Base::AsStored ? l.weightDtype : DType::Int8;
    for (std::size_t i = 0; i < plan.rules.size(); ++i) {
        const auto& r = plan.rules[i];
        if (matches(r.layer, l.name)) {
            used[i] = true;
            p.weights = r.weights.value_or(p.weights);
            p.activations = r.activations.value_or(p.activations);
            break;
        }
    }
    return p;
}

std::optional<DType> parseRuleDtype(const FieldCursor& at, const spec::LayerPrecision& r,
                                    const std::string& field, const std::string& value) {
    if (value.empty()) {
        return std::nullopt;
    }
    const bool weights = field == "weights";
    auto t = parseDType(value);
    if (!t || *t == DType::Int32 || (!weights && !isActivationType(*t))) {
        at.error(r, field,
                 "unknown element type '" + value + "' (known: int8, int16, fp32, int4, int2" +
                     (weights ? ", ternary" : "; ternary is a weight type only") + ")");
        return std::nullopt;
    }
    return t;
}

} // namespace

std::string QuantizePlan::describe() const {
    const std::string b = base == Base::Int8              ? kInt8
                          : base == Base::Int8WeightsOnly ? kWeightsOnly
                                                          : "as stored";
    return file.empty() ? b : b + " + " + file;
}

std::string QuantizePlan::hashText() const {
    return describe() + (sha256.empty() ? "" : " " + sha256);
}

const std::vector<std::string>& quantizeSchemes() {
    static const std::vector<std::string> kSchemes{kInt8, kWeightsOnly, kNone};
    return kSchemes;
}

QuantizePlan loadQuantizePlan(const std::string& value, const std::string& source,
                              const std::string& field) {
    QuantizePlan plan;
    if (value.empty() || value == kNone) {
        return plan;
    }
    if (value == kInt8) {
        plan.base = QuantizePlan::Base::Int8;
        return plan;
    }
    if (value == kWeightsOnly) {
        plan.base = QuantizePlan::Base::Int8WeightsOnly;
        return plan;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(value, ec)) {
        throw InputError(source, field,
                         fmt::format("'{}' is neither a scheme (int8, int8-weights-only, none) "
                                     "nor a precision .textproto file",
                                     value));
    }
    const std::string text = readFile(value);
    spec::PrecisionSpec spec;
    const auto locations = parseTextProto(text, value, spec);
    Diagnostics diags(value);
    const FieldCursor root(diags, locations.get());
    plan.file = value;
    plan.sha256 = sha256Hex(text);
    if (spec.base().empty() || spec.base() == kInt8) {
        plan.base = QuantizePlan::Base::Int8;
    } else if (spec.base() == kWeightsOnly) {
        plan.base = QuantizePlan::Base::Int8WeightsOnly;
    } else {
        root.error(spec, "base",
                   "unknown base '" + spec.base() + "' (known: int8, " + std::string(kWeightsOnly) +
                       ")");
    }
    for (int i = 0; i < spec.layers_size(); ++i) {
        const auto& r = spec.layers(i);
        const FieldCursor at = root.child(spec, "layers", i);
        QuantizePlan::Rule rule;
        rule.layer = r.layer();
        rule.origin = at.path();
        rule.line = at.line();
        if (r.layer().empty()) {
            at.error(r, "layer", "a layer name or pattern is required");
        }
        rule.weights = parseRuleDtype(at, r, "weights", r.weights());
        rule.activations = parseRuleDtype(at, r, "activations", r.activations());
        plan.rules.push_back(std::move(rule));
    }
    diags.throwIfAny();
    return plan;
}

Network quantize(const Network& net, const QuantizePlan& plan, bool* changed) {
    if (changed != nullptr) {
        *changed = false;
    }
    if (plan.asStored()) {
        return net;
    }
    Network out(net.name());
    out.description = net.description;
    out.source = net.source;
    std::vector<bool> used(plan.rules.size(), false);
    std::vector<LayerId> newId(net.size());
    std::vector<DType> dtypeOf(net.size(), DType::Fp32); // of the new producer of each layer
    auto uniqueName = [&out](const std::string& want) {
        std::string name = want;
        for (int k = 1; out.find(name); ++k) {
            name = fmt::format("{}_{}", want, k);
        }
        return name;
    };
    // A quantize (to an integer type) or dequantize (to float) after `from` when it is needed.
    std::map<std::pair<LayerId, bool>, LayerId> conversions; // one per producer and side
    auto converted = [&](LayerId from, DType have, DType want, const std::string& name) {
        if (isInteger(have) == isInteger(want)) {
            return from;
        }
        const auto key = std::make_pair(from, isInteger(want));
        if (auto it = conversions.find(key); it != conversions.end()) {
            return it->second;
        }
        Layer c;
        c.op = isInteger(want) ? OpKind::Quantize : OpKind::Dequantize;
        c.name = uniqueName(name + (isInteger(want) ? "/quantize" : "/dequantize"));
        c.origin = "quantize " + plan.describe();
        c.outputDtype = want;
        return conversions[key] = out.addLayer(std::move(c), {from});
    };
    const bool dropConversions = plan.base != QuantizePlan::Base::AsStored;
    for (LayerId v : net.executionOrder()) {
        const Layer& l = net.layer(v);
        const auto ins = net.inputsOf(v);
        if (dropConversions && (l.op == OpKind::Quantize || l.op == OpKind::Dequantize) &&
            ins.size() == 1) {
            newId[v] = newId[ins.front()];
            dtypeOf[v] = dtypeOf[ins.front()];
            continue;
        }
        if (l.op == OpKind::Input) {
            newId[v] = out.addLayer(l, {});
            dtypeOf[v] = l.outputDtype;
            continue;
        }
        const Precision p = precisionOf(plan, l, used);
        Layer q = l;
        q.outputDtype = p.activations;
        if (hasWeights(l.op)) {
            q.weightDtype = p.weights;
            // Integer kernels accumulate in int32 and take int32 biases; float kernels
            // (also with int8 weights, dequantized on the fly) take float biases.
            q.biasDtype =
                isInteger(p.weights) && isInteger(p.activations) ? DType::Int32 : DType::Fp32;
        }
        std::vector<LayerId> mapped;
        for (LayerId in : ins) {
            mapped.push_back(converted(newId[in], dtypeOf[in], p.activations, net.layer(in).name));
        }
        newId[v] = out.addLayer(std::move(q), mapped);
        dtypeOf[v] = p.activations;
    }
    for (LayerId v : net.graphOutputs()) {
        const DType want = net.layer(v).outputDtype;
        out.markOutput(converted(newId[v], dtypeOf[v], want, net.layer(v).name));
    }
    Diagnostics diags(plan.file);
    for (std::size_t i = 0; i < plan.rules.size(); ++i) {
        if (!used[i]) {
            diags.error(plan.rules[i].origin + ".layer",
                        fmt::format("'{}' matches no layer of network '{}' (see edgesim inspect)",
                                    plan.rules[i].layer, net.name()),
                        plan.rules[i].line);
        }
    }
    diags.throwIfAny();
    inferShapes(out, plan.file.empty() ? net.source : plan.file);
    if (changed != nullptr) {
        *changed = out.size() != net.size();
        for (LayerId v = 0; v < net.size() && !*changed; ++v) {
            const Layer& a = net.layer(v);
            const auto b = out.find(a.name);
            *changed = !b || out.layer(*b).output.dtype != a.output.dtype ||
                       out.layer(*b).weightDtype != a.weightDtype ||
                       out.layer(*b).biasDtype != a.biasDtype;
        }
    }
    return out;
}

} // namespace edgesim::workloads
