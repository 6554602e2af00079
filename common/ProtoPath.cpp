#include "common/ProtoPath.h"

#include "common/Diagnostics.h"
#include "common/SpecValues.h"
#include "common/Strings.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <type_traits>

namespace edgesim {

namespace pb = google::protobuf;

namespace {

// ---------------------------------------------------------------- path expressions

struct Step {
    std::string field;
    std::string selector; ///< empty: no bracket
};

std::vector<Step> parseExpr(const std::string& expr, const std::string& file) {
    std::vector<Step> steps;
    std::size_t i = 0;
    while (i < expr.size()) {
        Step s;
        while (i < expr.size() && expr[i] != '.' && expr[i] != '[') {
            s.field += expr[i++];
        }
        if (i < expr.size() && expr[i] == '[') {
            const std::size_t close = expr.find(']', i);
            if (close == std::string::npos) {
                throw InputError(file, expr, "unclosed '[' in the parameter path");
            }
            s.selector = expr.substr(i + 1, close - i - 1);
            if (s.selector.empty()) {
                throw InputError(file, expr, "empty '[]' in the parameter path");
            }
            i = close + 1;
        }
        if (s.field.empty()) {
            throw InputError(file, expr, "empty field name in the parameter path");
        }
        steps.push_back(std::move(s));
        if (i < expr.size()) {
            if (expr[i] != '.') {
                throw InputError(file, expr, "expected '.' after ']' in the parameter path");
            }
            ++i;
        }
    }
    if (steps.empty()) {
        throw InputError(file, expr, "empty parameter path");
    }
    return steps;
}

bool isNumeric(const pb::FieldDescriptor* f) {
    switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64: return true;
    default: return false;
    }
}

bool isMessage(const pb::FieldDescriptor* f) {
    return f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE;
}

/// Key of a repeated message element: its `name`, else its `op` field, qualified as
/// "<engine>/<op>" when the element has a non-empty `engine` field (a stack's kernels for an
/// accelerator; host kernels keep the plain op).
std::string keyOf(const pb::Message& m) {
    const auto stringField = [&m](const char* name, std::string& value) {
        const auto* f = m.GetDescriptor()->FindFieldByName(name);
        if (f == nullptr || f->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING ||
            f->is_repeated()) {
            return false;
        }
        value = m.GetReflection()->GetString(m, f);
        return true;
    };
    std::string key;
    if (stringField("name", key)) {
        return key;
    }
    if (stringField("op", key)) {
        std::string engine;
        if (stringField("engine", engine) && !engine.empty()) {
            return engine + "/" + key;
        }
        return key;
    }
    return {};
}

/// "a, b, c" of the distinct `values`, cut short so that an error message stays one line.
std::string listOf(const std::vector<std::string>& values) {
    constexpr std::size_t kMaxListed = 12;
    std::vector<std::string> distinct;
    for (const auto& v : values) {
        if (std::find(distinct.begin(), distinct.end(), v) == distinct.end()) {
            distinct.push_back(v);
        }
    }
    std::string s;
    for (std::size_t k = 0; k < distinct.size() && k < kMaxListed; ++k) {
        s += (k == 0 ? "" : ", ") + (distinct[k].empty() ? std::string("\"\"") : distinct[k]);
    }
    if (distinct.size() > kMaxListed) {
        s += fmt::format(", ... ({} more)", distinct.size() - kMaxListed);
    }
    return s;
}

// ---------------------------------------------------------------- numbers from text

enum class Parse { ok, invalid, outOfRange };

/// A finite decimal number; out of range when it overflows a double.
Parse parseDouble(const std::string& s, double& out) {
    bool plain = false;
    if (!isDecimal(s, plain)) {
        return Parse::invalid;
    }
    errno = 0;
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) {
        return Parse::invalid;
    }
    // Underflow (ERANGE with a tiny result) is a finite value close enough to the text.
    return std::isfinite(out) ? Parse::ok : Parse::outOfRange;
}

/// An integer as sign and magnitude, so that both ends of int64 and uint64 fit.
struct Integer {
    bool negative = false;
    std::uint64_t magnitude = 0;
};

