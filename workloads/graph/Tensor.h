// Tensor element types and per-sample shapes of the network graph.
// Shapes carry no batch dimension and are channels last: [H, W, C], [T, C] or [C].
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgesim::workloads {

/// Element types. Int4, Int2 and Ternary (2-bit storage) are the sub-byte types of
/// mixed-precision deployments (PULP-NN mixed kernels, NE16, DIANA's analog array): Int4 and
/// Int2 for weights and activations, Ternary for weights only.
enum class DType { Int8, Int16, Int32, Fp32, Int4, Int2, Ternary };
constexpr std::size_t kDTypeCount = 7;

/// Storage bits of one element (packed for the sub-byte types).
int64_t bitsPerElement(DType t);
/// Storage size of one element of a type of 8 bits or more (std::logic_error otherwise).
int64_t bytesPerElement(DType t);
/// Storage of `count` packed elements, rounded up to whole bytes.
int64_t bytesOf(DType t, int64_t count); // throws ArithmeticOverflow (common/Checked.h)
/// True for types narrower than a byte.
bool isSubByte(DType t);
/// Whether activations (layer outputs) may have type `t`: every type but Ternary.
bool isActivationType(DType t);
/// The type of more storage bits of `a` and `b` (`a` on a tie).
DType widerOf(DType a, DType b);
/// "int8", "int16", "int32", "fp32", "int4", "int2", "ternary".
std::string_view toString(DType t);
/// Inverse of toString; nullopt for anything else.
std::optional<DType> parseDType(std::string_view s);
/// Every dtype, in enum order (for tables keyed by dtype).
const std::vector<DType>& allDTypes();

using Shape = std::vector<int64_t>;

/// Product of the dimensions (1 for a scalar).
int64_t numElements(const Shape& s); // throws ArithmeticOverflow (common/Checked.h)
/// "25x5x64"; "scalar" for an empty shape.
std::string toString(const Shape& s);

/// A tensor in the graph: the output of one layer.
struct Tensor {
    std::string name;
    Shape shape;
    DType dtype = DType::Int8;

    int64_t elements() const { return numElements(shape); }
    int64_t bytes() const { return bytesOf(dtype, elements()); }
};

} // namespace edgesim::workloads
