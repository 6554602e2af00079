#include "sim/model/Program.h"

#include "common/Checked.h"
#include "common/Diagnostics.h"
#include "platforms/PlatformCatalog.h"
#include "sim/mapping/Mapping.h"
#include "sim/model/Offload.h"
#include "sim/model/WeightStreaming.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>

namespace edgesim::sim {

namespace ps = platforms::spec;
using workloads::DType;
using workloads::Kernel;

namespace {

uint64_t ceilDiv(int64_t a, int64_t b) {
    return static_cast<uint64_t>(a / b + (a % b != 0 ? 1 : 0));
}

bool isNonVolatile(ps::MemoryKind k) {
    return k == ps::FLASH || k == ps::EXTERNAL_FLASH;
}

bool isCacheable(ps::MemoryKind k) {
    return k == ps::FLASH || k == ps::EXTERNAL_FLASH || k == ps::EXTERNAL_RAM;
}

// Whether the core's reads of memory `m` stream under its own work. A cache (the core's data
// cache, or prefetch in front of a cacheable memory) hides the access time; a RAM read in a
// single cycle costs nothing beyond the load instruction. A RAM with read wait states and no
// cache in front of it stalls the in-order pipeline on every access, as an uncached flash
// does (e.g. the RA6M4's SRAM above 100 MHz).
bool overlapsCoreWork(const ps::MemorySpec& m, const MemoryTiming& t, const ps::CoreSpec& core) {
    if (core.dcache_bytes() > 0 || m.prefetch()) {
        return true;
    }
    return !isCacheable(m.kind()) && t.readWaitStates == 0 && t.readCyclesPerAccess == 0;
}

std::string kernelDtype(const Kernel& k) {
    if (k.op == workloads::OpKind::Quantize || k.op == workloads::OpKind::Dequantize) {
        return "int8";
    }
    const bool hasWeights = k.weightBytes > 0;
    if (workloads::isSubByte(k.inputDtype) && k.dtype != DType::Fp32) {
        return platforms::kernelTypeKey(hasWeights ? std::string(workloads::toString(k.weightDtype))
                                                   : "",
                                        std::string(workloads::toString(k.inputDtype)));
    }
    if (k.dtype == DType::Fp32 || (hasWeights && k.weightDtype == DType::Fp32)) {
        return "fp32";
    }
    // The wider of the input and the output (a sub-byte output of a wider input is the
    // requantised store of the input's kernel; an int16 input needs an int16 kernel).
    const DType out = workloads::isSubByte(k.dtype) ? DType::Int8 : k.dtype;
    const DType act = workloads::widerOf(out, k.inputDtype);
    if (act == DType::Int8 && (!hasWeights || k.weightDtype == DType::Int8)) {
        return "int8";
    }
    return std::string(workloads::toString(act == DType::Int8 ? k.weightDtype : act));
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
        std::clamp<int64_t>(static_cast<int64_t>(ceilDiv(bytes, stack.tile_bytes())), 1, maxTiles));
}

/// "training arena: 1200 saved activations, 300 weight gradients, ..." (the peak's roles).
std::string trainingArenaText(const workloads::TrainingMemory& m) {
    std::vector<std::string> parts;
    for (std::size_t r = 0; r < workloads::kTensorRoleCount; ++r) {
        if (m.peakByRole[r] > 0) {
            parts.push_back(
                fmt::format("{} {}", m.peakByRole[r],
                            workloads::toString(static_cast<workloads::TensorRole>(r))));
        }
    }
    return "training arena" +
           (parts.empty() ? std::string() : ": " + fmt::format("{}", fmt::join(parts, ", ")));
}

} // namespace

uint64_t MemoryTiming::serviceCycles(int64_t bytes, bool write) const {
    if (!write && readCyclesPerAccess > 0) {
        return static_cast<uint64_t>(latencyCycles) +
               static_cast<uint64_t>(std::ceil(static_cast<double>(ceilDiv(bytes, widthBytes)) *
                                               readCyclesPerAccess));
    }
    const int ws = write ? writeWaitStates : readWaitStates;
    return static_cast<uint64_t>(latencyCycles) +
           ceilDiv(bytes, widthBytes) * static_cast<uint64_t>(1 + ws);
}

uint64_t MemoryTiming::lines(int64_t bytes) const {
    return ceilDiv(bytes, widthBytes);
}

