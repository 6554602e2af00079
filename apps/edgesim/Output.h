// Rendering of command results as an aligned text table, CSV or JSON (--format).
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace edgesim::app {

enum class Format { Table, Json, Csv };

/// Parses "table" | "json" | "csv"; throws InputError naming --format otherwise.
Format parseFormat(const std::string& s);

/// A rectangular table of already formatted cells. Numeric columns are right-aligned.
struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> rightAlign; ///< per column; empty = all left

    void print(std::ostream& os) const;    ///< aligned columns
    void printCsv(std::ostream& os) const; ///< RFC 4180 quoting
};

/// 1234567 -> "1,234,567" (tables only; JSON and CSV carry plain integers).
std::string groupDigits(int64_t v);

/// Provenance block of a command that uses no randomness (seed null), made by the library.
/// `j` as indented JSON text. Bytes that are not UTF-8 (names from an ONNX file) become
/// U+FFFD instead of aborting the output.
std::string jsonText(const nlohmann::json& j);

nlohmann::json provenance(const std::string& commandLine, const std::string& configSha256);

} // namespace edgesim::app
