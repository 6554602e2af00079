// `edgesim simulate`: one network on one platform with one stack and a layer-to-engine
// mapping; latency, traffic per memory, energy per component, footprint, the per-layer
// timeline (engine, tiles, DMA traffic and overlap) and engine utilisation, as a table, JSON or
// CSV; optionally an HDF5 record (--out), a Perfetto timeline (--trace) and the mapping used
// as a .textproto (--write-mapping).
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "apps/edgesim/Session.h"
#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "common/Version.h"
#include "explorer/results/ResultsFile.h"
#include "sim/mapping/Mapping.h"
#include "sim/trace/ChromeTrace.h"

#include <fmt/format.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace edgesim::app {

namespace {

struct SimulateOptions {
    std::string platform;
    std::string stack;
    std::string network;
    std::string strategy = "inference";
    int batch = 1;
    std::string fidelity = "tlm";
    std::string format = "table";
    std::string out;
    std::string trace;
    std::optional<double> clockMhz;
    std::optional<double> voltageV;
    int repeat = 0;
    std::string mapping; ///< a mapping .textproto, or a built-in mapper name; empty = stack's
    std::optional<std::string> objective;
    std::optional<double> latencyBudgetMs;
    std::string writeMapping;
};

nlohmann::json perMemory(const sim::SimResult& r, const std::vector<int64_t>& bytes) {
    nlohmann::json j = nlohmann::json::object();
    for (std::size_t m = 0; m < r.memories.size() && m < bytes.size(); ++m) {
        if (bytes[m] != 0) {
            j[r.memories[m]] = bytes[m];
        }
    }
    return j;
}

std::string kindName(platforms::spec::MemoryKind k) {
    return platforms::spec::MemoryKind_Name(k);
}

/// Share of the run an engine was idle, in percent.
double idlePct(const sim::SimResult& r, const sim::EngineUsage& e) {
    return r.latencyCycles == 0
               ? 0.0
               : 100.0 * static_cast<double>(e.idleCycles) / static_cast<double>(r.latencyCycles);
}

int64_t at(const std::vector<int64_t>& v, std::size_t i) {
    return i < v.size() ? v[i] : 0;
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
    j["fidelity"] = sim::toString(r.fidelity);
    j["operating_point"] = {{"name", r.operatingPoint.name},
                            {"clock_hz", r.operatingPoint.clockHz},
                            {"voltage_v", r.operatingPoint.voltageV}};
    j["latency_cycles"] = r.latencyCycles;
    j["latency_s"] = r.latencyS;
    j["energy_j"] = r.energyJ;
    j["peak_ram_bytes"] = r.peakRamBytes;
    j["flash_bytes"] = r.flashBytes;
    j["macs"] = r.macs;
    j["memories"] = nlohmann::json::array();
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        j["memories"].push_back({{"name", r.memories[m]},
                                 {"kind", kindName(r.memoryKinds[m])},
                                 {"bytes_read", r.bytesRead[m]},
                                 {"bytes_written", r.bytesWritten[m]}});
    }
    j["energy"] = nlohmann::json::array();
    for (const auto& e : r.energy) {
        j["energy"].push_back(
            {{"component", e.component}, {"dynamic_j", e.dynamicJ}, {"static_j", e.staticJ}});
    }
    j["mapping"] = r.mapping;
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

std::string si(double v, const char* unit) {
    const char* prefixes[] = {"", "m", "u", "n", "p"};
    int i = 0;
    while (v != 0 && std::abs(v) < 1 && i < 4) {
        v *= 1e3;
        ++i;
    }
    return fmt::format("{:.4g} {}{}", v, prefixes[i], unit);
}

/// One row per layer. `human` (the table) groups digits, shows the fallback flag as "yes"
/// and the overlap in percent ("-" for a layer without DMA transfers); CSV carries plain
/// numbers (fallback 0/1, overlap as LayerResult::overlap()).
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
        for (std::size_t m = 0; m < r.memories.size(); ++m) {
            row.push_back(num(at(l.bytesRead, m) + at(l.bytesWritten, m)));
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
        t.rows.push_back(std::move(row));
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
                          fmt::format("{:.1f}%", idlePct(r, e))});
    }
    return t;
}

