#include "explorer/nas/SearchSpace.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/Strings.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

namespace edgesim::explorer::nas {

namespace {

namespace ws = workloads::spec;

const std::set<std::string> k2dOps = {"conv", "dsconv", "mbconv", "residual"};
const std::set<std::string> kTemporalOps = {"tconv", "tresidual"};
const std::vector<std::string> kPrecisions = {"int8", "int16", "fp32", "int4", "int2", "ternary"};
const std::vector<std::string> kActivationPrecisions = {"int8", "int16", "fp32", "int4", "int2"};

/// Largest value a size field takes (channels, kernels, strides, depths, resolutions): far
/// beyond any edge network, small enough that products of a few stay within int64.
constexpr int64_t kMaxDimension = 1 << 16;
constexpr int64_t kMaxDepth = 64;
constexpr int64_t kMaxKernel = 256;

/// Whether any of a stage's blocks reads a field (a choice no block reads is no gene).
bool anyOp(const spec::StageSpace& st, std::initializer_list<const char*> ops) {
    for (const auto& op : st.ops()) {
        for (const char* o : ops) {
            if (op == o) {
                return true;
            }
        }
    }
    return false;
}

/// "3" -> {3}, "10x4" -> {10, 4}; empty on a malformed text or a value out of range.
std::vector<int64_t> parseDims(const std::string& text) {
    std::vector<int64_t> dims;
    std::size_t from = 0;
    while (from <= text.size()) {
        const std::size_t x = text.find('x', from);
        const std::string part = text.substr(from, x == std::string::npos ? x : x - from);
        if (part.empty() || part.size() > 6 ||
            !std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(c) != 0; })) {
            return {};
        }
        const int64_t v = std::stoll(part);
        if (v < 1 || v > kMaxDimension) {
            return {};
        }
        dims.push_back(v);
        if (x == std::string::npos) {
            break;
        }
        from = x + 1;
    }
    return dims;
}

bool isIdentifier(const std::string& s) {
    return !s.empty() && (std::isalpha(static_cast<unsigned char>(s[0])) != 0) &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
           });
}

ws::DType protoDType(const std::string& name) {
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    ws::DType t = ws::DTYPE_UNSPECIFIED;
    ws::DType_Parse(upper, &t);
    return t;
}

template <typename T>
void checkPositive(const FieldCursor& c, const google::protobuf::Message& m,
                   const std::string& field, const google::protobuf::RepeatedField<T>& values,
                   int64_t max) {
    std::set<T> seen;
    for (int i = 0; i < values.size(); ++i) {
        if (values[i] < 1 || values[i] > max) {
            c.error(m, field, fmt::format("{} is out of range [1, {}]", values[i], max), i);
        } else if (!seen.insert(values[i]).second) {
            c.error(m, field, fmt::format("{} is listed twice", values[i]), i);
        }
    }
}

void checkLabels(const FieldCursor& c, const google::protobuf::Message& m, const std::string& field,
                 const google::protobuf::RepeatedPtrField<std::string>& values) {
    std::set<std::string> seen;
    for (int i = 0; i < values.size(); ++i) {
        if (!seen.insert(values[i]).second) {
            c.error(m, field, "'" + values[i] + "' is listed twice", i);
        }
    }
}

/// The channel choices of a stage as labels.
std::vector<std::string> channelLabels(const spec::StageSpace& s) {
    std::vector<std::string> out;
    if (s.width_multipliers_size() > 0) {
        std::set<int64_t> seen;
        for (double m : s.width_multipliers()) {
            const auto c =
                std::max<int64_t>(1, std::llround(static_cast<double>(s.base_channels()) * m));
            if (seen.insert(c).second) {
                out.push_back(std::to_string(c));
            }
        }
    } else {
        for (int64_t c : s.channels()) {
            out.push_back(std::to_string(c));
        }
    }
    return out;
}

template <typename T>
std::vector<std::string> labelsOr(const google::protobuf::RepeatedField<T>& values,
                                  const std::string& fallback) {
    std::vector<std::string> out;
    for (const T& v : values) {
        out.push_back(std::to_string(v));
    }
    if (out.empty()) {
        out.push_back(fallback);
    }
    return out;
}

