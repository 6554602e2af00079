#include "sim/model/WeightStreaming.h"

#include "common/Diagnostics.h"
#include "sim/analytical/AnalyticalEvaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace edgesim::sim {

namespace ps = platforms::spec;

std::vector<StreamPlan> streamingCandidates(const std::vector<StreamCandidate>& layers,
                                            int64_t capacityBytes, int buffers) {
    const std::size_t n = layers.size();
    int64_t total = 0;
    for (const auto& l : layers) {
        total += l.weightBytes;
    }
    std::vector<StreamPlan> plans;
    if (total <= capacityBytes) {
        return plans;
    }
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return layers[a].weightBytes > layers[b].weightBytes;
    });
    const auto slots = static_cast<int64_t>(std::max(1, buffers));
    // Stream the k largest layers, the j largest of them per tile and the rest per layer.
    int64_t streamed = 0;
    int64_t leastNeed = -1; // buffers with every layer streamed, for the reason
    const StreamCandidate* hostBound = nullptr;
    for (std::size_t k = 1; k <= n; ++k) {
        streamed += layers[order[k - 1]].weightBytes;
        const int64_t budget = capacityBytes - (total - streamed);
        int64_t staging = 0;
        for (std::size_t j = 0; j <= k; ++j) {
            if (j > 0) {
                const StreamCandidate& tiled = layers[order[j - 1]];
                if (tiled.stagingBytes < 0) {
                    hostBound = k == n ? &tiled : hostBound;
                    break; // the host core streams whole layers only
                }
                staging = std::max(staging, tiled.stagingBytes);
            }
            const int64_t slot = j < k ? layers[order[j]].weightBytes : 0;
            const int64_t need = staging + slots * slot;
            if (k == n && (leastNeed < 0 || need < leastNeed)) {
                leastNeed = need;
            }
            if (budget >= 0 && need <= budget) {
                StreamPlan plan;
                plan.modes.assign(n, StreamMode::Resident);
                for (std::size_t i = 0; i < k; ++i) {
                    plan.modes[order[i]] = i < j ? StreamMode::PerTile : StreamMode::PerLayer;
                }
                plan.slotBytes = slot;
                plan.stagingBytes = staging;
                plan.streamedBytes = streamed;
                plans.push_back(std::move(plan));
                if (j == 0) {
                    return plans; // streaming more cannot hide more
                }
                break;
            }
        }
    }
    if (plans.empty()) {
        StreamPlan none;
        none.problem = fmt::format(
            "even with every layer streamed the stream buffers need {} bytes{}", leastNeed,
            hostBound == nullptr
                ? " (the largest layer's smallest tile)"
                : fmt::format(" (layer '{}' runs on the host core, which streams whole layers "
                              "only: {} x {} bytes)",
                              hostBound->name, slots, hostBound->weightBytes));
        plans.push_back(std::move(none));
    }
    return plans;
}

namespace {

int memoryNamed(const ps::PlatformSpec& platform, const std::string& name) {
    for (int m = 0; m < platform.memories_size(); ++m) {
        if (platform.memories(m).name() == name) {
            return m;
        }
    }
    return -1;
}

/// L2 staging of `job`'s tiles when their weights come from L3: per task, its largest tile's
/// weights (an engine issues a tile's loads once the previous tile's have reached its local
/// memory, so one tile of weights per task is in transit through L2 at a time).
int64_t tileStaging(const KernelJob& job) {
    int64_t bytes = 0;
    for (const EngineTask& task : job.tasks) {
        int64_t largest = 0;
        for (const TileWork& t : task.plan.tiles) {
            largest = std::max(largest, t.weightBytes);
        }
        bytes += largest;
    }
    return bytes;
}

} // namespace