void printTable(const sim::SimResult& r, const std::optional<sim::SimResult>& other) {
    std::cout << fmt::format("{} on {} with {} ({}), {} at {:g} MHz, {:g} V\n", r.network,
                             r.platform, r.stack, r.strategy, sim::toString(r.fidelity),
                             r.operatingPoint.clockHz / 1e6, r.operatingPoint.voltageV);
    std::cout << fmt::format("mapping: {}\n", r.mapping);
    std::cout << fmt::format("status: {}{}\n", sim::toString(r.status),
                             r.reason.empty() ? "" : " (" + r.reason + ")");
    if (r.status != sim::Status::Ok) {
        std::cout << fmt::format("footprint: peak RAM {} bytes, flash {} bytes\n",
                                 groupDigits(r.peakRamBytes), groupDigits(r.flashBytes));
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
        const double gap = 100.0 * (static_cast<double>(other->latencyCycles) -
                                    static_cast<double>(r.latencyCycles)) /
                           static_cast<double>(r.latencyCycles);
        std::cout << fmt::format("{}: {} cycles ({:+.2f}% vs {}), energy {}\n",
                                 sim::toString(other->fidelity),
                                 groupDigits(static_cast<int64_t>(other->latencyCycles)), gap,
                                 sim::toString(r.fidelity), si(other->energyJ, "J"));
    }
    std::cout << fmt::format("energy:  {} ({} MACs)\n", si(r.energyJ, "J"), groupDigits(r.macs));
    std::cout << fmt::format("memory:  peak RAM {} bytes, flash {} bytes\n\n",
                             groupDigits(r.peakRamBytes), groupDigits(r.flashBytes));
    Table mem;
    mem.header = {"memory", "kind", "bytes_read", "bytes_written"};
    mem.rightAlign = {false, false, true, true};
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        mem.rows.push_back({r.memories[m], kindName(r.memoryKinds[m]), groupDigits(r.bytesRead[m]),
                            groupDigits(r.bytesWritten[m])});
    }
    mem.print(std::cout);
    std::cout << "\n";
    Table en;
    en.header = {"component", "dynamic", "static", "share"};
    en.rightAlign = {false, true, true, true};
    for (const auto& e : r.energy) {
        en.rows.push_back({e.component, si(e.dynamicJ, "J"), si(e.staticJ, "J"),
                           fmt::format("{:.1f}%", r.energyJ > 0 ? 100.0 * (e.dynamicJ + e.staticJ) /
                                                                      r.energyJ
                                                                : 0.0)});
    }
    en.print(std::cout);
}

/// Bytes moved per memory level, for the HDF5 tables.
struct LevelBytes {
    int64_t flash = 0, sram = 0, tcm = 0, external = 0;
};
/// Sums `bytes` (per memory, SimResult::memories order) by memory level.
LevelBytes levels(const sim::SimResult& r, const std::vector<int64_t>& bytes) {
    namespace ps = platforms::spec;
    LevelBytes b;
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        const int64_t v = at(bytes, m);
        switch (r.memoryKinds[m]) {
        case ps::FLASH:
            b.flash += v;
            break;
        case ps::TCM:
            b.tcm += v;
            break;
        case ps::EXTERNAL_RAM:
        case ps::EXTERNAL_FLASH:
            b.external += v;
            break;
        default:
            b.sram += v;
        }
    }
    return b;
}

std::vector<int64_t> readPlusWritten(const std::vector<int64_t>& rd,
                                     const std::vector<int64_t>& wr) {
    std::vector<int64_t> sum(std::max(rd.size(), wr.size()), 0);
    for (std::size_t m = 0; m < sum.size(); ++m) {
        sum[m] = at(rd, m) + at(wr, m);
    }
    return sum;
}

