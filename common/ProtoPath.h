// Addressing numeric fields of a parsed config by a path expression, for calibration and
// what-if overrides: "kernels[conv2d].cycles_per_mac", "cores[cpu].cycle_scale",
// "memories[0].read_energy_pj_per_byte", "kernels[*].cycles_per_mac". A bracket selects
// elements of a repeated message by index, by the value of their `name` or `op` field (several
// keys separated by commas), or all of them with `*`.
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

double getNumber(const google::protobuf::Message& msg, const ProtoPath& path);
/// Sets the field (integers rounded to nearest).
void setNumber(google::protobuf::Message& msg, const ProtoPath& path, double value);

} // namespace edgesim