void streamWeights(Program& program, const workloads::Schedule& schedule,
                   const ps::PlatformSpec& platform, int64_t otherBytes,
                   const std::string& source) {
    const auto& placement = platform.placement();
    const ps::MemorySpec& weights = platform.memories(program.weightsMemory);
    const int l3 = memoryNamed(platform, placement.weights_stream_memory());
    if (l3 < 0) {
        throw InputError(source, "placement.weights_stream_memory",
                         "unknown memory '" + placement.weights_stream_memory() + "'");
    }
    const ps::MemorySpec& stream = platform.memories(l3);
    const auto fail = [&](std::string why) {
        program.status = Status::DoesNotFit;
        program.reason = std::move(why);
    };
    if (schedule.weightBytes > stream.size_bytes()) {
        fail(fmt::format("needs {} bytes of weights in '{}', the memory weights that do not fit "
                         "in '{}' stream from, which holds {}",
                         schedule.weightBytes, stream.name(), weights.name(), stream.size_bytes()));
        return;
    }

    // One candidate per layer with weights (its kernels share them).
    std::map<workloads::Network::LayerId, std::size_t> candidateOf;
    std::vector<StreamCandidate> candidates;
    std::vector<int> candidateOfJob(program.kernels.size(), -1);
    for (std::size_t j = 0; j < program.kernels.size(); ++j) {
        const KernelJob& job = program.kernels[j];
        if (job.scheduleKernel < 0) {
            continue;
        }
        const auto& kernel = schedule.kernels[static_cast<std::size_t>(job.scheduleKernel)];
        if (kernel.weightBytes <= 0) {
            continue;
        }
        const auto [it, fresh] = candidateOf.emplace(kernel.layer, candidates.size());
        if (fresh) {
            candidates.push_back({kernel.name, kernel.weightBytes, 0});
        }
        StreamCandidate& c = candidates[it->second];
        if (job.tasks.empty()) {
            c.stagingBytes = -1;
        } else if (c.stagingBytes >= 0) {
            c.stagingBytes = std::max(c.stagingBytes, tileStaging(job));
        }
        candidateOfJob[j] = static_cast<int>(it->second);
    }
    const int buffers = std::max(1, placement.weights_stream_buffers());
    const int64_t capacity = weights.size_bytes() - otherBytes;
    const std::vector<StreamPlan> plans = streamingCandidates(candidates, capacity, buffers);
    if (!plans.front().problem.empty()) {
        fail(fmt::format("needs {} bytes of weights, of which '{}' holds {} beside the {} bytes "
                         "of activations arena, runtime RAM and code; streaming them from '{}' "
                         "does not fit either: {}",
                         schedule.weightBytes, weights.name(), capacity, otherBytes, stream.name(),
                         plans.front().problem));
        return;
    }

    int preferred = 0; // a DMA reaching L3 (the I/O micro-DMA on the PULP SoCs)
    for (std::size_t d = 0; d < program.dmas.size(); ++d) {
        if (!program.dmas[d].busPath[static_cast<std::size_t>(l3)].empty()) {
            preferred = static_cast<int>(d);
            break;
        }
    }
    const std::vector<Hop> fetchRoute =
        routeBetween(program, l3, program.weightsMemory, preferred, source);
    program.weightsStreamMemory = l3;
    const auto apply = [&](const StreamPlan& plan, Program& out) {
        out.streamedWeightBytes = plan.streamedBytes;
        std::vector<int> fetchers; // kernels fetching per layer so far, in order
        for (std::size_t j = 0; j < out.kernels.size(); ++j) {
            if (candidateOfJob[j] < 0) {
                continue;
            }
            KernelJob& job = out.kernels[j];
            switch (plan.modes[static_cast<std::size_t>(candidateOfJob[j])]) {
            case StreamMode::Resident: break;
            case StreamMode::PerLayer: {
                const std::size_t used = fetchers.size();
                job.fetch.route = fetchRoute;
                job.fetch.bytes =
                    schedule.kernels[static_cast<std::size_t>(job.scheduleKernel)].weightBytes;
                // Its slot frees when the kernel `buffers` fetches back has finished.
                job.fetch.issueAfter = used < static_cast<std::size_t>(buffers)
                                           ? -1
                                           : fetchers[used - static_cast<std::size_t>(buffers)];
                job.fetch.channel = 0;
                fetchers.push_back(static_cast<int>(j));
                break;
            }
            case StreamMode::PerTile:
                for (EngineTask& task : job.tasks) {
                    if (!task.weightRoute.empty()) {
                        const EngineTiming& e =
                            program.engines[static_cast<std::size_t>(task.engine)];
                        task.weightRoute = routeBetween(out, l3, e.localMemory, e.dma, source);
                    }
                }
                break;
            }
        }
    };
    // The fastest candidate by the analytical model (ties: the fewest streamed bytes, which
    // come first).
    std::size_t best = 0;
    uint64_t bestCycles = 0;
    if (plans.size() > 1) {
        for (std::size_t p = 0; p < plans.size(); ++p) {
            Program trial = program;
            apply(plans[p], trial);
            SimResult r = makeResult(trial, Fidelity::Analytical);
            evaluateAnalytical(trial, r);
            if (p == 0 || r.latencyCycles < bestCycles) {
                best = p;
                bestCycles = r.latencyCycles;
            }
        }
    }
    apply(plans[best], program);
}

} // namespace edgesim::sim
