// Network text format (workloads/spec/network.proto) -> validated network graph.
#pragma once

#include "common/TextProto.h"
#include "workloads/graph/Network.h"
#include "workloads/spec/network.pb.h"

#include <string>

namespace edgesim::workloads {

/// Validates `spec` and builds its graph (batch norms folded, activations fused, shapes
/// inferred). Every problem is reported with `file`, line (when `locations` is given) and
/// field path; throws InputError listing all of them.
Network buildNetwork(const spec::NetworkSpec& spec, const std::string& file,
                     const TextLocations* locations = nullptr);

/// Parses network text format from a string (`file` labels diagnostics).
Network parseNetworkText(const std::string& text, const std::string& file);

/// Loads a `.textproto` network file.
Network loadNetworkFile(const std::string& path);

} // namespace edgesim::workloads
