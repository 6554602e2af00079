// What the libFuzzer targets share: the input as text, the repository's configs (the reference
// platforms, stacks and networks a loaded spec is checked against) and the one accepted way
// for a loader to refuse an input: edgesim::InputError. Any other exception escapes to
// libFuzzer, which reports it as a crash.
#pragma once

#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace edgesim::fuzz {

/// How diagnostics name the input under test.
inline constexpr const char* kInputName = "<fuzz input>";

/// The fuzz input as the contents of a file.
inline std::string inputText(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

/// The repository's configs/ (EDGESIM_CONFIG_DIR at configure time).
inline const ConfigPaths& configPaths() {
    static const ConfigPaths paths(EDGESIM_FUZZ_CONFIG_DIR);
    return paths;
}

/// Runs `step`; bad input (InputError) is a correct outcome, anything else escapes.
/// Returns whether the step accepted its input.
template <typename Step> bool acceptsInput(Step&& step) {
    try {
        step();
        return true;
    } catch (const InputError&) {
        return false;
    }
}

} // namespace edgesim::fuzz
