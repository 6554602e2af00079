// Layer-to-engine mappings: which engine (a host core or an accelerator of the platform) runs
// each kernel of a schedule, or how a layer's output channels split across two engines that
// run in parallel. Read from a MappingSpec (.textproto) or produced by a Mapper.
#pragma once

#include "platforms/spec/mapping.pb.h"
#include "platforms/spec/platform.pb.h"
#include "workloads/schedule/Schedule.h"

#include <string>
#include <vector>

namespace edgesim::sim {

struct LayerChoice {
    std::string engine;       ///< host core or engine name
    std::string splitEngine;  ///< empty: no split
    double fraction = 1.0;    ///< share of output channels on `engine` when split

    bool isSplit() const { return !splitEngine.empty(); }
    bool operator==(const LayerChoice& o) const {
        return engine == o.engine && splitEngine == o.splitEngine && fraction == o.fraction;
    }
};

struct Mapping {
    std::string name;
    std::vector<LayerChoice> kernels;  ///< one per schedule kernel
    /// The latency the mapping was asked to meet (0 = none): a run slower than it is
    /// over_budget. bestLatencyS: the least latency any mapping reaches by the cost model.
    double latencyBudgetS = 0;
    double bestLatencyS = 0;
};

/// The schedule's layer name of kernel `k` (batch copies "conv#3" map like "conv").
std::string layerNameOf(const workloads::Kernel& k);

/// Resolves `spec` against `schedule` and `platform`. Throws InputError naming `source` and
/// the field for an unknown layer or engine, a bad fraction or a split onto one engine.
Mapping resolveMapping(const platforms::spec::MappingSpec& spec,
                       const workloads::Schedule& schedule,
                       const platforms::spec::PlatformSpec& platform, const std::string& source);

/// Every kernel on the host core (the platform's first core).
Mapping hostOnlyMapping(const workloads::Schedule& schedule,
                        const platforms::spec::PlatformSpec& platform);

/// The mapping as a MappingSpec (for writing it out or re-reading it).
platforms::spec::MappingSpec toSpec(const Mapping& mapping, const workloads::Schedule& schedule);

/// The mapping as text format (what a mapping .textproto holds).
std::string mappingText(const Mapping& mapping, const workloads::Schedule& schedule);

/// Writes the mapping as a .textproto re-usable as a mapping file: `header` (comment lines),
/// then the text with each split fraction annotated with the mapping's name (the configs'
/// convention: every number names its source). Through a temporary file renamed into place;
/// InputError naming `path` and `field` when it cannot be written.
void writeMappingFile(const std::string& path, const std::string& header, const Mapping& mapping,
                      const workloads::Schedule& schedule, const std::string& field);

/// Loads a mapping .textproto; InputError for a missing or malformed file.
platforms::spec::MappingSpec loadMappingSpec(const std::string& path);

} // namespace edgesim::sim
