// `edgesim simulate`: one query (explorer/session/Query.h) run through the library, printed as
// a table, JSON or CSV (latency, traffic per memory, energy per component, footprint, the
// per-layer timeline and engine utilisation); optionally an HDF5 record (--out), a Perfetto
// timeline (--trace) and the mapping used as a .textproto (--write-mapping).
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "common/Diagnostics.h"
#include "common/Strings.h"
#include "explorer/results/Provenance.h"
#include "explorer/results/ResultJson.h"
#include "explorer/results/RunRecords.h"
#include "explorer/results/WriterLock.h"
#include "explorer/session/Cascade.h"
#include "explorer/session/Session.h"
#include "sim/mapping/Mapping.h"
#include "sim/trace/ChromeTrace.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>
#include <optional>

namespace edgesim::app {

namespace {

struct SimulateOptions {
    std::string platform;
    std::string stack;
    std::string network;
    std::string strategy = "inference";
    std::vector<std::string> strategyParams;
    int batch = 1;
    std::string fidelity = "tlm";
    std::string format = "table";
    std::string out;
    std::string trace;
    std::optional<double> clockMhz;
    std::optional<double> voltageV;
    std::string operatingPoint;
    std::vector<std::string> set;
    uint64_t seed = 0;
    int repeat = 0;
    std::string mapping; ///< a mapping .textproto, or a built-in mapper name; empty = stack's
    std::optional<std::string> objective;
    std::optional<double> latencyBudgetMs;
    std::string writeMapping;
    std::string quantize;
    std::string cascadeBig;
    double cascadeShare = 0.2;
};

int64_t at(const std::vector<int64_t>& v, std::size_t i) {
    return i < v.size() ? v[i] : 0;
}

std::string si(double v, const char* unit) {
    const char* prefixes[] = {"", "m", "u", "n", "p"};
    int i = 0;
    while (v != 0 && std::abs(v) < 1 && i < 4) {
        v *= 1e3;
        ++i;
    }
    return fmt::format("{:.4g} {}{}", v, prefixes[i], unit);
}

/// One row per layer, then (CSV only) a "total" row with the run's status and reason.
/// `human` (the table) groups digits, shows the fallback flag as "yes" and the overlap in
/// percent ("-" for a layer without DMA transfers); CSV carries plain numbers (fallback 0/1,
/// overlap as LayerResult::overlap()).
Table layerTable(const sim::SimResult& r, bool human) {
    auto num = [&](int64_t v) { return human ? groupDigits(v) : std::to_string(v); };
    // One DMA column per memory some layer's DMA transfers touched.
    std::vector<std::size_t> dmaMemories;
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        const bool touched =
            std::any_of(r.layers.begin(), r.layers.end(),
                        [&](const sim::LayerResult& l) { return at(l.dmaBytes, m) != 0; });
        if (touched) {
            dmaMemories.push_back(m);
        }
    }
    Table t;
    t.header = {"#", "name", "op", "engine", "start_cycle", "cycles", "macs", "tiles", "fallback"};
    for (const auto& m : r.memories) {
        t.header.push_back(m + "_bytes");
    }
    for (std::size_t m : dmaMemories) {
        t.header.push_back("dma_" + r.memories[m]);
    }
    t.header.push_back("overlap");
    t.header.push_back("energy_j");
    if (!human) {
        t.header.push_back("status");
        t.header.push_back("reason");
    }
    t.rightAlign.assign(t.header.size(), true);
    t.rightAlign[1] = t.rightAlign[2] = t.rightAlign[3] = false;
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const auto& l = r.layers[i];
        std::vector<std::string> row = {std::to_string(i),
                                        l.name,
                                        l.op,
                                        l.engine,
                                        num(static_cast<int64_t>(l.startCycle)),
                                        num(static_cast<int64_t>(l.cycles())),
                                        num(l.macs),
                                        std::to_string(l.tiles)};
        row.push_back(human ? (l.fallback ? "yes" : "-") : (l.fallback ? "1" : "0"));
        const std::vector<int64_t> moved = l.bytesMoved();
        for (std::size_t m = 0; m < r.memories.size(); ++m) {
            row.push_back(num(at(moved, m)));
        }
        for (std::size_t m : dmaMemories) {
            row.push_back(num(at(l.dmaBytes, m)));
        }
        if (human) {
            row.push_back(l.dmaCycles == 0 ? "-" : fmt::format("{:.0f}%", 100.0 * l.overlap()));
        } else {
            row.push_back(fmt::format("{:.6g}", l.overlap()));
        }
        row.push_back(human ? si(l.energyJ, "J") : fmt::format("{:.6e}", l.energyJ));
        if (!human) {
            row.insert(row.end(), {"", ""});
        }
        t.rows.push_back(std::move(row));
    }
    if (!human) {
        // Totals: the whole run (empty cells for what the run did not produce).
        const bool timed = explorer::hasTiming(r.status);
        int tiles = 0;
        int fallbacks = 0;
        for (const auto& l : r.layers) {
            tiles += l.tiles;
            fallbacks += l.fallback ? 1 : 0;
        }
        std::vector<std::string> total = {"total",
                                          r.network,
                                          "",
                                          r.mapping,
                                          "0",
                                          timed ? std::to_string(r.latencyCycles) : "",
                                          explorer::hasFootprint(r.status) ? std::to_string(r.macs)
                                                                           : "",
                                          timed ? std::to_string(tiles) : "",
                                          timed ? std::to_string(fallbacks) : ""};
        const std::vector<int64_t> moved = r.bytesMoved();
        for (std::size_t m = 0; m < r.memories.size(); ++m) {
            total.push_back(timed ? std::to_string(at(moved, m)) : "");
        }
        for (std::size_t m : dmaMemories) {
            int64_t dma = 0;
            for (const auto& l : r.layers) {
                dma += at(l.dmaBytes, m);
            }
            total.push_back(std::to_string(dma));
        }
        total.push_back("");
        total.push_back(timed ? fmt::format("{:.6e}", r.energyJ) : "");
        total.push_back(sim::toString(r.status));
        total.push_back(r.reason);
        t.rows.push_back(std::move(total));
    }
    return t;
}