/// `s` as an exact integer: decimal digits, or a decimal number with a fraction or exponent
/// whose value is integral ("2.5e5"). Out of range beyond 64 bits of magnitude.
Parse parseInteger(const std::string& s, Integer& out) {
    bool plain = false;
    if (!isDecimal(s, plain)) {
        return Parse::invalid;
    }
    out.negative = s[0] == '-';
    if (plain) {
        // Digit by digit: exact for all 64-bit values, where a double would round.
        std::uint64_t m = 0;
        for (std::size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0; i < s.size(); ++i) {
            const auto d = static_cast<std::uint64_t>(s[i] - '0');
            if (m > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
                return Parse::outOfRange;
            }
            m = m * 10 + d;
        }
        out.magnitude = m;
        return Parse::ok;
    }
    double d = 0;
    const Parse p = parseDouble(s, d);
    if (p != Parse::ok) {
        return p;
    }
    // "1e-400" underflows to 0 but is no integer.
    const std::string mantissa = s.substr(0, s.find_first_of("eE"));
    if (std::trunc(d) != d ||
        (d == 0 && mantissa.find_first_of("123456789") != std::string::npos)) {
        return Parse::invalid;
    }
    if (std::fabs(d) >= 0x1p64) {
        return Parse::outOfRange;
    }
    out.magnitude = static_cast<std::uint64_t>(std::fabs(d));
    return Parse::ok;
}

/// Rounds to the nearest integer of type Int, saturating at its limits (a plain cast of an
/// out-of-range double is undefined).
template <typename Int> Int roundToInt(double v) {
    const double r = std::round(v);
    if (std::isnan(r)) {
        return 0;
    }
    if (r <= static_cast<double>(std::numeric_limits<Int>::min())) {
        return std::numeric_limits<Int>::min();
    }
    if (r >= std::ldexp(1.0, std::numeric_limits<Int>::digits)) {
        return std::numeric_limits<Int>::max();
    }
    return static_cast<Int>(r);
}

// ---------------------------------------------------------------- field values

/// An enum field's value: its number (proto3 enums may hold numbers without a name).
struct EnumNumber {
    const pb::EnumDescriptor* type;
    int number;
};

/// Calls `fn` with the value of field `f` of `m` (element `i` when i >= 0) in its C++ type:
/// double, float, int32_t, int64_t, uint32_t, uint64_t, bool, std::string or EnumNumber.
template <typename Fn>
void visitValue(const pb::Message& m, const pb::FieldDescriptor* f, int i, Fn&& fn) {
    const auto* r = m.GetReflection();
    const bool rep = i >= 0;
    switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        fn(rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f));
        break;
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
        fn(rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f));
        break;
    case pb::FieldDescriptor::CPPTYPE_INT32:
        fn(rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f));
        break;
    case pb::FieldDescriptor::CPPTYPE_INT64:
        fn(rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f));
        break;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
        fn(rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f));
        break;
    case pb::FieldDescriptor::CPPTYPE_UINT64:
        fn(rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f));
        break;
    case pb::FieldDescriptor::CPPTYPE_BOOL:
        fn(rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f));
        break;
    case pb::FieldDescriptor::CPPTYPE_STRING:
        fn(rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f));
        break;
    case pb::FieldDescriptor::CPPTYPE_ENUM:
        fn(EnumNumber{f->enum_type(),
                      rep ? r->GetRepeatedEnumValue(m, f, i) : r->GetEnumValue(m, f)});
        break;
    default: break;
    }
}

/// Writes `v` to field `f` of `m` (element `i` when i >= 0); T must be the field's C++ type.
template <typename T> void store(pb::Message& m, const pb::FieldDescriptor* f, int i, const T& v) {
    const auto* r = m.GetReflection();
    const bool rep = i >= 0;
    if constexpr (std::is_same_v<T, double>) {
        rep ? r->SetRepeatedDouble(&m, f, i, v) : r->SetDouble(&m, f, v);
    } else if constexpr (std::is_same_v<T, float>) {
        rep ? r->SetRepeatedFloat(&m, f, i, v) : r->SetFloat(&m, f, v);
    } else if constexpr (std::is_same_v<T, std::int32_t>) {
        rep ? r->SetRepeatedInt32(&m, f, i, v) : r->SetInt32(&m, f, v);
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
        rep ? r->SetRepeatedInt64(&m, f, i, v) : r->SetInt64(&m, f, v);
    } else if constexpr (std::is_same_v<T, std::uint32_t>) {
        rep ? r->SetRepeatedUInt32(&m, f, i, v) : r->SetUInt32(&m, f, v);
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        rep ? r->SetRepeatedUInt64(&m, f, i, v) : r->SetUInt64(&m, f, v);
    } else if constexpr (std::is_same_v<T, bool>) {
        rep ? r->SetRepeatedBool(&m, f, i, v) : r->SetBool(&m, f, v);
    } else if constexpr (std::is_same_v<T, std::string>) {
        rep ? r->SetRepeatedString(&m, f, i, v) : r->SetString(&m, f, v);
    } else {
        static_assert(std::is_same_v<T, EnumNumber>, "not a protobuf scalar type");
        rep ? r->SetRepeatedEnumValue(&m, f, i, v.number) : r->SetEnumValue(&m, f, v.number);
    }
}

