#include "common/SpecValues.h"

#include <fmt/format.h>

#include <cmath>
#include <string_view>
#include <vector>

namespace edgesim {

namespace pb = google::protobuf;

std::string floatingValueProblem(double v) {
    if (!std::isfinite(v)) {
        return fmt::format("{} is not a finite number", v);
    }
    if (std::fabs(v) > kMaxSpecMagnitude) {
        return fmt::format("{:g} is out of range (magnitudes above {:g} are not values of any "
                           "quantity edgesim models; check the unit in the field name)",
                           v, kMaxSpecMagnitude);
    }
    return {};
}

std::string integerValueProblem(const pb::FieldDescriptor* f, std::int64_t v) {
    // 32-bit fields are bounded by their type; unsigned 64-bit fields are seeds and hashes,
    // which are not sizes.
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_INT64) {
        return {};
    }
    if (v > kMaxSpecInteger || v < -kMaxSpecInteger) {
        return fmt::format("{} is out of range (at most 2^50 = {} in magnitude)", v,
                           kMaxSpecInteger);
    }
    return {};
}

namespace {

/// Length of the UTF-8 sequence starting at `s[i]` (1-4), or 0 if it is malformed: a bad
/// lead byte, a missing continuation, an overlong form, a surrogate or a code point above
/// U+10FFFF.
std::size_t utf8Length(std::string_view s, std::size_t i) {
    const auto byte = [&s](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned lead = byte(i);
    std::size_t n = 0;
    unsigned cp = 0;
    if (lead < 0x80) {
        return 1;
    } else if ((lead & 0xE0) == 0xC0) {
        n = 2;
        cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        n = 3;
        cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        n = 4;
        cp = lead & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    constexpr unsigned kMinOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinOfLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

} // namespace

std::string stringValueProblem(const std::string& s) {
    if (s.size() > kMaxSpecString) {
        return fmt::format("a text of {} bytes is too long (at most {})", s.size(), kMaxSpecString);
    }
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
            return fmt::format("contains the control character 0x{:02x} at byte {}", c, i);
        }
        const std::size_t n = utf8Length(s, i);
        if (n == 0) {
            return fmt::format("is not valid UTF-8 (byte 0x{:02x} at offset {})", c, i);
        }
        i += n;
    }
    return {};
}

std::string enumValueProblem(const pb::FieldDescriptor* f, int number) {
    const pb::EnumDescriptor* type = f->enum_type();
    if (type->FindValueByNumber(number) != nullptr) {
        return {};
    }
    std::string names;
    for (int k = 0; k < type->value_count(); ++k) {
        names += (k == 0 ? "" : ", ") + type->value(k)->name();
    }
    return fmt::format("{} is not a value of enum '{}' (valid: {})", number, type->name(), names);
}

namespace {

/// The problem with element `i` (or the single value when i < 0) of scalar field `f`.
std::string valueProblem(const pb::Message& m, const pb::FieldDescriptor* f, int i) {
    const pb::Reflection* r = m.GetReflection();
    const bool rep = i >= 0;
    switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        return floatingValueProblem(rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f));
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
        return floatingValueProblem(rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f));
    case pb::FieldDescriptor::CPPTYPE_INT64:
        return integerValueProblem(f, rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f));
    case pb::FieldDescriptor::CPPTYPE_ENUM:
        return enumValueProblem(f, rep ? r->GetRepeatedEnumValue(m, f, i) : r->GetEnumValue(m, f));
    case pb::FieldDescriptor::CPPTYPE_STRING:
        return stringValueProblem(rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f));
    default: return {};
    }
}

/// Checks every value of `msg` (recursively). With a cursor, reports each problem through it;
/// without one (the common case of a clean spec, checked before paying for field paths and
/// text locations per message), stops at the first. Returns whether all values are fine.
bool checkValues(const pb::Message& msg, const FieldCursor* at) {
    const pb::Reflection* r = msg.GetReflection();
    std::vector<const pb::FieldDescriptor*> fields;
    r->ListFields(msg, &fields);
    bool fine = true;
    for (const pb::FieldDescriptor* f : fields) {
        const int n = f->is_repeated() ? r->FieldSize(msg, f) : 1;
        for (int k = 0; k < n && (fine || at != nullptr); ++k) {
            const int i = f->is_repeated() ? k : -1;
            if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
                const pb::Message& sub =
                    i < 0 ? r->GetMessage(msg, f) : r->GetRepeatedMessage(msg, f, i);
                if (at == nullptr) {
                    fine = checkValues(sub, nullptr);
                } else {
                    const FieldCursor child = at->child(msg, f->name(), i);
                    fine = checkValues(sub, &child) && fine;
                }
            } else if (const std::string problem = valueProblem(msg, f, i); !problem.empty()) {
                fine = false;
                if (at != nullptr) {
                    at->error(msg, f->name(), problem, i);
                }
            }
        }
    }
    return fine;
}

} // namespace

void checkSpecValues(const pb::Message& msg, const FieldCursor& at) {
    if (!checkValues(msg, nullptr)) {
        checkValues(msg, &at);
    }
}

} // namespace edgesim