/// Busy and idle cycles of the host core and each engine over the run.
Table engineTable(const sim::SimResult& r) {
    Table t;
    t.header = {"engine", "busy_cycles", "idle_cycles", "idle"};
    t.rightAlign = {false, true, true, true};
    for (const auto& e : r.engines) {
        t.rows.push_back({e.name, groupDigits(static_cast<int64_t>(e.busyCycles)),
                          groupDigits(static_cast<int64_t>(e.idleCycles)),
                          fmt::format("{:.1f}%", explorer::idlePct(r, e))});
    }
    return t;
}

/// The training block: per sample, the arena's breakdown, MACs per kind, accelerator share.
void printTraining(const sim::SimResult& r) {
    const sim::TrainingSummary& t = *r.training;
    std::cout << fmt::format("training ({} counting, {} trainable parameters): per sample {}, {}",
                             t.counting, groupDigits(t.trainableParams),
                             si(t.latencySPerSample, "s"), si(t.energyJPerSample, "J"));
    std::cout << (r.batch > 1 ? fmt::format(" (step of {} samples)\n", r.batch) : "\n");
    std::vector<std::string> roles;
    for (const auto& [role, bytes] : t.ramByRole) {
        if (bytes > 0) {
            roles.push_back(fmt::format("{} {}", role, groupDigits(bytes)));
        }
    }
    std::cout << fmt::format("  training arena {} bytes (at its peak: {})\n",
                             groupDigits(t.arenaBytes), fmt::join(roles, ", "));
    std::vector<std::string> kinds;
    for (const auto& [kind, macs] : t.macsByKind) {
        if (macs > 0) {
            kinds.push_back(fmt::format("{} {}", kind, groupDigits(macs)));
        }
    }
    std::cout << fmt::format("  MACs per step: {}\n", fmt::join(kinds, ", "));
    if (t.periodS > 0) {
        std::cout << fmt::format("  continual: one adaptation event every {} ({}), average power "
                                 "{}\n",
                                 si(t.periodS, "s"),
                                 t.keepsUp ? "the event fits in its period"
                                           : "the event takes longer than its period",
                                 si(t.averagePowerW, "W"));
    }
    const double macs = static_cast<double>(t.hostMacs + t.acceleratorMacs);
    const double cycles = static_cast<double>(t.hostCycles + t.acceleratorCycles);
    std::cout << fmt::format("  on accelerators: {:.1f}% of MACs, {:.1f}% of kernel time\n",
                             macs > 0 ? 100.0 * static_cast<double>(t.acceleratorMacs) / macs : 0.0,
                             cycles > 0 ? 100.0 * static_cast<double>(t.acceleratorCycles) / cycles
                                        : 0.0);
}

