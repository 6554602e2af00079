#include "common/Strings.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace edgesim {

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    return fmt::format("{}", fmt::join(items, separator));
}

} // namespace edgesim
