#include "workloads/onnx/OnnxImporter.h"

#include "common/Checked.h"

#include "common/Diagnostics.h"
#include "workloads/graph/Passes.h"
#include "workloads/graph/ShapeInference.h"

#include "onnx/onnx.pb.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

namespace edgesim::workloads {

namespace {

using LayerId = Network::LayerId;

/// Largest constant whose values we decode (shape arithmetic, clip bounds, pads); weights are
/// never decoded, only their shape and type are read.
constexpr int64_t kMaxDecodedElements = 1 << 16;

/// A constant tensor: an initializer, a Constant node, or the result of folding shape
/// arithmetic (Shape, Gather, Unsqueeze, Concat, ...) on constants.
struct Constant {
    std::vector<int64_t> dims;
    int elemType = 0;                          // onnx::TensorProto::DataType
    const onnx::TensorProto* proto = nullptr;  // source, for decoding on demand
    std::optional<std::vector<double>> values; // decoded (or folded) values
};

/// What a value name stands for while importing.
struct Value {
    bool isConstant = false;
    Constant constant;
    // Activation: the layer producing it, seen as `dtype`.
    LayerId layer = 0;
    DType dtype = DType::Fp32;
    // Spatial padding of a Pad node, waiting to be absorbed by the windowed op reading it.
    std::vector<int64_t> padBegin;
    std::vector<int64_t> padEnd;
};

std::optional<DType> dtypeOf(int elemType) {
    switch (elemType) {
    case onnx::TensorProto::FLOAT: return DType::Fp32;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8: return DType::Int8;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16: return DType::Int16;
    case onnx::TensorProto::INT32: return DType::Int32;
    default: return std::nullopt;
    }
}

std::string elemTypeName(int elemType) {
    if (onnx::TensorProto::DataType_IsValid(elemType)) {
        return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elemType));
    }
    return fmt::format("type {}", elemType);
}

int64_t elemSize(int elemType) {
    switch (elemType) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::UINT32: return 4;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64:
    case onnx::TensorProto::DOUBLE: return 8;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: return 2;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: return 1;
    default: return 0;
    }
}

/// Problem with one node; turned into a diagnostic naming the node by the importer.
struct NodeProblem : std::runtime_error {
    using std::runtime_error::runtime_error;
};
[[noreturn]] void fail(const std::string& msg) {
    throw NodeProblem(msg);
}

int64_t checkedProduct(const std::vector<int64_t>& dims) {
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d < 0 || (d > 0 && n > std::numeric_limits<int64_t>::max() / d)) {
            fail("tensor dimensions are negative or too large");
        }
        n *= d;
    }
    return n;
}

/// The little-endian value of type T at `p` (ONNX raw_data), as a double.
template <typename T> double loadAs(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<double>(v);
}

/// Decodes the values of a small constant tensor into doubles.
std::vector<double> decode(const onnx::TensorProto& t, const std::string& what) {
    std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    const int64_t n = checkedProduct(dims);
    if (n > kMaxDecodedElements) {
        fail(what + " is too large to be used as a constant operand");
    }
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
        fail(what + " keeps its data in an external file, which is not supported here");
    }
    std::vector<double> out;
    out.reserve(static_cast<std::size_t>(n));
    const int type = t.data_type();
    if (t.has_raw_data()) {
        const std::string& raw = t.raw_data();
        const int64_t size = elemSize(type);
        if (size == 0 || type == onnx::TensorProto::FLOAT16 ||
            type == onnx::TensorProto::BFLOAT16) {
            fail(what + " has unsupported element type " + elemTypeName(type));
        }
        if (static_cast<int64_t>(raw.size()) != n * size) {
            fail(fmt::format("{} raw_data has {} bytes, its dims need {}", what, raw.size(),
                             n * size));
        }
        for (int64_t i = 0; i < n; ++i) {
            const char* p = raw.data() + i * size;
            switch (type) {
            case onnx::TensorProto::FLOAT: out.push_back(loadAs<float>(p)); break;
            case onnx::TensorProto::DOUBLE: out.push_back(loadAs<double>(p)); break;
            case onnx::TensorProto::INT64: out.push_back(loadAs<int64_t>(p)); break;
            case onnx::TensorProto::UINT64: out.push_back(loadAs<uint64_t>(p)); break;
            case onnx::TensorProto::INT32: out.push_back(loadAs<int32_t>(p)); break;
            case onnx::TensorProto::UINT32: out.push_back(loadAs<uint32_t>(p)); break;
            case onnx::TensorProto::INT16: out.push_back(loadAs<int16_t>(p)); break;
            case onnx::TensorProto::UINT16: out.push_back(loadAs<uint16_t>(p)); break;
            case onnx::TensorProto::INT8: out.push_back(loadAs<int8_t>(p)); break;
            default: out.push_back(static_cast<uint8_t>(*p)); break; // UINT8, BOOL
            }
        }
        return out;
    }
    auto take = [&](const auto& field) {
        if (static_cast<int64_t>(field.size()) != n) {
            fail(fmt::format("{} holds {} values, its dims need {}", what, field.size(), n));
        }
        for (auto v : field) {
            out.push_back(static_cast<double>(v));
        }
    };
    switch (type) {
    case onnx::TensorProto::FLOAT: take(t.float_data()); break;
    case onnx::TensorProto::DOUBLE: take(t.double_data()); break;
    case onnx::TensorProto::INT64: take(t.int64_data()); break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64: take(t.uint64_data()); break;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: take(t.int32_data()); break;
    default: fail(what + " has unsupported element type " + elemTypeName(type));
    }
    return out;
}

/// NCHW-with-batch ONNX shape of a per-sample channels-last shape.
std::vector<int64_t> toOnnx(const Shape& s) {
    std::vector<int64_t> o{1};
    if (s.empty()) {
        return o;
    }
    o.push_back(s.back());
    o.insert(o.end(), s.begin(), s.end() - 1);
    return o;
}

/// Per-sample channels-last shape of an ONNX shape [N, C, spatial...] with N == 1.
Shape fromOnnx(const std::vector<int64_t>& o, const std::string& what) {
    if (o.size() < 2) {
        fail(fmt::format("{} has rank {}; expected [batch, channels, ...]", what, o.size()));
    }
    if (o[0] != 1) {
        fail(fmt::format("{} has batch dimension {}; only batch 1 per sample is supported", what,
                         o[0]));
    }
    Shape s(o.begin() + 2, o.end());
    s.push_back(o[1]);
    return s;
}

const std::set<std::string>& supportedSet() {
    static const std::set<std::string> kOps{"Add",
                                            "AveragePool",
                                            "BatchNormalization",
                                            "Cast",
                                            "Clip",
                                            "Concat",
                                            "Constant",
                                            "ConstantOfShape",
                                            "Conv",
                                            "DequantizeLinear",
                                            "Div",
                                            "Dropout",
                                            "Flatten",
                                            "Gather",
                                            "Gemm",
                                            "GlobalAveragePool",
                                            "GlobalMaxPool",
                                            "HardSigmoid",
                                            "HardSwish",
                                            "Identity",
                                            "MatMul",
                                            "MaxPool",
                                            "Mul",
                                            "Pad",
                                            "QLinearConv",
                                            "QLinearMatMul",
                                            "QuantizeLinear",
                                            "ReduceMax",
                                            "ReduceMean",
                                            "Relu",
                                            "Reshape",
                                            "Resize",
                                            "Shape",
                                            "Sigmoid",
                                            "Slice",
                                            "Softmax",
                                            "Split",
                                            "Squeeze",
                                            "Sub",
                                            "Transpose",
                                            "Unsqueeze",
                                            "Upsample"};
    return kOps;
}

class Importer {
public:
    Importer(const std::string& bytes, const std::string& file) : bytes_(bytes), file_(file) {}

    Network run() {
        parse();
        checkOps();
        opset_ = defaultOpset();
        for (const auto& init : model_.graph().initializer()) {
            addInitializer(init);
        }
        countConsumers();
        addGraphInputs();
        const auto& nodes = model_.graph().node();
        for (int i = 0; i < nodes.size(); ++i) {
            const auto& n = nodes.Get(i);
            origin_ = fmt::format("graph.node[{}] '{}' ({})", i, n.name(), n.op_type());
            for (const auto& out : n.output()) {
                // ONNX graphs are in single static assignment form: one producer per tensor.
                if (!out.empty() && values_.count(out) != 0) {
                    throw InputError(file_, origin_,
                                     "output '" + out +
                                         "' is already produced by an earlier node, initializer "
                                         "or graph input (each tensor has one producer)");
                }
            }
            try {
                importNode(n);
            } catch (const NodeProblem& e) {
                throw InputError(file_, origin_, e.what());
            } catch (const ArithmeticOverflow& e) {
                throw InputError(file_, origin_, std::string("sizes out of range: ") + e.what());
            }
        }
        markOutputs();
        return canonicalize(std::move(net_), file_);
    }

private:
    // ---- model-level checks -------------------------------------------------------------
    void parse() {
        if (bytes_.empty()) {
            throw InputError(file_, "", "empty file: not an ONNX model");
        }
        if (bytes_.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
            throw InputError(file_, "", "file larger than 2 GiB: not supported");
        }
        if (!model_.ParseFromString(bytes_)) {
            throw InputError(file_, "",
                             "not a valid ONNX model (protobuf decoding failed: truncated or "
                             "corrupt file?)");
        }
        if (!model_.has_graph() || model_.graph().node_size() == 0) {
            throw InputError(file_, "graph",
                             "ONNX model has no graph nodes (truncated or not an ONNX file?)");
        }
        net_.setName(model_.graph().name().empty() ? file_ : model_.graph().name());
        net_.source = file_;
        net_.description = fmt::format("imported from ONNX ({} {})", model_.producer_name(),
                                       model_.producer_version());
    }