void writeResults(const std::string& path, const sim::SimResult& r, const std::string& sha,
                  const GlobalOptions& g, int batch) {
    const nlohmann::json prov = provenance(g.commandLine, sha);
    explorer::Provenance p{versionString(), prov["created_utc"].get<std::string>(), g.commandLine,
                           sha, 0};
    const std::string tmp = path + ".tmp";
    {
        explorer::ResultsFile file(tmp, p);
        const LevelBytes total = levels(r, readPlusWritten(r.bytesRead, r.bytesWritten));
        explorer::RunRow run;
        run.runId = 0;
        run.platform = r.platform;
        run.stack = r.stack;
        run.network = r.network;
        run.strategy = r.strategy;
        run.batch = batch;
        run.fidelity = sim::toString(r.fidelity);
        run.mapping = r.mapping;
        run.status = sim::toString(r.status);
        run.latencyCycles = static_cast<int64_t>(r.latencyCycles);
        run.latencyS = r.latencyS;
        run.energyJ = r.energyJ;
        run.peakRamBytes = r.peakRamBytes;
        run.flashBytes = r.flashBytes;
        run.macs = r.macs;
        run.bytesFlash = total.flash;
        run.bytesSram = total.sram;
        run.bytesTcm = total.tcm;
        run.bytesExternal = total.external;
        run.simWallS = r.hostSeconds;
        run.configSha256 = sha;
        file.appendRuns({run});
        std::vector<explorer::LayerRow> rows;
        for (std::size_t i = 0; i < r.layers.size(); ++i) {
            const auto& l = r.layers[i];
            const LevelBytes lb = levels(r, readPlusWritten(l.bytesRead, l.bytesWritten));
            const LevelBytes dma = levels(r, l.dmaBytes);
            explorer::LayerRow row;
            row.runId = 0;
            row.layerIndex = static_cast<int64_t>(i);
            row.layerName = l.name;
            row.op = l.op;
            row.engine = l.engine;
            row.fallback = l.fallback ? 1 : 0;
            row.startCycle = static_cast<int64_t>(l.startCycle);
            row.endCycle = static_cast<int64_t>(l.endCycle);
            row.cycles = static_cast<int64_t>(l.cycles());
            row.energyJ = l.energyJ;
            row.macs = l.macs;
            row.tiles = l.tiles;
            row.bytesFlash = lb.flash;
            row.bytesSram = lb.sram;
            row.bytesTcm = lb.tcm;
            row.bytesExternal = lb.external;
            row.dmaBytesFlash = dma.flash;
            row.dmaBytesSram = dma.sram;
            row.dmaBytesTcm = dma.tcm;
            row.dmaBytesExternal = dma.external;
            row.dmaCycles = static_cast<int64_t>(l.dmaCycles);
            row.hiddenCycles = static_cast<int64_t>(l.hiddenCycles);
            row.overlap = l.overlap();
            rows.push_back(std::move(row));
        }
        file.appendLayers(rows);
        file.flush();
    }
    explorer::commitTemporary(tmp, path);
}