std::vector<std::string> labelsOr(const google::protobuf::RepeatedPtrField<std::string>& values,
                                  const std::string& fallback) {
    std::vector<std::string> out(values.begin(), values.end());
    if (out.empty()) {
        out.push_back(fallback);
    }
    return out;
}

} // namespace

void validateSearchSpace(const spec::SearchSpace& s, const FieldCursor& at) {
    bool temporal = false;
    bool twoD = false;
    if (s.resolutions_size() == 0) {
        at.error(s, "resolutions", "missing required field (input sizes: \"HxW\" or \"T\")");
    }
    checkLabels(at, s, "resolutions", s.resolutions());
    std::size_t rank = 0;
    for (int i = 0; i < s.resolutions_size(); ++i) {
        const auto dims = parseDims(s.resolutions(i));
        if (dims.empty() || dims.size() > 2) {
            at.error(s, "resolutions",
                     "'" + s.resolutions(i) + "' is not \"HxW\" or \"T\" (sizes in [1, " +
                         std::to_string(kMaxDimension) + "])",
                     i);
        } else if (rank != 0 && dims.size() != rank) {
            at.error(s, "resolutions", "every resolution needs the same number of dimensions", i);
        } else {
            rank = dims.size();
        }
    }
    if (s.input_channels() < 1 || s.input_channels() > kMaxDimension) {
        at.error(s, "input_channels",
                 s.input_channels() == 0 ? "missing required field"
                                         : fmt::format("{} is out of range [1, {}]",
                                                       s.input_channels(), kMaxDimension));
    }
    if (s.stages_size() == 0) {
        at.error(s, "stages", "missing required field (at least one stage)");
    }
    std::set<std::string> names;
    for (int i = 0; i < s.stages_size(); ++i) {
        const auto& st = s.stages(i);
        const FieldCursor c = at.child(s, "stages", i);
        if (!isIdentifier(st.name())) {
            c.error(st, "name",
                    st.name().empty()
                        ? "missing required field"
                        : "'" + st.name() + "' must be a letter then letters, digits or '_'");
        } else if (st.name() == "resolution" || st.name() == "head" ||
                   !names.insert(st.name()).second) {
            c.error(st, "name", "'" + st.name() + "' is taken (by another stage or a gene)");
        }
        if (st.ops_size() == 0) {
            c.error(st, "ops",
                    "missing required field (conv, dsconv, mbconv, residual, tconv, tresidual)");
        }
        checkLabels(c, st, "ops", st.ops());
        for (int k = 0; k < st.ops_size(); ++k) {
            if (k2dOps.count(st.ops(k)) != 0) {
                twoD = true;
            } else if (kTemporalOps.count(st.ops(k)) != 0) {
                temporal = true;
            } else {
                c.error(st, "ops",
                        "unknown block '" + st.ops(k) +
                            "' (conv, dsconv, mbconv, residual, tconv, tresidual)",
                        k);
            }
        }
        checkLabels(c, st, "kernels", st.kernels());
        for (int k = 0; k < st.kernels_size(); ++k) {
            const auto dims = parseDims(st.kernels(k));
            if (dims.empty() || dims.size() > 2) {
                c.error(st, "kernels", "'" + st.kernels(k) + "' is not \"K\" or \"KHxKW\"", k);
            } else if (*std::max_element(dims.begin(), dims.end()) > kMaxKernel) {
                c.error(st, "kernels",
                        fmt::format("'{}' is larger than {} (no edge network's kernel is)",
                                    st.kernels(k), kMaxKernel),
                        k);
            } else if (dims.size() == 2 && rank == 1) {
                c.error(st, "kernels", "a sequence takes one kernel size", k);
            }
        }
        const bool explicitChannels = st.channels_size() > 0;
        const bool multiplied = st.width_multipliers_size() > 0 || st.base_channels() != 0;
        if (explicitChannels == multiplied) {
            c.error(st, "channels",
                    explicitChannels ? "give channels, or base_channels with width_multipliers, "
                                       "not both"
                                     : "missing required field (channels, or base_channels with "
                                       "width_multipliers)");
        } else if (multiplied) {
            if (st.base_channels() < 1 || st.base_channels() > kMaxDimension) {
                c.error(
                    st, "base_channels",
                    fmt::format("{} is out of range [1, {}]", st.base_channels(), kMaxDimension));
            }
            if (st.width_multipliers_size() == 0) {
                c.error(st, "width_multipliers", "missing required field (with base_channels)");
            }
            for (int k = 0; k < st.width_multipliers_size(); ++k) {
                const double m = st.width_multipliers(k);
                if (!(m > 0 && m <= 64)) {
                    c.error(st, "width_multipliers", fmt::format("{:g} is out of range (0, 64]", m),
                            k);
                }
            }
        }
        checkPositive(c, st, "channels", st.channels(), kMaxDimension);
        checkPositive(c, st, "strides", st.strides(), 16);
        checkPositive(c, st, "depths", st.depths(), kMaxDepth);
        checkPositive(c, st, "expansions", st.expansions(), 64);
        checkPositive(c, st, "dilations", st.dilations(), 1024);
        if (st.skip_size() > 2 || (st.skip_size() == 2 && st.skip(0) == st.skip(1))) {
            c.error(st, "skip", "list each of true and false at most once");
        }
        if (st.skip_size() > 1 && !anyOp(st, {"mbconv", "residual", "tresidual"})) {
            c.error(st, "skip", "only mbconv, residual and tresidual blocks have a skip");
        }
        if (st.expansions_size() > 1 && !anyOp(st, {"mbconv"})) {
            c.error(st, "expansions", "only mbconv blocks have an expansion");
        }
        if (st.dilations_size() > 1 && !anyOp(st, {"tconv", "tresidual"})) {
            c.error(st, "dilations", "only tconv and tresidual blocks are dilated");
        }
        checkLabels(c, st, "activation_precisions", st.activation_precisions());
        for (int k = 0; k < st.activation_precisions_size(); ++k) {
            if (std::find(kActivationPrecisions.begin(), kActivationPrecisions.end(),
                          st.activation_precisions(k)) == kActivationPrecisions.end()) {
                c.error(st, "activation_precisions",
                        "unknown activation precision '" + st.activation_precisions(k) + "' (" +
                            join(kActivationPrecisions) + ")",
                        k);
            }
        }
        checkLabels(c, st, "precisions", st.precisions());
        for (int k = 0; k < st.precisions_size(); ++k) {
            if (std::find(kPrecisions.begin(), kPrecisions.end(), st.precisions(k)) ==
                kPrecisions.end()) {
                c.error(st, "precisions",
                        "unknown precision '" + st.precisions(k) + "' (" + join(kPrecisions) + ")",
                        k);
            }
        }
    }
    if (twoD && temporal) {
        at.error(s, "stages", "mixes 2-D blocks with temporal (tconv, tresidual) blocks");
    }
    if (rank == 2 && temporal) {
        at.error(s, "resolutions", "temporal blocks need a sequence length \"T\", not \"HxW\"");
    }
    if (rank == 1 && twoD) {
        at.error(s, "resolutions", "2-D blocks need \"HxW\" resolutions, not a sequence length");
    }
    const auto& h = s.head();
    const FieldCursor hc = at.child(s, "head");
    if (h.classes() < 1 || h.classes() > kMaxDimension) {
        hc.error(h, "classes",
                 h.classes() == 0
                     ? "missing required field"
                     : fmt::format("{} is out of range [1, {}]", h.classes(), kMaxDimension));
    }
    if (h.pool() != "" && h.pool() != "global" && h.pool() != "avg" && h.pool() != "none") {
        hc.error(h, "pool", "'" + h.pool() + "' is not global, avg or none");
    }
    if ((h.pool() == "avg") != (h.pool_kernel_size() > 0)) {
        hc.error(h, "pool_kernel",
                 h.pool() == "avg" ? "missing required field (with pool: \"avg\")"
                                   : "only with pool: \"avg\"");
    }
    for (int k = 0; k < h.pool_kernel_size(); ++k) {
        if (h.pool_kernel(k) < 1 || h.pool_kernel(k) > kMaxDimension) {
            hc.error(h, "pool_kernel", fmt::format("{} is out of range", h.pool_kernel(k)), k);
        }
    }
    std::set<int64_t> hidden;
    for (int k = 0; k < h.hidden_units_size(); ++k) {
        if (h.hidden_units(k) < 0 || h.hidden_units(k) > kMaxDimension) {
            hc.error(h, "hidden_units",
                     fmt::format("{} is out of range [0, {}]", h.hidden_units(k), kMaxDimension),
                     k);
        } else if (!hidden.insert(h.hidden_units(k)).second) {
            hc.error(h, "hidden_units", fmt::format("{} is listed twice", h.hidden_units(k)), k);
        }
    }
    for (const char* field : {"weight_dtype", "activation_dtype"}) {
        const std::string v =
            field == std::string("weight_dtype") ? s.weight_dtype() : s.activation_dtype();
        if (!v.empty() && v != "int8" && v != "fp32") {
            at.error(s, field, "'" + v + "' is not int8 or fp32");
        }
    }
}

