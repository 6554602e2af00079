#include "sim/model/Program.h"

#include "common/Diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace edgesim::sim {

namespace ps = platforms::spec;
using workloads::DType;
using workloads::Kernel;

namespace {

uint64_t ceilDiv(int64_t a, int64_t b) {
    return static_cast<uint64_t>((a + b - 1) / b);
}

bool isNonVolatile(ps::MemoryKind k) {
    return k == ps::FLASH || k == ps::EXTERNAL_FLASH;
}

bool isCacheable(ps::MemoryKind k) {
    return k == ps::FLASH || k == ps::EXTERNAL_FLASH || k == ps::EXTERNAL_RAM;
}

std::string kernelDtype(const Kernel& k) {
    if (k.op == workloads::OpKind::Quantize || k.op == workloads::OpKind::Dequantize) {
        return "int8";
    }
    const bool hasWeights = k.weightBytes > 0;
    if (k.dtype == DType::Fp32 || (hasWeights && k.weightDtype == DType::Fp32)) {
        return "fp32";
    }
    if (k.dtype == DType::Int8 && (!hasWeights || k.weightDtype == DType::Int8)) {
        return "int8";
    }
    return std::string(workloads::toString(k.dtype == DType::Int8 ? k.weightDtype : k.dtype));
}

int indexOf(const ps::PlatformSpec& p, const std::string& memory) {
    for (int i = 0; i < p.memories_size(); ++i) {
        if (p.memories(i).name() == memory) {
            return i;
        }
    }
    return -1;
}

int tileCount(int64_t bytes, const ps::StackSpec& stack) {
    if (stack.tile_bytes() <= 0) {
        return 1;
    }
    const int64_t maxTiles = std::max(1, stack.max_tiles_per_kernel());
    return static_cast<int>(
        std::clamp<int64_t>(static_cast<int64_t>(ceilDiv(bytes, stack.tile_bytes())), 1,
                            maxTiles));
}

} // namespace

uint64_t MemoryTiming::serviceCycles(int64_t bytes, bool write) const {
    const int ws = write ? writeWaitStates : readWaitStates;
    return static_cast<uint64_t>(latencyCycles) +
           ceilDiv(bytes, widthBytes) * static_cast<uint64_t>(1 + ws);
}

uint64_t MemoryTiming::lines(int64_t bytes) const {
    return ceilDiv(bytes, widthBytes);
}

uint64_t BusTiming::beats(int64_t bytes) const {
    return ceilDiv(bytes, widthBytes);
}

uint64_t BusTiming::transferCycles(int64_t bytes, uint64_t serviceCycles) const {
    return static_cast<uint64_t>(latencyCycles) + std::max(beats(bytes), serviceCycles);
}

uint64_t KernelJob::share(uint64_t total, int tiles, int i) {
    const auto n = static_cast<uint64_t>(tiles);
    return total / n + (static_cast<uint64_t>(i) < total % n ? 1 : 0);
}

const char* toString(Status s) {
    switch (s) {
    case Status::Ok:
        return "ok";
    case Status::DoesNotFit:
        return "does_not_fit";
    case Status::Unsupported:
        return "unsupported";
    }
    return "?";
}

StackIndex::StackIndex(const ps::StackSpec& stack)
    : freeOps(stack.free_ops().begin(), stack.free_ops().end()) {
    for (const auto& k : stack.kernels()) {
        kernels[{k.op(), k.dtype().empty() ? "int8" : k.dtype()}] = &k;
    }
}

const ps::KernelSpec* StackIndex::find(const std::string& op, const std::string& dtype) const {
    const auto it = kernels.find({op, dtype});
    return it == kernels.end() ? nullptr : it->second;
}

Program bindProgram(const workloads::Schedule& schedule, const ps::PlatformSpec& platform,
                    const ps::StackSpec& stack, const ResolvedOperatingPoint& op) {
    return bindProgram(schedule, platform, stack, StackIndex(stack), op);
}