bool isMapperName(const std::string& name) {
    const auto names = sim::mapperNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string mapperList() {
    std::string known;
    for (const auto& n : sim::mapperNames()) {
        known += (known.empty() ? "" : ", ") + n;
    }
    return known;
}

sim::Objective parseObjective(const std::string& s) {
    if (s == "latency") {
        return sim::Objective::Latency;
    }
    if (s == "energy") {
        return sim::Objective::Energy;
    }
    if (s == "edp") {
        return sim::Objective::EnergyDelay;
    }
    throw InputError("<command line>", "--objective",
                     "unknown objective '" + s + "' (expected latency, energy or edp)");
}

/// The mapping `simulate` runs: a .textproto resolved against the schedule and platform, or
/// what a built-in mapper (--mapping NAME, else the stack's default_mapper) produces. Every
/// input error is raised here, before any simulation runs.
sim::Mapping chooseMapping(const SimulateOptions& o, sim::Simulator& simulator,
                           const workloads::Schedule& schedule, sim::RunOptions& ro) {
    const bool tuning = o.objective.has_value() || o.latencyBudgetMs.has_value();
    std::error_code ec;
    const bool isFile =
        hasSuffix(o.mapping, ".textproto") ||
        (!o.mapping.empty() && !isMapperName(o.mapping) && std::filesystem::exists(o.mapping, ec));
    if (isFile) {
        if (tuning) {
            throw InputError("<command line>", o.objective ? "--objective" : "--latency-budget-ms",
                             "applies to --mapping exhaustive, not to a mapping file");
        }
        const auto spec = sim::loadMappingSpec(o.mapping);
        return sim::resolveMapping(spec, schedule, simulator.platform(), o.mapping);
    }
    if (!o.mapping.empty() && !isMapperName(o.mapping)) {
        throw InputError("<command line>", "--mapping",
                         "unknown mapper '" + o.mapping + "' (built-in: " + mapperList() +
                             "; or a mapping .textproto file)");
    }
    if (tuning) {
        const std::string stackDefault = simulator.stack().default_mapper();
        const std::string mapper = !o.mapping.empty()      ? o.mapping
                                   : !stackDefault.empty() ? stackDefault
                                                           : "host-only";
        if (mapper != "exhaustive") {
            throw InputError("<command line>", o.objective ? "--objective" : "--latency-budget-ms",
                             "applies to --mapping exhaustive only (the mapper here is '" + mapper +
                                 "'" + (o.mapping.empty() ? ", the stack's default_mapper" : "") +
                                 ")");
        }
        if (o.objective) {
            ro.mapperOptions.objective = parseObjective(*o.objective);
        }
        if (o.latencyBudgetMs) {
            if (!(*o.latencyBudgetMs > 0)) {
                throw InputError("<command line>", "--latency-budget-ms",
                                 "the latency budget must be > 0 ms");
            }
            if (ro.mapperOptions.objective != sim::Objective::Energy) {
                throw InputError("<command line>", "--latency-budget-ms",
                                 "needs --objective energy (the least energy within the budget)");
            }
            ro.mapperOptions.latencyBudgetS = *o.latencyBudgetMs * 1e-3;
        }
    }
    ro.mapper = o.mapping;
    return simulator.mappingFor(schedule, ro);
}

/// The mapping as text format (what --write-mapping writes and the provenance hash covers).
std::string mappingText(const sim::Mapping& mapping, const workloads::Schedule& schedule) {
    std::string text;
    if (!google::protobuf::TextFormat::PrintToString(sim::toSpec(mapping, schedule), &text)) {
        throw std::runtime_error("cannot print mapping '" + mapping.name + "' as text format");
    }
    return text;
}

/// Writes `text` to `path` through a temporary file renamed into place. Numeric lines get a
/// same-line comment naming their source (the configs' convention), here the mapper.
void writeMappingFile(const std::string& path, const std::string& header, const std::string& text,
                      const std::string& mappingName) {
    std::string annotated;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        annotated += line;
        if (line.find("fraction:") != std::string::npos) {
            annotated += "  # chosen by mapping '" + mappingName + "'";
        }
        annotated += "\n";
    }
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << header << annotated;
        out.close();
        if (!out) {
            std::remove(tmp.c_str());
            throw InputError(path, "--write-mapping", "cannot write " + tmp);
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw InputError(path, "--write-mapping",
                         "cannot move " + tmp + " into place: " + ec.message());
    }
}

