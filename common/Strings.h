// Small text helpers shared by error messages and listings.
#pragma once

#include <string>
#include <vector>

namespace edgesim {

/// "a, b, c" (`separator` between items; "" for no items).
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

/// Whether `s` is a plain decimal number, [+-]digits[.digits][(e|E)[+-]digits], and in
/// `plainInteger` whether it has neither a fraction nor an exponent. Rules out what strtod
/// would also take and a config value never means: "nan", "inf", hex, spaces.
bool isDecimal(const std::string& s, bool& plainInteger);

} // namespace edgesim
