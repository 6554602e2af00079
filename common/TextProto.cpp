#include "common/TextProto.h"

#include "common/SpecValues.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace edgesim {

std::string readFile(const std::string& path) {
    // Inputs are regular files or pipes (process substitution): a directory, a device such as
    // /dev/null or /dev/zero, or a socket is bad input, not an empty or endless file.
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!ec && std::filesystem::is_directory(status)) {
        throw InputError(path, "", "is a directory, not a file");
    }
    if (!ec && !std::filesystem::is_regular_file(status) && !std::filesystem::is_fifo(status)) {
        throw InputError(path, "", "not a regular file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw InputError(path, "", "cannot open file (does it exist and is it readable?)");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        throw InputError(path, "", "read error");
    }
    return ss.str();
}

std::string outputTarget(const std::string& path, const std::string& field) {
    namespace fs = std::filesystem;
    std::error_code ec;
    // Follow a chain of links by hand: the last one may point to a file not written yet,
    // which weakly_canonical would not resolve. A loop ends at the hop limit (and the rename
    // then fails with a clear error).
    fs::path target = path;
    for (int hop = 0; hop < 40 && fs::is_symlink(fs::symlink_status(target, ec)); ++hop) {
        const fs::path next = fs::read_symlink(target, ec);
        if (ec) {
            break;
        }
        target = next.is_absolute() ? next : target.parent_path() / next;
    }
    if (target != fs::path(path)) {
        target = fs::weakly_canonical(target, ec);
    }
    const auto status = fs::status(target, ec);
    if (fs::exists(status) && !fs::is_regular_file(status)) {
        throw InputError(path, field,
                         fs::is_directory(status)
                             ? "is a directory; give the output file's name"
                             : "is not a regular file (a device, pipe or socket); outputs are "
                               "written to regular files only");
    }
    return target.string();
}

void writeFileAtomically(const std::string& output, const std::string& text,
                         const std::string& field) {
    const std::string path = outputTarget(output, field);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) {
            std::remove(tmp.c_str());
            throw InputError(output, field, "cannot write " + tmp);
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw InputError(output, field, "cannot move " + tmp + " into place: " + ec.message());
    }
}

namespace {

/// Text from `from` up to the next double quote ("has no field named \"x\"" -> x).
std::string quotedAfter(const std::string& message, const std::string& from) {
    const auto start = message.find(from);
    if (start == std::string::npos) {
        return {};
    }
    const auto begin = start + from.size();
    const auto end = message.find('"', begin);
    return end == std::string::npos ? std::string() : message.substr(begin, end - begin);
}

class CollectingErrors : public google::protobuf::io::ErrorCollector {
public:
    CollectingErrors(Diagnostics& diags, const std::string& text) : diags_(diags), text_(text) {}
    void AddError(int line, int column, const std::string& message) override {
        // protobuf reports 0-based positions of the token after the offending one; -1 means
        // "no position". For unknown names, point at the name itself.
        if (line >= 0 && column >= 0) {
            std::string name = quotedAfter(message, "has no field named \"");
            if (name.empty()) {
                name = quotedAfter(message, "Unknown enumeration value of \"");
            }
            if (!name.empty()) {
                relocate(name, line, column);
            }
        }
        diags_.error("", message, line >= 0 ? line + 1 : 0, column >= 0 ? column + 1 : 0);
    }
    void AddWarning(int line, int column, const std::string& message) override {
        AddError(line, column, "warning treated as error: " + message);
    }

private:
    /// Moves (line, column) back to the last occurrence of `name` before it.
    void relocate(const std::string& name, int& line, int& column) const {
        std::size_t offset = 0;
        for (int l = 0; l < line && offset != std::string::npos; ++l) {
            offset = text_.find('\n', offset);
            offset = offset == std::string::npos ? offset : offset + 1;
        }
        if (offset == std::string::npos) {
            return;
        }
        const std::size_t at = text_.rfind(name, offset + static_cast<std::size_t>(column));
        if (at == std::string::npos) {
            return;
        }
        const std::size_t lineStart = text_.rfind('\n', at == 0 ? 0 : at - 1);
        line = static_cast<int>(
            std::count(text_.begin(), text_.begin() + static_cast<long>(at), '\n'));
        column =
            static_cast<int>(at - (lineStart == std::string::npos || at == 0 ? 0 : lineStart + 1));
    }

    Diagnostics& diags_;
    const std::string& text_;
};

} // namespace

std::unique_ptr<TextLocations> parseTextProto(const std::string& text, const std::string& file,
                                              google::protobuf::Message& msg) {
    Diagnostics diags(file);
    CollectingErrors collector(diags, text);
    auto locations = std::make_unique<TextLocations>();
    google::protobuf::TextFormat::Parser parser;
    parser.RecordErrorsTo(&collector);
    parser.WriteLocationsTo(locations.get());
    parser.AllowUnknownField(false);
    if (!parser.ParseFromString(text, &msg) && diags.empty()) {
        diags.error("", "cannot parse as " + msg.GetDescriptor()->full_name() + " text format");
    }
    diags.throwIfAny();
    checkSpecValues(msg, FieldCursor(diags, locations.get()));
    diags.throwIfAny();
    return locations;
}

std::unique_ptr<TextLocations> loadTextProto(const std::string& path,
                                             google::protobuf::Message& msg) {
    return parseTextProto(readFile(path), path, msg);
}

std::string FieldCursor::pathOf(const std::string& field, int index) const {
    // Built for every child cursor of every validation (sweeps validate each point's specs):
    // plain appends, no formatting.
    std::string p;
    p.reserve(path_.size() + field.size() + 8);
    if (!path_.empty()) {
        p += path_;
        p += '.';
    }
    p += field;
    if (index >= 0) {
        p += '[';
        p += std::to_string(index);
        p += ']';
    }
    return p;
}

int FieldCursor::lineOf(const google::protobuf::Message& msg, const std::string& field,
                        int index) const {
    if (locations_ == nullptr) {
        return 0;
    }
    const auto* fd = msg.GetDescriptor()->FindFieldByName(field);
    if (fd == nullptr) {
        return 0;
    }
    if (!fd->is_repeated()) {
        auto loc = locations_->GetLocation(fd, -1);
        return loc.line >= 0 ? loc.line + 1 : 0;
    }
    // A list written as `f: [a, b, c]` is recorded once, at its first element: step back to
    // the nearest recorded element.
    for (int i = std::max(index, 0); i >= 0; --i) {
        auto loc = locations_->GetLocation(fd, i);
        if (loc.line >= 0) {
            return loc.line + 1;
        }
    }
    return 0;
}

FieldCursor FieldCursor::child(const google::protobuf::Message& parent, const std::string& field,
                               int index) const {
    const TextLocations* nested = nullptr;
    if (locations_ != nullptr) {
        if (const auto* fd = parent.GetDescriptor()->FindFieldByName(field)) {
            nested = locations_->GetTreeForNested(fd, fd->is_repeated() ? std::max(index, 0) : -1);
        }
    }
    FieldCursor c(*diags_, nested, pathOf(field, index));
    c.ownLine_ = lineOf(parent, field, index);
    return c;
}

void FieldCursor::error(const google::protobuf::Message& msg, const std::string& field,
                        const std::string& reason, int index) const {
    int line = lineOf(msg, field, index);
    diags_->error(pathOf(field, index), reason, line != 0 ? line : ownLine_);
}

void FieldCursor::error(const std::string& reason) const {
    diags_->error(path_, reason, ownLine_);
}

} // namespace edgesim