/// "peak RAM 22,912 bytes, flash 46,952 bytes (14,184 of weights)".
std::string footprintText(const sim::SimResult& r) {
    return fmt::format("peak RAM {} bytes, flash {} bytes ({} of weights)",
                       groupDigits(r.peakRamBytes), groupDigits(r.flashBytes),
                       groupDigits(r.weightBytes));
}

void printTable(const sim::SimResult& r, const std::optional<sim::SimResult>& other) {
    std::cout << fmt::format("{} on {} with {} ({}), {} at {:g} MHz, {:g} V\n", r.network,
                             r.platform, r.stack, r.strategy, sim::toString(r.fidelity),
                             r.operatingPoint.clockHz / 1e6, r.operatingPoint.voltageV);
    std::cout << fmt::format("mapping: {}\n", r.mapping);
    std::cout << fmt::format("precision: {}\n", r.precision);
    std::cout << fmt::format("status: {}{}\n", sim::toString(r.status),
                             r.reason.empty() ? "" : " (" + r.reason + ")");
    if (!sim::ran(r.status)) {
        std::cout << "footprint: " << footprintText(r) << "\n";
        return;
    }
    std::cout << "\n";
    layerTable(r, true).print(std::cout);
    if (!r.engines.empty()) {
        std::cout << "\n";
        engineTable(r).print(std::cout);
    }
    std::cout << fmt::format("\nlatency: {} cycles = {}\n",
                             groupDigits(static_cast<int64_t>(r.latencyCycles)),
                             si(r.latencyS, "s"));
    if (other) {
        std::cout << fmt::format(
            "{}: {} cycles ({:+.2f}% vs {}), energy {}\n", sim::toString(other->fidelity),
            groupDigits(static_cast<int64_t>(other->latencyCycles)),
            explorer::latencyGapPct(r, *other), sim::toString(r.fidelity), si(other->energyJ, "J"));
    }
    std::cout << fmt::format("energy:  {} ({} MACs)\n", si(r.energyJ, "J"), groupDigits(r.macs));
    std::cout << "memory:  " << footprintText(r) << "\n";
    if (r.training) {
        printTraining(r);
    }
    if (r.dynamic) {
        const sim::DynamicSummary& d = *r.dynamic;
        std::cout << fmt::format("early exits: expected {}, {}; worst case {}, {}\n",
                                 si(d.expectedLatencyS, "s"), si(d.expectedEnergyJ, "J"),
                                 si(d.worstLatencyS, "s"), si(d.worstEnergyJ, "J"));
        for (const auto& e : d.exits) {
            std::cout << fmt::format("  exit after '{}': {:.0f}% of samples, {}, {}\n", e.after,
                                     100 * e.share, si(e.latencyS, "s"), si(e.energyJ, "J"));
        }
    }
    std::cout << "\n";
    Table mem;
    mem.header = {"memory", "kind", "bytes_read", "bytes_written"};
    mem.rightAlign = {false, false, true, true};
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        mem.rows.push_back({r.memories[m], platforms::spec::MemoryKind_Name(r.memoryKinds[m]),
                            groupDigits(r.bytesRead[m]), groupDigits(r.bytesWritten[m])});
    }
    mem.print(std::cout);
    std::cout << "\n";
    Table en;
    en.header = {"component", "dynamic", "static", "share"};
    en.rightAlign = {false, true, true, true};
    for (const auto& e : r.energy) {
        en.rows.push_back(
            {e.component, si(e.dynamicJ, "J"), si(e.staticJ, "J"),
             fmt::format("{:.1f}%",
                         r.energyJ > 0 ? 100.0 * (e.dynamicJ + e.staticJ) / r.energyJ : 0.0)});
    }
    en.print(std::cout);
}