/// The value of field `f` of `m` (element `i` when i >= 0) as text.
std::string valueText(const pb::Message& m, const pb::FieldDescriptor* f, int i) {
    std::string text;
    visitValue(m, f, i, [&text](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
            text = v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
            text = v;
        } else if constexpr (std::is_same_v<T, EnumNumber>) {
            const auto* value = v.type->FindValueByNumber(v.number);
            text = value != nullptr ? value->name() : std::to_string(v.number);
        } else {
            // fmt's default floating-point format is the shortest text that reads back exactly.
            text = fmt::format("{}", v);
        }
    });
    return text;
}

/// Sets an integer field from `text`; the reason it does not fit, or "".
std::string setInteger(pb::Message& m, const pb::FieldDescriptor* f, int i,
                       const std::string& text) {
    const auto cpp = f->cpp_type();
    const bool isSigned =
        cpp == pb::FieldDescriptor::CPPTYPE_INT32 || cpp == pb::FieldDescriptor::CPPTYPE_INT64;
    std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    switch (cpp) {
    case pb::FieldDescriptor::CPPTYPE_INT32: max = std::numeric_limits<std::int32_t>::max(); break;
    case pb::FieldDescriptor::CPPTYPE_INT64: max = std::numeric_limits<std::int64_t>::max(); break;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
        max = std::numeric_limits<std::uint32_t>::max();
        break;
    default: break;
    }
    Integer v;
    const Parse p = parseInteger(text, v);
    if (p == Parse::invalid) {
        return fmt::format("'{}' is not an integer (the field is {})", text, f->type_name());
    }
    // Signed types reach one further below zero than above it.
    const std::uint64_t limit = v.negative ? (isSigned ? max + 1 : 0) : max;
    if (p == Parse::outOfRange || v.magnitude > limit) {
        return fmt::format("'{}' is outside the range of {} ({}{} to {})", text, f->type_name(),
                           isSigned ? "-" : "", isSigned ? max + 1 : 0, max);
    }
    // Written as -(m - 1) - 1 so that the magnitude 2^63 of int64's minimum never overflows.
    const std::int64_t value = !v.negative || v.magnitude == 0
                                   ? static_cast<std::int64_t>(v.magnitude)
                                   : -static_cast<std::int64_t>(v.magnitude - 1) - 1;
    if (cpp == pb::FieldDescriptor::CPPTYPE_INT64) {
        if (std::string problem = integerValueProblem(f, value); !problem.empty()) {
            return problem;
        }
    }
    switch (cpp) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
        store(m, f, i, static_cast<std::int32_t>(value));
        break;
    case pb::FieldDescriptor::CPPTYPE_INT64: store(m, f, i, value); break;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
        store(m, f, i, static_cast<std::uint32_t>(v.magnitude));
        break;
    default: store(m, f, i, v.magnitude); break;
    }
    return {};
}

