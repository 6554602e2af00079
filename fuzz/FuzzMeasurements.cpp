// libFuzzer target fuzz_measurements: the input is a silicon measurements CSV (the input of
// `validate` and `calibrate`, analysis/Measurements.h).
#include "analysis/Measurements.h"
#include "fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace edgesim;
    fuzz::acceptsInput([&] {
        for (const auto& m :
             analysis::parseMeasurements(fuzz::inputText(data, size), fuzz::kInputName)) {
            static_cast<void>(analysis::toString(m.metric));
        }
    });
    return 0;
}