/// The query the flags describe.
explorer::Query queryOf(const SimulateOptions& o) {
    explorer::Query q;
    q.platform = o.platform;
    q.stack = o.stack;
    q.network = o.network;
    q.strategy = o.strategy;
    q.strategyParams = o.strategyParams;
    q.batch = o.batch;
    q.quantize = o.quantize;
    q.seed = o.seed;
    for (const auto& s : o.set) {
        q.overrides.push_back(explorer::parseOverride(s));
    }
    q.operatingPoint.name = o.operatingPoint;
    if (o.clockMhz) {
        q.operatingPoint.clockHz = *o.clockMhz * 1e6;
    }
    q.operatingPoint.voltageV = o.voltageV;
    q.fidelity = o.fidelity == "analytical" ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;
    q.mapping.mapping = o.mapping;
    if (o.objective) {
        q.mapping.objective = sim::parseObjective(*o.objective);
    }
    if (o.latencyBudgetMs) {
        q.mapping.latencyBudgetS = *o.latencyBudgetMs * 1e-3;
    }
    return q;
}

void run(const SimulateOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    // Output locations are checked before simulating: fail fast, never after a long run.
    explorer::checkOutputPaths(
        {{o.out, "--out"}, {o.trace, "--trace"}, {o.writeMapping, "--write-mapping"}},
        {{o.network, "--network"},
         {o.mapping, "--mapping"},
         {o.quantize, "--quantize"},
         {o.platform, "--platform"},
         {o.stack, "--stack"},
         {o.cascadeBig, "--cascade-big"}});
    explorer::Session session{ConfigPaths(g.configDir)};
    const explorer::Query q = queryOf(o);
    // Every input error (names, overrides, operating point, mapping) is raised here, before
    // anything is simulated or written; the mapping (a mapper's search runs once) serves
    // every run below.
    session.hash(q);
    if (!o.cascadeBig.empty()) {
        session.hash(explorer::cascadeQuery(q, o.cascadeBig, o.cascadeShare));
    }
    const sim::Mapping& mapping = session.mapping(q);
    const auto& schedule = session.network(q).schedule;
    if (!o.writeMapping.empty()) {
        const auto& specs = session.specs(q);
        sim::writeMappingFile(o.writeMapping,
                              fmt::format("# Layer-to-engine mapping '{}' of {} on {} with {} "
                                          "(platforms/spec/mapping.proto), written by: {}\n",
                                          mapping.name, schedule.network, specs.platform.name(),
                                          specs.stack.name(), g.commandLine),
                              mapping, schedule, "--write-mapping");
    }

    sim::ChromeTrace trace;
    const explorer::QueryResult main = session.run(q, o.trace.empty() ? nullptr : &trace);
    const sim::SimResult& result = main.result;

    std::optional<double> medianUs;
    if (o.repeat > 0) {
        std::vector<double> us;
        for (int i = 0; i < o.repeat; ++i) {
            const sim::SimResult again = session.run(q).result;
            if (again.latencyCycles != result.latencyCycles || again.energyJ != result.energyJ) {
                throw std::runtime_error("a repeated simulation gave a different result");
            }
            us.push_back(again.hostSeconds * 1e6);
        }
        std::sort(us.begin(), us.end());
        medianUs = us.size() % 2 == 1 ? us[us.size() / 2]
                                      : 0.5 * (us[us.size() / 2 - 1] + us[us.size() / 2]);
    }
    // --fidelity both: the same mapping at the analytical fidelity, a query of its own.
    std::optional<explorer::QueryResult> analytical;
    if (o.fidelity == "both") {
        analytical = session.runWithItsMapping(q, sim::Fidelity::Analytical);
    }
    std::optional<explorer::CascadeResult> cascade;
    if (!o.cascadeBig.empty()) {
        cascade = explorer::runCascade(session, q, result, o.cascadeBig, o.cascadeShare);
    }
    std::optional<sim::SimResult> other;
    std::vector<explorer::RunRecord> records = {{&result, main.configSha256, q.seed}};
    if (analytical) {
        other = analytical->result;
        records.push_back({&analytical->result, analytical->configSha256, q.seed});
    }
    std::vector<std::string> hashes;
    for (const auto& rec : records) {
        hashes.push_back(rec.configSha256);
    }
    const explorer::Provenance prov =
        explorer::makeProvenance(g.commandLine, explorer::combinedSha256(hashes), q.seed);

    if (!o.trace.empty()) {
        trace.write(o.trace, result.operatingPoint.clockHz,
                    result.platform + " / " + result.stack + " / " + result.network);
    }
    if (!o.out.empty()) {
        explorer::writeRunsFile(o.out, prov, records);
    }

    if (format == Format::Json) {
        nlohmann::json j = explorer::toJson(result);
        j["config_sha256"] = main.configSha256;
        j["provenance"] = explorer::provenanceJson(prov);
        if (other) {
            j["analytical"] = explorer::comparisonJson(result, *other, analytical->configSha256);
        }
        if (cascade) {
            // Metrics of a cascade that did not run are null, as a run's are.
            const bool ran = sim::ran(cascade->status);
            const auto metric = [ran](double v) {
                return ran ? nlohmann::json(v) : nlohmann::json(nullptr);
            };
            j["cascade"] = {{"big_network", cascade->big.network},
                            {"big_share", cascade->bigShare},
                            {"status", sim::toString(cascade->status)},
                            {"reason", cascade->reason},
                            {"expected_latency_s", metric(cascade->expectedLatencyS)},
                            {"expected_energy_j", metric(cascade->expectedEnergyJ)},
                            {"worst_latency_s", metric(cascade->worstLatencyS)},
                            {"worst_energy_j", metric(cascade->worstEnergyJ)},
                            {"peak_ram_bytes", cascade->peakRamBytes},
                            {"flash_bytes", cascade->flashBytes}};
        }
        if (medianUs) {
            j["host_us_per_sim_median"] = *medianUs;
            j["repeat"] = o.repeat;
        }
        std::cout << jsonText(j) << "\n";
        return;
    }
    if (format == Format::Csv) {
        layerTable(result, false).printCsv(std::cout);
        return;
    }
    printTable(result, other);
    if (cascade) {
        std::cout << fmt::format("\ncascade with {} for {:.0f}% of samples: {}{}\n",
                                 cascade->big.network, 100 * cascade->bigShare,
                                 sim::toString(cascade->status),
                                 cascade->reason.empty() ? "" : " (" + cascade->reason + ")");
        if (sim::ran(cascade->status)) {
            std::cout << fmt::format(
                "  expected {}, {}; worst case {}, {}; peak RAM {} bytes, flash {} bytes\n",
                si(cascade->expectedLatencyS, "s"), si(cascade->expectedEnergyJ, "J"),
                si(cascade->worstLatencyS, "s"), si(cascade->worstEnergyJ, "J"),
                groupDigits(cascade->peakRamBytes), groupDigits(cascade->flashBytes));
        }
    }
    if (medianUs) {
        std::cout << fmt::format("\nhost time: median {:.1f} us per simulation over {} runs\n",
                                 *medianUs, o.repeat);
    }
}