/// Sets field `f` of `m` (element `i` when i >= 0) from `text`; the reason the text does not
/// fit the field's type, or "" when it was set.
std::string setValue(pb::Message& m, const pb::FieldDescriptor* f, int i, const std::string& text) {
    switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64: return setInteger(m, f, i, text);
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
        const bool isFloat = f->cpp_type() == pb::FieldDescriptor::CPPTYPE_FLOAT;
        double d = 0;
        const Parse p = parseDouble(text, d);
        if (p == Parse::invalid) {
            return fmt::format("'{}' is not a finite number (the field is {})", text,
                               f->type_name());
        }
        if (p == Parse::outOfRange || (isFloat && std::fabs(d) > FLT_MAX)) {
            return fmt::format("'{}' is outside the range of {}", text, f->type_name());
        }
        if (std::string problem = floatingValueProblem(d); !problem.empty()) {
            return problem;
        }
        isFloat ? store(m, f, i, static_cast<float>(d)) : store(m, f, i, d);
        return {};
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL:
        if (text != "true" && text != "false" && text != "1" && text != "0") {
            return fmt::format("'{}' is not a bool (true, false, 1 or 0)", text);
        }
        store(m, f, i, text == "true" || text == "1");
        return {};
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
        const pb::EnumDescriptor* type = f->enum_type();
        const pb::EnumValueDescriptor* value = type->FindValueByName(text);
        Integer n;
        if (value == nullptr && parseInteger(text, n) == Parse::ok &&
            n.magnitude <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
            const int number = static_cast<int>(n.magnitude);
            value = type->FindValueByNumber(n.negative ? -number : number);
        }
        if (value == nullptr) {
            std::vector<std::string> names;
            names.reserve(static_cast<std::size_t>(type->value_count()));
            for (int k = 0; k < type->value_count(); ++k) {
                names.push_back(type->value(k)->name());
            }
            return fmt::format("'{}' is not a value of enum '{}' (valid: {})", text, type->name(),
                               listOf(names));
        }
        store(m, f, i, EnumNumber{type, value->number()});
        return {};
    }
    case pb::FieldDescriptor::CPPTYPE_STRING:
        if (std::string problem = stringValueProblem(text); !problem.empty()) {
            return problem;
        }
        store(m, f, i, text);
        return {};
    default: return fmt::format("'{}' is a message, not a value", f->name());
    }
}

// ---------------------------------------------------------------- resolving paths

/// Why field `f` cannot end a path (empty if it can); `bracketed`: the last step selects
/// elements.
using LeafCheck = std::string (*)(const pb::FieldDescriptor* f, bool bracketed);

std::string numericLeaf(const pb::FieldDescriptor* f, bool /*bracketed*/) {
    if (isNumeric(f)) {
        return {};
    }
    return fmt::format("'{}' is not a numeric field (its type is {})", f->name(), f->type_name());
}

std::string scalarLeaf(const pb::FieldDescriptor* f, bool bracketed) {
    if (isMessage(f)) {
        return fmt::format("'{}' is a message, not a value", f->name());
    }
    if (f->is_repeated() && !bracketed) {
        return fmt::format("'{}' is a list of {} values: select one with [index]", f->name(),
                           f->type_name());
    }
    return {};
}

/// Expands a parsed expression into concrete paths, depth first, throwing InputError(file,
/// expr, reason) at the first step that cannot be followed.
class Resolver {
public:
    Resolver(std::vector<Step> steps, LeafCheck leafProblem, const std::string& expr,
             const std::string& file)
        : steps_(std::move(steps)), leafProblem_(leafProblem), expr_(expr), file_(file) {}

    std::vector<ProtoPath> run(const pb::Message& msg) {
        resolve(msg, 0);
        return std::move(out_);
    }

private:
    [[noreturn]] void fail(const std::string& reason) const {
        throw InputError(file_, expr_, reason);
    }

    void resolve(const pb::Message& msg, std::size_t k) {
        const Step& step = steps_[k];
        const pb::Descriptor* type = msg.GetDescriptor();
        const auto* f = type->FindFieldByName(step.field);
        if (f == nullptr) {
            fail(fmt::format("'{}' has no field '{}'", type->name(), step.field));
        }
        const bool last = k + 1 == steps_.size();
        if (last) {
            const std::string problem = leafProblem_(f, !step.selector.empty());
            if (!problem.empty()) {
                fail(problem);
            }
        } else if (!isMessage(f)) {
            fail(fmt::format("'{}' is a {} value: it has no field '{}'", step.field, f->type_name(),
                             steps_[k + 1].field));
        }
        std::vector<int> indices;
        if (f->is_repeated()) {
            indices = select(msg, f, step, last);
        } else {
            if (!step.selector.empty()) {
                fail(fmt::format("'{}' is not a list: '[{}]' has nothing to select", step.field,
                                 step.selector));
            }
            checkOneof(msg, f);
            indices.push_back(-1);
        }
        const pb::Reflection* r = msg.GetReflection();
        for (int i : indices) {
            prefix_.emplace_back(step.field, i);
            if (last) {
                out_.push_back(prefix_);
            } else {
                resolve(i < 0 ? r->GetMessage(msg, f) : r->GetRepeatedMessage(msg, f, i), k + 1);
            }
            prefix_.pop_back();
        }
    }

