// libFuzzer target fuzz_network: the input is a network .textproto (workloads/spec/
// network.proto), parsed, validated and canonicalised as `edgesim inspect` loads it, then
// costed as inspect and simulate cost it (NetworkChecks.h).
#include "fuzz/NetworkChecks.h"
#include "workloads/spec/NetworkSpecLoader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace edgesim;
    workloads::Network net;
    if (fuzz::acceptsInput([&] {
            net = workloads::parseNetworkText(fuzz::inputText(data, size), fuzz::kInputName);
        })) {
        fuzz::exerciseNetwork(net);
    }
    return 0;
}