    int64_t defaultOpset() const {
        for (const auto& o : model_.opset_import()) {
            if (o.domain().empty() || o.domain() == "ai.onnx") {
                return o.version();
            }
        }
        return 13;
    }

    void checkOps() {
        Diagnostics diags(file_);
        const auto& nodes = model_.graph().node();
        bool listed = false; // the supported operators are listed once, with the first error
        for (int i = 0; i < nodes.size(); ++i) {
            const auto& n = nodes.Get(i);
            const bool defaultDomain = n.domain().empty() || n.domain() == "ai.onnx";
            if (!defaultDomain || supportedSet().count(n.op_type()) == 0) {
                std::string ops;
                for (const auto& s : supportedSet()) {
                    ops += (ops.empty() ? "" : ", ") + s;
                }
                diags.error(fmt::format("graph.node[{}] '{}' ({}{})", i, n.name(),
                                        n.domain().empty() ? "" : n.domain() + ".", n.op_type()),
                            "unsupported operator '" + n.op_type() + "'" +
                                (defaultDomain ? "" : " from domain '" + n.domain() + "'") +
                                (listed ? std::string() : " (supported: " + ops + ")"));
                listed = true;
            }
        }
        diags.throwIfAny();
    }

    void addInitializer(const onnx::TensorProto& t) {
        Value v;
        v.isConstant = true;
        v.constant.dims.assign(t.dims().begin(), t.dims().end());
        v.constant.elemType = t.data_type();
        v.constant.proto = &t;
        values_[t.name()] = v;
    }

    void countConsumers() {
        for (const auto& n : model_.graph().node()) {
            for (const auto& in : n.input()) {
                ++consumers_[in];
                readers_[in].push_back(&n);
            }
        }
        for (const auto& o : model_.graph().output()) {
            graphOutputs_.insert(o.name());
        }
    }

    void addGraphInputs() {
        const auto& inputs = model_.graph().input();
        for (int i = 0; i < inputs.size(); ++i) {
            const auto& in = inputs.Get(i);
            if (values_.count(in.name())) {
                continue; // an initializer listed as input (IR < 4)
            }
            origin_ = fmt::format("graph.input[{}] '{}'", i, in.name());
            try {
                addGraphInput(in);
            } catch (const NodeProblem& e) {
                throw InputError(file_, origin_, e.what());
            }
        }
    }

    void addGraphInput(const onnx::ValueInfoProto& in) {
        if (!in.type().has_tensor_type()) {
            fail("graph input is not a tensor");
        }
        const auto& tt = in.type().tensor_type();
        auto dtype = dtypeOf(tt.elem_type());
        if (!dtype) {
            fail("unsupported input element type " + elemTypeName(tt.elem_type()));
        }
        std::vector<int64_t> dims;
        for (int d = 0; d < tt.shape().dim_size(); ++d) {
            const auto& dim = tt.shape().dim(d);
            if (dim.has_dim_value() && dim.dim_value() > 0) {
                dims.push_back(dim.dim_value());
            } else if (d == 0) {
                dims.push_back(1); // symbolic batch: one sample
            } else {
                fail(fmt::format("dimension {} is symbolic or unknown; edgesim needs "
                                 "fixed input shapes",
                                 d));
            }
        }
        Layer l;
        l.op = OpKind::Input;
        l.name = in.name();
        l.origin = origin_;
        l.outputDtype = *dtype;
        l.targetShape = dims.size() == 1 ? Shape{dims[0]} : fromOnnx(dims, "input shape");
        addActivation(in.name(), std::move(l), {});
    }

    void markOutputs() {
        for (const auto& o : model_.graph().output()) {
            auto it = values_.find(o.name());
            if (it == values_.end() || it->second.isConstant) {
                throw InputError(file_, "graph.output '" + o.name() + "'",
                                 "graph output is not computed by any node");
            }
            net_.markOutput(it->second.layer);
        }
    }

    // ---- value access ---------------------------------------------------------------------
    const Value& value(const std::string& name) const {
        auto it = values_.find(name);
        if (it == values_.end()) {
            fail("reads '" + name + "', which no earlier node, initializer or graph input defines");
        }
        return it->second;
    }

    const Value& activation(const onnx::NodeProto& n, int i) const {
        if (i >= n.input_size() || n.input(i).empty()) {
            fail(fmt::format("input {} is missing", i));
        }
        const Value& v = value(n.input(i));
        if (v.isConstant) {
            fail(fmt::format("input {} ('{}') is a constant; expected a computed tensor", i,
                             n.input(i)));
        }
        if (!v.padBegin.empty() && n.op_type() != "Conv" && n.op_type() != "AveragePool" &&
            n.op_type() != "MaxPool" && n.op_type() != "QLinearConv") {
            fail("reads the output of a Pad node; Pad is supported only before a convolution "
                 "or pooling");
        }
        return v;
    }

    const Constant& constant(const onnx::NodeProto& n, int i, const char* what) const {
        if (i >= n.input_size() || n.input(i).empty()) {
            fail(fmt::format("{} (input {}) is missing", what, i));
        }
        const Value& v = value(n.input(i));
        if (!v.isConstant) {
            fail(fmt::format("{} ('{}') must be an initializer or constant", what, n.input(i)));
        }
        return v.constant;
    }

    bool hasInput(const onnx::NodeProto& n, int i) const {
        return i < n.input_size() && !n.input(i).empty();
    }

    std::vector<double> valuesOf(const Constant& c, const std::string& what) {
        if (c.values) {
            return *c.values;
        }
        if (c.proto == nullptr) {
            fail(what + " has no data");
        }
        return decode(withData(*c.proto, what), what);
    }

