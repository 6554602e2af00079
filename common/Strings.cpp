#include "common/Strings.h"

#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace edgesim {

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    return fmt::format("{}", fmt::join(items, separator));
}

bool isDecimal(const std::string& s, bool& plainInteger) {
    std::size_t i = 0;
    const auto digits = [&s, &i] {
        const std::size_t from = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
            ++i;
        }
        return i - from;
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        ++i;
    }
    std::size_t mantissa = digits();
    plainInteger = true;
    if (i < s.size() && s[i] == '.') {
        ++i;
        mantissa += digits();
        plainInteger = false;
    }
    if (mantissa == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        plainInteger = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (digits() == 0) {
            return false;
        }
    }
    return i == s.size();
}

} // namespace edgesim
