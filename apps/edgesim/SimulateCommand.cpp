// `edgesim simulate`: one network on one platform with one stack; latency, traffic per
// memory, energy per component, footprint and the per-layer timeline, as a table, JSON or
// CSV; optionally an HDF5 record (--out) and a Perfetto timeline (--trace).
#include "apps/edgesim/Commands.h"
#include "apps/edgesim/Output.h"
#include "apps/edgesim/Session.h"
#include "common/Diagnostics.h"
#include "common/Version.h"
#include "explorer/results/ResultsFile.h"
#include "sim/trace/ChromeTrace.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

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
};

nlohmann::json perMemory(const sim::SimResult& r, const std::vector<int64_t>& bytes) {
    nlohmann::json j = nlohmann::json::object();
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        if (bytes[m] != 0) {
            j[r.memories[m]] = bytes[m];
        }
    }
    return j;
}

std::string kindName(platforms::spec::MemoryKind k) {
    return platforms::spec::MemoryKind_Name(k);
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
    j["layers"] = nlohmann::json::array();
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const auto& l = r.layers[i];
        j["layers"].push_back({{"index", i},
                               {"name", l.name},
                               {"op", l.op},
                               {"engine", l.engine},
                               {"start_cycle", l.startCycle},
                               {"end_cycle", l.endCycle},
                               {"cycles", l.cycles()},
                               {"compute_cycles", l.computeCycles},
                               {"tiles", l.tiles},
                               {"macs", l.macs},
                               {"bytes_read", perMemory(r, l.bytesRead)},
                               {"bytes_written", perMemory(r, l.bytesWritten)},
                               {"energy_j", l.energyJ}});
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

Table layerTable(const sim::SimResult& r, bool human) {
    auto num = [&](int64_t v) { return human ? groupDigits(v) : std::to_string(v); };
    Table t;
    t.header = {"#", "name", "op", "engine", "start_cycle", "cycles", "macs", "tiles"};
    for (const auto& m : r.memories) {
        t.header.push_back(m + "_bytes");
    }
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
        for (std::size_t m = 0; m < r.memories.size(); ++m) {
            row.push_back(num(l.bytesRead[m] + l.bytesWritten[m]));
        }
        row.push_back(human ? si(l.energyJ, "J") : fmt::format("{:.6e}", l.energyJ));
        t.rows.push_back(std::move(row));
    }
    return t;
}

void printTable(const sim::SimResult& r, const std::optional<sim::SimResult>& other) {
    std::cout << fmt::format("{} on {} with {} ({}), {} at {:g} MHz, {:g} V\n", r.network,
                             r.platform, r.stack, r.strategy, sim::toString(r.fidelity),
                             r.operatingPoint.clockHz / 1e6, r.operatingPoint.voltageV);
    std::cout << fmt::format("status: {}{}\n", sim::toString(r.status),
                             r.reason.empty() ? "" : " (" + r.reason + ")");
    if (r.status != sim::Status::Ok) {
        std::cout << fmt::format("footprint: peak RAM {} bytes, flash {} bytes\n",
                                 groupDigits(r.peakRamBytes), groupDigits(r.flashBytes));
        return;
    }
    std::cout << "\n";
    layerTable(r, true).print(std::cout);
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

/// Bytes moved (read + written) per memory level, for the HDF5 tables.
struct LevelBytes {
    int64_t flash = 0, sram = 0, tcm = 0, external = 0;
};
LevelBytes levels(const sim::SimResult& r, const std::vector<int64_t>& rd,
                  const std::vector<int64_t>& wr) {
    namespace ps = platforms::spec;
    LevelBytes b;
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        const int64_t v = rd[m] + wr[m];
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

void writeResults(const std::string& path, const sim::SimResult& r, const std::string& sha,
                  const GlobalOptions& g, int batch) {
    const nlohmann::json prov = provenance(g.commandLine, sha);
    explorer::Provenance p{versionString(), prov["created_utc"].get<std::string>(), g.commandLine,
                           sha, 0};
    const std::string tmp = path + ".tmp";
    {
        explorer::ResultsFile file(tmp, p);
        const LevelBytes total = levels(r, r.bytesRead, r.bytesWritten);
        file.appendRuns({explorer::RunRow{0,
                                          r.platform,
                                          r.stack,
                                          r.network,
                                          r.strategy,
                                          batch,
                                          sim::toString(r.fidelity),
                                          sim::toString(r.status),
                                          static_cast<int64_t>(r.latencyCycles),
                                          r.latencyS,
                                          r.energyJ,
                                          r.peakRamBytes,
                                          r.flashBytes,
                                          r.macs,
                                          total.flash,
                                          total.sram,
                                          total.tcm,
                                          total.external,
                                          r.hostSeconds,
                                          sha}});
        std::vector<explorer::LayerRow> rows;
        for (std::size_t i = 0; i < r.layers.size(); ++i) {
            const auto& l = r.layers[i];
            const LevelBytes lb = levels(r, l.bytesRead, l.bytesWritten);
            rows.push_back({0, static_cast<int64_t>(i), l.name, l.op, l.engine,
                            static_cast<int64_t>(l.startCycle), static_cast<int64_t>(l.endCycle),
                            static_cast<int64_t>(l.cycles()), l.energyJ, l.macs, lb.flash,
                            lb.sram, lb.tcm, lb.external});
        }
        file.appendLayers(rows);
        file.flush();
    }
    explorer::commitTemporary(tmp, path);
}

void run(const SimulateOptions& o, const GlobalOptions& g) {
    const Format format = parseFormat(o.format);
    if (o.batch < 1) {
        throw InputError("<command line>", "--batch", "the batch size must be >= 1");
    }
    // Output locations are checked before simulating: fail fast, never after a long run.
    for (const auto& [path, field] : {std::pair{o.out, "--out"}, std::pair{o.trace, "--trace"}}) {
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

    sim::ChromeTrace trace;
    ro.observer = o.trace.empty() ? nullptr : &trace;
    sim::SimResult result = target.simulator->run(net.schedule, ro);
    ro.observer = nullptr;

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

    const std::string extra = fmt::format("{}|{}|{}", o.fidelity, o.clockMhz.value_or(0),
                                          o.voltageV.value_or(0));
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
    cmd->callback([opts, &global] { run(*opts, global); });
}

} // namespace edgesim::app
