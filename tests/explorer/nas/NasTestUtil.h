// Helpers of the NAS tests.
#pragma once

#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "explorer/nas/SearchSpace.h"

#include <string>

namespace edgesim::explorer::nas::nastest {

/// A search space from text, validated (InputError listing every problem).
inline spec::SearchSpace parseSpace(const std::string& text) {
    spec::SearchSpace s;
    parseTextProto(text, "<space>", s);
    Diagnostics d("<space>");
    validateSearchSpace(s, FieldCursor(d, nullptr));
    d.throwIfAny();
    return s;
}

} // namespace edgesim::explorer::nas::nastest
