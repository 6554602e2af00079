// Post-training quantisation as deployment tool chains apply it (`--quantize`): the element
// types a network is costed in. A graph rewrite on dtypes only; MACs and parameters do not
// change, weight and activation bytes do.
#pragma once

#include "workloads/graph/Network.h"

#include <optional>
#include <string>
#include <vector>

namespace edgesim::workloads {

/// What `--quantize` asks for: a named scheme or a per-layer precision file
/// (workloads/spec/precision.proto).
struct QuantizePlan {
    enum class Base { AsStored, Int8, Int8WeightsOnly };
    struct Rule {
        std::string layer; ///< name or '*' pattern
        std::optional<DType> weights;
        std::optional<DType> activations;
        std::string origin; ///< "layers[2]", for diagnostics
        int line = 0;
    };
    Base base = Base::AsStored;
    std::vector<Rule> rules;
    std::string file;   ///< the precision file, empty for a named scheme
    std::string sha256; ///< of the precision file's bytes (the hash of a query uses it)

    bool asStored() const { return base == Base::AsStored && rules.empty(); }
    /// "int8", "int8-weights-only", "as stored", or "int8 + FILE" for a precision file.
    std::string describe() const;
    /// What enters a query's content hash.
    std::string hashText() const;
};

/// Names `--quantize` accepts besides a precision file.
const std::vector<std::string>& quantizeSchemes();

/// Parses a `--quantize` value: "int8", "int8-weights-only", "none", or a path to a precision
/// `.textproto`. Throws InputError naming `source` and `field` (or the file, its line and field
/// path) when it is neither, or the file is invalid.
QuantizePlan loadQuantizePlan(const std::string& value, const std::string& source,
                              const std::string& field);

/// `net` in the plan's precision: int8 gives every layer int8 outputs, int8 weights and int32
/// biases, and converts at the graph boundary (a quantize after each float input, a
/// dequantize before each float output); int8-weights-only keeps activations and biases as
/// they are. Quantize/dequantize layers inside the graph are dropped first (they become
/// no-ops). Rules of a precision file override layer by layer; a float/integer boundary
/// between layers gets a quantize or dequantize. A rule matching no layer is an InputError.
/// `changed` (optional) tells whether any layer's types changed or a layer was added or dropped.
Network quantize(const Network& net, const QuantizePlan& plan, bool* changed = nullptr);

} // namespace edgesim::workloads
