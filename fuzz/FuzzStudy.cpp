// libFuzzer target fuzz_study: the input is a study .textproto (explorer/spec/study.proto),
// parsed and validated as loadStudy does, then expanded against configs/ into a SweepPlan as
// `edgesim sweep` does before running anything (names, parameter paths, axis values, the
// sampler). Each input gets a fresh Session, so no input sees another's cached configs.
#include "common/Hash.h"
#include "explorer/session/Session.h"
#include "explorer/sweep/Study.h"
#include "explorer/sweep/SweepPlan.h"
#include "fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace edgesim;
    explorer::Study study;
    study.file = fuzz::kInputName;
    if (!fuzz::acceptsInput([&] {
            const std::string text = fuzz::inputText(data, size);
            study.sha256 = sha256Hex(text);
            auto locations = parseTextProto(text, study.file, study.spec);
            Diagnostics diags(study.file);
            explorer::validateStudy(study.spec, FieldCursor(diags, locations.get()));
            diags.throwIfAny();
            study.locations = std::move(locations);
        })) {
        return 0;
    }
    explorer::Session session(fuzz::configPaths());
    fuzz::acceptsInput([&] {
        const explorer::SweepPlan plan(study, session);
        static_cast<void>(plan.columns());
        if (plan.size() > 0) {
            static_cast<void>(plan.query(0));
            static_cast<void>(plan.query(plan.size() - 1));
        }
        static_cast<void>(plan.inputsSha256(session));
    });
    return 0;
}
