#include "common/TextProtoEdit.h"

#include "common/Diagnostics.h"
#include "common/TextProto.h"

#include <google/protobuf/descriptor.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <stdexcept>

namespace edgesim {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kTabWidth = 8; ///< as io::Tokenizer counts columns
constexpr std::size_t kNone = std::string::npos;

/// A number token in the text: [begin, end), `begin` at its '-' if it has one.
struct Span {
    std::size_t begin = 0;
    std::size_t end = 0;
};

bool isIdentStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool isIdentChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool isDigit(char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

/// 1-based (line, column) of byte `offset`, columns counted like protobuf's tokenizer.
std::pair<int, int> positionOf(const std::string& text, std::size_t offset) {
    int line = 1;
    int column = 0;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 0;
        } else {
            column += text[i] == '\t' ? kTabWidth - column % kTabWidth : 1;
        }
    }
    return {line, column + 1};
}

[[noreturn]] void fail(const std::string& file, const std::string& text, std::size_t offset,
                       const std::string& field, const std::string& reason) {
    const auto [line, column] = positionOf(text, offset);
    throw InputError({Diagnostic{file, line, column, field, reason}});
}

/// Byte offset of 1-based (line, column); throws InputError when there is no such position.
std::size_t offsetAt(const std::string& text, int line, int column, const std::string& file) {
    auto noSuchPosition = [&]() {
        throw InputError({Diagnostic{file, line, column, "",
                                     "no such position in the text (cannot edit a number there)"}});
    };
    if (line < 1 || column < 1) {
        noSuchPosition();
    }
    std::size_t pos = 0;
    for (int l = 1; l < line; ++l) {
        pos = text.find('\n', pos);
        if (pos == kNone) {
            noSuchPosition();
        }
        ++pos;
    }
    int col = 0;
    while (col < column - 1) {
        if (pos >= text.size() || text[pos] == '\n') {
            noSuchPosition();
        }
        col += text[pos] == '\t' ? kTabWidth - col % kTabWidth : 1;
        ++pos;
    }
    if (col != column - 1) {
        noSuchPosition(); // inside a tab
    }
    return pos;
}

