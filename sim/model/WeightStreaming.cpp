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
    // Over the layers by decreasing size: streamed bytes of the first k, per-tile staging of
    // the first j (-1 once one of them runs on the host, which streams whole layers only).
    std::vector<int64_t> streamedUpTo(n + 1, 0);
    std::vector<int64_t> stagingUpTo(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const StreamCandidate& l = layers[order[i]];
        streamedUpTo[i + 1] = streamedUpTo[i] + l.weightBytes;
        stagingUpTo[i + 1] = stagingUpTo[i] < 0 || l.stagingBytes < 0
                                 ? -1
                                 : std::max(stagingUpTo[i], l.stagingBytes);
    }
    const auto slots = static_cast<int64_t>(std::max(1, buffers));
    // Plan (k, j): the k largest layers stream, the j largest of them per tile and the rest per
    // layer in slots as large as the largest of those.
    const auto need = [&](std::size_t k, std::size_t j) {
        return stagingUpTo[j] + slots * (j < k ? layers[order[j]].weightBytes : 0);
    };
    const auto fits = [&](std::size_t k, std::size_t j) {
        return stagingUpTo[j] >= 0 && need(k, j) <= capacityBytes - (total - streamedUpTo[k]);
    };
    const auto add = [&](std::size_t k, std::size_t j) {
        StreamPlan plan;
        plan.modes.assign(n, StreamMode::Resident);
        for (std::size_t i = 0; i < k; ++i) {
            plan.modes[order[i]] = i < j ? StreamMode::PerTile : StreamMode::PerLayer;
        }
        plan.slotBytes = j < k ? layers[order[j]].weightBytes : 0;
        plan.stagingBytes = stagingUpTo[j];
        plan.streamedBytes = streamedUpTo[k];
        plans.push_back(std::move(plan));
    };
    // The fewest streamed layers, as few of them per tile as fit; then each plan with fewer
    // per-tile layers, streaming as few more layers as its slots need (a plan streaming
    // another layer with the same per-tile ones would only add traffic).
    std::size_t k0 = 0;
    std::size_t j0 = 0;
    for (std::size_t k = 1; k <= n && k0 == 0; ++k) {
        for (std::size_t j = 0; j <= k && k0 == 0; ++j) {
            if (fits(k, j)) {
                k0 = k;
                j0 = j;
            }
        }
    }
    if (k0 == 0) {
        int64_t leastNeed = -1;
        const StreamCandidate* host = nullptr;
        for (std::size_t j = 0; j <= n; ++j) {
            if (stagingUpTo[j] < 0) {
                host = &layers[order[j - 1]];
                break;
            }
            leastNeed = leastNeed < 0 ? need(n, j) : std::min(leastNeed, need(n, j));
        }
        StreamPlan none;
        none.problem = fmt::format(
            "even with every layer streamed the stream buffers need {} bytes{}", leastNeed,
            host == nullptr ? " (the largest layer's smallest tile)"
                            : fmt::format(" (layer '{}' runs on the host core, which streams "
                                          "whole layers only: {} x {} bytes)",
                                          host->name, slots, host->weightBytes));
        plans.push_back(std::move(none));
        return plans;
    }
    add(k0, j0);
    for (std::size_t j = j0; j-- > 0;) {
        for (std::size_t k = k0; k <= n; ++k) {
            if (fits(k, j)) {
                add(k, j);
                break;
            }
        }
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
