// libFuzzer target fuzz_mapping: the input is a mapping .textproto (platforms/spec/
// mapping.proto, `simulate --mapping`), parsed as loadMappingSpec does and resolved against the
// KWS schedule on every config platform. A mapping that resolves must survive a round trip:
// printed as a mapping file (`--write-mapping`) and read back, it makes the same choices.
#include "fuzz/ConfigSpecs.h"
#include "sim/mapping/Mapping.h"
#include "sim/mapping/MappingRequest.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace edgesim;
    const fuzz::ConfigSpecs& configs = fuzz::configSpecs();
    platforms::spec::MappingSpec spec;
    if (!fuzz::acceptsInput(
            [&] { parseTextProto(fuzz::inputText(data, size), fuzz::kInputName, spec); })) {
        return 0;
    }
    const workloads::Schedule& schedule = configs.schedules.front();
    for (const auto& platform : configs.platforms) {
        sim::Mapping mapping;
        if (!fuzz::acceptsInput([&] {
                mapping = sim::resolveMapping(spec, schedule, platform.spec, fuzz::kInputName);
            })) {
            continue;
        }
        static_cast<void>(sim::canonicalText(mapping));
        // Not guarded: the printed mapping of an accepted one is never bad input.
        const std::string printed = sim::mappingText(mapping, schedule);
        platforms::spec::MappingSpec reread;
        parseTextProto(printed, "<printed mapping>", reread);
        const sim::Mapping again =
            sim::resolveMapping(reread, schedule, platform.spec, "<printed mapping>");
        if (!(again.kernels == mapping.kernels)) {
            std::fprintf(stderr, "mapping round trip on %s changed the choices:\n%s\n",
                         platform.spec.name().c_str(), printed.c_str());
            std::abort();
        }
    }
    return 0;
}
