// Content hashes used for provenance (config_sha256) and result caching.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace google::protobuf {
class MessageLite;
}

namespace edgesim {

/// Lower-case hex SHA-256 of `data` (OpenSSL libcrypto): kSha256HexLength characters.
std::string sha256Hex(std::string_view data);
inline constexpr std::size_t kSha256HexLength = 64;

/// SHA-256 of the deterministic binary serialisation of `msg`: equal messages hash equally
/// whatever text they were written as.
std::string protoSha256(const google::protobuf::MessageLite& msg);

/// The bits of `v` as 16 hex digits: an exact, fast text of a double for hashes and keys.
std::string doubleBits(double v);

} // namespace edgesim
