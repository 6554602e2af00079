// In-place edits of numbers in Protobuf text-format configs that keep everything else byte for
// byte: comments, layout, field order. `edgesim calibrate` writes fitted values back this way
// (re-serialising the message would drop every comment of a hand-written config).
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <utility>
#include <vector>

namespace edgesim {

/// Replaces the number at 1-based (`line`, `column`) of `text` with `value` formatted like
/// printf("%.6g") and sets that line's trailing comment to `# <comment>` (replacing an existing
/// `#` comment on the line, else appending one two spaces after the last token; an empty
/// `comment` leaves the line's comment alone). Returns the new text.
///
/// Positions are counted like protobuf's tokenizer, so TextLocations positions + 1 (and
/// Diagnostic line/column) can be passed unchanged: lines from 1, columns from 1 in bytes
/// with a tab advancing to the next multiple of 8. The position may be the start of the number
/// (or of its '-') or the start of the field name of a single scalar `name: 12.5` — which is
/// what TextLocations records for a field (its range spans name to value, 0-based). A list
/// `name: [1, 2]` needs the position of the element itself.
///
/// Throws InputError (naming `file`, line, column) when the position is outside the text or
/// does not hold a number; std::invalid_argument when `value` is not finite.
std::string replaceNumberAt(const std::string& text, int line, int column, double value,
                            const std::string& comment, const std::string& file);

/// Parses `text` as the message type of `prototype`, follows `path` — (field name, index)
/// pairs, index -1 for a non-repeated field — to a numeric scalar field and replaces its
/// written value as replaceNumberAt does. Elements of a repeated scalar may be written one per
/// `name: v` or as lists. Floating-point fields get %.6g; integer fields the value rounded to
/// the nearest integer. The edited text is re-parsed to check that the field now holds the new
/// value. Throws InputError (with the field path) when the text does not parse, the path does
/// not exist in the message type or in the text (a field left at its default has nothing to
/// edit) or does not end at a numeric field.
std::string replaceFieldValue(const std::string& text, const std::string& file,
                              const google::protobuf::Message& prototype,
                              const std::vector<std::pair<std::string, int>>& path, double value,
                              const std::string& comment);

} // namespace edgesim
