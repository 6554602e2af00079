// Built-in mappers: produce a Mapping for a schedule on a platform + stack, by name
// (host-only, greedy-latency, greedy-energy, exhaustive). Each layer's candidates (the host
// core, every engine that supports it, and channel splits across two engines) are costed
// in isolation at the fidelity of the run the mapping is for (TLM: contention between the
// two halves of a split on the shared DMA, buses and memories included; analytical: none).
// Layers run one after the other with a barrier between them (as the stacks do), so a
// network's latency and energy are sums of per-layer costs and the search decomposes per
// layer.
#pragma once

#include "sim/mapping/Mapping.h"
#include "sim/SimResult.h"
#include "sim/model/Program.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edgesim::sim {

enum class Objective { Latency, Energy, EnergyDelay };

struct MapperOptions {
    Objective objective = Objective::Latency;  ///< exhaustive only (greedy-* fix their own)
    /// exhaustive with Objective::Energy: the lowest-energy mapping whose latency stays
    /// within this budget (0 = none).
    double latencyBudgetS = 0;
    int splitSteps = 8;  ///< split fractions tried: k / splitSteps, k = 1 .. splitSteps-1
};

struct LayerCost {
    bool ok = false;  ///< runs as chosen (no fallback, fits)
    uint64_t cycles = 0;
    double energyJ = 0;
};

/// Costs one kernel under one choice (energy included), evaluated by `evaluate` (a TLM or
/// analytical run of the one-kernel program, returning its result before energy
/// accounting; default analytical).
class LayerCoster {
public:
    using Evaluate = std::function<SimResult(const Program&)>;
    LayerCoster(const platforms::spec::PlatformSpec& platform,
                const platforms::spec::StackSpec& stack, const StackIndex& index,
                const ResolvedOperatingPoint& op, Evaluate evaluate = {});
    LayerCost cost(const workloads::Kernel& kernel, const LayerChoice& choice) const;
    /// The host core, every engine, and (with `splits`) every engine pair at every fraction.
    std::vector<LayerChoice> candidates(bool splits, int splitSteps) const;
    const platforms::spec::PlatformSpec& platform() const { return platform_; }
    double clockHz() const { return op_.clockHz; }
    /// What every mapping pays besides its layers (the runtime's per-inference work).
    LayerCost fixedCost() const;

private:
    const platforms::spec::PlatformSpec& platform_;
    const platforms::spec::StackSpec& stack_;
    const StackIndex& index_;
    ResolvedOperatingPoint op_;
    Evaluate evaluate_;
};

/// Contract: deterministic for a given schedule, coster and options; returns one choice
/// per schedule kernel; never throws for a layer no engine supports (it goes to the host).
class Mapper {
public:
    virtual ~Mapper() = default;
    virtual Mapping map(const workloads::Schedule& schedule, const LayerCoster& coster,
                        const MapperOptions& options) const = 0;
};

using MapperFactory = std::function<std::unique_ptr<Mapper>()>;
/// False (the first registration kept) when `name` is taken.
bool registerMapper(const std::string& name, MapperFactory factory);
/// Null when no mapper has that name.
std::unique_ptr<Mapper> makeMapper(const std::string& name);
/// Registered names, sorted.
std::vector<std::string> mapperNames();

} // namespace edgesim::sim