Program bindProgram(const workloads::Schedule& schedule, const ps::PlatformSpec& platform,
                    const ps::StackSpec& stack, const StackIndex& index,
                    const ResolvedOperatingPoint& op) {
    Program prog;
    prog.operatingPoint = op;
    prog.core = 0;
    const ps::CoreSpec& core = platform.cores(prog.core);
    const std::string source = platform.name() + " + " + stack.name();

    for (int b = 0; b < platform.buses_size(); ++b) {
        const auto& bus = platform.buses(b);
        prog.buses.push_back({bus.name(), bus.width_bits() / 8, bus.latency_cycles(),
                              bus.arbitration() == ps::SHARED});
        for (const auto& m : bus.masters()) {
            if (m == core.name()) {
                prog.coreBus = b;
            }
        }
    }
    for (const auto& m : platform.memories()) {
        MemoryTiming t;
        t.name = m.name();
        t.kind = m.kind();
        t.widthBytes = m.width_bits() / 8;
        t.readWaitStates = readWaitStatesAt(m, op.clockHz);
        t.writeWaitStates = m.write_wait_states();
        t.latencyCycles = m.latency_cycles();
        t.overlapsCompute = !isCacheable(m.kind()) || m.prefetch() || core.dcache_bytes() > 0;
        prog.memories.push_back(t);
    }
    for (int b = 0; b < platform.buses_size(); ++b) {
        for (const auto& s : platform.buses(b).slaves()) {
            auto& t = prog.memories[static_cast<std::size_t>(indexOf(platform, s))];
            if (t.bus < 0 || b == prog.coreBus) {
                t.bus = b;
            }
        }
    }

    const auto& placement = platform.placement();
    const bool copyWeights = stack.placement().weights() == ps::COPY_TO_RAM;
    prog.activationsMemory = indexOf(platform, placement.activations_memory());
    prog.weightsMemory =
        copyWeights ? prog.activationsMemory : indexOf(platform, placement.weights_memory());
    for (int m : {prog.weightsMemory, prog.activationsMemory}) {
        const auto& t = prog.memories[static_cast<std::size_t>(m)];
        if (prog.coreBus < 0 || t.bus != prog.coreBus) {
            throw InputError(source, "placement",
                             fmt::format("core '{}' cannot reach memory '{}': no bus has both "
                                         "as master and slave",
                                         core.name(), t.name));
        }
    }

    // Kernels: the runtime's fixed per-inference work, then one job per schedule kernel.
    const double scale = core.cycle_scale();
    const auto cycles = [scale](double referenceCycles) {
        return static_cast<uint64_t>(std::llround(referenceCycles * scale));
    };
    KernelJob runtime;
    runtime.name = "(runtime)";
    runtime.op = "runtime";
    runtime.computeCycles = cycles(stack.per_inference_overhead_cycles());
    prog.kernels.push_back(runtime);

    const auto& wmem = platform.memories(prog.weightsMemory);
    const int64_t cacheBytes =
        wmem.cache_bytes() + (isCacheable(wmem.kind()) ? core.dcache_bytes() : 0);
    int64_t scratchBytes = 0;
    for (const Kernel& k : schedule.kernels) {
        const std::string opName(workloads::toString(k.op));
        if (index.isFree(opName)) {
            continue;
        }
        const std::string dtype = kernelDtype(k);
        const ps::KernelSpec* spec = index.find(opName, dtype);
        if (spec == nullptr) {
            prog.status = Status::Unsupported;
            prog.reason = fmt::format("layer '{}' ({} on {}) has no kernel in stack '{}'", k.name,
                                      opName, dtype, stack.name());
            return prog;
        }
        const ps::KernelSpec& ks = *spec;
        const double cpm = core.has_dsp_simd() || ks.scalar_cycles_per_mac() == 0
                               ? ks.cycles_per_mac()
                               : ks.scalar_cycles_per_mac();
        KernelJob job;
        job.name = k.name;
        job.op = opName;
        job.macs = k.macs;
        job.computeCycles = cycles(ks.overhead_cycles() + static_cast<double>(k.macs) * cpm +
                                   static_cast<double>(k.outputElements) * ks.cycles_per_output() +
                                   static_cast<double>(k.inputElements) * ks.cycles_per_input() +
                                   static_cast<double>(k.windowTaps) * ks.cycles_per_tap() +
                                   static_cast<double>(k.im2colElements) *
                                       ks.im2col_cycles_per_element());
        const int64_t elem = workloads::bytesPerElement(k.dtype);
        const auto loads =
            static_cast<int64_t>(std::llround(static_cast<double>(k.macs) *
                                              ks.weight_loads_per_mac()));
        int64_t weightFetch = 0;
        if (k.weightBytes > 0) {
            weightFetch = k.weightBytes <= cacheBytes ? k.weightBytes
                                                      : std::max(k.weightBytes, loads);
            job.accesses.push_back({prog.weightsMemory, weightFetch, false});
        }
        const bool im2col = ks.im2col_cycles_per_element() > 0 && k.im2colElements > 0;
        const int64_t actReads =
            im2col ? k.im2colElements * elem : std::max(k.inputElements, loads) * elem;
        job.accesses.push_back({prog.activationsMemory, actReads, false});
        job.accesses.push_back(
            {prog.activationsMemory,
             k.outputBytes + (im2col ? k.im2colElements * static_cast<int64_t>(
                                                              ks.im2col_scratch_bytes_per_element())
                                     : 0),
             true});
        if (im2col) {
            scratchBytes = std::max(
                scratchBytes, static_cast<int64_t>(std::ceil(
                                  static_cast<double>(k.im2colPatchElements) *
                                  ks.im2col_scratch_bytes_per_element())));
        }
        job.tiles = tileCount(std::max({weightFetch, actReads, k.outputBytes}), stack);
        prog.macs += k.macs;
        prog.kernels.push_back(std::move(job));
    }

    // Footprint and fit.
    prog.peakRamBytes = schedule.arenaBytes + scratchBytes + stack.runtime_ram_bytes() +
                        (copyWeights ? schedule.weightBytes : 0);
    prog.flashBytes = schedule.weightBytes + stack.runtime_flash_bytes();
    const auto& amem = platform.memories(prog.activationsMemory);
    const auto& storage = platform.memories(indexOf(platform, placement.weights_memory()));
    const bool shared = storage.name() == amem.name();
    const int64_t ramNeed = prog.peakRamBytes + (shared ? prog.flashBytes : 0);
    if (ramNeed > amem.size_bytes()) {
        prog.status = Status::DoesNotFit;
        prog.reason = fmt::format("needs {} bytes of RAM in '{}' ({} activations arena{}), which "
                                  "holds {}",
                                  ramNeed, amem.name(), schedule.arenaBytes,
                                  shared ? " plus weights and code" : " plus runtime and scratch",
                                  amem.size_bytes());
    } else if (!shared && isNonVolatile(storage.kind()) &&
               prog.flashBytes > storage.size_bytes()) {
        prog.status = Status::DoesNotFit;
        prog.reason = fmt::format("needs {} bytes in '{}' ({} of weights plus runtime code), "
                                  "which holds {}",
                                  prog.flashBytes, storage.name(), schedule.weightBytes,
                                  storage.size_bytes());
    }
    return prog;
}

} // namespace edgesim::sim
