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
#include <tuple>
#include <vector>

namespace edgesim::sim {

/// Timing of one memory at the operating point.
struct MemoryTiming {
    std::string name;
    platforms::spec::MemoryKind kind = platforms::spec::MEMORY_KIND_UNSPECIFIED;
    int64_t widthBytes = 4;
    int readWaitStates = 0;
    /// > 0: a read access takes this many core cycles (a memory in its own clock domain at a
    /// fixed bandwidth); the wait states do not apply to reads.
    double readCyclesPerAccess = 0;
    int writeWaitStates = 0;
    int latencyCycles = 0;
    /// Transfers stream under the reader's work (prefetch, RAM or a core cache); otherwise
    /// the reader stalls for the transfer minus its own load cycles (KernelJob timing).
    bool overlapsCompute = true;
    int bus = -1; ///< index of the bus whose slave it is (-1: unreachable)

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
    bool shared = false; ///< one transfer at a time (else a matrix: per-slave arbitration)

    uint64_t beats(int64_t bytes) const;
    /// Occupancy of one transaction whose slave needs `serviceCycles`.
    uint64_t transferCycles(int64_t bytes, uint64_t serviceCycles) const;
};

struct Access {
    int memory = 0;
    int64_t bytes = 0; ///< total over the kernel
    bool write = false;
    /// Data-cache line fills the core waits for, whatever the memory's `overlapsCompute`.
    bool blocking = false;
};

/// Whether `a` streams under the core's work (else the core stalls for it after the stream).
bool streamsUnderCompute(const std::vector<MemoryTiming>& memories, const Access& a);

/// ok; over_budget: ran (every metric produced) but slower than the latency budget its
/// mapping was asked to meet; does_not_fit and unsupported: not run.
enum class Status { Ok, DoesNotFit, Unsupported, OverBudget };
const char* toString(Status s);
/// True when the run happened: latency, energy and traffic are produced (ok, over_budget).
bool ran(Status s);

/// One tile of an engine task: the cycles it computes for and the bytes its DMA moves.
struct TileWork {
    uint64_t computeCycles = 0;
    int64_t weightBytes = 0;    ///< loaded before the tile (0: still resident from the last)
    int64_t inputBytes = 0;     ///< loaded before the tile
    int64_t outputBytes = 0;    ///< stored after the tile
    int64_t footprintBytes = 0; ///< local memory of one buffer set (weights, inputs, outputs)
};

/// An engine's plan for one layer (or its channel share).
struct EnginePlan {
    Status status = Status::Ok;
    std::string reason;
    std::vector<TileWork> tiles;
    int64_t macs = 0;
    double eventEnergyJ = 0; ///< engine events (MACs, conversions, programming, buffers)
};

/// One DMA copy step: memory `from` to memory `to` by DMA `dma` (indices into Program).
struct Hop {
    int dma = 0;
    int from = 0;
    int to = 0;
};

/// An engine's part of a layer: its tiles and the routes their data takes.
struct EngineTask {
    int engine = 0; ///< index into Program::engines
    EnginePlan plan;
    std::vector<Hop> weightRoute; ///< weights memory -> local memory (empty: no weights)
    std::vector<Hop> inputRoute;  ///< activations memory -> local memory
    std::vector<Hop> outputRoute; ///< local memory -> activations memory
    int loadChannel = 0;          ///< DMA channel of the first hop of loads
    int storeChannel = 0;
};

/// A layer's weights copied whole from L3 into a slot of the weights memory before it runs
/// (per-layer weight streaming, sim/model/WeightStreaming.h).
struct WeightFetch {
    std::vector<Hop> route; ///< L3 -> weights memory; empty: the kernel fetches nothing
    int64_t bytes = 0;
    /// Index into Program::kernels of the kernel whose end frees the slot and issues the copy
    /// (-1: issued when the inference starts). The copy's kernel waits for it to arrive.
    int issueAfter = -1;
    int channel = 0; ///< DMA channel of the first hop
};

struct KernelJob {
    std::string name;
    std::string op;
    int scheduleKernel = -1; ///< index into the schedule's kernels (-1: the runtime's own work)
    int64_t macs = 0;
    uint64_t computeCycles = 0; ///< core cycles of the instruction stream, all tiles
    int tiles = 1;
    std::vector<Access> accesses;
    /// Engines the layer is offloaded to (one, or two for a channel split). When non-empty,
    /// `computeCycles` is the host's launch cost and the tasks run in parallel after it.
    std::vector<EngineTask> tasks;
    std::string engineLabel; ///< "cpu", "ne16", "digital+aimc", ...
    bool fallback = false;   ///< mapped to an engine that lacks the op; ran on the host
    WeightFetch fetch;       ///< weights streamed in whole before the kernel (per layer)

