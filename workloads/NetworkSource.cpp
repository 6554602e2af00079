#include "workloads/NetworkSource.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/TextProto.h"
#include "workloads/onnx/OnnxImporter.h"
#include "workloads/spec/NetworkSpecLoader.h"

namespace edgesim::workloads {

LoadedNetwork loadNetwork(const std::string& nameOrPath, const ConfigPaths& paths,
                          const std::string& field, const std::string& source) {
    if (nameOrPath.empty()) {
        throw InputError(source, field, "no network given");
    }
    const bool onnx = hasSuffix(nameOrPath, ".onnx");
    const std::string file =
        onnx ? nameOrPath : paths.locate("networks", nameOrPath, field, source);
    return loadNetworkBytes(readFile(file), onnx ? "onnx" : "textproto", file);
}

LoadedNetwork loadNetworkBytes(const std::string& bytes, const std::string& format,
                               const std::string& label) {
    if (format == "onnx") {
        return LoadedNetwork{importOnnx(bytes, label), label, format, sha256Hex(bytes)};
    }
    if (format == "textproto") {
        return LoadedNetwork{parseNetworkText(bytes, label), label, format, sha256Hex(bytes)};
    }
    throw InputError(label, "format",
                     "unknown network format '" + format + "' (onnx or textproto)");
}

std::vector<std::string> builtinNetworks(const ConfigPaths& paths) {
    return paths.list("networks");
}

} // namespace edgesim::workloads
