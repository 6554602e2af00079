// Size arithmetic that cannot overflow silently. Shapes, MACs, bytes and cycles come from
// user input (a config, an ONNX file, an override) and may be absurd; every product or sum of
// them goes through these helpers, which throw ArithmeticOverflow instead of wrapping. The
// layer, field or kernel that overflowed is added by whoever catches it, which turns it into
// a bad-input error (exit 2) naming that place.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace edgesim {

struct ArithmeticOverflow : std::overflow_error {
    explicit ArithmeticOverflow(const std::string& what) : std::overflow_error(what) {}
};

/// Largest count a double may be converted to: far above any real cycle or byte count, and
/// low enough that sums of a few thousand of them still fit an int64.
constexpr double kMaxCount = 4.0e18 / 4096.0;

inline int64_t checkedMul(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) {
        throw ArithmeticOverflow("the product " + std::to_string(a) + " x " + std::to_string(b) +
                                 " does not fit a 64-bit integer");
    }
    return r;
}

inline int64_t checkedAdd(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        throw ArithmeticOverflow("the sum " + std::to_string(a) + " + " + std::to_string(b) +
                                 " does not fit a 64-bit integer");
    }
    return r;
}

/// `v` rounded to the nearest count; throws if it is not finite, negative or above kMaxCount.
inline uint64_t toCount(double v, const char* what) {
    if (!(v >= 0.0) || !(v <= kMaxCount)) {
        char text[32];
        std::snprintf(text, sizeof text, "%.3g", v);
        throw ArithmeticOverflow(std::string(what) + " of " + text + " is out of range (at most " +
                                 std::to_string(static_cast<int64_t>(kMaxCount)) + ")");
    }
    return static_cast<uint64_t>(std::llround(v));
}

} // namespace edgesim
