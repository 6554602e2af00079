// Addressing fields of a parsed config by a path expression, for calibration and what-if
// overrides: "kernels[conv2d].cycles_per_mac", "cores[cpu].cycle_scale",
// "memories[0].read_energy_pj_per_byte", "kernels[*].cycles_per_mac",
// "memories[name=l2].size_bytes", "engines[name=ne16].npu.unroll[dim=K].size". A bracket
// selects elements of a repeated field by index, by the value of their `name` or `op` field
// (several keys separated by commas), by `field=value` (elements whose scalar `field` equals
// the value: a string, an enum value name, an integer or true/false), or all of them with `*`.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <utility>
#include <vector>

namespace edgesim {

/// One concrete field: (field name, element index or -1) per level.
using ProtoPath = std::vector<std::pair<std::string, int>>;

/// "kernels[2].cycles_per_mac".
std::string toString(const ProtoPath& path);

/// Every concrete numeric field `expr` selects in `msg`. Throws InputError naming `file` and
/// `expr` when a field does not exist, a selector matches nothing or the field is not numeric.
std::vector<ProtoPath> resolveNumericPaths(const google::protobuf::Message& msg,
                                           const std::string& expr, const std::string& file);

/// Every concrete scalar field `expr` selects in `msg`: numeric, bool, string or enum fields,
/// and single elements of repeated scalar fields when the last step is indexed ("ops[2]").
/// Same selectors and errors as resolveNumericPaths; a repeated scalar field without an index
/// and a message-typed last step are errors ("'npu' is a message, not a value").
std::vector<ProtoPath> resolveScalarPaths(const google::protobuf::Message& msg,
                                          const std::string& expr, const std::string& file);

/// Sets the scalar field at `path` (from resolveScalarPaths) from its text form:
///  - integers: a decimal integer, or a number in exponent form whose value is an exact
///    integer ("262144", "2.5e5"), within the field's type range;
///  - floating point: any finite number ("1e-3", "370e6"; "nan"/"inf" are rejected);
///  - bool: true/false (also 1/0);
///  - enum: a value name of the field's enum ("WEIGHT_STATIONARY"), or its number;
///  - string: the text as is.
/// Throws InputError(file, field, reason) when the text does not fit the type, the reason
/// naming the expected type and, for enums, the valid names.
void setFromText(google::protobuf::Message& msg, const ProtoPath& path, const std::string& text,
                 const std::string& file, const std::string& field);

/// The scalar field at `path` as text (numbers shortest round-trip, enums by value name).
std::string getAsText(const google::protobuf::Message& msg, const ProtoPath& path);

double getNumber(const google::protobuf::Message& msg, const ProtoPath& path);
/// Sets the field (integers rounded to nearest).
void setNumber(google::protobuf::Message& msg, const ProtoPath& path, double value);

} // namespace edgesim
