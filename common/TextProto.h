// Loading Protobuf text-format configs with precise diagnostics (file, line, column, field).
// Parsing records where each field was written so that later validation can name the line.
#pragma once

#include "common/Diagnostics.h"

#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <memory>
#include <string>

namespace edgesim {

using TextLocations = google::protobuf::TextFormat::ParseInfoTree;

/// Reads a whole file; throws InputError naming the file when it cannot be read.
std::string readFile(const std::string& path);

/// The file an output named `path` is written to: `path` itself, or the file a symlink at
/// `path` points to (so that writing through a temporary file and renaming it replaces the
/// target, not the link). Throws InputError naming `path` and `field` when that exists and is
/// not a regular file (a directory, a device such as /dev/full, a pipe): outputs are only
/// ever written to regular files, never in place of something else.
std::string outputTarget(const std::string& path, const std::string& field);

/// Writes `text` to outputTarget(path) through a ".tmp" file beside it renamed into place, so
/// the output is never left half-written; throws InputError naming `path` and `field` (the
/// option or command that asked for it) when it cannot be written, leaving no temporary file.
void writeFileAtomically(const std::string& path, const std::string& text,
                         const std::string& field);

/// Parses text-format `text` into `msg`. Every syntax error, unknown field or type mismatch
/// is reported with line and column; throws InputError (with all of them) on failure.
/// `file` labels the diagnostics. Returns where each field was written.
std::unique_ptr<TextLocations> parseTextProto(const std::string& text, const std::string& file,
                                              google::protobuf::Message& msg);

/// readFile + parseTextProto.
std::unique_ptr<TextLocations> loadTextProto(const std::string& path,
                                             google::protobuf::Message& msg);

/// A position inside a parsed message during validation: knows its field path
/// ("layers[3].conv2d") and, when the message came from text, the lines of its fields.
class FieldCursor {
public:
    FieldCursor(Diagnostics& diags, const TextLocations* locations, std::string path = {})
        : diags_(&diags), locations_(locations), path_(std::move(path)) {}

    /// Cursor on sub-message `field` (element `index` of a repeated field).
    FieldCursor child(const google::protobuf::Message& parent, const std::string& field,
                      int index = -1) const;
    /// Reports `reason` against `field` of `msg` (element `index` if repeated).
    void error(const google::protobuf::Message& msg, const std::string& field,
               const std::string& reason, int index = -1) const;
    /// Reports `reason` against the message this cursor points at.
    void error(const std::string& reason) const;

    const std::string& path() const { return path_; }
    /// Line where this message starts in the text, 0 if unknown.
    int line() const { return ownLine_; }
    Diagnostics& diagnostics() const { return *diags_; }

private:
    std::string pathOf(const std::string& field, int index) const;
    int lineOf(const google::protobuf::Message& msg, const std::string& field, int index) const;

    Diagnostics* diags_;
    const TextLocations* locations_;
    std::string path_;
    int ownLine_ = 0; ///< line where this message itself starts, 0 if unknown
};

} // namespace edgesim
