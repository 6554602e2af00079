// The repository's configs a fuzzed spec meets, loaded once per fuzzing process: every
// platform and stack of configs/ and the MLPerf Tiny KWS inference schedule (as stored and in
// int8), the way `simulate` pairs a platform, a stack and a network.
#pragma once

#include "fuzz/FuzzSupport.h"
#include "platforms/PlatformCatalog.h"
#include "sim/model/OperatingPoint.h"
#include "workloads/NetworkSource.h"
#include "workloads/graph/Quantize.h"
#include "workloads/schedule/Schedule.h"

#include <vector>

namespace edgesim::fuzz {

struct ConfigSpecs {
    struct Platform {
        platforms::spec::PlatformSpec spec;
        sim::ResolvedOperatingPoint defaultPoint;
    };
    std::vector<Platform> platforms;
    std::vector<platforms::spec::StackSpec> stacks;
    std::vector<workloads::Schedule> schedules; ///< KWS as stored, KWS in int8
};

/// Loads configs/ on first use; a config that does not load is a broken checkout, not a
/// finding, and escapes as the InputError it is.
inline const ConfigSpecs& configSpecs() {
    static const ConfigSpecs specs = [] {
        const ConfigPaths& paths = configPaths();
        ConfigSpecs s;
        for (const auto& name : paths.list("platforms")) {
            auto spec = platforms::loadPlatform(name, paths);
            auto point = sim::resolveOperatingPoint(spec, {}, name);
            s.platforms.push_back({std::move(spec), std::move(point)});
        }
        for (const auto& name : paths.list("stacks")) {
            s.stacks.push_back(platforms::loadStack(name, paths));
        }
        const auto kws = workloads::loadNetwork("mlperf_tiny/kws", paths).network;
        s.schedules.push_back(workloads::lowerInference(kws));
        const auto int8 = workloads::loadQuantizePlan("int8", "<fuzz setup>", "--quantize");
        s.schedules.push_back(workloads::lowerInference(workloads::quantize(kws, int8)));
        return s;
    }();
    return specs;
}

} // namespace edgesim::fuzz
