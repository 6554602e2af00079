#include "workloads/NetworkSource.h"

#include "common/Hash.h"
#include "common/TextProto.h"
#include "workloads/onnx/OnnxImporter.h"
#include "workloads/spec/NetworkSpecLoader.h"

namespace edgesim::workloads {

LoadedNetwork loadNetwork(const std::string& nameOrPath, const ConfigPaths& paths,
                          const std::string& field) {
    if (nameOrPath.empty()) {
        throw InputError("<command line>", field, "no network given");
    }
    const bool onnx = hasSuffix(nameOrPath, ".onnx");
    const std::string file = onnx ? nameOrPath : paths.locate("networks", nameOrPath, field);
    const std::string bytes = readFile(file);
    if (onnx) {
        return LoadedNetwork{importOnnx(bytes, file), file, "onnx", sha256Hex(bytes)};
    }
    return LoadedNetwork{parseNetworkText(bytes, file), file, "textproto", sha256Hex(bytes)};
}

std::vector<std::string> builtinNetworks(const ConfigPaths& paths) {
    return paths.list("networks");
}

} // namespace edgesim::workloads
