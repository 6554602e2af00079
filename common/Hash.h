// Content hashes used for provenance (config_sha256) and result caching.
#pragma once

#include <string>
#include <string_view>

namespace edgesim {

/// Lower-case hex SHA-256 of `data` (OpenSSL libcrypto).
std::string sha256Hex(std::string_view data);

} // namespace edgesim