    /// Following an unset member of a oneof whose other member is set would, once the value is
    /// written, replace that member (an NPU's whole config by an empty AIMC one): refuse it.
    void checkOneof(const pb::Message& msg, const pb::FieldDescriptor* f) const {
        const pb::OneofDescriptor* oneof = f->real_containing_oneof();
        if (oneof == nullptr) {
            return;
        }
        const pb::FieldDescriptor* set = msg.GetReflection()->GetOneofFieldDescriptor(msg, oneof);
        if (set != nullptr && set != f) {
            fail(fmt::format("{} has '{}', not '{}' (one of oneof '{}')",
                             prefix_.empty() ? "'" + msg.GetDescriptor()->name() + "'"
                                             : toString(prefix_),
                             set->name(), f->name(), oneof->name()));
        }
    }

    /// Indices of the elements of repeated field `f` that `step`'s selector picks.
    std::vector<int> select(const pb::Message& msg, const pb::FieldDescriptor* f, const Step& step,
                            bool last) const {
        const std::string& sel = step.selector;
        if (sel.empty() && !last) {
            fail(fmt::format("'{}' is a list: select elements with [index], [name], "
                             "[field=value] or [*]",
                             step.field));
        }
        const int n = msg.GetReflection()->FieldSize(msg, f);
        if (n == 0) {
            fail(fmt::format("'{}' has no elements", step.field));
        }
        std::vector<int> indices;
        if (sel.empty() || sel == "*") {
            for (int i = 0; i < n; ++i) {
                indices.push_back(i);
            }
            return indices;
        }
        if (std::all_of(sel.begin(), sel.end(),
                        [](unsigned char c) { return std::isdigit(c) != 0; })) {
            Integer index;
            if (parseInteger(sel, index) != Parse::ok ||
                index.magnitude >= static_cast<std::uint64_t>(n)) {
                fail(fmt::format("index {} is out of range: '{}' has {} element{}", sel, step.field,
                                 n, n == 1 ? "" : "s"));
            }
            return {static_cast<int>(index.magnitude)};
        }
        if (!isMessage(f)) {
            fail(fmt::format("'{}' is a list of {} values: '[{}]' can only be an index or *",
                             step.field, f->type_name(), sel));
        }
        const std::size_t eq = sel.find('=');
        return eq == std::string::npos
                   ? selectByKeys(msg, f, sel)
                   : selectByField(msg, f, sel.substr(0, eq), sel.substr(eq + 1));
    }

    /// Elements whose key (keyOf) is one of the comma-separated keys in `sel`.
    std::vector<int> selectByKeys(const pb::Message& msg, const pb::FieldDescriptor* f,
                                  const std::string& sel) const {
        std::vector<std::string> keys;
        std::size_t from = 0;
        while (from <= sel.size()) {
            const std::size_t comma = std::min(sel.find(',', from), sel.size());
            keys.push_back(sel.substr(from, comma - from));
            from = comma + 1;
        }
        const pb::Reflection* r = msg.GetReflection();
        std::vector<int> indices;
        std::vector<std::string> have;
        for (int i = 0; i < r->FieldSize(msg, f); ++i) {
            have.push_back(keyOf(r->GetRepeatedMessage(msg, f, i)));
            if (std::find(keys.begin(), keys.end(), have.back()) != keys.end()) {
                indices.push_back(i);
            }
        }
        if (indices.empty()) {
            const bool keyless =
                std::all_of(have.begin(), have.end(), [](const auto& h) { return h.empty(); });
            fail(fmt::format("no element of '{}' matches '{}' ({})", f->name(), sel,
                             keyless ? "its elements have no 'name' or 'op': select by "
                                       "[index] or [field=value]"
                                     : "have: " + listOf(have)));
        }
        return indices;
    }

    /// Elements whose scalar field `name` equals `value` (read as setFromText reads it).
    std::vector<int> selectByField(const pb::Message& msg, const pb::FieldDescriptor* f,
                                   const std::string& name, const std::string& value) const {
        const pb::Descriptor* type = f->message_type();
        const std::string context = fmt::format("in [{}={}]: ", name, value);
        const pb::FieldDescriptor* key = type->FindFieldByName(name);
        if (key == nullptr) {
            fail(context + fmt::format("'{}' has no field '{}'", type->name(), name));
        }
        if (key->is_repeated() || isMessage(key)) {
            fail(context + fmt::format("'{}' of '{}' is not a single value", name, type->name()));
        }
        // The value goes through the same conversion as an override, then both sides compare
        // in canonical text: "K" and "1" select the same enum value, "240e6" equals 240000000.
        const pb::Reflection* r = msg.GetReflection();
        const std::unique_ptr<pb::Message> probe(r->GetRepeatedMessage(msg, f, 0).New());
        const std::string problem = setValue(*probe, key, -1, value);
        if (!problem.empty()) {
            fail(context + problem);
        }
        const std::string wanted = valueText(*probe, key, -1);
        std::vector<int> indices;
        std::vector<std::string> have;
        for (int i = 0; i < r->FieldSize(msg, f); ++i) {
            have.push_back(valueText(r->GetRepeatedMessage(msg, f, i), key, -1));
            if (have.back() == wanted) {
                indices.push_back(i);
            }
        }
        if (indices.empty()) {
            fail(fmt::format("no element of '{}' has {} '{}' (have: {})", f->name(), name, value,
                             listOf(have)));
        }
        return indices;
    }

