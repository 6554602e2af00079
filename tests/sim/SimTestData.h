// Helpers shared by the sim tests: where they find their inputs (the configs directory,
// $EDGESIM_CONFIG_DIR else the source tree's configs/, and tests/sim/data/), built-in
// networks lowered for inference, and looking up a result's memory. Header-only.
#pragma once

#include "common/ConfigPaths.h"
#include "sim/SimResult.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace edgesim::test {

inline ConfigPaths configPaths() {
    const char* env = std::getenv("EDGESIM_CONFIG_DIR");
    return ConfigPaths(env != nullptr && *env != '\0' ? std::string(env)
                                                      : std::string(EDGESIM_SOURCE_DIR "/configs"));
}

/// `file` in tests/sim/data/.
inline std::string testData(const std::string& file) {
    return std::string(EDGESIM_TEST_DIR) + "/sim/data/" + file;
}

/// A built-in network (e.g. "mlperf_tiny/kws") lowered for inference.
inline workloads::Schedule builtinSchedule(const std::string& network) {
    return workloads::lowerInference(workloads::loadNetwork(network, configPaths()).network);
}

/// Index of memory `name` in `r` (a test failure and 0 if there is none).
inline int memoryIndex(const sim::SimResult& r, const std::string& name) {
    for (std::size_t i = 0; i < r.memories.size(); ++i) {
        if (r.memories[i] == name) {
            return static_cast<int>(i);
        }
    }
    ADD_FAILURE() << "no memory " << name;
    return 0;
}

} // namespace edgesim::test