bool streamsUnderCompute(const std::vector<MemoryTiming>& memories, const Access& a) {
    return !a.blocking && memories[static_cast<std::size_t>(a.memory)].overlapsCompute;
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
    case Status::Ok: return "ok";
    case Status::DoesNotFit: return "does_not_fit";
    case Status::Unsupported: return "unsupported";
    case Status::OverBudget: return "over_budget";
    }
    return "?";
}

bool ran(Status s) {
    return s == Status::Ok || s == Status::OverBudget;
}

StackIndex::StackIndex(const ps::StackSpec& stack)
    : freeOps(stack.free_ops().begin(), stack.free_ops().end()) {
    for (const auto* list : {&stack.kernels(), &stack.library_kernels()}) {
        for (const auto& k : *list) {
            const Key key{k.engine(), k.op(), platforms::kernelTypeKey(k)};
            if (k.has_when()) {
                specialised[key].push_back(&k);
            } else {
                kernels.emplace(key, &k); // the stack's own first
            }
        }
    }
}

const ps::KernelSpec* StackIndex::find(const std::string& op, const std::string& dtype,
                                       const std::string& engine) const {
    const Key key{engine, op, dtype};
    if (const auto it = kernels.find(key); it != kernels.end()) {
        return it->second;
    }
    const auto it = specialised.find(key);
    return it == specialised.end() ? nullptr : it->second.front();
}

const ps::KernelSpec* StackIndex::find(const workloads::Kernel& kernel, const std::string& dtype,
                                       const std::string& engine) const {
    const Key key{engine, kernel.opName(), dtype};
    if (const auto it = specialised.find(key); it != specialised.end()) {
        for (const ps::KernelSpec* k : it->second) {
            if (meets(kernel, k->when())) {
                return k;
            }
        }
    }
    const auto it = kernels.find(key);
    return it == kernels.end() ? nullptr : it->second;
}

bool meets(const workloads::Kernel& kernel, const ps::KernelCondition& when) {
    const workloads::LoopNest& n = kernel.loops;
    if (when.window() > 0 && (n.fx != when.window() || n.fy != when.window())) {
        return false;
    }
    if (when.stride() > 0 && (n.strideX != when.stride() || n.strideY != when.stride())) {
        return false;
    }
    if (when.unpadded() && kernel.padded) {
        return false;
    }
    return when.channel_multiple() <= 0 || n.c % when.channel_multiple() == 0;
}

KernelWork KernelWork::of(const workloads::Kernel& kernel) {
    KernelWork w;
    w.macs = static_cast<double>(kernel.macs);
    w.outputs = static_cast<double>(kernel.outputElements);
    w.inputs = static_cast<double>(kernel.inputElements);
    w.taps = static_cast<double>(kernel.windowTaps);
    w.im2colElements = static_cast<double>(kernel.im2colElements);
    w.im2colPositions = static_cast<double>(kernel.im2colPositions);
    return w;
}

KernelWork KernelWork::scaled(double share) const {
    KernelWork w = *this;
    w.macs *= share;
    w.outputs *= share;
    w.inputs *= share;
    w.taps *= share;
    w.im2colElements *= share;
    w.im2colPositions *= share;
    return w;
}

double kernelReferenceCycles(const ps::KernelSpec& ks, bool simd, const KernelWork& w) {
    const double cpm =
        simd || ks.scalar_cycles_per_mac() == 0 ? ks.cycles_per_mac() : ks.scalar_cycles_per_mac();
    return w.macs * cpm + w.outputs * ks.cycles_per_output() + w.inputs * ks.cycles_per_input() +
           w.taps * ks.cycles_per_tap() + w.im2colElements * ks.im2col_cycles_per_element() +
           w.im2colPositions * ks.im2col_cycles_per_position();
}

Program bindProgram(const workloads::Schedule& schedule, const ps::PlatformSpec& platform,
                    const ps::StackSpec& stack, const ResolvedOperatingPoint& op) {
    return bindProgram(schedule, platform, stack, StackIndex(stack), op);
}

