// libFuzzer target fuzz_onnx: the input is a serialized ONNX ModelProto, imported as
// `--network model.onnx` imports it (the importer folds, fuses and infers shapes), put
// through the graph passes again (canonical form is a fixed point of them), then costed as
// inspect and simulate cost it (NetworkChecks.h).
#include "fuzz/NetworkChecks.h"
#include "workloads/graph/Passes.h"
#include "workloads/onnx/OnnxImporter.h"

namespace {

// The importer reads external tensor data relative to the model's folder: name the input as a
// model among the ONNX fixtures so that locations the fuzzer finds there resolve to real files.
const char* const kModelPath = EDGESIM_FUZZ_SOURCE_DIR "/tests/data/onnx/fuzz-input.onnx";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace edgesim;
    workloads::Network net;
    if (!fuzz::acceptsInput(
            [&] { net = workloads::importOnnx(fuzz::inputText(data, size), kModelPath); })) {
        return 0;
    }
    fuzz::exerciseNetwork(net);
    fuzz::acceptsInput(
        [&] { fuzz::exerciseCanonicalNetwork(workloads::canonicalize(net, kModelPath)); });
    return 0;
}
