#include "explorer/StudyLoader.h"

#include "workloads/Strategy.h"

#include <fmt/format.h>

namespace edgesim::explorer {

void validateStudy(const spec::StudySpec& s, const FieldCursor& at) {
    if (s.name().empty()) {
        at.error(s, "name", "missing required field");
    }
    for (const char* list : {"platforms", "stacks", "networks"}) {
        const auto* fd = s.GetDescriptor()->FindFieldByName(list);
        if (s.GetReflection()->FieldSize(s, fd) == 0) {
            at.error(s, list, "at least one entry is required");
        }
    }
    for (int i = 0; i < s.strategies_size(); ++i) {
        if (!workloads::isKnownStrategy(s.strategies(i))) {
            at.error(s, "strategies", "unknown strategy '" + s.strategies(i) + "'", i);
        }
    }
    for (int i = 0; i < s.batch_sizes_size(); ++i) {
        if (s.batch_sizes(i) < 1) {
            at.error(s, "batch_sizes", fmt::format("batch size {} must be >= 1", s.batch_sizes(i)),
                     i);
        }
    }
    for (int i = 0; i < s.clock_hz_size(); ++i) {
        if (s.clock_hz(i) < 1e5 || s.clock_hz(i) > 1e10) {
            at.error(s, "clock_hz",
                     fmt::format("{:g} Hz is out of range [1e5, 1e10]{}", s.clock_hz(i),
                                 s.clock_hz(i) > 0 && s.clock_hz(i) < 1e5
                                     ? " (looks like MHz; the field is in Hz)"
                                     : ""),
                     i);
        }
    }
}

spec::StudySpec loadStudy(const std::string& nameOrPath, const ConfigPaths& paths) {
    const std::string file = paths.locate("studies", nameOrPath, "--study");
    spec::StudySpec s;
    auto locations = loadTextProto(file, s);
    Diagnostics diags(file);
    validateStudy(s, FieldCursor(diags, locations.get()));
    diags.throwIfAny();
    return s;
}

int64_t studyPointCount(const spec::StudySpec& s) {
    auto atLeastOne = [](int n) { return static_cast<int64_t>(n == 0 ? 1 : n); };
    return static_cast<int64_t>(s.platforms_size()) * s.stacks_size() * s.networks_size() *
           atLeastOne(s.strategies_size()) * atLeastOne(s.batch_sizes_size()) *
           atLeastOne(s.clock_hz_size());
}

} // namespace edgesim::explorer