SearchSpace::SearchSpace(spec::SearchSpace space) : spec_(std::move(space)) {
    resolution_ = addChoice("resolution", labelsOr(spec_.resolutions(), ""));
    for (const auto& st : spec_.stages()) {
        const std::string& n = st.name();
        StageChoices c{};
        c.op = addChoice(n + ".op", labelsOr(st.ops(), ""));
        c.kernel = addChoice(n + ".kernel", labelsOr(st.kernels(), "3"));
        c.channels = addChoice(n + ".channels", channelLabels(st));
        c.stride = addChoice(n + ".stride", labelsOr(st.strides(), "1"));
        c.depth = addChoice(n + ".depth", labelsOr(st.depths(), "1"));
        c.expansion = addChoice(n + ".expansion", labelsOr(st.expansions(), "6"));
        std::vector<std::string> skip;
        for (bool b : st.skip()) {
            skip.push_back(b ? "true" : "false");
        }
        if (skip.empty()) {
            skip.push_back("true");
        }
        c.skip = addChoice(n + ".skip", skip);
        c.dilation = addChoice(n + ".dilation", labelsOr(st.dilations(), "1"));
        c.precision = addChoice(n + ".precision", labelsOr(st.precisions(), ""));
        c.activation =
            addChoice(n + ".activation_precision", labelsOr(st.activation_precisions(), ""));
        stages_.push_back(c);
    }
    std::vector<std::string> hidden;
    for (int64_t u : spec_.head().hidden_units()) {
        hidden.push_back(std::to_string(u));
    }
    if (hidden.empty()) {
        hidden.push_back("0");
    }
    hidden_ = addChoice("head.hidden", hidden);
}