/// Skips white space and `#` comments.
std::size_t skipTrivia(const std::string& text, std::size_t pos) {
    while (pos < text.size()) {
        if (std::isspace(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        } else if (text[pos] == '#') {
            pos = text.find('\n', pos);
            pos = pos == kNone ? text.size() : pos;
        } else {
            break;
        }
    }
    return pos;
}

/// The number token starting at `pos` (optionally '-', then a decimal, hex or octal literal
/// with an optional f suffix, or inf/infinity/nan), or nothing.
bool lexNumber(const std::string& text, std::size_t pos, Span& span) {
    span.begin = pos;
    if (pos < text.size() && text[pos] == '-') {
        pos = skipTrivia(text, pos + 1); // the tokenizer reads '-' as a token of its own
    }
    const std::size_t start = pos;
    if (pos >= text.size()) {
        return false;
    }
    if (isDigit(text[pos]) ||
        (text[pos] == '.' && pos + 1 < text.size() && isDigit(text[pos + 1]))) {
        const bool hex = text.compare(pos, 2, "0x") == 0 || text.compare(pos, 2, "0X") == 0;
        while (pos < text.size()) {
            const char c = text[pos];
            const bool exponentSign = !hex && (c == '+' || c == '-') && pos > start &&
                                      (text[pos - 1] == 'e' || text[pos - 1] == 'E');
            if (!isIdentChar(c) && c != '.' && !exponentSign) {
                break;
            }
            ++pos;
        }
        std::string body = text.substr(start, pos - start);
        if (!hex && (body.back() == 'f' || body.back() == 'F')) {
            body.pop_back();
        }
        char* end = nullptr;
        errno = 0;
        std::strtod(body.c_str(), &end);
        if (end != body.c_str() + body.size()) {
            return false;
        }
    } else if (isIdentStart(text[pos])) {
        while (pos < text.size() && isIdentChar(text[pos])) {
            ++pos;
        }
        std::string word = text.substr(start, pos - start);
        std::transform(word.begin(), word.end(), word.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (word != "inf" && word != "infinity" && word != "nan") {
            return false;
        }
    } else {
        return false;
    }
    span.end = pos;
    return true;
}

/// If a field name (`name` or `[extension.name]`) followed by ':' starts at `pos`, the offset
/// after the ':' and the trivia behind it; otherwise kNone.
std::size_t afterFieldName(const std::string& text, std::size_t pos) {
    if (pos < text.size() && text[pos] == '[') {
        pos = text.find(']', pos);
        if (pos == kNone) {
            return kNone;
        }
        ++pos;
    } else if (pos < text.size() && isIdentStart(text[pos])) {
        while (pos < text.size() && isIdentChar(text[pos])) {
            ++pos;
        }
    } else {
        return kNone;
    }
    pos = skipTrivia(text, pos);
    if (pos >= text.size() || text[pos] != ':') {
        return kNone;
    }
    return skipTrivia(text, pos + 1);
}

/// The values written by one `name: v` or `name: [v, w, ...]` starting at the name.
bool valuesAfterName(const std::string& text, std::size_t namePos, std::vector<Span>& values) {
    std::size_t pos = afterFieldName(text, namePos);
    if (pos == kNone) {
        return false;
    }
    Span span;
    if (pos < text.size() && text[pos] != '[') {
        if (!lexNumber(text, pos, span)) {
            return false;
        }
        values.push_back(span);
        return true;
    }
    pos = skipTrivia(text, pos + 1);
    while (pos < text.size() && text[pos] != ']') {
        if (!lexNumber(text, pos, span)) {
            return false;
        }
        values.push_back(span);
        pos = skipTrivia(text, span.end);
        if (pos < text.size() && text[pos] == ',') {
            pos = skipTrivia(text, pos + 1);
        }
    }
    return pos < text.size();
}

/// Where the first `#` of the line [begin, end) starts outside string literals, else kNone.
std::size_t commentStart(const std::string& text, std::size_t begin, std::size_t end) {
    char quote = 0;
    for (std::size_t i = begin; i < end; ++i) {
        const char c = text[i];
        if (quote != 0) {
            if (c == '\\') {
                ++i;
            } else if (c == quote) {
                quote = 0;
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#') {
            return i;
        }
    }
    return kNone;
}

/// Replaces `number` with `token` and sets the comment of the line it is on.
std::string edit(const std::string& text, Span number, const std::string& token,
                 const std::string& comment) {
    std::string out = text.substr(0, number.begin) + token + text.substr(number.end);
    if (comment.empty()) {
        return out;
    }
    std::string oneLine = comment;
    std::replace(oneLine.begin(), oneLine.end(), '\n', ' ');
    std::replace(oneLine.begin(), oneLine.end(), '\r', ' ');

    const std::size_t newline = number.begin == 0 ? kNone : out.rfind('\n', number.begin - 1);
    const std::size_t lineBegin = newline == kNone ? 0 : newline + 1;
    std::size_t lineEnd = out.find('\n', number.begin);
    lineEnd = lineEnd == kNone ? out.size() : lineEnd;
    if (lineEnd > lineBegin && out[lineEnd - 1] == '\r') {
        --lineEnd;
    }
    std::size_t from = commentStart(out, lineBegin, lineEnd);
    std::string replacement = "# " + oneLine;
    if (from == kNone) {
        from = lineEnd;
        while (from > lineBegin && (out[from - 1] == ' ' || out[from - 1] == '\t')) {
            --from;
        }
        replacement = "  " + replacement;
    }
    return out.replace(from, lineEnd - from, replacement);
}

/// The number to edit at `pos`: the number itself or the value of a scalar field named there.
Span numberAt(const std::string& text, std::size_t pos, const std::string& file) {
    Span span;
    std::vector<Span> values;
    if (const std::size_t value = afterFieldName(text, pos); value != kNone) {
        const bool list = value < text.size() && text[value] == '[';
        if (!list && valuesAfterName(text, pos, values) && values.size() == 1) {
            return values.front();
        }
        fail(file, text, pos, "",
             "the field here does not hold a single number (for a list, give the position of "
             "the element)");
    }
    if (!lexNumber(text, pos, span)) {
        fail(file, text, pos, "", "no number or numeric field starts here");
    }
    return span;
}

std::string formatG6(double value) {
    if (!std::isfinite(value)) {
        throw std::invalid_argument(fmt::format("cannot write the non-finite value {}", value));
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
}

/// The token to write for `value` into `field`; InputError when it cannot hold it.
std::string tokenFor(const FieldDescriptor& field, double value, const std::string& file,
                     const std::string& path) {
    auto outOfRange = [&](double lo, double hi) {
        if (!(value >= lo && value <= hi)) {
            throw InputError(
                file, path,
                fmt::format("value {} does not fit this {} field", value, field.type_name()));
        }
    };
    switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: return formatG6(value);
    case FieldDescriptor::CPPTYPE_INT32:
        outOfRange(std::numeric_limits<std::int32_t>::min(),
                   std::numeric_limits<std::int32_t>::max());
        return std::to_string(std::llround(value));
    case FieldDescriptor::CPPTYPE_UINT32:
        outOfRange(0.0, std::numeric_limits<std::uint32_t>::max());
        return std::to_string(std::llround(value));
    case FieldDescriptor::CPPTYPE_INT64:
        // 2^63 is exactly representable; anything below it rounds into range.
        outOfRange(-9223372036854775808.0, std::nextafter(9223372036854775808.0, 0.0));
        return std::to_string(std::llround(value));
    case FieldDescriptor::CPPTYPE_UINT64:
        outOfRange(0.0, std::nextafter(18446744073709551616.0, 0.0));
        return std::to_string(static_cast<unsigned long long>(std::round(value)));
    default:
        throw InputError(file, path, fmt::format("is a {} field, not a number", field.type_name()));
    }
}

/// Value of a numeric scalar as double (exact for the integers tokenFor writes up to 2^53).
double numericValue(const Message& msg, const FieldDescriptor& field, int index) {
    const Reflection& r = *msg.GetReflection();
    const bool rep = field.is_repeated();
    switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
        return rep ? r.GetRepeatedDouble(msg, &field, index) : r.GetDouble(msg, &field);
    case FieldDescriptor::CPPTYPE_FLOAT:
        return rep ? r.GetRepeatedFloat(msg, &field, index) : r.GetFloat(msg, &field);
    case FieldDescriptor::CPPTYPE_INT32:
        return rep ? r.GetRepeatedInt32(msg, &field, index) : r.GetInt32(msg, &field);
    case FieldDescriptor::CPPTYPE_UINT32:
        return rep ? r.GetRepeatedUInt32(msg, &field, index) : r.GetUInt32(msg, &field);
    case FieldDescriptor::CPPTYPE_INT64:
        return static_cast<double>(rep ? r.GetRepeatedInt64(msg, &field, index)
                                       : r.GetInt64(msg, &field));
    case FieldDescriptor::CPPTYPE_UINT64:
        return static_cast<double>(rep ? r.GetRepeatedUInt64(msg, &field, index)
                                       : r.GetUInt64(msg, &field));
    default: return std::nan("");
    }
}

/// Where a path leads in a parsed message.
struct Target {
    const Message* parent = nullptr;
    const FieldDescriptor* field = nullptr;
    int index = -1;
    const TextLocations* locations = nullptr; ///< of `parent`, null when not walked with one
    std::string path;                         ///< "layers[1].clip_range.min"
};

Target walk(const Message& root, const TextLocations* locations,
            const std::vector<std::pair<std::string, int>>& path, const std::string& file) {
    if (path.empty()) {
        throw InputError(file, "", "empty field path");
    }
    Target t{&root, nullptr, -1, locations, ""};
    for (std::size_t i = 0; i < path.size(); ++i) {
        const auto& [name, index] = path[i];
        const std::string here = (t.path.empty() ? "" : t.path + ".") + name;
        const FieldDescriptor* fd = t.parent->GetDescriptor()->FindFieldByName(name);
        if (fd == nullptr) {
            throw InputError(file, here,
                             "no such field in " + t.parent->GetDescriptor()->full_name());
        }
        const Reflection& r = *t.parent->GetReflection();
        if (fd->is_repeated()) {
            const int size = r.FieldSize(*t.parent, fd);
            if (index < 0 || index >= size) {
                throw InputError(file, here,
                                 fmt::format("index {} out of range: the text has {} element{}",
                                             index, size, size == 1 ? "" : "s"));
            }
        } else if (index != -1) {
            throw InputError(file, here, "is not repeated: use index -1");
        }
        t.field = fd;
        t.index = index;
        t.path = fd->is_repeated() ? fmt::format("{}[{}]", here, index) : here;
        if (i + 1 == path.size()) {
            break;
        }
        if (fd->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
            throw InputError(file, t.path, "is not a message: the path cannot continue");
        }
        if (!fd->is_repeated() && !r.HasField(*t.parent, fd)) {
            throw InputError(file, t.path, "is not written in the text");
        }
        if (t.locations != nullptr) {
            t.locations = t.locations->GetTreeForNested(fd, index);
            if (t.locations == nullptr) {
                throw InputError(file, t.path, "is not written in the text");
            }
        }
        t.parent = fd->is_repeated() ? &r.GetRepeatedMessage(*t.parent, fd, index)
                                     : &r.GetMessage(*t.parent, fd);
    }
    return t;
}

/// The written value of the scalar `t` points at.
Span locateValue(const std::string& text, const Target& t, const std::string& file) {
    auto notWritten = [&]() -> Span {
        throw InputError(file, t.path,
                         "is not written in the text (left at its default): nothing to edit");
    };
    auto offsetOfRecord = [&](int record) {
        const auto loc = t.locations->GetLocation(t.field, record);
        return loc.line < 0 ? kNone : offsetAt(text, loc.line + 1, loc.column + 1, file);
    };
    if (!t.field->is_repeated()) {
        const std::size_t pos = offsetOfRecord(-1);
        if (pos == kNone) {
            return notWritten();
        }
        std::vector<Span> values;
        if (!valuesAfterName(text, pos, values) || values.size() != 1) {
            fail(file, text, pos, t.path, "cannot find the written number of this field");
        }
        return values.front();
    }
    // Locations are recorded once per `name: ...` written, which may be a list: count the
    // elements each one wrote until reaching the index.
    int seen = 0;
    for (int record = 0;; ++record) {
        const std::size_t pos = offsetOfRecord(record);
        if (pos == kNone) {
            return notWritten();
        }
        std::vector<Span> values;
        if (!valuesAfterName(text, pos, values)) {
            fail(file, text, pos, t.path, "cannot find the written numbers of this field");
        }
        if (t.index < seen + static_cast<int>(values.size())) {
            return values[static_cast<std::size_t>(t.index - seen)];
        }
        seen += static_cast<int>(values.size());
    }
}

} // namespace

std::string replaceNumberAt(const std::string& text, int line, int column, double value,
                            const std::string& comment, const std::string& file) {
    const std::string token = formatG6(value);
    return edit(text, numberAt(text, offsetAt(text, line, column, file), file), token, comment);
}

std::string replaceFieldValue(const std::string& text, const std::string& file,
                              const Message& prototype,
                              const std::vector<std::pair<std::string, int>>& path, double value,
                              const std::string& comment) {
    std::unique_ptr<Message> msg(prototype.New());
    const auto locations = parseTextProto(text, file, *msg);
    const Target target = walk(*msg, locations.get(), path, file);
    const std::string token = tokenFor(*target.field, value, file, target.path);
    std::string out = edit(text, locateValue(text, target, file), token, comment);

    // Self-check: the edited text must parse and hold the new value at the same place.
    std::unique_ptr<Message> check(prototype.New());
    parseTextProto(out, file, *check);
    const Target edited = walk(*check, nullptr, path, file);
    double expected = std::strtod(token.c_str(), nullptr);
    if (target.field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        expected = static_cast<float>(expected);
    }
    if (numericValue(*edited.parent, *edited.field, edited.index) != expected) {
        throw std::logic_error("replaceFieldValue: " + file + ": " + target.path +
                               " does not read back as " + token + " after the edit");
    }
    return out;
}

} // namespace edgesim
