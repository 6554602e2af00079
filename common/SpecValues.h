// Limits every value read from a config, study or override must respect, whatever its field:
// numbers are finite and of a magnitude that some physical quantity could have, integers
// leave room for the size arithmetic built on them, enums hold a defined value, and strings
// are valid UTF-8 of a bounded length without control characters (they become names in JSON,
// HDF5 attributes and traces). Field-specific validators (a clock in [1e5, 1e10] Hz, a
// voltage in V) come after these and give the precise range; these catch what no validator
// was written for.
#pragma once

#include "common/TextProto.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <string>

namespace edgesim {

/// Largest magnitude of a floating-point spec value: above any clock (Hz), bandwidth (B/s),
/// cycle or energy count edgesim models, and far below where products of a few of them
/// leave the range of a double.
constexpr double kMaxSpecMagnitude = 1e15;
/// Largest magnitude of a 64-bit integer spec value (2^50, 1 PiB as a byte count), so that
/// sums and products of a few sizes are still checked 64-bit arithmetic, not overflow.
constexpr std::int64_t kMaxSpecInteger = std::int64_t{1} << 50;
/// Longest string value in bytes (names, paths, free text).
constexpr std::size_t kMaxSpecString = 4096;

/// Why `v` is not acceptable for a floating-point field, or "" if it is.
std::string floatingValueProblem(double v);
/// Why `v` is not acceptable for the integer field `f`, or "" if it is.
std::string integerValueProblem(const google::protobuf::FieldDescriptor* f, std::int64_t v);
/// Why `s` is not acceptable as a string value, or "" if it is.
std::string stringValueProblem(const std::string& s);
/// Why `number` is not acceptable for the enum field `f`, or "" if it is.
std::string enumValueProblem(const google::protobuf::FieldDescriptor* f, int number);

/// Reports, through `at`, every value in `msg` (recursively) that breaks the limits above.
void checkSpecValues(const google::protobuf::Message& msg, const FieldCursor& at);

} // namespace edgesim