    /// Share of `total` in tile `i` (an even split, remainder to the first tiles).
    static uint64_t share(uint64_t total, int tiles, int i);
};

struct DmaTiming {
    std::string name;
    int channels = 1;
    int64_t burstBytes = 64;
    int setupCycles = 0;
    int burstsPerSync = 1; ///< TLM only: bursts between two SystemC waits
    int bus = -1;
    /// Per memory: the buses a transaction crosses to reach it (own bus first, then
    /// bridges); empty when the DMA cannot reach the memory.
    std::vector<std::vector<int>> busPath;
};

struct EngineTiming {
    std::string name;
    platforms::spec::EngineKind kind = platforms::spec::ENGINE_KIND_UNSPECIFIED;
    int localMemory = 0;
    int dma = 0;
    double busyCapacitancePf = 0;
    double leakagePowerW = 0;
};

struct Program {
    Status status = Status::Ok;
    std::string reason; ///< why not ok
    ResolvedOperatingPoint operatingPoint;
    std::vector<MemoryTiming> memories; ///< in platform order
    std::vector<BusTiming> buses;
    int core = 0; ///< index of the core running the network
    int coreBus = -1;
    std::vector<KernelJob> kernels; ///< the runtime's per-inference work first
    int64_t macs = 0;
    int64_t peakRamBytes = 0;
    int64_t flashBytes = 0;
    int64_t weightBytes = 0; ///< the schedule's weights and biases as stored (in flashBytes)
    int weightsMemory = 0;
    int activationsMemory = 0;
    /// L3 memory streamed weights live in (-1: every weight resident in weightsMemory) and
    /// the bytes of the layers whose weights live there.
    int weightsStreamMemory = -1;
    int64_t streamedWeightBytes = 0;
    std::vector<DmaTiming> dmas;
    std::vector<EngineTiming> engines;
    int buffers = 2;
};

/// A stack's kernel table indexed for lookup (built once per stack, not per simulation).
struct StackIndex {
    explicit StackIndex(const platforms::spec::StackSpec& stack);
    /// General kernel for `op` on `dtype` on `engine` ("" = the host core), or if the stack
    /// has only specialised ones the first of those; null if it has none.
    const platforms::spec::KernelSpec* find(const std::string& op, const std::string& dtype,
                                            const std::string& engine = "") const;
    /// The kernel that runs `kernel`: the first specialised kernel whose conditions the
    /// layer meets, else the general one; null if none applies.
    const platforms::spec::KernelSpec* find(const workloads::Kernel& kernel,
                                            const std::string& dtype,
                                            const std::string& engine = "") const;
    bool isFree(const std::string& op) const { return freeOps.count(op) != 0; }

    using Key = std::tuple<std::string, std::string, std::string>; ///< engine, op, dtype
    std::map<Key, const platforms::spec::KernelSpec*> kernels;
    std::map<Key, std::vector<const platforms::spec::KernelSpec*>> specialised;
    std::set<std::string> freeOps;
};

/// Whether `kernel` meets the conditions of a specialised kernel.
bool meets(const workloads::Kernel& kernel, const platforms::spec::KernelCondition& when);

/// Work of one kernel (or a share of it) in the units the stack's costs are given in.
struct KernelWork {
    double macs = 0;
    double outputs = 0;
    double inputs = 0;
    double taps = 0;            ///< output elements x window positions
    double im2colElements = 0;  ///< elements the im2col step copies
    double im2colPositions = 0; ///< output pixels x window positions it copies

    static KernelWork of(const workloads::Kernel& kernel);
    KernelWork scaled(double share) const;
};

/// Reference-pipeline cycles of the stack's micro-model for `work` (before any core's
/// cycle_scale), the per-layer overhead excluded.
double kernelReferenceCycles(const platforms::spec::KernelSpec& kernel, bool simd,
                             const KernelWork& work);

struct Mapping;

/// Empty when the host core (the platform's first) reaches the memories the stack places the
/// weights and activations in over its own bus; else why not (what bindProgram throws for).
std::string placementProblem(const platforms::spec::PlatformSpec& platform,
                             const platforms::spec::StackSpec& stack);

/// Binds `schedule` to the hardware. Never throws for a network that does not fit or has an
/// operator the stack lacks: the Program's status says so. Throws InputError only for an
/// inconsistent platform/stack pair (e.g. the core cannot reach the weights memory).
Program bindProgram(const workloads::Schedule& schedule,
                    const platforms::spec::PlatformSpec& platform,
                    const platforms::spec::StackSpec& stack, const ResolvedOperatingPoint& op);
/// The same with the stack already indexed (`index` must be built from `stack`).
/// `mapping` (one choice per schedule kernel, may be null = all on the host core) offloads
/// kernels to engines; a kernel whose engine lacks the op runs on the host (fallback).
Program bindProgram(const workloads::Schedule& schedule,
                    const platforms::spec::PlatformSpec& platform,
                    const platforms::spec::StackSpec& stack, const StackIndex& index,
                    const ResolvedOperatingPoint& op, const Mapping* mapping = nullptr);

/// Cycles DMA hop `hop` takes to copy `bytes` with no other traffic: setup, then per burst a
/// read from the source and a write to the destination through the DMA's bus path (each
/// bus adding its latency and beats around the next one's occupancy, as the TLM buses do).
uint64_t hopCycles(const Program& program, const Hop& hop, int64_t bytes);

/// The DMA hops moving data from memory `from` to memory `to`, fewest hops first and
/// `preferredDma` for a single hop when it can; empty if `from == to`; throws InputError
/// naming `source` if no chain of DMAs connects them.
std::vector<Hop> routeBetween(const Program& program, int from, int to, int preferredDma,
                              const std::string& source);

} // namespace edgesim::sim