int SearchSpace::addChoice(std::string name, std::vector<std::string> labels) {
    Choice c;
    c.name = std::move(name);
    c.labels = std::move(labels);
    if (c.labels.size() >= 2) {
        c.gene = static_cast<int>(genes_.size());
        genes_.push_back({c.name, c.labels});
    }
    choices_.push_back(std::move(c));
    return static_cast<int>(choices_.size()) - 1;
}

const std::string& SearchSpace::value(const Genome& genome, int c) const {
    const Choice& ch = choices_[c];
    return ch.labels[ch.gene < 0 ? 0 : genome[ch.gene]];
}

int64_t SearchSpace::size() const {
    int64_t n = 1;
    for (const auto& g : genes_) {
        const auto k = static_cast<int64_t>(g.labels.size());
        if (n > std::numeric_limits<int64_t>::max() / k) {
            return std::numeric_limits<int64_t>::max();
        }
        n *= k;
    }
    return n;
}

Genome SearchSpace::random(std::mt19937& rng) const {
    Genome g(genes_.size());
    for (std::size_t i = 0; i < genes_.size(); ++i) {
        std::uniform_int_distribution<int> pick(0, static_cast<int>(genes_[i].labels.size()) - 1);
        g[i] = pick(rng);
    }
    return g;
}

