#include "explorer/results/ResultJson.h"

#include "explorer/results/RunRecords.h"

namespace edgesim::explorer {

namespace {

nlohmann::json perMemory(const sim::SimResult& r, const std::vector<int64_t>& bytes) {
    nlohmann::json j = nlohmann::json::object();
    for (std::size_t m = 0; m < r.memories.size() && m < bytes.size(); ++m) {
        if (bytes[m] != 0) {
            j[r.memories[m]] = bytes[m];
        }
    }
    return j;
}

/// `v`, or null when the run did not produce it.
template <typename T> nlohmann::json produced(bool yes, const T& v) {
    return yes ? nlohmann::json(v) : nlohmann::json(nullptr);
}

} // namespace

double idlePct(const sim::SimResult& r, const sim::EngineUsage& e) {
    return r.latencyCycles == 0
               ? 0.0
               : 100.0 * static_cast<double>(e.idleCycles) / static_cast<double>(r.latencyCycles);
}

double latencyGapPct(const sim::SimResult& base, const sim::SimResult& other) {
    return base.latencyCycles == 0 ? 0.0
                                   : 100.0 *
                                         (static_cast<double>(other.latencyCycles) -
                                          static_cast<double>(base.latencyCycles)) /
                                         static_cast<double>(base.latencyCycles);
}

nlohmann::json comparisonJson(const sim::SimResult& base, const sim::SimResult& other,
                              const std::string& otherConfigSha256) {
    const bool timing = hasTiming(other.status);
    const bool both = timing && hasTiming(base.status);
    return {{"latency_cycles", produced(timing, other.latencyCycles)},
            {"latency_s", produced(timing, other.latencyS)},
            {"energy_j", produced(timing, other.energyJ)},
            {"gap_pct", produced(both, latencyGapPct(base, other))},
            {"config_sha256", otherConfigSha256}};
}

nlohmann::json toJson(const sim::SimResult& r) {
    nlohmann::json j;
    j["status"] = sim::toString(r.status);
    if (!r.reason.empty()) {
        j["reason"] = r.reason;
    }
    j["platform"] = r.platform;
    j["stack"] = r.stack;
    j["network"] = r.network;
    j["strategy"] = r.strategy;
    if (!r.strategyParams.empty()) {
        j["strategy_params"] = r.strategyParams;
    }
    j["batch"] = r.batch;
    j["fidelity"] = sim::toString(r.fidelity);
    j["operating_point"] = {{"name", r.operatingPoint.name},
                            {"clock_hz", r.operatingPoint.clockHz},
                            {"voltage_v", r.operatingPoint.voltageV}};
    // Metrics the run did not produce are null, as they are NaN in results files: a network
    // that does not fit has a footprint but no timing, traffic or energy; an unsupported one
    // neither.
    const bool timing = hasTiming(r.status);
    const bool footprint = hasFootprint(r.status);
    j["latency_cycles"] = produced(timing, r.latencyCycles);
    j["latency_s"] = produced(timing, r.latencyS);
    j["energy_j"] = produced(timing, r.energyJ);
    j["peak_ram_bytes"] = produced(footprint, r.peakRamBytes);
    j["flash_bytes"] = produced(footprint, r.flashBytes);
    j["weight_bytes"] = produced(footprint, r.weightBytes);
    j["macs"] = produced(footprint, r.macs);
    j["streamed_weight_bytes"] = r.streamedWeightBytes;
    j["memories"] = nlohmann::json::array();
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        j["memories"].push_back({{"name", r.memories[m]},
                                 {"kind", platforms::spec::MemoryKind_Name(r.memoryKinds[m])},
                                 {"bytes_read", produced(timing, r.bytesRead[m])},
                                 {"bytes_written", produced(timing, r.bytesWritten[m])}});
    }
    j["energy"] = nlohmann::json::array();
    for (const auto& e : r.energy) {
        j["energy"].push_back(
            {{"component", e.component}, {"dynamic_j", e.dynamicJ}, {"static_j", e.staticJ}});
    }
    j["mapping"] = r.mapping;
    j["precision"] = r.precision;
    if (r.dynamic) {
        const sim::DynamicSummary& d = *r.dynamic;
        nlohmann::json exits = nlohmann::json::array();
        for (const auto& e : d.exits) {
            exits.push_back({{"after", e.after},
                             {"share", e.share},
                             {"latency_s", e.latencyS},
                             {"energy_j", e.energyJ}});
        }
        j["dynamic"] = {{"expected_latency_s", d.expectedLatencyS},
                        {"expected_energy_j", d.expectedEnergyJ},
                        {"worst_latency_s", d.worstLatencyS},
                        {"worst_energy_j", d.worstEnergyJ},
                        {"exits", exits}};
    }
    if (r.training) {
        const sim::TrainingSummary& t = *r.training;
        const double hostAndAccel = static_cast<double>(t.hostCycles + t.acceleratorCycles);
        const double macs = static_cast<double>(t.hostMacs + t.acceleratorMacs);
        j["training"] = {
            {"counting", t.counting},
            {"trainable_params", t.trainableParams},
            {"batch", r.batch},
            {"latency_s_per_sample", produced(timing, t.latencySPerSample)},
            {"energy_j_per_sample", produced(timing, t.energyJPerSample)},
            {"training_arena_bytes", produced(footprint, t.arenaBytes)},
            {"peak_live_bytes", produced(footprint, t.peakLiveBytes)},
            {"ram_by_role_bytes", t.ramByRole},
            {"trainable_weights_in_ram_bytes", t.ramWeightBytes},
            {"macs_by_kind", t.macsByKind},
            {"accelerator_macs", produced(timing, t.acceleratorMacs)},
            {"host_macs", produced(timing, t.hostMacs)},
            {"period_s", t.periodS > 0 ? nlohmann::json(t.periodS) : nlohmann::json(nullptr)},
            {"average_power_w", produced(timing && t.periodS > 0, t.averagePowerW)},
            {"keeps_up",
             t.periodS > 0 && timing ? nlohmann::json(t.keepsUp) : nlohmann::json(nullptr)},
            {"accelerator_mac_share",
             produced(timing && macs > 0,
                      macs > 0 ? static_cast<double>(t.acceleratorMacs) / macs : 0.0)},
            {"accelerator_time_share",
             produced(timing && hostAndAccel > 0,
                      hostAndAccel > 0 ? static_cast<double>(t.acceleratorCycles) / hostAndAccel
                                       : 0.0)},
        };
    }
    j["layers"] = nlohmann::json::array();
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const auto& l = r.layers[i];
        // Busy cycles per engine of the run: the host core first, then the platform's engines
        // (LayerResult::engineBusyCycles holds the latter, in SimResult::engines order).
        nlohmann::json busy = nlohmann::json::object();
        if (!r.engines.empty()) {
            busy[r.engines[0].name] = l.hostBusyCycles;
        }
        for (std::size_t e = 0; e < l.engineBusyCycles.size() && e + 1 < r.engines.size(); ++e) {
            busy[r.engines[e + 1].name] = l.engineBusyCycles[e];
        }
        j["layers"].push_back({{"index", i},
                               {"name", l.name},
                               {"op", l.op},
                               {"engine", l.engine},
                               {"fallback", l.fallback},
                               {"start_cycle", l.startCycle},
                               {"end_cycle", l.endCycle},
                               {"cycles", l.cycles()},
                               {"compute_cycles", l.computeCycles},
                               {"tiles", l.tiles},
                               {"macs", l.macs},
                               {"bytes_read", perMemory(r, l.bytesRead)},
                               {"bytes_written", perMemory(r, l.bytesWritten)},
                               {"dma_bytes", perMemory(r, l.dmaBytes)},
                               {"dma_cycles", l.dmaCycles},
                               {"hidden_cycles", l.hiddenCycles},
                               {"overlap", l.overlap()},
                               {"weight_stall_cycles", l.stallCycles},
                               {"busy_cycles", busy},
                               {"energy_j", l.energyJ}});
    }
    j["engines"] = nlohmann::json::array();
    for (const auto& e : r.engines) {
        j["engines"].push_back({{"name", e.name},
                                {"busy_cycles", e.busyCycles},
                                {"idle_cycles", e.idleCycles},
                                {"idle_pct", idlePct(r, e)}});
    }
    return j;
}

} // namespace edgesim::explorer
