// libFuzzer target fuzz_platform: the input is a platform .textproto (platforms/spec/
// platform.proto), parsed and validated as loadPlatform does. A valid platform then meets
// what a simulation does before it runs: its operating points are resolved, every config stack
// that targets it is checked for deployment and bound to the KWS schedule (sim/model/
// Program.h). Nothing is elaborated or simulated.
#include "fuzz/ConfigSpecs.h"
#include "sim/Simulator.h"
#include "sim/model/Program.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace edgesim;
    const fuzz::ConfigSpecs& configs = fuzz::configSpecs();
    platforms::spec::PlatformSpec platform;
    if (!fuzz::acceptsInput([&] {
            const auto locations =
                parseTextProto(fuzz::inputText(data, size), fuzz::kInputName, platform);
            Diagnostics diags(fuzz::kInputName);
            platforms::validatePlatform(platform, FieldCursor(diags, locations.get()));
            diags.throwIfAny();
        })) {
        return 0;
    }
    static_cast<void>(sim::platformStructure(platform));
    static_cast<void>(sim::energyReferenceVoltage(platform));
    for (const auto& point : platform.operating_points()) {
        sim::OperatingPointOverride named;
        named.name = point.name();
        static_cast<void>(sim::checkOperatingPoint(platform, named, fuzz::kInputName));
    }
    sim::ResolvedOperatingPoint defaultPoint;
    const bool runnable =
        !sim::checkOperatingPoint(platform, {}, fuzz::kInputName, &defaultPoint).has_value();
    for (const auto& stack : configs.stacks) {
        if (!platforms::incompatibility(platform, stack).empty() ||
            !fuzz::acceptsInput([&] { sim::checkDeployable(platform, stack); }) || !runnable) {
            continue;
        }
        for (const auto& schedule : configs.schedules) {
            fuzz::acceptsInput([&] {
                static_cast<void>(sim::bindProgram(schedule, platform, stack, defaultPoint));
            });
        }
    }
    return 0;
}
