// A schedule bound to a platform, a stack and an operating point: per kernel, the cycles the
// core's micro-model charges, the memory accesses it issues (bytes per memory) and how many
// tile-sized transactions they are cut into. Both fidelities execute the same Program: the
// analytical evaluator in closed form, the TLM model through the SystemC interconnect.
#pragma once

#include "platforms/spec/platform.pb.h"
#include "platforms/spec/stack.pb.h"
#include "sim/model/OperatingPoint.h"
#include "workloads/schedule/Schedule.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace edgesim::sim {

/// Timing of one memory at the operating point.
struct MemoryTiming {
    std::string name;
    platforms::spec::MemoryKind kind = platforms::spec::MEMORY_KIND_UNSPECIFIED;
    int64_t widthBytes = 4;
    int readWaitStates = 0;
    int writeWaitStates = 0;
    int latencyCycles = 0;
    /// Transfers stream under the reader's work (prefetch, RAM or a core cache); otherwise
    /// the reader stalls for the transfer minus its own load cycles (KernelJob timing).
    bool overlapsCompute = true;
    int bus = -1;  ///< index of the bus whose slave it is (-1: unreachable)

    /// Cycles the memory is busy serving one burst of `bytes`.
    uint64_t serviceCycles(int64_t bytes, bool write) const;
    /// Accesses (lines) one burst of `bytes` takes: the part of a transfer a blocking reader's
    /// own load instructions already account for, one cycle each.
    uint64_t lines(int64_t bytes) const;
};

struct BusTiming {
    std::string name;
    int64_t widthBytes = 4;
    int latencyCycles = 0;
    bool shared = false;  ///< one transfer at a time (else a matrix: per-slave arbitration)

    uint64_t beats(int64_t bytes) const;
    /// Occupancy of one transaction whose slave needs `serviceCycles`.
    uint64_t transferCycles(int64_t bytes, uint64_t serviceCycles) const;
};

struct Access {
    int memory = 0;
    int64_t bytes = 0;  ///< total over the kernel
    bool write = false;
};

struct KernelJob {
    std::string name;
    std::string op;
    int64_t macs = 0;
    uint64_t computeCycles = 0;  ///< core cycles of the instruction stream, all tiles
    int tiles = 1;
    std::vector<Access> accesses;

    /// Share of `total` in tile `i` (an even split, remainder to the first tiles).
    static uint64_t share(uint64_t total, int tiles, int i);
};

enum class Status { Ok, DoesNotFit, Unsupported };
const char* toString(Status s);

struct Program {
    Status status = Status::Ok;
    std::string reason;  ///< why not ok
    ResolvedOperatingPoint operatingPoint;
    std::vector<MemoryTiming> memories;  ///< in platform order
    std::vector<BusTiming> buses;
    int core = 0;                        ///< index of the core running the network
    int coreBus = -1;
    std::vector<KernelJob> kernels;      ///< the runtime's per-inference work first
    int64_t macs = 0;
    int64_t peakRamBytes = 0;
    int64_t flashBytes = 0;
    int weightsMemory = 0;
    int activationsMemory = 0;
};

/// A stack's kernel table indexed for lookup (built once per stack, not per simulation).
struct StackIndex {
    explicit StackIndex(const platforms::spec::StackSpec& stack);
    /// Kernel for `op` on `dtype`, null if the stack has none.
    const platforms::spec::KernelSpec* find(const std::string& op, const std::string& dtype) const;
    bool isFree(const std::string& op) const { return freeOps.count(op) != 0; }

    std::map<std::pair<std::string, std::string>, const platforms::spec::KernelSpec*> kernels;
    std::set<std::string> freeOps;
};

/// Binds `schedule` to the hardware. Never throws for a network that does not fit or has an
/// operator the stack lacks: the Program's status says so. Throws InputError only for an
/// inconsistent platform/stack pair (e.g. the core cannot reach the weights memory).
Program bindProgram(const workloads::Schedule& schedule,
                    const platforms::spec::PlatformSpec& platform,
                    const platforms::spec::StackSpec& stack, const ResolvedOperatingPoint& op);
/// The same with the stack already indexed (`index` must be built from `stack`).
Program bindProgram(const workloads::Schedule& schedule,
                    const platforms::spec::PlatformSpec& platform,
                    const platforms::spec::StackSpec& stack, const StackIndex& index,
                    const ResolvedOperatingPoint& op);

} // namespace edgesim::sim
