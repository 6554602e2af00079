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
#include <utility>

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

/// While a CountScope is alive on a thread, toCount there records the first value out of
/// range in it and returns 0 instead of throwing. For code that runs after a SystemC
/// simulation in the same process (binding a sweep's next point), where an exception upsets
/// AddressSanitizer (SystemC's unannotated coroutine stacks, google/sanitizers#189): the
/// overflow is carried out as a value and the caller turns it into a result's status.
class CountScope {
public:
    CountScope() : previous_(current()) { current() = this; }
    ~CountScope() { current() = previous_; }
    CountScope(const CountScope&) = delete;
    CountScope& operator=(const CountScope&) = delete;

    /// The first out-of-range conversion's message ("" when none).
    const std::string& overflow() const { return overflow_; }

    static CountScope*& current() {
        thread_local CountScope* scope = nullptr;
        return scope;
    }

private:
    friend uint64_t toCount(double v, const char* what);
    std::string overflow_;
    CountScope* previous_;
};

/// `v` rounded to the nearest count. Not finite, negative or above kMaxCount: throws
/// ArithmeticOverflow, or inside a CountScope records it there and returns 0.
inline uint64_t toCount(double v, const char* what) {
    if (!(v >= 0.0) || !(v <= kMaxCount)) {
        char text[32];
        std::snprintf(text, sizeof text, "%.3g", v);
        std::string message = std::string(what) + " of " + text + " is out of range (at most " +
                              std::to_string(static_cast<int64_t>(kMaxCount)) + ")";
        if (CountScope* scope = CountScope::current()) {
            if (scope->overflow_.empty()) {
                scope->overflow_ = std::move(message);
            }
            return 0;
        }
        throw ArithmeticOverflow(message);
    }
    return static_cast<uint64_t>(std::llround(v));
}

} // namespace edgesim
