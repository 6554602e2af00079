// libFuzzer target fuzz_stack: the input is a stack .textproto (platforms/spec/stack.proto),
// parsed and validated as loadStack does. A valid stack then meets what a simulation does
// before it runs: its default precision is read as `--quantize` reads it, and it is checked
// for deployment on every config platform it targets and bound to the KWS schedule there
// (sim/model/Program.h). Nothing is elaborated or simulated.
#include "fuzz/ConfigSpecs.h"
#include "sim/Simulator.h"
#include "sim/model/Program.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace edgesim;
    const fuzz::ConfigSpecs& configs = fuzz::configSpecs();
    platforms::spec::StackSpec stack;
    if (!fuzz::acceptsInput([&] {
            const auto locations =
                parseTextProto(fuzz::inputText(data, size), fuzz::kInputName, stack);
            Diagnostics diags(fuzz::kInputName);
            platforms::validateStack(stack, FieldCursor(diags, locations.get()));
            diags.throwIfAny();
        })) {
        return 0;
    }
    static_cast<void>(platforms::targetsText(stack));
    if (!stack.default_precision().empty()) {
        fuzz::acceptsInput([&] {
            static_cast<void>(workloads::loadQuantizePlan(stack.default_precision(),
                                                          fuzz::kInputName, "default_precision"));
        });
    }
    const sim::StackIndex index(stack);
    for (const auto& platform : configs.platforms) {
        if (!platforms::incompatibility(platform.spec, stack).empty() ||
            !fuzz::acceptsInput([&] { sim::checkDeployable(platform.spec, stack); })) {
            continue;
        }
        for (const auto& schedule : configs.schedules) {
            fuzz::acceptsInput([&] {
                static_cast<void>(
                    sim::bindProgram(schedule, platform.spec, stack, index, platform.defaultPoint));
            });
        }
    }
    return 0;
}