void run(const SimulateOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    if (o.batch < 1) {
        throw InputError("<command line>", "--batch", "the batch size must be >= 1");
    }
    // Output locations are checked before simulating: fail fast, never after a long run.
    for (const auto& [path, field] : {std::pair{o.out, "--out"}, std::pair{o.trace, "--trace"},
                                      std::pair{o.writeMapping, "--write-mapping"}}) {
        if (path.empty()) {
            continue;
        }
        const auto parent = std::filesystem::absolute(path).parent_path();
        std::error_code ec;
        if (!std::filesystem::is_directory(parent, ec)) {
            throw InputError(path, field, "the directory " + parent.string() + " does not exist");
        }
    }
    Session session(g);
    auto& target = session.target(o.platform, o.stack);
    const auto& net = session.network(o.network, o.strategy, o.batch);

    sim::RunOptions ro;
    ro.source = "<command line>";
    if (o.clockMhz) {
        ro.operatingPoint.clockHz = *o.clockMhz * 1e6;
    }
    ro.operatingPoint.voltageV = o.voltageV;
    const bool both = o.fidelity == "both";
    ro.fidelity = o.fidelity == "analytical" ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;

    // The mapping is chosen (and every error in it reported) before any simulation runs; all
    // runs below reuse it, so a mapper's search runs once.
    const sim::Mapping mapping = chooseMapping(o, *target.simulator, net.schedule, ro);
    ro.mapping = &mapping;
    const std::string mappingSpec = mappingText(mapping, net.schedule);
    if (!o.writeMapping.empty()) {
        writeMappingFile(o.writeMapping,
                         fmt::format("# Layer-to-engine mapping '{}' of {} on {} with {} "
                                     "(platforms/spec/mapping.proto), written by: {}\n",
                                     mapping.name, net.schedule.network,
                                     target.simulator->platform().name(),
                                     target.simulator->stack().name(), g.commandLine),
                         mappingSpec, mapping.name);
    }

    sim::ChromeTrace trace;
    ro.observer = o.trace.empty() ? nullptr : &trace;
    sim::SimResult result = target.simulator->run(net.schedule, ro);
    ro.observer = nullptr;
    if (o.latencyBudgetMs && result.status == sim::Status::Ok &&
        result.latencyS * 1e3 > *o.latencyBudgetMs) {
        std::cerr << fmt::format("edgesim: note: the latency ({:.4g} ms) exceeds "
                                 "--latency-budget-ms {:g} (mapping '{}')\n",
                                 result.latencyS * 1e3, *o.latencyBudgetMs, result.mapping);
    }

    std::optional<double> medianUs;
    if (o.repeat > 0) {
        std::vector<double> us;
        for (int i = 0; i < o.repeat; ++i) {
            const sim::SimResult again = target.simulator->run(net.schedule, ro);
            if (again.latencyCycles != result.latencyCycles || again.energyJ != result.energyJ) {
                throw std::runtime_error("a repeated simulation gave a different result");
            }
            us.push_back(again.hostSeconds * 1e6);
        }
        std::sort(us.begin(), us.end());
        medianUs = us.size() % 2 == 1 ? us[us.size() / 2]
                                      : 0.5 * (us[us.size() / 2 - 1] + us[us.size() / 2]);
    }
    std::optional<sim::SimResult> other;
    if (both) {
        sim::RunOptions ao = ro;
        ao.fidelity = sim::Fidelity::Analytical;
        other = target.simulator->run(net.schedule, ao);
    }

    const std::string extra = fmt::format("{}|{}|{}|{}", o.fidelity, o.clockMhz.value_or(0),
                                          o.voltageV.value_or(0), mappingSpec);
    const std::string sha = Session::configSha256(target, net, extra);
    if (!o.trace.empty()) {
        trace.write(o.trace, result.operatingPoint.clockHz,
                    result.platform + " / " + result.stack + " / " + result.network);
    }
    if (!o.out.empty()) {
        writeResults(o.out, result, sha, g, o.batch);
    }

    if (format == Format::Json) {
        nlohmann::json j = toJson(result);
        j["batch"] = o.batch;
        j["provenance"] = provenance(g.commandLine, sha);
        if (other) {
            j["analytical"] = {{"latency_cycles", other->latencyCycles},
                               {"latency_s", other->latencyS},
                               {"energy_j", other->energyJ},
                               {"gap_pct", result.latencyCycles == 0
                                               ? 0.0
                                               : 100.0 *
                                                     (static_cast<double>(other->latencyCycles) -
                                                      static_cast<double>(result.latencyCycles)) /
                                                     static_cast<double>(result.latencyCycles)}};
        }
        if (medianUs) {
            j["host_us_per_sim_median"] = *medianUs;
            j["repeat"] = o.repeat;
        }
        std::cout << j.dump(2) << "\n";
        return;
    }
    if (format == Format::Csv) {
        layerTable(result, false).printCsv(std::cout);
        return;
    }
    printTable(result, other);
    if (medianUs) {
        std::cout << fmt::format("\nhost time: median {:.1f} us per simulation over {} runs\n",
                                 *medianUs, o.repeat);
    }
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
    cmd->add_option("--strategy", opts->strategy, "Workload strategy (see `edgesim list "
                                                  "strategies`)");
    cmd->add_option("--batch", opts->batch, "Samples per run");
    cmd->add_option("--fidelity", opts->fidelity,
                    "tlm (SystemC model) | analytical (closed form) | both (tlm, and the gap)")
        ->check(CLI::IsMember({"tlm", "analytical", "both"}));
    cmd->add_option("--format", opts->format, "table | json | csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_option("--out", opts->out, "Write /runs and /layers to this HDF5 file");
    cmd->add_option("--trace", opts->trace, "Write a Chrome/Perfetto timeline (JSON)");
    cmd->add_option("--clock-mhz", opts->clockMhz, "Override the operating point's clock");
    cmd->add_option("--voltage-v", opts->voltageV, "Override the operating point's supply");
    cmd->add_option("--repeat", opts->repeat,
                    "Re-run the simulation N times and report the median host time")
        ->check(CLI::NonNegativeNumber);
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