uint64_t hopCycles(const Program& program, const Hop& hop, int64_t bytes) {
    const DmaTiming& dma = program.dmas[static_cast<std::size_t>(hop.dma)];
    const auto access = [&](int memory, int64_t n, bool write) {
        const auto& path = dma.busPath[static_cast<std::size_t>(memory)];
        uint64_t cycles =
            program.memories[static_cast<std::size_t>(memory)].serviceCycles(n, write);
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
            cycles = program.buses[static_cast<std::size_t>(*it)].transferCycles(n, cycles);
        }
        return cycles;
    };
    // The DMA channel's two-stage pipeline: reads back to back, each write after its read
    // and the previous write.
    const int64_t full = bytes / dma.burstBytes;
    const int64_t rest = bytes % dma.burstBytes;
    const uint64_t r = full > 0 ? access(hop.from, dma.burstBytes, false) : 0;
    const uint64_t w = full > 0 ? access(hop.to, dma.burstBytes, true) : 0;
    uint64_t readDone = 0;
    uint64_t writeDone = 0;
    if (full > 0) {
        readDone = static_cast<uint64_t>(full) * r;
        writeDone = r + w + static_cast<uint64_t>(full - 1) * std::max(r, w);
    }
    if (rest > 0) {
        readDone += access(hop.from, rest, false);
        writeDone = std::max(readDone, writeDone) + access(hop.to, rest, true);
    }
    return static_cast<uint64_t>(dma.setupCycles) + std::max(readDone, writeDone);
}

std::vector<Hop> routeBetween(const Program& program, int from, int to, int preferredDma,
                              const std::string& source) {
    if (from == to) {
        return {};
    }
    const auto reaches = [&](const DmaTiming& d, int m) {
        return !d.busPath[static_cast<std::size_t>(m)].empty();
    };
    const auto& preferred = program.dmas[static_cast<std::size_t>(preferredDma)];
    if (reaches(preferred, from) && reaches(preferred, to)) {
        return {{preferredDma, from, to}};
    }
    // Breadth-first over memories; an edge is a DMA reaching both ends.
    const std::size_t n = program.memories.size();
    std::vector<Hop> via(n, Hop{-1, -1, -1});
    std::vector<bool> seen(n, false);
    std::deque<int> queue{from};
    seen[static_cast<std::size_t>(from)] = true;
    while (!queue.empty()) {
        const int m = queue.front();
        queue.pop_front();
        for (std::size_t d = 0; d < program.dmas.size(); ++d) {
            if (!reaches(program.dmas[d], m)) {
                continue;
            }
            for (std::size_t next = 0; next < n; ++next) {
                if (!seen[next] && reaches(program.dmas[d], static_cast<int>(next))) {
                    seen[next] = true;
                    via[next] = {static_cast<int>(d), m, static_cast<int>(next)};
                    queue.push_back(static_cast<int>(next));
                }
            }
        }
    }
    if (!seen[static_cast<std::size_t>(to)]) {
        throw InputError(source, "dmas",
                         fmt::format("no DMA (or chain of DMAs) moves data from '{}' to '{}'",
                                     program.memories[static_cast<std::size_t>(from)].name,
                                     program.memories[static_cast<std::size_t>(to)].name));
    }
    std::vector<Hop> route;
    for (int m = to; m != from; m = via[static_cast<std::size_t>(m)].from) {
        route.insert(route.begin(), via[static_cast<std::size_t>(m)]);
    }
    return route;
}

std::string placementProblem(const ps::PlatformSpec& platform, const ps::StackSpec& stack) {
    const std::string& core = platform.cores(0).name();
    const ps::BusSpec* coreBus = nullptr;
    for (const auto& bus : platform.buses()) {
        if (std::find(bus.masters().begin(), bus.masters().end(), core) != bus.masters().end()) {
            coreBus = &bus; // the last bus naming the core as master, as bindProgram uses
        }
    }
    const auto& placement = platform.placement();
    const bool copyWeights = stack.placement().weights() == ps::COPY_TO_RAM;
    for (const std::string& m :
         {copyWeights ? placement.activations_memory() : placement.weights_memory(),
          placement.activations_memory()}) {
        if (coreBus == nullptr || std::find(coreBus->slaves().begin(), coreBus->slaves().end(),
                                            m) == coreBus->slaves().end()) {
            return fmt::format("core '{}' cannot reach memory '{}': no bus has both as master "
                               "and slave",
                               core, m);
        }
    }
    return {};
}

