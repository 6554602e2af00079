// Small text helpers shared by error messages and listings.
#pragma once

#include <string>
#include <vector>

namespace edgesim {

/// "a, b, c" (`separator` between items; "" for no items).
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

} // namespace edgesim