Genome SearchSpace::parse(const std::vector<std::string>& pairs) const {
    Genome g(genes_.size(), 0);
    std::set<std::string> named;
    for (const auto& p : pairs) {
        const auto eq = p.find('=');
        if (eq == std::string::npos) {
            throw std::invalid_argument("'" + p + "' is not gene=value");
        }
        const std::string name = p.substr(0, eq);
        const std::string v = p.substr(eq + 1);
        const auto it = std::find_if(choices_.begin(), choices_.end(),
                                     [&](const Choice& c) { return c.name == name; });
        if (it == choices_.end()) {
            throw std::invalid_argument("'" + p + "': no gene '" + name + "' in the space");
        }
        if (!named.insert(name).second) {
            throw std::invalid_argument("'" + p + "': gene '" + name + "' is given twice");
        }
        const auto at = std::find(it->labels.begin(), it->labels.end(), v);
        if (at == it->labels.end()) {
            throw std::invalid_argument("'" + p + "': '" + v + "' is not a choice of " + name +
                                        " (" + join(it->labels) + ")");
        }
        if (it->gene >= 0) {
            g[it->gene] = static_cast<int>(at - it->labels.begin());
        }
    }
    return g;
}

std::string SearchSpace::encode(const Genome& genome) const {
    std::string out;
    for (std::size_t i = 0; i < genome.size(); ++i) {
        out += (i == 0 ? "" : ".") + std::to_string(genome[i]);
    }
    return out;
}

std::string SearchSpace::describe(const Genome& genome) const {
    std::string out;
    for (std::size_t i = 0; i < genes_.size(); ++i) {
        out += (i == 0 ? "" : " ") + genes_[i].name + "=" + genes_[i].labels[genome[i]];
    }
    return out;
}

namespace {

/// Builds the layers of a candidate, tracking the current tensor's producer and shape.
class Builder {
public:
    Builder(ws::NetworkSpec& net, std::vector<int64_t> spatial, int64_t channels)
        : net_(net), spatial_(std::move(spatial)), channels_(channels) {}

    /// Adds a layer reading `inputs` (the current tensor when empty); it becomes current.
    ws::LayerSpec& add(const std::string& name, std::vector<std::string> inputs = {}) {
        ws::LayerSpec& l = *net_.add_layers();
        l.set_name(name);
        if (inputs.empty() && !current_.empty()) {
            inputs.push_back(current_);
        }
        for (auto& i : inputs) {
            l.add_inputs(i);
        }
        current_ = name;
        return l;
    }
    /// A convolution (2-D or temporal by the rank of the current tensor).
    void conv(const std::string& name, int64_t out, const std::vector<int64_t>& kernel,
              int64_t stride, int64_t dilation, ws::ActivationKind act, ws::DType weights,
              const std::string& input = {}) {
        auto& l =
            add(name, input.empty() ? std::vector<std::string>{} : std::vector<std::string>{input});
        ws::ConvSpec* c = temporal() ? l.mutable_temporal_conv() : l.mutable_conv2d();
        c->set_out_channels(out);
        for (int64_t k : kernel) {
            c->mutable_window()->add_kernel(k);
        }
        c->mutable_window()->add_stride(stride);
        if (dilation > 1) {
            c->mutable_window()->add_dilation(dilation);
        }
        if (temporal()) {
            c->mutable_window()->set_padding(ws::CAUSAL);
        }
        l.set_activation(act);
        l.set_weight_dtype(weights);
        stride_(stride);
        channels_ = out;
    }
    void depthwise(const std::string& name, const std::vector<int64_t>& kernel, int64_t stride,
                   ws::ActivationKind act, ws::DType weights) {
        auto& l = add(name);
        auto* d = l.mutable_depthwise_conv2d();
        for (int64_t k : kernel) {
            d->mutable_window()->add_kernel(k);
        }
        d->mutable_window()->add_stride(stride);
        l.set_activation(act);
        l.set_weight_dtype(weights);
        stride_(stride);
    }
    bool temporal() const { return spatial_.size() == 1; }
    const std::string& current() const { return current_; }
    void setCurrent(std::string name, int64_t channels) {
        current_ = std::move(name);
        channels_ = channels;
    }
    int64_t channels() const { return channels_; }
    const std::vector<int64_t>& spatial() const { return spatial_; }
    /// Remembers where a block started (its input, shape and channels).
    struct Mark {
        std::string name;
        std::vector<int64_t> spatial;
        int64_t channels;
    };
    Mark mark() const { return {current_, spatial_, channels_}; }
    void restore(const Mark& m) {
        current_ = m.name;
        spatial_ = m.spatial;
        channels_ = m.channels;
    }

private:
    /// SAME and CAUSAL padding: out = ceil(in / stride).
    void stride_(int64_t s) {
        for (auto& d : spatial_) {
            d = (d + s - 1) / s;
        }
    }
    ws::NetworkSpec& net_;
    std::vector<int64_t> spatial_;
    int64_t channels_;
    std::string current_;
};

} // namespace

