// Tensor element types and per-sample shapes of the network graph.
// Shapes carry no batch dimension and are channels last: [H, W, C], [T, C] or [C].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgesim::workloads {

enum class DType { Int8, Int16, Int32, Fp32 };

/// Storage size of one element.
int64_t bytesPerElement(DType t);
/// "int8", "int16", "int32", "fp32".
std::string_view toString(DType t);
/// Inverse of toString; nullopt for anything else.
std::optional<DType> parseDType(std::string_view s);
/// Every dtype, in enum order (for tables keyed by dtype).
const std::vector<DType>& allDTypes();

using Shape = std::vector<int64_t>;

/// Product of the dimensions (1 for a scalar).
int64_t numElements(const Shape& s);
/// "25x5x64"; "scalar" for an empty shape.
std::string toString(const Shape& s);

/// A tensor in the graph: the output of one layer.
struct Tensor {
    std::string name;
    Shape shape;
    DType dtype = DType::Int8;

    int64_t elements() const { return numElements(shape); }
    int64_t bytes() const { return elements() * bytesPerElement(dtype); }
};

} // namespace edgesim::workloads
