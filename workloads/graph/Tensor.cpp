#include "workloads/graph/Tensor.h"

#include "common/Checked.h"

#include <fmt/format.h>

#include <stdexcept>

namespace edgesim::workloads {

int64_t bitsPerElement(DType t) {
    switch (t) {
    case DType::Int8: return 8;
    case DType::Int16: return 16;
    case DType::Int32: return 32;
    case DType::Fp32: return 32;
    case DType::Int4: return 4;
    case DType::Int2: return 2;
    case DType::Ternary: return 2;
    }
    throw std::logic_error("bitsPerElement: bad dtype");
}

bool isSubByte(DType t) {
    return bitsPerElement(t) < 8;
}

bool isActivationType(DType t) {
    return t != DType::Ternary;
}

DType widerOf(DType a, DType b) {
    return bitsPerElement(b) > bitsPerElement(a) ? b : a;
}

int64_t bytesPerElement(DType t) {
    if (isSubByte(t)) {
        throw std::logic_error("bytesPerElement: a sub-byte type has no whole bytes per element");
    }
    return bitsPerElement(t) / 8;
}

int64_t bytesOf(DType t, int64_t count) {
    return checkedAdd(checkedMul(count, bitsPerElement(t)), 7) / 8;
}

std::string_view toString(DType t) {
    switch (t) {
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Fp32: return "fp32";
    case DType::Int4: return "int4";
    case DType::Int2: return "int2";
    case DType::Ternary: return "ternary";
    }
    throw std::logic_error("toString: bad dtype");
}

const std::vector<DType>& allDTypes() {
    static const std::vector<DType> kAll{DType::Int8, DType::Int16, DType::Int32,  DType::Fp32,
                                         DType::Int4, DType::Int2,  DType::Ternary};
    return kAll;
}

std::optional<DType> parseDType(std::string_view s) {
    for (DType t : allDTypes()) {
        if (toString(t) == s) {
            return t;
        }
    }
    return std::nullopt;
}

int64_t numElements(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) {
        n = checkedMul(n, d);
    }
    return n;
}

std::string toString(const Shape& s) {
    if (s.empty()) {
        return "scalar";
    }
    return fmt::format("{}", fmt::join(s, "x"));
}

} // namespace edgesim::workloads
