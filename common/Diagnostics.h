// Problems found in user input (configs, network files, CSVs, command lines).
// Loaders collect every problem they can find before giving up; the CLI prints them and
// exits 2. Internal errors are ordinary exceptions and exit 1.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace edgesim {

/// One problem in one input: where (file, line, field path) and why.
struct Diagnostic {
    std::string file;  ///< path of the input, or "<command line>", "<string>"
    int line = 0;      ///< 1-based, 0 when unknown
    int column = 0;    ///< 1-based, 0 when unknown
    std::string field; ///< field path such as "layers[3].conv2d.stride", may be empty
    std::string reason;

    /// "file:line:col: field: reason" with absent parts left out.
    std::string format() const;
    /// "field: reason" ("reason" without a field): the problem without where it was written.
    std::string fieldAndReason() const { return (field.empty() ? "" : field + ": ") + reason; }
};

/// Collects diagnostics; throws them together as an InputError when asked.
class Diagnostics {
public:
    explicit Diagnostics(std::string file = {}) : file_(std::move(file)) {}

    void error(std::string field, std::string reason, int line = 0, int column = 0);
    void add(Diagnostic d) { items_.push_back(std::move(d)); }
    bool empty() const { return items_.empty(); }
    const std::vector<Diagnostic>& items() const { return items_; }
    const std::string& file() const { return file_; }

    /// Throws InputError holding every collected diagnostic if there is any.
    void throwIfAny() const;

private:
    std::string file_;
    std::vector<Diagnostic> items_;
};

/// Bad user input. what() is the first diagnostic plus a count of the others.
class InputError : public std::runtime_error {
public:
    explicit InputError(std::vector<Diagnostic> diagnostics);
    InputError(std::string file, std::string field, std::string reason);

    const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
    /// All diagnostics, one per line.
    std::string formatAll() const;

private:
    std::vector<Diagnostic> diagnostics_;
};

} // namespace edgesim