Candidate SearchSpace::decode(const Genome& genome, const std::string& name) const {
    Candidate cand;
    cand.spec = networkSpec(genome, name);
    cand.sha256 = specSha256(cand.spec);
    try {
        cand.network = workloads::buildNetwork(cand.spec, "<candidate " + name + ">");
    } catch (const InputError& e) {
        cand.reason = e.what();
    }
    return cand;
}

std::string SearchSpace::specSha256(const workloads::spec::NetworkSpec& spec) {
    ws::NetworkSpec unnamed = spec;
    unnamed.clear_name();
    unnamed.clear_description();
    return protoSha256(unnamed);
}

std::string SearchSpace::sha256(const Genome& genome) const {
    return specSha256(networkSpec(genome, ""));
}

workloads::spec::NetworkSpec SearchSpace::networkSpec(const Genome& genome,
                                                      const std::string& name) const {
    if (genome.size() != genes_.size()) {
        throw std::invalid_argument(
            fmt::format("genome has {} genes, the space {}", genome.size(), genes_.size()));
    }
    for (std::size_t i = 0; i < genome.size(); ++i) {
        if (genome[i] < 0 || genome[i] >= static_cast<int>(genes_[i].labels.size())) {
            throw std::invalid_argument(fmt::format("gene {} = {} is out of range [0, {})",
                                                    genes_[i].name, genome[i],
                                                    genes_[i].labels.size()));
        }
    }
    ws::NetworkSpec net;
    net.set_name(name);
    net.set_description(describe(genome));
    net.set_source("edgesim nas search space");
    const ws::DType weights =
        spec_.weight_dtype().empty() ? ws::INT8 : protoDType(spec_.weight_dtype());
    const ws::DType activations =
        spec_.activation_dtype().empty() ? ws::INT8 : protoDType(spec_.activation_dtype());
    net.set_weight_dtype(weights);
    net.set_activation_dtype(activations);
    net.set_bias_dtype(weights == ws::FP32 ? ws::FP32 : ws::INT32);

    const std::vector<int64_t> res = parseDims(value(genome, resolution_));
    auto* in = net.add_inputs();
    in->set_name("input");
    for (int64_t d : res) {
        in->add_shape(d);
    }
    in->add_shape(spec_.input_channels());

    Builder b(net, res, spec_.input_channels());
    b.setCurrent("input", spec_.input_channels());
    for (std::size_t s = 0; s < stages_.size(); ++s) {
        const StageChoices& c = stages_[s];
        const std::string& stage = spec_.stages(static_cast<int>(s)).name();
        const std::string op = value(genome, c.op);
        std::vector<int64_t> kernel = parseDims(value(genome, c.kernel));
        const int64_t cout = std::stoll(value(genome, c.channels));
        const int64_t stride = std::stoll(value(genome, c.stride));
        const int64_t depth = std::stoll(value(genome, c.depth));
        const int64_t expansion = std::stoll(value(genome, c.expansion));
        const bool skip = value(genome, c.skip) == "true";
        const int64_t dilation0 = std::stoll(value(genome, c.dilation));
        const std::string& prec = value(genome, c.precision);
        const ws::DType w = prec.empty() ? ws::DTYPE_UNSPECIFIED : protoDType(prec);
        const std::string& act = value(genome, c.activation);
        const ws::DType a = act.empty() ? ws::DTYPE_UNSPECIFIED : protoDType(act);
        const int firstLayer = net.layers_size();
        for (int64_t r = 0; r < depth; ++r) {
            const std::string p = depth > 1 ? fmt::format("{}_{}", stage, r) : stage;
            const int64_t st = r == 0 ? stride : 1;
            const int64_t dil = dilation0 << std::min<int64_t>(r, 20);
            const Builder::Mark start = b.mark();
            const bool sameShape = st == 1 && start.channels == cout;
            if (op == "conv" || op == "tconv") {
                b.conv(p + "_conv", cout, kernel, st, op == "tconv" ? dil : 1, ws::RELU, w);
            } else if (op == "dsconv") {
                b.depthwise(p + "_dw", kernel, st, ws::RELU, w);
                b.conv(p + "_pw", cout, {1, 1}, 1, 1, ws::RELU, w);
            } else if (op == "mbconv") {
                if (expansion > 1) {
                    b.conv(p + "_expand", start.channels * expansion, {1, 1}, 1, 1, ws::RELU6, w);
                }
                b.depthwise(p + "_dw", kernel, st, ws::RELU6, w);
                b.conv(p + "_project", cout, {1, 1}, 1, 1, ws::NONE, w);
                if (skip && sameShape) {
                    b.add(p + "_add", {start.name, b.current()}).mutable_add();
                }
            } else { // residual, tresidual
                const bool t = op == "tresidual";
                const std::vector<int64_t> one =
                    t ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 1};
                b.conv(p + "_conv_a", cout, kernel, st, t ? dil : 1, ws::RELU, w);
                b.conv(p + "_conv_b", cout, kernel, 1, t ? dil : 1, skip ? ws::NONE : ws::RELU, w);
                if (skip) {
                    const std::string second = b.current();
                    const Builder::Mark after = b.mark();
                    std::string shortcut = start.name;
                    if (!sameShape) {
                        b.restore(start);
                        b.conv(p + "_shortcut", cout, one, st, 1, ws::NONE, w, start.name);
                        shortcut = b.current();
                        b.restore(after);
                    }
                    auto& add = b.add(p + "_add", {shortcut, second});
                    add.mutable_add();
                    add.set_activation(ws::RELU);
                }
            }
        }
        if (a != ws::DTYPE_UNSPECIFIED) {
            for (int l = firstLayer; l < net.layers_size(); ++l) {
                net.mutable_layers(l)->set_output_dtype(a);
            }
        }
    }
    const auto& head = spec_.head();
    if (head.pool().empty() || head.pool() == "global") {
        b.add("pool").mutable_global_avg_pool();
    } else if (head.pool() == "avg") {
        auto* w = b.add("pool").mutable_avg_pool()->mutable_window();
        const auto& sp = b.spatial();
        for (std::size_t d = 0; d < sp.size(); ++d) {
            const int64_t k =
                head.pool_kernel(std::min(static_cast<int>(d), head.pool_kernel_size() - 1));
            w->add_kernel(std::min(k, sp[d]));
        }
        w->set_padding(ws::VALID);
    }
    b.add("flatten").mutable_flatten();
    const int64_t hidden = std::stoll(value(genome, hidden_));
    if (hidden > 0) {
        auto& l = b.add("hidden");
        l.mutable_dense()->set_units(hidden);
        l.set_activation(ws::RELU);
    }
    b.add("fc").mutable_dense()->set_units(head.classes());
    if (!head.no_softmax()) {
        b.add("softmax").mutable_softmax();
    }

    return net;
}

} // namespace edgesim::explorer::nas
