#include "common/Diagnostics.h"

#include <fmt/format.h>

namespace edgesim {

std::string Diagnostic::format() const {
    std::string out = file.empty() ? std::string("<input>") : file;
    if (line > 0) {
        out += fmt::format(":{}", line);
        if (column > 0) {
            out += fmt::format(":{}", column);
        }
    }
    out += ": ";
    if (!field.empty()) {
        out += field + ": ";
    }
    out += reason;
    return out;
}

void Diagnostics::error(std::string field, std::string reason, int line, int column) {
    items_.push_back(Diagnostic{file_, line, column, std::move(field), std::move(reason)});
}

void Diagnostics::throwIfAny() const {
    if (!items_.empty()) {
        throw InputError(items_);
    }
}

namespace {
std::string summary(const std::vector<Diagnostic>& ds) {
    if (ds.empty()) {
        return "invalid input";
    }
    std::string s = ds.front().format();
    if (ds.size() > 1) {
        s += fmt::format(" (and {} more problem{})", ds.size() - 1, ds.size() > 2 ? "s" : "");
    }
    return s;
}
} // namespace

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(summary(diagnostics)), diagnostics_(std::move(diagnostics)) {}

InputError::InputError(std::string file, std::string field, std::string reason)
    : InputError(std::vector<Diagnostic>{
          Diagnostic{std::move(file), 0, 0, std::move(field), std::move(reason)}}) {}

std::string InputError::formatAll() const {
    std::string out;
    for (const auto& d : diagnostics_) {
        out += d.format();
        out += '\n';
    }
    return out;
}

} // namespace edgesim
