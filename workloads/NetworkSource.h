// Finds a network by what the user typed: a built-in name ("mlperf_tiny/kws", resolved in
// configs/networks/), a path to a network `.textproto`, or a path to an `.onnx` model.
#pragma once

#include "common/ConfigPaths.h"
#include "workloads/graph/Network.h"

#include <string>
#include <vector>

namespace edgesim::workloads {

struct LoadedNetwork {
    Network network;
    std::string file;   ///< the file it was read from
    std::string format; ///< "textproto" or "onnx"
    std::string sha256; ///< of the file's bytes (provenance)
};

/// Loads `nameOrPath`; throws InputError naming `field` (e.g. "--network") of `source` (where
/// the name was written) when it cannot.
LoadedNetwork loadNetwork(const std::string& nameOrPath, const ConfigPaths& paths,
                          const std::string& field = "--network",
                          const std::string& source = "<command line>");

/// Loads a network from its bytes in memory (a model exported by a Python front end, a NAS
/// candidate's text): `format` "onnx" or "textproto"; `label` names it in diagnostics and
/// LoadedNetwork::file. InputError as loadNetwork, and for an unknown format.
LoadedNetwork loadNetworkBytes(const std::string& bytes, const std::string& format,
                               const std::string& label);

/// Built-in network names (configs/networks/**.textproto without extension).
std::vector<std::string> builtinNetworks(const ConfigPaths& paths);

} // namespace edgesim::workloads
