// Helpers shared by the config-loading tests (text protos, platforms, studies, measurements):
// a temporary directory to write config files into, expecting an InputError, picking out the
// one diagnostic on a field or line, and editing numbered config lines. Header-only.
#pragma once

#include "common/Diagnostics.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

namespace edgesim::test {

/// The bytes of a file ("" when it cannot be read).
inline std::string readFileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The non-empty lines of `text`.
inline std::vector<std::string> nonEmptyLines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (!l.empty()) {
            out.push_back(l);
        }
    }
    return out;
}

/// The measurements CSV at `path` (header platform,stack,network,strategy,metric,value,...
/// without quoted cells) keeping the header and the rows `edit` keeps: it gets each row's cells
/// (every one, trailing empty ones included), may change them, and returns whether to keep
/// the row. `kept` (if given) counts the rows kept.
inline std::string editMeasurementRows(const std::string& path,
                                       const std::function<bool(std::vector<std::string>&)>& edit,
                                       int* kept = nullptr) {
    const auto csv = nonEmptyLines(readFileBytes(path));
    if (csv.empty() || csv[0].rfind("platform,stack,network,strategy,metric,value,unit,", 0) != 0) {
        ADD_FAILURE() << path << ": unexpected header";
        return {};
    }
    std::string out = csv[0] + "\n";
    int n = 0;
    for (std::size_t i = 1; i < csv.size(); ++i) {
        std::vector<std::string> cells(1);
        for (char c : csv[i]) {
            if (c == ',') {
                cells.emplace_back();
            } else {
                cells.back() += c;
            }
        }
        if (!edit(cells)) {
            continue;
        }
        std::string row;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            row += (c ? "," : "") + cells[c];
        }
        out += row + "\n";
        ++n;
    }
    if (kept != nullptr) {
        *kept = n;
    }
    return out;
}

/// A fresh directory below the system temp dir, removed with everything in it.
class TempDir {
public:
    /// The directory is named `<prefix>-<pid>-<random>`.
    explicit TempDir(const std::string& prefix = "edgesim-test") {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    /// Path of `rel` below the directory (not created).
    std::string file(const std::string& rel) const { return (path_ / rel).string(); }

    /// Writes `content` to `rel` below the directory (creating parent directories) and
    /// returns the file's path.
    std::filesystem::path write(const std::string& rel, const std::string& content) const {
        const std::filesystem::path p = path_ / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << content;
        return p;
    }

private:
    std::filesystem::path path_;
};

/// Runs `f`, expects an InputError and returns it. `context` is appended to the failure
/// message when nothing is thrown.
template <typename F> InputError expectInputError(F&& f, const std::string& context = "") {
    try {
        f();
    } catch (const InputError& e) {
        return e;
    }
    ADD_FAILURE() << "expected InputError" << context;
    return InputError(std::vector<Diagnostic>{});
}

/// The one diagnostic of `e` for which `matches` holds; fails the test if there is not exactly
/// one. `where` names what was looked for in the failure message.
template <typename Pred>
Diagnostic onlyDiagnostic(const InputError& e, Pred matches, const std::string& where) {
    std::vector<Diagnostic> found;
    for (const auto& d : e.diagnostics()) {
        if (matches(d)) {
            found.push_back(d);
        }
    }
    EXPECT_EQ(found.size(), 1U) << "diagnostics on " << where << " in:\n" << e.formatAll();
    return found.empty() ? Diagnostic{} : found.front();
}

/// The one diagnostic of `e` on `field`; fails the test if there is not exactly one.
inline Diagnostic only(const InputError& e, const std::string& field) {
    return onlyDiagnostic(
        e, [&](const Diagnostic& d) { return d.field == field; }, field);
}

/// The one diagnostic of `e` on `line`; fails the test if there is not exactly one.
inline Diagnostic onLine(const InputError& e, int line) {
    return onlyDiagnostic(
        e, [&](const Diagnostic& d) { return d.line == line; }, "line " + std::to_string(line));
}

/// `lines` with 1-based line `n` replaced by `text` (for each replacement), joined with a
/// newline after every line.
inline std::string edit(std::vector<std::string> lines,
                        const std::vector<std::pair<int, std::string>>& replacements = {}) {
    for (const auto& [n, text] : replacements) {
        lines.at(static_cast<std::size_t>(n - 1)) = text;
    }
    std::string out;
    for (const auto& l : lines) {
        out += l + "\n";
    }
    return out;
}

} // namespace edgesim::test