std::string mapperList() {
    return join(sim::mapperNames());
}

} // namespace

void registerSimulate(CLI::App& app, GlobalOptions& global) {
    auto opts = std::make_shared<SimulateOptions>();
    auto* cmd = app.add_subcommand(
        "simulate", "Latency, memory traffic, energy and footprint of a network on a platform");
    cmd->add_option("--platform,-p", opts->platform, "Platform (see `edgesim list platforms`)")
        ->required();
    cmd->add_option("--stack,-s", opts->stack, "Software stack (see `edgesim list stacks`)")
        ->required();
    cmd->add_option("--network,-n", opts->network,
                    "Built-in name (see `edgesim list networks`), or a .textproto or .onnx file")
        ->required();
    cmd->add_option("--strategy", opts->strategy,
                    "Workload strategy (see `edgesim list "
                    "strategies`)");
    auto* big =
        cmd->add_option("--cascade-big", opts->cascadeBig,
                        "Big/little cascade: this network also runs on --cascade-share of the "
                        "samples (the simulated network is the little one)");
    cmd->add_option("--cascade-share", opts->cascadeShare,
                    "Share of samples the big network of --cascade-big runs on (default 0.2)")
        ->needs(big);
    cmd->add_option("--strategy-param", opts->strategyParams,
                    "key=value: a parameter of the strategy (repeatable; `edgesim list "
                    "strategies` shows each with its default)");
    cmd->add_option("--batch", opts->batch, "Samples per run");
    cmd->add_option("--quantize", opts->quantize,
                    "Deploy in this precision: int8 (post-training: int8 weights per channel, int8 "
                    "activations, int32 bias), int8-weights-only, none (as stored), or a per-layer "
                    "precision .textproto; default: the stack's default_precision, else as stored");
    cmd->add_option("--set", opts->set,
                    "Override a config field: platform.PATH=VALUE or stack.PATH=VALUE, e.g. "
                    "'platform.memories[name=l2].size_bytes=262144' (proto field names; "
                    "[name=X] or [index] selects a list element); repeatable")
        ->take_all();
    cmd->add_option("--fidelity", opts->fidelity,
                    "tlm (SystemC model) | analytical (closed form) | both (tlm, and the gap)")
        ->check(CLI::IsMember({"tlm", "analytical", "both"}));
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_option("--out", opts->out, "Write /runs and /layers to this HDF5 file");
    cmd->add_option("--trace", opts->trace, "Write a Chrome/Perfetto timeline (JSON)");
    cmd->add_option("--operating-point", opts->operatingPoint,
                    "A named operating point of the platform (default: its default point)");
    cmd->add_option("--clock-mhz", opts->clockMhz, "Override the operating point's clock");
    cmd->add_option("--voltage-v", opts->voltageV, "Override the operating point's supply");
    cmd->add_option("--seed", opts->seed, "Seed recorded with the results");
    cmd->add_option("--repeat", opts->repeat,
                    "Re-run the simulation N times (at most 1000) and report the median host "
                    "time")
        ->check(CLI::Range(0, 1000));
    cmd->add_option("--mapping", opts->mapping,
                    "Layer-to-engine mapping: a mapping .textproto file, or a built-in mapper (" +
                        mapperList() + "); default: the stack's default_mapper");
    cmd->add_option("--objective", opts->objective,
                    "What --mapping exhaustive minimises: latency | energy | edp "
                    "(energy-delay product)")
        ->check(CLI::IsMember({"latency", "energy", "edp"}));
    cmd->add_option("--latency-budget-ms", opts->latencyBudgetMs,
                    "With --mapping exhaustive --objective energy: the least-energy mapping "
                    "within this latency (analytical cost model)");
    cmd->add_option("--write-mapping", opts->writeMapping,
                    "Write the mapping used as a .textproto (re-usable with --mapping FILE)");
    cmd->callback([opts, &global] { run(*opts, global); });
}

} // namespace edgesim::app