namespace {

Program bindChecked(const workloads::Schedule& schedule, const ps::PlatformSpec& platform,
                    const ps::StackSpec& stack, const StackIndex& index,
                    const ResolvedOperatingPoint& op, const Mapping* mapping) {
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
        t.readCyclesPerAccess = readCyclesPerAccessAt(m, op);
        t.writeWaitStates = m.write_wait_states();
        t.latencyCycles = m.latency_cycles();
        t.overlapsCompute = overlapsCoreWork(m, t, core);
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

    // DMAs: the buses each reaches every memory through (its own bus, then bridges).
    std::map<std::string, int> busIndex;
    for (int b = 0; b < platform.buses_size(); ++b) {
        busIndex[platform.buses(b).name()] = b;
    }
    for (const auto& d : platform.dmas()) {
        DmaTiming t;
        t.name = d.name();
        t.channels = std::max(1, d.channels());
        t.burstBytes = std::max<int64_t>(1, d.burst_bytes());
        t.setupCycles = d.setup_cycles();
        t.burstsPerSync = std::max(1, d.bursts_per_sync());
        t.busPath.assign(prog.memories.size(), {});
        for (int b = 0; b < platform.buses_size(); ++b) {
            for (const auto& m : platform.buses(b).masters()) {
                if (m == d.name()) {
                    t.bus = b;
                }
            }
        }
        std::deque<std::vector<int>> paths;
        if (t.bus >= 0) {
            paths.push_back({t.bus});
        }
        std::set<int> visited;
        while (!paths.empty()) {
            const std::vector<int> path = paths.front();
            paths.pop_front();
            if (!visited.insert(path.back()).second) {
                continue;
            }
            const auto& bus = platform.buses(path.back());
            for (const auto& s : bus.slaves()) {
                auto& slot = t.busPath[static_cast<std::size_t>(indexOf(platform, s))];
                if (slot.empty()) {
                    slot = path;
                }
            }
            for (const auto& bridge : bus.bridges()) {
                if (const auto it = busIndex.find(bridge); it != busIndex.end()) {
                    auto next = path;
                    next.push_back(it->second);
                    paths.push_back(std::move(next));
                }
            }
        }
        prog.dmas.push_back(std::move(t));
    }

    const auto& placement = platform.placement();
    const bool copyWeights = stack.placement().weights() == ps::COPY_TO_RAM;
    prog.activationsMemory = indexOf(platform, placement.activations_memory());
    prog.weightsMemory =
        copyWeights ? prog.activationsMemory : indexOf(platform, placement.weights_memory());
    if (const std::string why = placementProblem(platform, stack); !why.empty()) {
        throw InputError(source, "placement", why);
    }

    // Kernels: the runtime's fixed per-inference work, then one job per schedule kernel.
    const double scale = core.cycle_scale();
    const auto cycles = [scale](double referenceCycles) {
        return toCount(referenceCycles * scale, "a kernel's cycle count");
    };
    std::unique_ptr<Offloader> offloader;
    if (platform.engines_size() > 0) {
        offloader = std::make_unique<Offloader>(platform, stack, index, prog, source);
    }
    KernelJob runtime;
    runtime.name = "(runtime)";
    runtime.engineLabel = core.name();
    runtime.op = "runtime";
    runtime.computeCycles = cycles(stack.per_inference_overhead_cycles());
    prog.kernels.push_back(runtime);

    const auto& wmem = platform.memories(prog.weightsMemory);
    const int64_t cacheBytes =
        wmem.cache_bytes() + (isCacheable(wmem.kind()) ? core.dcache_bytes() : 0);
    const bool coreCached = isCacheable(wmem.kind()) && core.dcache_bytes() > 0;
    const int64_t missLineBytes = coreCached && !wmem.prefetch() ? core.dcache_line_bytes() : 0;
    int64_t scratchBytes = 0;
    std::vector<std::string> missing; // "'layer' (op on dtype)" of every kernel without one
    bool floatMissing = false;
    for (std::size_t ki = 0; ki < schedule.kernels.size(); ++ki) {
        const Kernel& k = schedule.kernels[ki];
        const std::string opName = k.opName();
        if (index.isFree(opName)) {
            continue;
        }
        const std::string dtype = kernelDtype(k);
        bool fallback = false;
        std::string fallbackWhy;
        if (mapping != nullptr && ki < mapping->kernels.size()) {
            const LayerChoice& choice = mapping->kernels[ki];
            if (choice.engine != core.name() || choice.isSplit()) {
                KernelJob job;
                job.name = k.name;
                job.op = opName;
                job.scheduleKernel = static_cast<int>(ki);
                if (offloader && offloader->offload(k, dtype, choice, job, fallbackWhy)) {
                    for (const auto& t : job.tasks) {
                        if (t.plan.status != Status::Ok) {
                            prog.status = t.plan.status;
                            prog.reason = t.plan.reason;
                            return prog;
                        }
                    }
                    prog.macs += k.macs;
                    prog.kernels.push_back(std::move(job));
                    continue;
                }
                fallback = true;
            }
        }
        const ps::KernelSpec* spec = index.find(k, dtype);
        if (spec != nullptr && spec->training_only() && !schedule.training) {
            spec = nullptr; // a training library's kernel: not how the stack runs inference
        }
        if (spec == nullptr) {
            // Every such layer is named, and the footprint still computed, below.
            missing.push_back(fmt::format("'{}' ({} on {}{})", k.name, opName,
                                          platforms::kernelTypeText(dtype, k.weightBytes > 0),
                                          fallback ? "; host fallback: " + fallbackWhy : ""));
            floatMissing = floatMissing || dtype == "fp32";
            continue;
        }
        const ps::KernelSpec& ks = *spec;
        KernelJob job;
        job.name = k.name;
        job.op = opName;
        job.scheduleKernel = static_cast<int>(ki);
        job.macs = k.macs;
        job.engineLabel = core.name();
        job.fallback = fallback;
        // fp32 in software on a core without an FPU (the library's soft-float factor).
        const double softFloat =
            dtype == "fp32" && !core.has_fpu() && ks.soft_float_cycle_scale() > 0
                ? ks.soft_float_cycle_scale()
                : 1.0;
        job.computeCycles =
            cycles(softFloat * (ks.overhead_cycles() +
                                kernelReferenceCycles(ks, core.has_dsp_simd(), KernelWork::of(k))));
        // Activation bytes read per element: the layer's type (as calibrated), packed for
        // sub-byte inputs; a sub-byte output of a wider input reads bytes.
        const int64_t elemBits =
            workloads::isSubByte(k.inputDtype) ? workloads::bitsPerElement(k.inputDtype)
            : workloads::isSubByte(k.dtype)    ? 8
                                               : workloads::bitsPerElement(k.dtype);
        const auto actBytes = [&](int64_t elements) {
            return std::max<int64_t>(elements > 0 ? 1 : 0,
                                     (checkedMul(elements, elemBits) + 7) / 8);
        };
        const auto loads = static_cast<int64_t>(
            toCount(static_cast<double>(k.macs) * ks.weight_loads_per_mac(), "weight loads"));
        int64_t weightFetch = 0;
        if (k.weightBytes > 0) {
            // Bytes the loop re-reads between two uses of a weight: the channels one pass
            // keeps (if the stack says) or the whole layer.
            const int64_t outChannels = std::max<int64_t>(1, k.loops.outputChannels());
            const int64_t reuseBytes =
                ks.weight_reuse_channels() > 0 && ks.weight_reuse_channels() < outChannels
                    ? static_cast<int64_t>(
                          ceilDiv(k.weightBytes * ks.weight_reuse_channels(), outChannels))
                    : k.weightBytes;
            weightFetch = reuseBytes <= cacheBytes ? k.weightBytes : std::max(k.weightBytes, loads);
            // With the line size known, the bytes above are the data cache's misses: whole
            // lines the in-order core waits for, unless the memory prefetches them.
            const bool lineFills = missLineBytes > 0;
            if (lineFills) {
                weightFetch =
                    static_cast<int64_t>(ceilDiv(weightFetch, missLineBytes)) * missLineBytes;
            }
            job.accesses.push_back({k.weightsInRam ? prog.activationsMemory : prog.weightsMemory,
                                    weightFetch, false, lineFills && !k.weightsInRam});
        }
        const bool im2col = ks.im2col_cycles_per_element() > 0 && k.im2colElements > 0;
        const int64_t actReads =
            im2col         ? actBytes(k.im2colElements)
            : elemBits < 8 ? std::max(k.inputBytes, actBytes(loads)) // each input packed as it is
                           : actBytes(std::max(k.inputElements, loads));
        // Stores first: they never stall the core (write wait states aside), and a RAM whose
        // reads stall (wait states, no cache) then serves the stalling reads last, so the
        // core resumes when its reads end rather than behind its own posted stores.
        job.accesses.push_back(
            {prog.activationsMemory,
             k.outputBytes + (im2col ? k.im2colElements * static_cast<int64_t>(
                                                              ks.im2col_scratch_bytes_per_element())
                                     : 0),
             true});
        job.accesses.push_back({prog.activationsMemory, actReads, false});
        if (im2col) {
            scratchBytes =
                std::max(scratchBytes,
                         static_cast<int64_t>(std::ceil(static_cast<double>(k.im2colPatchElements) *
                                                        ks.im2col_scratch_bytes_per_element())));
        }
        job.tiles = tileCount(std::max({weightFetch, actReads, k.outputBytes}), stack);
        prog.macs += k.macs;
        prog.kernels.push_back(std::move(job));
    }

    // Footprint and fit.
    // A training arena holds the trainable weights' RAM copy: where the weights already
    // are in that RAM (copied, or stored there), they are the same bytes, updated in place.
    const int64_t ramWeights = schedule.training ? schedule.training->ramWeightBytes : 0;
    prog.peakRamBytes = schedule.arenaBytes + scratchBytes + stack.runtime_ram_bytes() +
                        (copyWeights ? schedule.weightBytes - ramWeights : 0);
    prog.flashBytes = schedule.weightBytes + stack.runtime_flash_bytes();
    prog.weightBytes = schedule.weightBytes;
    const auto& amem = platform.memories(prog.activationsMemory);
    const auto& storage = platform.memories(indexOf(platform, placement.weights_memory()));
    const bool shared = storage.name() == amem.name();
    const int64_t ramNeed =
        prog.peakRamBytes + (shared ? prog.flashBytes - (copyWeights ? 0 : ramWeights) : 0);
    // Weights beyond the RAM, but not the arena and code: streamed from L3 if there is one.
    const bool weightsOverflow =
        shared && !copyWeights && ramNeed - schedule.weightBytes <= amem.size_bytes();
    const std::string& l3 = placement.weights_stream_memory();
    if (ramNeed > amem.size_bytes() && weightsOverflow && !l3.empty() && missing.empty()) {
        streamWeights(prog, schedule, platform, ramNeed - schedule.weightBytes, source);
    } else if (ramNeed > amem.size_bytes()) {
        prog.status = Status::DoesNotFit;
        prog.reason = fmt::format(
            "needs {} bytes of RAM in '{}' ({} {}{}), which "
            "holds {}{}",
            ramNeed, amem.name(), schedule.arenaBytes,
            schedule.training ? trainingArenaText(*schedule.training) : "activations arena",
            shared ? " plus weights and code" : " plus runtime and scratch", amem.size_bytes(),
            weightsOverflow && l3.empty() ? " (and the platform names no "
                                            "weights_stream_memory to stream weights from)"
                                          : "");
    } else if (!shared && isNonVolatile(storage.kind()) && prog.flashBytes > storage.size_bytes()) {
        prog.status = Status::DoesNotFit;
        prog.reason = fmt::format("needs {} bytes in '{}' ({} of weights plus runtime code), "
                                  "which holds {}",
                                  prog.flashBytes, storage.name(), schedule.weightBytes,
                                  storage.size_bytes());
    }
    if (!missing.empty()) {
        prog.status = Status::Unsupported;
        prog.reason = fmt::format(
            "{} layer{} no kernel in stack '{}': {}{}", missing.size(),
            missing.size() == 1 ? " has" : "s have", stack.name(), fmt::join(missing, ", "),
            floatMissing
                ? " (a float network: cost it as deployed, quantised, e.g. --quantize int8)"
                : "");
    }
    return prog;
}

} // namespace

Program bindProgram(const workloads::Schedule& schedule, const ps::PlatformSpec& platform,
                    const ps::StackSpec& stack, const StackIndex& index,
                    const ResolvedOperatingPoint& op, const Mapping* mapping) {
    // Legal but absurd costs (a cycle count per MAC of 1e14 on a billion MACs): the candidate
    // is a row saying so, not a wrapped number or a crash. Counted without exceptions: a
    // sweep binds its next point after simulating others (CountScope).
    const auto outOfRange = [&op](const std::string& why) {
        Program prog;
        prog.operatingPoint = op;
        prog.status = Status::DoesNotFit;
        prog.reason = "costs out of range for a simulation: " + why;
        return prog;
    };
    try {
        const CountScope counts;
        Program prog = bindChecked(schedule, platform, stack, index, op, mapping);
        return counts.overflow().empty() ? prog : outOfRange(counts.overflow());
    } catch (const ArithmeticOverflow& e) {
        return outOfRange(e.what());
    }
}

} // namespace edgesim::sim