    std::vector<Step> steps_;
    LeafCheck leafProblem_;
    const std::string& expr_;
    const std::string& file_;
    ProtoPath prefix_;
    std::vector<ProtoPath> out_;
};

std::vector<ProtoPath> resolvePaths(const pb::Message& msg, const std::string& expr,
                                    const std::string& file, LeafCheck leafProblem) {
    return Resolver(parseExpr(expr, file), leafProblem, expr, file).run(msg);
}

/// Follows `path` through `msg` (const or not) and calls `leaf(message, field, index)`.
template <typename Msg, typename Fn> void walk(Msg& msg, const ProtoPath& path, Fn&& leaf) {
    Msg* m = &msg;
    for (std::size_t k = 0; k + 1 < path.size(); ++k) {
        const auto* f = m->GetDescriptor()->FindFieldByName(path[k].first);
        if constexpr (std::is_const_v<Msg>) {
            m = path[k].second < 0 ? &m->GetReflection()->GetMessage(*m, f)
                                   : &m->GetReflection()->GetRepeatedMessage(*m, f, path[k].second);
        } else {
            m = path[k].second < 0
                    ? m->GetReflection()->MutableMessage(m, f)
                    : m->GetReflection()->MutableRepeatedMessage(m, f, path[k].second);
        }
    }
    leaf(*m, m->GetDescriptor()->FindFieldByName(path.back().first), path.back().second);
}

} // namespace

std::string toString(const ProtoPath& path) {
    std::string s;
    for (const auto& [field, index] : path) {
        s += (s.empty() ? "" : ".") + field;
        if (index >= 0) {
            s += "[" + std::to_string(index) + "]";
        }
    }
    return s;
}

std::vector<ProtoPath> resolveNumericPaths(const pb::Message& msg, const std::string& expr,
                                           const std::string& file) {
    return resolvePaths(msg, expr, file, numericLeaf);
}

std::vector<ProtoPath> resolveScalarPaths(const pb::Message& msg, const std::string& expr,
                                          const std::string& file) {
    return resolvePaths(msg, expr, file, scalarLeaf);
}

void setFromText(pb::Message& msg, const ProtoPath& path, const std::string& text,
                 const std::string& file, const std::string& field) {
    walk(msg, path, [&](pb::Message& m, const pb::FieldDescriptor* f, int i) {
        const std::string problem = setValue(m, f, i, text);
        if (!problem.empty()) {
            throw InputError(file, field, problem);
        }
    });
}

std::string getAsText(const pb::Message& msg, const ProtoPath& path) {
    std::string text;
    walk(msg, path, [&text](const pb::Message& m, const pb::FieldDescriptor* f, int i) {
        text = valueText(m, f, i);
    });
    return text;
}

double getNumber(const pb::Message& msg, const ProtoPath& path) {
    double number = 0;
    walk(msg, path, [&number](const pb::Message& m, const pb::FieldDescriptor* f, int i) {
        visitValue(m, f, i, [&number](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
                number = static_cast<double>(v);
            }
        });
    });
    return number;
}

void setNumber(pb::Message& msg, const ProtoPath& path, double value) {
    walk(msg, path, [value](pb::Message& m, const pb::FieldDescriptor* f, int i) {
        switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_DOUBLE: store(m, f, i, value); break;
        case pb::FieldDescriptor::CPPTYPE_FLOAT: store(m, f, i, static_cast<float>(value)); break;
        case pb::FieldDescriptor::CPPTYPE_INT32:
            store(m, f, i, roundToInt<std::int32_t>(value));
            break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
            store(m, f, i, roundToInt<std::int64_t>(value));
            break;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
            store(m, f, i, roundToInt<std::uint32_t>(value));
            break;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
            store(m, f, i, roundToInt<std::uint64_t>(value));
            break;
        default: break;
        }
    });
}

} // namespace edgesim
