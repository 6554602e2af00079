// The library entry point: a platform and a stack, elaborated once, that run any number of
// schedules (a NAS loop's thousands of networks) at either fidelity. Results are values:
// a network that does not fit or needs a kernel the stack lacks comes back with that status
// and the reason, not as an exception. Identical inputs give bit-identical results.
#pragma once

#include "platforms/spec/platform.pb.h"
#include "platforms/spec/stack.pb.h"
#include "sim/SimResult.h"
#include "sim/mapping/Mapper.h"
#include "sim/mapping/MappingRequest.h"
#include "sim/trace/SimObserver.h"
#include "workloads/schedule/Schedule.h"

#include <memory>
#include <string>

namespace edgesim::sim {

struct RunOptions {
    Fidelity fidelity = Fidelity::Tlm;
    OperatingPointOverride operatingPoint;
    SimObserver* observer = nullptr;  ///< TLM spans; analytical runs report kernels only
    std::string source = "<command line>";  ///< names the origin of overrides in errors
    /// Layer-to-engine mapping (one choice per schedule kernel); null = what `request` asks.
    const Mapping* mapping = nullptr;
    /// The mapping file or mapper used when `mapping` is null (MappingRequest.h decides which;
    /// a bad request throws InputError).
    MappingRequest request;
};

/// Throws InputError when `platform` and `stack` cannot work together at all, whatever the
/// network (the placement's memories unreachable from the host core, an engine without a DMA
/// route to its local memory): what constructing a Simulator checks, without building one.
void checkDeployable(const platforms::spec::PlatformSpec& platform,
                     const platforms::spec::StackSpec& stack);

/// What elaborates the SystemC model of `platform` (names of cores, memories, buses, DMAs and
/// engines, DMA channels and bursts, bus connections) as one string: two platforms with the
/// same structure differ only in numbers that Simulator::reconfigure can change.
std::string platformStructure(const platforms::spec::PlatformSpec& platform);

class Simulator {
public:
    /// Takes validated specs (platforms::loadPlatform / loadStack). Throws InputError when the
    /// pair cannot work together at all (e.g. the stack's placement is unreachable).
    Simulator(platforms::spec::PlatformSpec platform, platforms::spec::StackSpec stack);
    /// The same, sharing specs the caller keeps (a session's specs are not copied).
    Simulator(std::shared_ptr<const platforms::spec::PlatformSpec> platform,
              std::shared_ptr<const platforms::spec::StackSpec> stack);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;
    Simulator(Simulator&&) = delete;
    Simulator& operator=(Simulator&&) = delete;

    /// Simulates `schedule`. Throws InputError only for an impossible operating point or an
    /// unknown mapper name.
    SimResult run(const workloads::Schedule& schedule, const RunOptions& options = {});

    /// Replaces the numeric parameters of both specs (calibration, what-if sweeps) without
    /// re-elaborating: the structure (sameStructure) must not change (std::invalid_argument
    /// otherwise). Throws InputError, keeping the current specs, when the pair cannot work
    /// together (as the constructor).
    void reconfigure(platforms::spec::PlatformSpec platform, platforms::spec::StackSpec stack);
    /// The same with shared specs; a null stack keeps the current one (a what-if over platform
    /// numbers only).
    void reconfigure(std::shared_ptr<const platforms::spec::PlatformSpec> platform,
                     std::shared_ptr<const platforms::spec::StackSpec> stack);

    /// Whether `platform` elaborates to the same SystemC model as this simulator's
    /// (platformStructure), so that reconfigure() accepts it.
    bool sameStructure(const platforms::spec::PlatformSpec& platform) const;

    /// The mapping `options` selects for `schedule` (what run() uses). A mapper costs layers
    /// at `options.fidelity`, so a TLM mapping accounts for contention between split halves.
    Mapping mappingFor(const workloads::Schedule& schedule, const RunOptions& options);

    const platforms::spec::PlatformSpec& platform() const { return *platform_; }
    const platforms::spec::StackSpec& stack() const { return *stack_; }

private:
    struct Model;
    void runTlm(const Program& program, SimResult& result, SimObserver* observer);
    std::shared_ptr<const platforms::spec::PlatformSpec> platform_;
    std::shared_ptr<const platforms::spec::StackSpec> stack_;
    std::unique_ptr<StackIndex> stackIndex_;  ///< of stack_, rebuilt by reconfigure()
    std::unique_ptr<Model> model_;  ///< elaborated on the first TLM run
};

} // namespace edgesim::sim
