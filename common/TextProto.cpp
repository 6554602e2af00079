#include "common/TextProto.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace edgesim {

std::string readFile(const std::string& path) {
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

namespace {

class CollectingErrors : public google::protobuf::io::ErrorCollector {
public:
    explicit CollectingErrors(Diagnostics& diags) : diags_(diags) {}
    void AddError(int line, int column, const std::string& message) override {
        // protobuf reports 0-based positions; -1 means "no position".
        diags_.error("", message, line >= 0 ? line + 1 : 0, column >= 0 ? column + 1 : 0);
    }
    void AddWarning(int line, int column, const std::string& message) override {
        AddError(line, column, "warning treated as error: " + message);
    }

private:
    Diagnostics& diags_;
};

} // namespace

std::unique_ptr<TextLocations> parseTextProto(const std::string& text, const std::string& file,
                                              google::protobuf::Message& msg) {
    Diagnostics diags(file);
    CollectingErrors collector(diags);
    auto locations = std::make_unique<TextLocations>();
    google::protobuf::TextFormat::Parser parser;
    parser.RecordErrorsTo(&collector);
    parser.WriteLocationsTo(locations.get());
    parser.AllowUnknownField(false);
    if (!parser.ParseFromString(text, &msg) && diags.empty()) {
        diags.error("", "cannot parse as " + msg.GetDescriptor()->full_name() + " text format");
    }
    diags.throwIfAny();
    return locations;
}

std::unique_ptr<TextLocations> loadTextProto(const std::string& path,
                                             google::protobuf::Message& msg) {
    return parseTextProto(readFile(path), path, msg);
}

std::string FieldCursor::pathOf(const std::string& field, int index) const {
    std::string p = path_.empty() ? field : path_ + "." + field;
    if (index >= 0) {
        p += fmt::format("[{}]", index);
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
    auto loc = locations_->GetLocation(fd, fd->is_repeated() ? std::max(index, 0) : -1);
    return loc.line >= 0 ? loc.line + 1 : 0;
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