    /// `t` itself, or for a tensor kept in an external file (ONNX external data, as large
    /// models are saved) a copy with its bytes read from that file. Weights are never read:
    /// costs need their shapes only, so a model whose weights file is absent still imports.
    const onnx::TensorProto& withData(const onnx::TensorProto& t, const std::string& what) {
        if (t.data_location() != onnx::TensorProto::EXTERNAL) {
            return t;
        }
        if (auto it = externalLoaded_.find(&t); it != externalLoaded_.end()) {
            return it->second;
        }
        std::string location;
        int64_t offset = 0;
        int64_t length = -1;
        for (const auto& kv : t.external_data()) {
            try {
                if (kv.key() == "location") {
                    location = kv.value();
                } else if (kv.key() == "offset") {
                    offset = std::stoll(kv.value());
                } else if (kv.key() == "length") {
                    length = std::stoll(kv.value());
                }
            } catch (const std::exception&) {
                fail(fmt::format("{}: external_data {} '{}' is not a number", what, kv.key(),
                                 kv.value()));
            }
        }
        const std::filesystem::path rel(location);
        if (location.empty() || rel.is_absolute() ||
            std::any_of(rel.begin(), rel.end(), [](const auto& part) { return part == ".."; })) {
            fail(fmt::format("{} keeps its data in external file '{}': the location must be "
                             "a path relative to the model's folder",
                             what, location));
        }
        const auto path = std::filesystem::path(file_).parent_path() / rel;
        std::error_code ec;
        const auto status = std::filesystem::status(path, ec);
        if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
            fail(fmt::format("{} keeps its values in external file '{}', which is not a regular "
                             "file (the values are needed here)",
                             what, path.string()));
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            fail(fmt::format("{} keeps its values in external file '{}', which cannot be read "
                             "(the values are needed here)",
                             what, path.string()));
        }
        in.seekg(0, std::ios::end);
        const int64_t size = static_cast<int64_t>(in.tellg());
        // offset and length are compared with what is left, never added: either may be near
        // the int64 limits.
        if (offset >= 0 && offset <= size && length < 0) {
            length = size - offset;
        }
        if (offset < 0 || offset > size || length < 0 || length > size - offset) {
            fail(fmt::format("{}: external file '{}' has {} bytes, offset {} and length {} "
                             "do not fit",
                             what, path.string(), size, offset, length));
        }
        std::string bytes(static_cast<std::size_t>(length), '\0');
        in.seekg(offset);
        in.read(bytes.data(), length);
        onnx::TensorProto copy = t;
        copy.clear_external_data();
        copy.set_data_location(onnx::TensorProto::DEFAULT);
        copy.set_raw_data(std::move(bytes));
        return externalLoaded_.emplace(&t, std::move(copy)).first->second;
    }

    std::vector<int64_t> intsOf(const Constant& c, const std::string& what) {
        std::vector<int64_t> out;
        for (double d : valuesOf(c, what)) {
            out.push_back(static_cast<int64_t>(std::llround(d)));
        }
        return out;
    }

    /// A weight operand: its dtype, following DequantizeLinear back to the stored type.
    DType weightDtype(const Constant& c, const std::string& what) const {
        auto t = dtypeOf(c.elemType);
        if (!t) {
            fail(what + " has unsupported element type " + elemTypeName(c.elemType));
        }
        return *t;
    }

    const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) const {
        for (const auto& a : n.attribute()) {
            if (a.name() == name) {
                return &a;
            }
        }
        return nullptr;
    }
    int64_t intAttr(const onnx::NodeProto& n, const std::string& name, int64_t dflt) const {
        const auto* a = attr(n, name);
        return a != nullptr ? a->i() : dflt;
    }
    std::vector<int64_t> intsAttr(const onnx::NodeProto& n, const std::string& name) const {
        const auto* a = attr(n, name);
        if (a == nullptr) {
            return {};
        }
        return {a->ints().begin(), a->ints().end()};
    }
    std::string strAttr(const onnx::NodeProto& n, const std::string& name) const {
        const auto* a = attr(n, name);
        return a != nullptr ? a->s() : std::string();
    }

    const Layer& layerOf(const Value& v) const { return net_.layer(v.layer); }
    Shape shapeOf(const Value& v) const { return layerOf(v).output.shape; }

    // ---- building ----------------------------------------------------------------------
    std::string uniqueName(const std::string& want) {
        std::string name = want;
        // Probing resumes where the last clash of `want` stopped, so n nodes sharing a name
        // cost O(n), not O(n^2).
        int64_t& k = nextSuffix_[want];
        while (net_.find(name)) {
            name = fmt::format("{}_{}", want, ++k);
        }
        return name;
    }

    LayerId addActivation(const std::string& valueName, Layer l,
                          const std::vector<LayerId>& inputs) {
        l.name = uniqueName(l.name.empty() ? valueName : l.name);
        if (l.origin.empty()) {
            l.origin = origin_;
        }
        const DType dt = l.outputDtype;
        LayerId id = net_.addLayer(std::move(l), inputs);
        try {
            inferLayerShape(net_, id, file_);
        } catch (const InputError& e) {
            fail(e.diagnostics().front().reason);
        }
        Value v;
        v.layer = id;
        v.dtype = dt;
        values_[valueName] = v;
        return id;
    }

    Layer newLayer(const onnx::NodeProto& n, OpKind op, DType outDtype) const {
        Layer l;
        l.name = n.name().empty() ? std::string() : n.name();
        l.origin = origin_;
        l.op = op;
        l.outputDtype = outDtype;
        return l;
    }

    void alias(const onnx::NodeProto& n, const Value& v) {
        if (n.output_size() < 1 || n.output(0).empty()) {
            fail("node has no output");
        }
        values_[n.output(0)] = v;
    }

    void setConstant(const onnx::NodeProto& n, std::vector<int64_t> dims, int elemType,
                     std::vector<double> vals) {
        Value v;
        v.isConstant = true;
        v.constant.dims = std::move(dims);
        v.constant.elemType = elemType;
        v.constant.values = std::move(vals);
        values_[n.output(0)] = v;
    }

    /// Window attributes of Conv/Pool over the value `x` (ONNX kernel dims in ONNX order,
    /// which is also our spatial order).
    Window window(const onnx::NodeProto& n, const Value& x, std::vector<int64_t> kernel,
                  int64_t defaultStride) const {
        const std::size_t dims = shapeOf(x).size() - 1;
        if (kernel.size() != dims) {
            fail(fmt::format("kernel has {} spatial dimensions, input {} has {}", kernel.size(),
                             toString(shapeOf(x)), dims));
        }
        Window w;
        w.kernel = kernel;
        w.stride = intsAttr(n, "strides");
        if (w.stride.empty()) {
            w.stride.assign(dims, defaultStride);
        }
        w.dilation = intsAttr(n, "dilations");
        if (w.dilation.empty()) {
            w.dilation.assign(dims, 1);
        }
        const std::string autoPad = strAttr(n, "auto_pad");
        std::vector<int64_t> pads = intsAttr(n, "pads");
        if (autoPad == "SAME_UPPER") {
            w.padding = Padding::Same;
        } else if (autoPad == "VALID") {
            w.padding = Padding::Valid;
        } else if (autoPad == "SAME_LOWER") {
            // Same total as SAME_UPPER with the odd element at the beginning.
            w.padding = Padding::Explicit;
            const Shape in = shapeOf(x);
            for (std::size_t d = 0; d < dims; ++d) {
                const int64_t out = (in[d] + w.stride[d] - 1) / w.stride[d];
                const int64_t span = (kernel[d] - 1) * w.dilation[d] + 1;
                const int64_t total = std::max<int64_t>((out - 1) * w.stride[d] + span - in[d], 0);
                w.padBegin.push_back(total - total / 2);
                w.padEnd.push_back(total / 2);
            }
        } else if (autoPad.empty() || autoPad == "NOTSET") {
            w.padding = Padding::Explicit;
            if (pads.empty()) {
                pads.assign(2 * dims, 0);
            }
            if (pads.size() != 2 * dims) {
                fail(fmt::format("pads has {} values, expected {}", pads.size(), 2 * dims));
            }
            w.padBegin.assign(pads.begin(), pads.begin() + static_cast<long>(dims));
            w.padEnd.assign(pads.begin() + static_cast<long>(dims), pads.end());
        } else {
            fail("unknown auto_pad '" + autoPad + "'");
        }
        if (!x.padBegin.empty()) { // absorb a preceding Pad node
            if (w.padding != Padding::Explicit) {
                fail("Pad before a convolution with auto_pad is not supported");
            }
            for (std::size_t d = 0; d < dims; ++d) {
                w.padBegin[d] += x.padBegin[d];
                w.padEnd[d] += x.padEnd[d];
            }
        }
        const bool allZero =
            w.padding == Padding::Explicit &&
            std::all_of(w.padBegin.begin(), w.padBegin.end(), [](int64_t p) { return p == 0; }) &&
            std::all_of(w.padEnd.begin(), w.padEnd.end(), [](int64_t p) { return p == 0; });
        if (allZero) {
            w.padding = Padding::Valid;
            w.padBegin.clear();
            w.padEnd.clear();
        }
        return w;
    }

    void conv(const onnx::NodeProto& n, bool qlinear) {
        const Value& x = activation(n, 0);
        const int wIdx = qlinear ? 3 : 1;
        const int bIdx = qlinear ? 8 : 2;
        const Constant& w = constant(n, wIdx, "weight");
        const Shape in = shapeOf(x);
        if (w.dims.size() != in.size() + 1) {
            fail(fmt::format("weight shape {} does not match input {}", toString(w.dims),
                             toString(in)));
        }
        const int64_t groups = intAttr(n, "group", 1);
        const int64_t cout = w.dims[0];
        const int64_t cin = in.back();
        // Compared by division: w.dims[1] * groups may overflow for an absurd group.
        if (groups < 1 || w.dims[1] < 1 || cin % groups != 0 || cin / groups != w.dims[1]) {
            fail(fmt::format("weight shape {} with group {} does not match {} input channels",
                             toString(w.dims), groups, cin));
        }
        std::vector<int64_t> kernel(w.dims.begin() + 2, w.dims.end());
        auto ks = intsAttr(n, "kernel_shape");
        if (!ks.empty() && ks != kernel) {
            fail("kernel_shape attribute disagrees with the weight shape");
        }
        OpKind op = OpKind::Conv2d;
        if (in.size() == 2) {
            op = OpKind::TemporalConv;
        } else if (in.size() != 3) {
            fail(fmt::format("Conv on a rank-{} input (only 1-D and 2-D are supported)",
                             in.size() + 1));
        } else if (groups == cin && groups > 1 && cout % cin == 0) {
            op = OpKind::DepthwiseConv2d;
        }
        DType outType = qlinear ? zeroPointType(n, 7, DType::Int8) : DType::Fp32;
        Layer l = newLayer(n, op, outType);
        l.window = window(n, x, kernel, 1);
        l.outChannels = cout;
        l.groups = groups;
        l.depthMultiplier = cout / cin;
        l.hasBias = hasInput(n, bIdx);
        l.weightDtype = weightDtype(w, "weight");
        if (l.hasBias) {
            const Constant& b = constant(n, bIdx, "bias");
            if (checkedProduct(b.dims) != cout) {
                fail(fmt::format("bias has {} values for {} output channels",
                                 checkedProduct(b.dims), cout));
            }
            l.biasDtype = weightDtype(b, "bias");
        } else {
            l.biasDtype = l.weightDtype == DType::Fp32 ? DType::Fp32 : DType::Int32;
        }
        addActivation(n.output(0), std::move(l), {x.layer});
    }

    /// dtype of the zero point at input `i` (QuantizeLinear/QLinear*), `dflt` if absent.
    DType zeroPointType(const onnx::NodeProto& n, int i, DType dflt) const {
        if (!hasInput(n, i)) {
            return dflt;
        }
        const Constant& zp = constant(n, i, "zero point");
        return weightDtype(zp, "zero point");
    }

    void dense(const onnx::NodeProto& n, const Value& a, const Constant& b, bool transB,
               DType outType, const Constant* bias) {
        const Shape in = shapeOf(a);
        if (in.size() != 1) {
            fail(fmt::format("matrix product on a {} input: only [batch, features] inputs are "
                             "supported (add a Flatten)",
                             toString(toOnnx(in))));
        }
        if (b.dims.size() != 2) {
            fail(fmt::format("weight must be a matrix, got shape {}", toString(b.dims)));
        }
        const int64_t k = transB ? b.dims[1] : b.dims[0];
        const int64_t units = transB ? b.dims[0] : b.dims[1];
        if (k != in[0]) {
            fail(fmt::format("weight shape {} does not match {} input features", toString(b.dims),
                             in[0]));
        }
        Layer l = newLayer(n, OpKind::Dense, outType);
        l.outChannels = units;
        l.weightDtype = weightDtype(b, "weight");
        l.hasBias = bias != nullptr;
        l.biasDtype = bias != nullptr ? weightDtype(*bias, "bias")
                                      : (l.weightDtype == DType::Fp32 ? DType::Fp32 : DType::Int32);
        if (bias != nullptr && checkedProduct(bias->dims) != units) {
            fail(fmt::format("bias has {} values for {} units", checkedProduct(bias->dims), units));
        }
        addActivation(n.output(0), std::move(l), {a.layer});
    }

    void pool(const onnx::NodeProto& n, OpKind op) {
        const Value& x = activation(n, 0);
        auto kernel = intsAttr(n, "kernel_shape");
        if (kernel.empty()) {
            fail("kernel_shape is required");
        }
        Layer l = newLayer(n, op, x.dtype);
        l.window = window(n, x, kernel, 1);
        if (intAttr(n, "ceil_mode", 0) != 0) {
            applyCeilMode(l.window, shapeOf(x));
        }
        addActivation(n.output(0), std::move(l), {x.layer});
    }

    /// ceil_mode=1: the output length rounds up, as long as the last window starts inside
    /// the input or its leading padding (ONNX and PyTorch). Expressed as extra end padding,
    /// which pooling ignores, so the window geometry stays floor-based everywhere else.
    static void applyCeilMode(Window& w, const Shape& in) {
        if (w.padding == Padding::Same) {
            return; // SAME already rounds up
        }
        const std::size_t dims = w.kernel.size();
        if (w.padding == Padding::Valid) {
            w.padBegin.assign(dims, 0);
            w.padEnd.assign(dims, 0);
        }
        w.padding = Padding::Explicit;
        for (std::size_t d = 0; d < dims; ++d) {
            const int64_t span = (w.kernel[d] - 1) * w.dilation[d] + 1;
            const int64_t total = in[d] + w.padBegin[d] + w.padEnd[d];
            if (total < span) {
                continue; // shape inference reports the window that does not fit
            }
            int64_t out = (total - span + w.stride[d] - 1) / w.stride[d] + 1;
            if ((out - 1) * w.stride[d] >= in[d] + w.padBegin[d]) {
                --out;
            }
            w.padEnd[d] += std::max<int64_t>(0, (out - 1) * w.stride[d] + span - total);
        }
    }

    void simple(const onnx::NodeProto& n, OpKind op, DType outType) {
        const Value& x = activation(n, 0);
        Layer l = newLayer(n, op, outType);
        addActivation(n.output(0), std::move(l), {x.layer});
    }

    /// Add/Sub/Mul/Div. On constants: folded (shape arithmetic). A constant added right after
    /// a conv/dense: its bias. A constant operand otherwise: a one-input layer (scale, shift).
    /// x * sigmoid(x) and x * hard_sigmoid(x): one swish / hard_swish layer. Two computed
    /// tensors: an element-wise layer whose second input may broadcast (squeeze-excite).
    void binary(const onnx::NodeProto& n) {
        const std::string& op = n.op_type();
        if (n.input_size() != 2) {
            fail(op + " needs two inputs");
        }
        const Value& a = value(n.input(0));
        const Value& b = value(n.input(1));
        if (a.isConstant && b.isConstant) {
            foldBinary(n, a.constant, b.constant);
            return;
        }
        const OpKind kind = op == "Add" ? OpKind::Add : op == "Sub" ? OpKind::Sub : OpKind::Mul;
        if (a.isConstant || b.isConstant) {
            const int xi = a.isConstant ? 1 : 0;
            const Value& x = activation(n, xi);
            const Constant& c = a.isConstant ? a.constant : b.constant;
            if (op == "Add" && foldBias(n, x, c)) {
                return;
            }
            if (op == "Div" && a.isConstant) {
                fail("dividing a constant by a computed tensor is not supported");
            }
            const Shape cs = constantShapeFor(c, x);
            if (!broadcastsTo(cs, shapeOf(x))) {
                fail(fmt::format("constant operand of shape {} does not broadcast to {}",
                                 toString(c.dims), toString(toOnnx(shapeOf(x)))));
            }
            addActivation(n.output(0), newLayer(n, kind, x.dtype), {x.layer});
            return;
        }
        if (op == "Div") {
            fail("dividing two computed tensors is not supported");
        }
        if (op == "Mul" && fuseGate(n)) {
            return;
        }
        const Value& x = activation(n, 0);
        const Value& y = activation(n, 1);
        const bool swap = shapeOf(y).size() >= shapeOf(x).size() &&
                          numElements(shapeOf(y)) > numElements(shapeOf(x));
        const Value& big = swap ? y : x;
        const Value& small = swap ? x : y;
        if (!broadcastsTo(shapeOf(small), shapeOf(big))) {
            fail(fmt::format("operands {} and {} do not broadcast (only the smaller may be "
                             "broadcast)",
                             toString(toOnnx(shapeOf(x))), toString(toOnnx(shapeOf(y)))));
        }
        addActivation(n.output(0), newLayer(n, kind, big.dtype), {big.layer, small.layer});
    }

    /// Folds a constant added after a conv/dense read by nothing else into its bias.
    bool foldBias(const onnx::NodeProto& n, const Value& x, const Constant& c) {
        Layer& p = net_.layer(x.layer);
        const int xi = value(n.input(0)).isConstant ? 1 : 0;
        if (!isCompute(p.op) || p.hasBias || consumers_[n.input(xi)] != 1 ||
            checkedProduct(c.dims) != p.output.shape.back()) {
            return false;
        }
        p.hasBias = true;
        p.biasDtype = weightDtype(c, "bias");
        inferLayerShape(net_, x.layer, file_);
        alias(n, x);
        return true;
    }

    /// x * sigmoid(x) -> swish, x * hard_sigmoid(x) -> hard_swish, when the gate reads x
    /// and feeds only this product.
    bool fuseGate(const onnx::NodeProto& n) {
        for (int g = 0; g < 2; ++g) {
            const Value& gate = value(n.input(g));
            const Value& x = value(n.input(1 - g));
            Layer& gl = net_.layer(gate.layer);
            const bool gateOp = gl.op == OpKind::Sigmoid || gl.op == OpKind::HardSigmoid;
            if (!gateOp || consumers_[n.input(g)] != 1 ||
                net_.inputsOf(gate.layer) != std::vector<LayerId>{x.layer}) {
                continue;
            }
            gl.op = gl.op == OpKind::Sigmoid ? OpKind::Swish : OpKind::HardSwish;
            inferLayerShape(net_, gate.layer, file_);
            alias(n, gate);
            return true;
        }
        return false;
    }

    /// Channels-last shape of a constant operand broadcast against activation `x` (ONNX
    /// aligns the constant's dimensions on the last ones).
    Shape constantShapeFor(const Constant& c, const Value& x) const {
        const auto rank = toOnnx(shapeOf(x)).size();
        if (c.dims.size() > rank) {
            fail(fmt::format("constant operand of shape {} has a higher rank than {}",
                             toString(c.dims), toString(toOnnx(shapeOf(x)))));
        }
        std::vector<int64_t> full(rank - c.dims.size(), 1);
        full.insert(full.end(), c.dims.begin(), c.dims.end());
        if (full[0] != 1) {
            fail("constant operand varies along the batch dimension");
        }
        return fromOnnx(full, "constant operand");
    }

    void foldBinary(const onnx::NodeProto& n, const Constant& a, const Constant& b) {
        const auto va = valuesOf(a, "operand");
        const auto vb = valuesOf(b, "operand");
        if (va.size() != vb.size() && va.size() != 1 && vb.size() != 1) {
            fail(fmt::format("arithmetic on constants of shapes {} and {} is not supported",
                             toString(a.dims), toString(b.dims)));
        }
        const bool integer =
            a.elemType == onnx::TensorProto::INT64 || a.elemType == onnx::TensorProto::INT32;
        const std::string& op = n.op_type();
        const std::size_t count = std::max(va.size(), vb.size());
        std::vector<double> out;
        for (std::size_t i = 0; i < count; ++i) {
            const double x = va[va.size() == 1 ? 0 : i];
            const double y = vb[vb.size() == 1 ? 0 : i];
            if (op == "Div" && y == 0.0) {
                fail("division by zero in constant arithmetic");
            }
            const double r = op == "Add"   ? x + y
                             : op == "Sub" ? x - y
                             : op == "Mul" ? x * y
                                           : x / y;
            out.push_back(integer ? std::trunc(r) : r);
        }
        setConstant(n, va.size() >= vb.size() ? a.dims : b.dims, a.elemType, out);
    }

    void concat(const onnx::NodeProto& n) {
        bool allConst = true;
        for (const auto& in : n.input()) {
            allConst = allConst && value(in).isConstant;
        }
        const int64_t axis = intAttr(n, "axis", std::numeric_limits<int64_t>::min());
        if (axis == std::numeric_limits<int64_t>::min()) {
            fail("axis attribute is required");
        }
        if (allConst) { // shape arithmetic: 1-D int64 concatenation
            std::vector<double> vals;
            for (int i = 0; i < n.input_size(); ++i) {
                const Constant& c = constant(n, i, "operand");
                if (c.dims.size() > 1) {
                    fail("only 1-D constants can be concatenated");
                }
                auto v = valuesOf(c, "operand");
                vals.insert(vals.end(), v.begin(), v.end());
            }
            setConstant(n, {static_cast<int64_t>(vals.size())}, onnx::TensorProto::INT64, vals);
            return;
        }
        std::vector<LayerId> ins;
        DType dt = DType::Fp32;
        std::size_t rank = 0;
        for (int i = 0; i < n.input_size(); ++i) {
            const Value& x = activation(n, i);
            ins.push_back(x.layer);
            dt = x.dtype;
            rank = toOnnx(shapeOf(x)).size();
        }
        const int64_t a = axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
        Layer l = newLayer(n, OpKind::Concat, dt);
        if (a == 1) {
            l.axis = -1;
        } else if (a >= 2 && a < static_cast<int64_t>(rank)) {
            l.axis = static_cast<int>(a - 2);
        } else {
            fail(fmt::format("concatenation along axis {} (batch) is not supported", axis));
        }
        addActivation(n.output(0), std::move(l), ins);
    }

    void clip(const onnx::NodeProto& n) {
        const Value& x = activation(n, 0);
        std::optional<double> lo;
        std::optional<double> hi;
        if (opset_ < 11) {
            if (const auto* a = attr(n, "min"))
                lo = a->f();
            if (const auto* a = attr(n, "max"))
                hi = a->f();
        } else {
            if (hasInput(n, 1))
                lo = valuesOf(constant(n, 1, "min"), "min").at(0);
            if (hasInput(n, 2))
                hi = valuesOf(constant(n, 2, "max"), "max").at(0);
        }
        Layer l = newLayer(n, OpKind::Activation, x.dtype);
        if (lo && *lo == 0.0 && hi && *hi == 6.0) {
            l.activation.kind = ActivationKind::Relu6;
        } else if (lo && *lo == 0.0 && !hi) {
            l.activation.kind = ActivationKind::Relu;
        } else {
            l.activation.kind = ActivationKind::Clip;
            l.activation.clipMin = static_cast<float>(lo.value_or(-INFINITY));
            l.activation.clipMax = static_cast<float>(hi.value_or(INFINITY));
        }
        addActivation(n.output(0), std::move(l), {x.layer});
    }

    void reshape(const onnx::NodeProto& n) {
        const Value& x = activation(n, 0);
        auto target = intsOf(constant(n, 1, "shape"), "shape");
        const auto in = toOnnx(shapeOf(x));
        // ONNX semantics: 0 copies the input dimension (unless allowzero), -1 is inferred.
        int64_t known = 1;
        int unknown = -1;
        for (std::size_t d = 0; d < target.size(); ++d) {
            if (target[d] == 0 && intAttr(n, "allowzero", 0) == 0) {
                if (d >= in.size()) {
                    fail("shape copies a dimension the input does not have");
                }
                target[d] = in[d];
            }
            if (target[d] == -1) {
                if (unknown >= 0) {
                    fail("shape has more than one -1");
                }
                unknown = static_cast<int>(d);
            } else if (target[d] < 1) {
                fail(fmt::format("shape {} has an invalid dimension", toString(target)));
            } else if (known > std::numeric_limits<int64_t>::max() / target[d]) {
                fail(fmt::format("shape {} has more elements than a 64-bit count holds",
                                 toString(target)));
            } else {
                known *= target[d];
            }
        }
        const int64_t total = checkedProduct(in);
        if (unknown >= 0) {
            if (total % known != 0) {
                fail(fmt::format("cannot reshape {} to {}", toString(in), toString(target)));
            }
            target[static_cast<std::size_t>(unknown)] = total / known;
        }
        reshapeTo(n, x, target);
    }

    /// A view of `x` with ONNX dims `target` (batch first): flatten to [batch, features],
    /// else a reshape.
    void reshapeTo(const onnx::NodeProto& n, const Value& x, const std::vector<int64_t>& target) {
        Layer l = newLayer(n, OpKind::Reshape, x.dtype);
        l.targetShape = target.size() == 1 ? Shape{target[0]} : fromOnnx(target, "reshape target");
        if (target.size() == 2) {
            l.op = OpKind::Flatten;
        }
        addActivation(n.output(0), std::move(l), {x.layer});
    }

    /// Global average or max pooling written as ReduceMean / ReduceMax over every spatial axis.
    void reduce(const onnx::NodeProto& n, bool mean) {
        const Value& x = activation(n, 0);
        const auto in = toOnnx(shapeOf(x));
        const auto rank = static_cast<int64_t>(in.size());
        std::vector<int64_t> axes =
            hasInput(n, 1) ? intsOf(constant(n, 1, "axes"), "axes") : intsAttr(n, "axes");
        if (axes.empty()) {
            fail(fmt::format("{} over every axis (including batch and channels) is not "
                             "supported",
                             n.op_type()));
        }
        for (auto& a : axes) {
            a = a < 0 ? a + rank : a;
        }
        std::sort(axes.begin(), axes.end());
        std::vector<int64_t> spatialAxes;
        for (int64_t a = 2; a < rank; ++a) {
            spatialAxes.push_back(a);
        }
        if (axes != spatialAxes || spatialAxes.empty()) {
            fail(fmt::format("{} over axes {} of a {} tensor: only a reduction over all spatial "
                             "axes (global pooling) is supported",
                             n.op_type(), toString(axes), toString(in)));
        }
        Layer l = newLayer(n, mean ? OpKind::GlobalAvgPool : OpKind::MaxPool, x.dtype);
        if (!mean) {
            l.window = globalWindow(shapeOf(x));
        }
        if (intAttr(n, "keepdims", 1) != 0) {
            addActivation(n.output(0), std::move(l), {x.layer});
            return;
        }
        const LayerId pooled = addActivation(n.output(0) + "/keepdims", std::move(l), {x.layer});
        Layer f = newLayer(n, OpKind::Flatten, x.dtype);
        f.name = net_.layer(pooled).name + "/squeeze";
        addActivation(n.output(0), std::move(f), {pooled});
    }

    static Window globalWindow(const Shape& in) {
        Window w;
        w.kernel.assign(in.begin(), in.end() - 1);
        w.padding = Padding::Valid;
        return w;
    }

    /// Cast of a computed tensor: free between types of one size (int8 <-> uint8 after a
    /// QuantizeLinear, float -> float); else a quantize (to 8 bits) or dequantize (to float).
    void castActivation(const onnx::NodeProto& n, const Value& x) {
        const int to = static_cast<int>(intAttr(n, "to", 0));
        const auto dt = dtypeOf(to);
        if (!dt) {
            fail("Cast of a computed tensor to " + elemTypeName(to) + " is not supported");
        }
        if (bitsPerElement(*dt) == bitsPerElement(x.dtype)) {
            Value v = x;
            v.dtype = *dt;
            alias(n, v);
            return;
        }
        if (*dt != DType::Int8 && *dt != DType::Fp32) {
            fail(fmt::format("Cast from {} to {} is not supported", toString(x.dtype),
                             toString(*dt)));
        }
        simple(n, *dt == DType::Int8 ? OpKind::Quantize : OpKind::Dequantize, *dt);
    }

    void transpose(const onnx::NodeProto& n) {
        const Value& x = activation(n, 0);
        const auto in = toOnnx(shapeOf(x));
        auto perm = intsAttr(n, "perm");
        if (perm.empty()) {
            for (std::size_t a = in.size(); a-- > 0;) {
                perm.push_back(static_cast<int64_t>(a));
            }
        }
        std::vector<int64_t> sorted = perm;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t a = 0; a < sorted.size(); ++a) {
            if (sorted.size() != in.size() || sorted[a] != static_cast<int64_t>(a)) {
                fail(fmt::format("perm {} is not a permutation of the {} axes of {}",
                                 toString(perm), in.size(), toString(in)));
            }
        }
        if (perm[0] != 0) {
            fail("Transpose that moves the batch dimension is not supported");
        }
        std::vector<int64_t> out;
        bool identity = true;
        bool nhwcToNchw = in.size() >= 3 && perm[1] == static_cast<int64_t>(in.size()) - 1;
        for (std::size_t a = 0; a < perm.size(); ++a) {
            out.push_back(in[static_cast<std::size_t>(perm[a])]);
            identity = identity && perm[a] == static_cast<int64_t>(a);
            if (a >= 2) {
                nhwcToNchw = nhwcToNchw && perm[a] == static_cast<int64_t>(a) - 1;
            }
        }
        if (identity) {
            alias(n, x);
            return;
        }
        // A graph input in NHWC transposed to NCHW (what tf2onnx emits): edgesim keeps every
        // tensor channels-last, so the input is taken as NHWC and the transpose is free.
        if (nhwcToNchw && layerOf(x).op == OpKind::Input && consumers_[n.input(0)] == 1 &&
            graphOutputs_.count(n.input(0)) == 0) {
            net_.layer(x.layer).targetShape.assign(in.begin() + 1, in.end());
            inferLayerShape(net_, x.layer, file_);
            alias(n, x);
            return;
        }
        Layer l = newLayer(n, OpKind::Transpose, x.dtype);
        l.targetShape = fromOnnx(out, "transpose output");
        addActivation(n.output(0), std::move(l), {x.layer});
    }

    /// A strided window of a computed tensor (Slice); the batch dimension stays whole.
    void sliceActivation(const onnx::NodeProto& n) {
        const Value& x = activation(n, 0);
        const auto in = toOnnx(shapeOf(x));
        const SliceGeometry g = sliceGeometry(n, in);
        if (g.outDims == in) {
            alias(n, x);
            return;
        }
        if (g.outDims[0] != in[0]) {
            fail("slicing the batch dimension is not supported");
        }
        sliceLayer(n, n.output(0), x, g.outDims, "");
    }

    void sliceLayer(const onnx::NodeProto& n, const std::string& output, const Value& x,
                    const std::vector<int64_t>& outDims, const std::string& suffix) {
        for (int64_t d : outDims) {
            if (d < 1) {
                fail(fmt::format("the slice {} is empty", toString(outDims)));
            }
        }
        Layer l = newLayer(n, OpKind::Slice, x.dtype);
        if (!suffix.empty()) {
            l.name = (l.name.empty() ? output : l.name) + suffix;
        }
        l.targetShape = fromOnnx(outDims, "slice output");
        addActivation(output, std::move(l), {x.layer});
    }

    void split(const onnx::NodeProto& n) {
        const Value& x = activation(n, 0);
        const auto in = toOnnx(shapeOf(x));
        const auto rank = static_cast<int64_t>(in.size());
        int64_t axis = intAttr(n, "axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        if (axis <= 0 || axis >= rank) {
            fail(fmt::format("Split along axis {} of {} is not supported", intAttr(n, "axis", 0),
                             toString(in)));
        }
        const auto ax = static_cast<std::size_t>(axis);
        std::vector<int64_t> sizes =
            hasInput(n, 1) ? intsOf(constant(n, 1, "split"), "split") : intsAttr(n, "split");
        const auto parts = static_cast<int64_t>(intAttr(n, "num_outputs", n.output_size()));
        if (sizes.empty()) { // equal chunks, the last one smaller (ONNX and torch.chunk)
            const int64_t chunk = (in[ax] + parts - 1) / parts;
            for (int64_t i = 0, left = in[ax]; i < parts; ++i, left -= chunk) {
                sizes.push_back(std::min(chunk, left));
            }
        }
        int64_t sum = 0;
        for (int64_t v : sizes) {
            sum += v;
        }
        if (static_cast<int>(sizes.size()) != n.output_size() || sum != in[ax]) {
            fail(fmt::format("split sizes {} do not cut dimension {} of {} into {} outputs",
                             toString(sizes), axis, toString(in), n.output_size()));
        }
        for (int i = 0; i < n.output_size(); ++i) {
            if (n.output(i).empty()) {
                continue;
            }
            std::vector<int64_t> out = in;
            out[ax] = sizes[static_cast<std::size_t>(i)];
            sliceLayer(n, n.output(i), x, out, fmt::format("/{}", i));
        }
    }

    /// Resize (opset 10+) and Upsample in nearest mode; the batch and channels stay.
    void resize(const onnx::NodeProto& n) {
        const Value& x = activation(n, 0);
        const std::string mode = strAttr(n, "mode");
        if (!mode.empty() && mode != "nearest") {
            fail("resize mode '" + mode + "' is not supported (only nearest)");
        }
        const auto in = toOnnx(shapeOf(x));
        std::vector<double> scales;
        std::vector<int64_t> sizes;
        if (n.op_type() == "Upsample" && opset_ < 9) {
            const auto* a = attr(n, "scales");
            if (a != nullptr) {
                scales.assign(a->floats().begin(), a->floats().end());
            }
        } else if (n.op_type() == "Upsample" || opset_ < 11) {
            scales = valuesOf(constant(n, 1, "scales"), "scales");
        } else {
            if (hasInput(n, 2)) {
                scales = valuesOf(constant(n, 2, "scales"), "scales");
            }
            if (hasInput(n, 3)) {
                sizes = intsOf(constant(n, 3, "sizes"), "sizes");
            }
        }
        std::vector<int64_t> out;
        if (!sizes.empty()) {
            out = sizes;
        } else {
            for (std::size_t d = 0; d < scales.size() && d < in.size(); ++d) {
                out.push_back(
                    static_cast<int64_t>(std::floor(static_cast<double>(in[d]) * scales[d])));
            }
        }
        if (out.size() != in.size()) {
            fail(fmt::format("resize needs {} scales or sizes for {}, got {}", in.size(),
                             toString(in), sizes.empty() ? scales.size() : sizes.size()));
        }
        if (out[0] != in[0] || out[1] != in[1]) {
            fail("resizing the batch or channel dimension is not supported");
        }
        Layer l = newLayer(n, OpKind::Resize, x.dtype);
        l.targetShape = fromOnnx(out, "resize output");
        addActivation(n.output(0), std::move(l), {x.layer});
    }

    void flatten(const onnx::NodeProto& n) {
        const Value& x = activation(n, 0);
        const int64_t axis = intAttr(n, "axis", 1);
        if (axis != 1 && axis != 0) {
            fail(fmt::format("Flatten with axis {} is not supported (only 1)", axis));
        }
        simple(n, OpKind::Flatten, x.dtype);
    }

    void pad(const onnx::NodeProto& n) {
        const Value& x = activation(n, 0);
        const std::string mode = strAttr(n, "mode");
        std::vector<int64_t> pads =
            opset_ < 11 ? intsAttr(n, "pads") : intsOf(constant(n, 1, "pads"), "pads");
        const auto rank = toOnnx(shapeOf(x)).size();
        if (pads.size() != 2 * rank) {
            fail(fmt::format("pads has {} values for a rank-{} tensor", pads.size(), rank));
        }
        if (pads[0] != 0 || pads[rank] != 0) {
            fail("padding the batch dimension is not supported");
        }
        // Absorbed into the one convolution or pooling that reads it (zero padding of the
        // window), as deployment tool chains fuse it; else a pad layer of its own.
        const auto& readers = readers_[n.output(0)];
        const bool windowed =
            readers.size() == 1 && graphOutputs_.count(n.output(0)) == 0 &&
            (mode.empty() || mode == "constant") && pads[1] == 0 && pads[rank + 1] == 0 &&
            std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p >= 0; }) &&
            (readers[0]->op_type() == "Conv" || readers[0]->op_type() == "QLinearConv" ||
             readers[0]->op_type() == "AveragePool" || readers[0]->op_type() == "MaxPool");
        if (!windowed) {
            const auto in = toOnnx(shapeOf(x));
            std::vector<int64_t> out;
            for (std::size_t d = 0; d < rank; ++d) {
                out.push_back(in[d] + pads[d] + pads[d + rank]);
                if (out.back() < 1) {
                    fail(fmt::format("pads {} leave nothing of {}", toString(pads), toString(in)));
                }
            }
            Layer l = newLayer(n, OpKind::Pad, x.dtype);
            l.targetShape = fromOnnx(out, "pad output");
            addActivation(n.output(0), std::move(l), {x.layer});
            return;
        }
        Value v = x;
        v.padBegin.assign(pads.begin() + 2, pads.begin() + static_cast<long>(rank));
        v.padEnd.assign(pads.begin() + static_cast<long>(rank) + 2, pads.end());
        alias(n, v);
    }

    void quantizeLinear(const onnx::NodeProto& n) {
        const Value& in = value(n.input(0));
        const DType target = zeroPointType(n, 2, DType::Int8);
        if (in.isConstant) { // a quantized constant: keep it as a constant of the target type
            Value v = in;
            v.constant.elemType =
                target == DType::Int8 ? onnx::TensorProto::INT8 : onnx::TensorProto::INT16;
            alias(n, v);
            return;
        }
        Layer& p = net_.layer(in.layer);
        // QDQ form: the float op before this Q really runs in int8 (absorb the Q).
        if (p.op != OpKind::Input && consumers_[n.input(0)] == 1 &&
            graphOutputs_.count(n.input(0)) == 0) {
            p.outputDtype = target;
            inferLayerShape(net_, in.layer, file_);
            Value v = in;
            v.dtype = target;
            alias(n, v);
            return;
        }
        simple(n, OpKind::Quantize, target);
    }

    void dequantizeLinear(const onnx::NodeProto& n) {
        const Value& in = value(n.input(0));
        if (in.isConstant) { // weights stored quantized: keep their stored type
            alias(n, in);
            return;
        }
        if (graphOutputs_.count(n.output(0)) != 0) {
            simple(n, OpKind::Dequantize, DType::Fp32);
            return;
        }
        alias(n, in); // the int8 tensor feeds the int8 op that follows
    }

    // ---- constant folding of shape arithmetic --------------------------------------------
    void shapeOp(const onnx::NodeProto& n) {
        const Value& x = value(n.input(0));
        std::vector<int64_t> dims = x.isConstant ? x.constant.dims : toOnnx(shapeOf(x));
        std::vector<double> vals(dims.begin(), dims.end());
        setConstant(n, {static_cast<int64_t>(vals.size())}, onnx::TensorProto::INT64, vals);
    }

    void gather(const onnx::NodeProto& n) {
        const Constant& data = constant(n, 0, "data");
        const Constant& idx = constant(n, 1, "indices");
        if (data.dims.size() != 1 || intAttr(n, "axis", 0) != 0) {
            fail("Gather is supported only on 1-D constants (shape arithmetic)");
        }
        auto d = valuesOf(data, "data");
        std::vector<double> out;
        for (double i : valuesOf(idx, "indices")) {
            auto k = static_cast<int64_t>(i);
            if (k < 0) {
                k += static_cast<int64_t>(d.size());
            }
            if (k < 0 || k >= static_cast<int64_t>(d.size())) {
                fail("Gather index out of range");
            }
            out.push_back(d[static_cast<std::size_t>(k)]);
        }
        setConstant(n, idx.dims, data.elemType, out);
    }

    void unsqueezeOrSqueeze(const onnx::NodeProto& n, bool unsqueeze) {
        const Value& data = value(n.input(0));
        std::vector<int64_t> axes = opset_ >= 13 && hasInput(n, 1)
                                        ? intsOf(constant(n, 1, "axes"), "axes")
                                        : intsAttr(n, "axes");
        std::vector<int64_t> dims =
            data.isConstant ? data.constant.dims : toOnnx(shapeOf(activation(n, 0)));
        if (!data.isConstant) { // a view: the batch dimension stays first
            const auto rank = static_cast<int64_t>(dims.size() + (unsqueeze ? axes.size() : 0));
            const bool batchAxis = std::any_of(axes.begin(), axes.end(),
                                               [&](int64_t a) { return a == 0 || a == -rank; });
            if (batchAxis) {
                fail(fmt::format("{} of the batch dimension is not supported", n.op_type()));
            }
            if (!unsqueeze && axes.empty()) {
                for (std::size_t d = 1; d < dims.size(); ++d) {
                    if (dims[d] == 1) {
                        axes.push_back(static_cast<int64_t>(d));
                    }
                }
            }
        }
        dims = unsqueeze ? unsqueezedDims(dims, axes) : squeezedDims(dims, axes);
        if (!data.isConstant) {
            reshapeTo(n, data, dims);
            return;
        }
        setConstant(n, dims, data.constant.elemType, valuesOf(data.constant, "data"));
    }

    static std::vector<int64_t> unsqueezedDims(std::vector<int64_t> dims,
                                               std::vector<int64_t> axes) {
        const auto rank = static_cast<int64_t>(dims.size() + axes.size());
        std::sort(axes.begin(), axes.end(),
                  [&](int64_t p, int64_t q) { return (p + rank) % rank < (q + rank) % rank; });
        for (int64_t a : axes) {
            const int64_t k = a < 0 ? a + rank : a;
            if (k < 0 || k > static_cast<int64_t>(dims.size())) {
                fail("Unsqueeze axis out of range");
            }
            dims.insert(dims.begin() + k, 1);
        }
        return dims;
    }

    static std::vector<int64_t> squeezedDims(const std::vector<int64_t>& dims,
                                             const std::vector<int64_t>& axes) {
        std::vector<int64_t> kept;
        for (std::size_t d = 0; d < dims.size(); ++d) {
            const bool listed =
                axes.empty() ? dims[d] == 1 : std::any_of(axes.begin(), axes.end(), [&](int64_t a) {
                    return (a < 0 ? a + static_cast<int64_t>(dims.size()) : a) ==
                           static_cast<int64_t>(d);
                });
            if (!listed) {
                kept.push_back(dims[d]);
            }
        }
        return kept;
    }

    /// Strides (in elements) of a row-major tensor with `dims`.
    static std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& dims) {
        std::vector<int64_t> stride(dims.size(), 1);
        for (std::size_t a = dims.size(); a-- > 1;) {
            stride[a - 1] = stride[a] * dims[a];
        }
        return stride;
    }

    /// Strided view of constant `c`: element idx of the result is input element
    /// base + sum(idx[a] * stride[a]). Expresses Slice and Transpose.
    std::vector<double> gatherStrided(const Constant& c, const std::vector<int64_t>& outDims,
                                      int64_t base, const std::vector<int64_t>& stride) {
        const auto in = valuesOf(c, "operand");
        const int64_t total = checkedProduct(outDims);
        std::vector<double> out;
        out.reserve(static_cast<std::size_t>(total));
        std::vector<int64_t> idx(outDims.size(), 0);
        for (int64_t k = 0; k < total; ++k) {
            int64_t off = base;
            for (std::size_t a = 0; a < idx.size(); ++a) {
                off += idx[a] * stride[a];
            }
            out.push_back(in.at(static_cast<std::size_t>(off)));
            for (std::size_t a = idx.size(); a-- > 0;) { // odometer increment
                if (++idx[a] < outDims[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
        return out;
    }

    void transposeConst(const onnx::NodeProto& n) {
        const Constant& c = constant(n, 0, "data");
        auto perm = intsAttr(n, "perm");
        if (perm.empty()) {
            for (std::size_t a = c.dims.size(); a-- > 0;) {
                perm.push_back(static_cast<int64_t>(a));
            }
        }
        if (perm.size() != c.dims.size()) {
            fail("perm does not match the rank");
        }
        const auto inStride = rowMajorStrides(c.dims);
        std::vector<int64_t> outDims;
        std::vector<int64_t> stride;
        for (int64_t p : perm) {
            if (p < 0 || p >= static_cast<int64_t>(c.dims.size())) {
                fail("perm out of range");
            }
            outDims.push_back(c.dims[static_cast<std::size_t>(p)]);
            stride.push_back(inStride[static_cast<std::size_t>(p)]);
        }
        setConstant(n, outDims, c.elemType, gatherStrided(c, outDims, 0, stride));
    }

    struct SliceGeometry {
        std::vector<int64_t> outDims;
        int64_t base = 0;            ///< row-major offset of the first element
        std::vector<int64_t> stride; ///< row-major input stride per output step
    };

    /// What Slice node `n` selects from a tensor of `dims` (ONNX semantics: negative
    /// indices count from the end, starts and ends clamp, steps may be negative).
    SliceGeometry sliceGeometry(const onnx::NodeProto& n, const std::vector<int64_t>& dims) {
        const auto rank = dims.size();
        const bool attrs = opset_ < 10;
        auto starts = attrs ? intsAttr(n, "starts") : intsOf(constant(n, 1, "starts"), "starts");
        auto ends = attrs ? intsAttr(n, "ends") : intsOf(constant(n, 2, "ends"), "ends");
        std::vector<int64_t> axes;
        if (attrs) {
            axes = intsAttr(n, "axes");
        } else if (hasInput(n, 3)) {
            axes = intsOf(constant(n, 3, "axes"), "axes");
        }
        if (axes.empty()) {
            for (std::size_t a = 0; a < starts.size(); ++a) {
                axes.push_back(static_cast<int64_t>(a));
            }
        }
        std::vector<int64_t> steps = !attrs && hasInput(n, 4)
                                         ? intsOf(constant(n, 4, "steps"), "steps")
                                         : std::vector<int64_t>(starts.size(), 1);
        if (ends.size() != starts.size() || axes.size() != starts.size() ||
            steps.size() != starts.size()) {
            fail("starts, ends, axes and steps differ in length");
        }
        SliceGeometry g;
        g.stride = rowMajorStrides(dims);
        g.outDims = dims;
        for (std::size_t i = 0; i < starts.size(); ++i) {
            int64_t a = axes[i] < 0 ? axes[i] + static_cast<int64_t>(rank) : axes[i];
            if (a < 0 || a >= static_cast<int64_t>(rank) || steps[i] == 0) {
                fail("bad Slice axis or step");
            }
            const auto ax = static_cast<std::size_t>(a);
            const int64_t dim = dims[ax];
            auto clampIdx = [&](int64_t v, bool isEnd) {
                if (v < 0) {
                    v += dim;
                }
                if (steps[i] > 0) {
                    return std::clamp<int64_t>(v, 0, dim);
                }
                return std::clamp<int64_t>(v, isEnd ? -1 : 0, dim - 1);
            };
            const int64_t b = clampIdx(starts[i], false);
            const int64_t e = clampIdx(ends[i], true);
            const int64_t count = steps[i] > 0 ? (e - b + steps[i] - 1) / steps[i]
                                               : (b - e - steps[i] - 1) / -steps[i];
            g.base += b * g.stride[ax];
            g.stride[ax] *= steps[i];
            g.outDims[ax] = std::max<int64_t>(count, 0);
        }
        return g;
    }

    void sliceConst(const onnx::NodeProto& n) {
        const Constant& c = constant(n, 0, "data");
        const SliceGeometry g = sliceGeometry(n, c.dims);
        setConstant(n, g.outDims, c.elemType, gatherStrided(c, g.outDims, g.base, g.stride));
    }

    void reshapeConst(const onnx::NodeProto& n) {
        const Constant& c = constant(n, 0, "data");
        auto target = intsOf(constant(n, 1, "shape"), "shape");
        const int64_t total = checkedProduct(c.dims);
        int64_t known = 1;
        int unknown = -1;
        for (std::size_t d = 0; d < target.size(); ++d) {
            if (target[d] == 0) {
                target[d] = d < c.dims.size() ? c.dims[d] : 0;
            }
            if (target[d] == -1) {
                unknown = static_cast<int>(d);
            } else {
                known *= target[d];
            }
        }
        if (unknown >= 0 && known > 0) {
            target[static_cast<std::size_t>(unknown)] = total / known;
        }
        if (checkedProduct(target) != total) {
            fail("cannot reshape the constant");
        }
        setConstant(n, target, c.elemType, valuesOf(c, "data"));
    }

    void constantOfShape(const onnx::NodeProto& n) {
        auto dims = intsOf(constant(n, 0, "shape"), "shape");
        double fill = 0.0;
        int type = onnx::TensorProto::FLOAT;
        if (const auto* a = attr(n, "value")) {
            auto v = decode(a->t(), "value");
            if (v.size() != 1) {
                fail("value must hold one element");
            }
            fill = v[0];
            type = a->t().data_type();
        }
        const int64_t count = checkedProduct(dims);
        if (count > kMaxDecodedElements) {
            fail("constant too large");
        }
        setConstant(n, dims, type, std::vector<double>(static_cast<std::size_t>(count), fill));
    }

    void constantNode(const onnx::NodeProto& n) {
        for (const auto& a : n.attribute()) {
            if (a.name() == "value") {
                Value v;
                v.isConstant = true;
                v.constant.dims.assign(a.t().dims().begin(), a.t().dims().end());
                v.constant.elemType = a.t().data_type();
                v.constant.proto = &a.t();
                values_[n.output(0)] = v;
                return;
            }
            if (a.name() == "value_float" || a.name() == "value_int") {
                setConstant(n, {},
                            a.name() == "value_int" ? onnx::TensorProto::INT64
                                                    : onnx::TensorProto::FLOAT,
                            {a.name() == "value_int" ? static_cast<double>(a.i()) : a.f()});
                return;
            }
            if (a.name() == "value_ints" || a.name() == "value_floats") {
                std::vector<double> vals;
                if (a.name() == "value_ints") {
                    vals.assign(a.ints().begin(), a.ints().end());
                } else {
                    vals.assign(a.floats().begin(), a.floats().end());
                }
                setConstant(n, {static_cast<int64_t>(vals.size())},
                            a.name() == "value_ints" ? onnx::TensorProto::INT64
                                                     : onnx::TensorProto::FLOAT,
                            vals);
                return;
            }
        }
        fail("Constant without a supported value attribute");
    }

    // ---- dispatch -----------------------------------------------------------------------
    void importNode(const onnx::NodeProto& n) {
        if (n.output_size() < 1 || n.output(0).empty()) {
            fail("node has no output");
        }
        const std::string& op = n.op_type();
        if (op == "Conv") {
            conv(n, false);
        } else if (op == "QLinearConv") {
            conv(n, true);
        } else if (op == "Gemm") {
            if (intAttr(n, "transA", 0) != 0) {
                fail("Gemm with transA=1 is not supported");
            }
            const Value& a = activation(n, 0);
            const Constant* bias = hasInput(n, 2) ? &constant(n, 2, "bias") : nullptr;
            dense(n, a, constant(n, 1, "weight"), intAttr(n, "transB", 0) != 0, DType::Fp32, bias);
        } else if (op == "MatMul") {
            dense(n, activation(n, 0), constant(n, 1, "weight"), false, DType::Fp32, nullptr);
        } else if (op == "QLinearMatMul") {
            dense(n, activation(n, 0), constant(n, 3, "weight"), false,
                  zeroPointType(n, 7, DType::Int8), nullptr);
        } else if (op == "Relu") {
            const Value& x = activation(n, 0);
            Layer l = newLayer(n, OpKind::Activation, x.dtype);
            l.activation.kind = ActivationKind::Relu;
            addActivation(n.output(0), std::move(l), {x.layer});
        } else if (op == "Clip") {
            clip(n);
        } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
            binary(n);
        } else if (op == "Sigmoid") {
            simple(n, OpKind::Sigmoid, activation(n, 0).dtype);
        } else if (op == "HardSigmoid") {
            simple(n, OpKind::HardSigmoid, activation(n, 0).dtype);
        } else if (op == "HardSwish") {
            simple(n, OpKind::HardSwish, activation(n, 0).dtype);
        } else if (op == "ReduceMean" || op == "ReduceMax") {
            reduce(n, op == "ReduceMean");
        } else if (op == "Split") {
            split(n);
        } else if (op == "Resize" || op == "Upsample") {
            resize(n);
        } else if (op == "Concat") {
            concat(n);
        } else if (op == "AveragePool") {
            pool(n, OpKind::AvgPool);
        } else if (op == "MaxPool") {
            if (n.output_size() > 1 && !n.output(1).empty()) {
                fail("MaxPool with an Indices output is not supported");
            }
            pool(n, OpKind::MaxPool);
        } else if (op == "GlobalAveragePool") {
            simple(n, OpKind::GlobalAvgPool, activation(n, 0).dtype);
        } else if (op == "GlobalMaxPool") {
            const Value& x = activation(n, 0);
            Layer l = newLayer(n, OpKind::MaxPool, x.dtype);
            l.window = globalWindow(shapeOf(x));
            addActivation(n.output(0), std::move(l), {x.layer});
        } else if (op == "Flatten") {
            flatten(n);
        } else if (op == "Reshape") {
            if (value(n.input(0)).isConstant) {
                reshapeConst(n);
            } else {
                reshape(n);
            }
        } else if (op == "Transpose") {
            if (value(n.input(0)).isConstant) {
                transposeConst(n);
            } else {
                transpose(n);
            }
        } else if (op == "Slice") {
            if (value(n.input(0)).isConstant) {
                sliceConst(n);
            } else {
                sliceActivation(n);
            }
        } else if (op == "ConstantOfShape") {
            constantOfShape(n);
        } else if (op == "Softmax") {
            simple(n, OpKind::Softmax, activation(n, 0).dtype);
        } else if (op == "BatchNormalization") {
            const Value& x = activation(n, 0);
            for (int i = 1; i <= 4; ++i) {
                const Constant& c = constant(n, i, "batch norm parameter");
                if (checkedProduct(c.dims) != shapeOf(x).back()) {
                    fail(fmt::format("batch norm parameter {} has {} values for {} channels", i,
                                     checkedProduct(c.dims), shapeOf(x).back()));
                }
            }
            simple(n, OpKind::BatchNorm, x.dtype);
        } else if (op == "QuantizeLinear") {
            quantizeLinear(n);
        } else if (op == "DequantizeLinear") {
            dequantizeLinear(n);
        } else if (op == "Identity" || op == "Dropout") {
            alias(n, value(n.input(0)));
        } else if (op == "Cast") {
            const Value& x = value(n.input(0));
            if (!x.isConstant) {
                castActivation(n, x);
                return;
            }
            Value v = x;
            v.constant.values = valuesOf(x.constant, "Cast input");
            v.constant.elemType = static_cast<int>(intAttr(n, "to", x.constant.elemType));
            alias(n, v);
        } else if (op == "Constant") {
            constantNode(n);
        } else if (op == "Shape") {
            shapeOp(n);
        } else if (op == "Gather") {
            gather(n);
        } else if (op == "Unsqueeze") {
            unsqueezeOrSqueeze(n, true);
        } else if (op == "Squeeze") {
            unsqueezeOrSqueeze(n, false);
        } else if (op == "Pad") {
            pad(n);
        } else {
            fail("unsupported operator"); // checkOps() filters these out first
        }
    }

    const std::string& bytes_;
    std::string file_;
    onnx::ModelProto model_;
    int64_t opset_ = 13;
    Network net_;
    std::map<std::string, Value> values_;
    std::unordered_map<std::string, int64_t> nextSuffix_; ///< uniqueName's last suffix per name
    std::map<std::string, int> consumers_;
    std::map<std::string, std::vector<const onnx::NodeProto*>> readers_;
    std::map<const onnx::TensorProto*, onnx::TensorProto> externalLoaded_;
    std::set<std::string> graphOutputs_;
    std::string origin_;
};

} // namespace

Network importOnnx(const std::string& bytes, const std::string& file) {
    return Importer(bytes, file).run();
}

const std::vector<std::string>& supportedOnnxOps() {
    static const std::vector<std::string> kOps(supportedSet().begin(), supportedSet().end());
    return kOps;
}

} // namespace edgesim::workloads
