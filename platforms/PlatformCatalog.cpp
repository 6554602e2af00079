#include "platforms/PlatformCatalog.h"

#include "common/TextProto.h"
#include "workloads/graph/Layer.h"

#include <fmt/format.h>

#include <map>
#include <set>

namespace edgesim::platforms {

namespace {

template <typename Msg>
void requireName(const Msg& m, const FieldCursor& at, std::set<std::string>* seen = nullptr) {
    if (m.name().empty()) {
        at.error(m, "name", "missing required field");
    } else if (seen != nullptr && !seen->insert(m.name()).second) {
        at.error(m, "name", "duplicate name '" + m.name() + "'");
    }
}

/// Range check with a hint when the value looks like it was given in another unit.
void checkRange(const google::protobuf::Message& m, const FieldCursor& at, const char* field,
                double v, double lo, double hi, const char* unit, const char* hint) {
    if (v < lo || v > hi) {
        at.error(m, field,
                 fmt::format("{} {} is out of range [{:g}, {:g}] {}{}", field, v, lo, hi, unit,
                             hint[0] != '\0' ? std::string(" (") + hint + ")" : ""));
    }
}

const std::set<std::string>& knownOps() {
    static const std::set<std::string> kOps = [] {
        std::set<std::string> s;
        // Kernels exist for every operator but the graph-input pseudo layer.
        for (int k = static_cast<int>(workloads::OpKind::Conv2d);
             k <= static_cast<int>(workloads::OpKind::Dequantize); ++k) {
            s.insert(std::string(workloads::toString(static_cast<workloads::OpKind>(k))));
        }
        return s;
    }();
    return kOps;
}

template <typename Spec>
Spec loadSpec(const std::string& kind, const std::string& nameOrPath, const ConfigPaths& paths,
              void (*validate)(const Spec&, const FieldCursor&)) {
    const std::string file =
        paths.locate(kind, nameOrPath, "--" + kind.substr(0, kind.size() - 1));
    Spec spec;
    auto locations = loadTextProto(file, spec);
    Diagnostics diags(file);
    validate(spec, FieldCursor(diags, locations.get()));
    diags.throwIfAny();
    return spec;
}

} // namespace

void validatePlatform(const spec::PlatformSpec& p, const FieldCursor& at) {
    requireName(p, at);
    if (p.operating_points_size() == 0) {
        at.error(p, "operating_points", "a platform needs at least one operating point");
    }
    checkRange(p, at, "min_voltage_v", p.min_voltage_v(), 0.0, 5.0, "V",
               p.min_voltage_v() > 5.0 ? "looks like mV; the field is in V" : "");
    checkRange(p, at, "max_voltage_v", p.max_voltage_v(), 0.0, 5.0, "V",
               p.max_voltage_v() > 5.0 ? "looks like mV; the field is in V" : "");
    if (p.max_voltage_v() > 0 && p.min_voltage_v() > p.max_voltage_v()) {
        at.error(p, "min_voltage_v", "min_voltage_v is above max_voltage_v");
    }
    std::set<std::string> opNames;
    for (int i = 0; i < p.operating_points_size(); ++i) {
        const auto& op = p.operating_points(i);
        FieldCursor c = at.child(p, "operating_points", i);
        requireName(op, c, &opNames);
        checkRange(op, c, "clock_hz", op.clock_hz(), 1e5, 1e10, "Hz",
                   op.clock_hz() > 0 && op.clock_hz() < 1e5 ? "looks like MHz; the field is in Hz"
                                                            : "");
        checkRange(op, c, "voltage_v", op.voltage_v(), 0.1, 5.0, "V",
                   op.voltage_v() > 5.0 ? "looks like mV; the field is in V" : "");
    }
    if (!p.default_operating_point().empty() && opNames.count(p.default_operating_point()) == 0) {
        at.error(p, "default_operating_point",
                 "unknown operating point '" + p.default_operating_point() + "'");
    }
    if (p.cores_size() == 0) {
        at.error(p, "cores", "a platform needs at least one core");
    }
    std::set<std::string> masters;
    for (int i = 0; i < p.cores_size(); ++i) {
        const auto& core = p.cores(i);
        FieldCursor c = at.child(p, "cores", i);
        requireName(core, c, &masters);
        if (core.isa() == spec::CORE_ISA_UNSPECIFIED) {
            c.error(core, "isa", "missing required field");
        }
        if (core.icache_bytes() < 0 || core.dcache_bytes() < 0) {
            c.error(core, core.icache_bytes() < 0 ? "icache_bytes" : "dcache_bytes",
                    "must be >= 0");
        }
        checkRange(core, c, "max_clock_hz", core.max_clock_hz(), 1e5, 1e10, "Hz",
                   core.max_clock_hz() > 0 && core.max_clock_hz() < 1e5
                       ? "looks like MHz; the field is in Hz"
                       : "");
        checkRange(core, c, "cycle_scale", core.cycle_scale(), 0.05, 20.0, "", "");
        if (core.run_current_ua_per_mhz() < 0 || core.mac_energy_pj() < 0) {
            c.error(core, core.mac_energy_pj() < 0 ? "mac_energy_pj" : "run_current_ua_per_mhz",
                    "must be >= 0");
        }
    }
    for (int i = 0; i < p.dmas_size(); ++i) {
        const auto& d = p.dmas(i);
        FieldCursor c = at.child(p, "dmas", i);
        requireName(d, c, &masters);
        if (d.channels() < 1) {
            c.error(d, "channels", "a DMA needs at least one channel");
        }
        if (d.burst_bytes() <= 0) {
            c.error(d, "burst_bytes", "must be > 0");
        }
    }
    if (p.memories_size() == 0) {
        at.error(p, "memories", "a platform needs at least one memory");
    }
    std::set<std::string> memories;
    for (int i = 0; i < p.memories_size(); ++i) {
        const auto& m = p.memories(i);
        FieldCursor c = at.child(p, "memories", i);
        requireName(m, c, &memories);
        if (m.kind() == spec::MEMORY_KIND_UNSPECIFIED) {
            c.error(m, "kind", "missing required field");
        }
        checkRange(m, c, "size_bytes", static_cast<double>(m.size_bytes()), 1024, 1LL << 40,
                   "bytes",
                   m.size_bytes() > 0 && m.size_bytes() < 1024 ? "looks like KiB; the field is "
                                                                 "in bytes"
                                                               : "");
        if (m.width_bits() <= 0 || m.width_bits() % 8 != 0) {
            c.error(m, "width_bits", "must be a positive multiple of 8");
        }
        if (m.read_wait_states() < 0 || m.write_wait_states() < 0) {
            c.error(m, m.read_wait_states() < 0 ? "read_wait_states" : "write_wait_states",
                    "must be >= 0");
        }
        double lastClock = 0;
        for (int k = 0; k < m.read_wait_states_by_clock_size(); ++k) {
            const auto& step = m.read_wait_states_by_clock(k);
            FieldCursor s = c.child(m, "read_wait_states_by_clock", k);
            if (step.max_clock_hz() <= lastClock) {
                s.error(step, "max_clock_hz", "rows must have ascending max_clock_hz");
            }
            if (step.wait_states() < 0) {
                s.error(step, "wait_states", "must be >= 0");
            }
            lastClock = step.max_clock_hz();
        }
        if (m.cache_bytes() < 0 || m.latency_cycles() < 0) {
            c.error(m, m.cache_bytes() < 0 ? "cache_bytes" : "latency_cycles", "must be >= 0");
        }
        if (m.read_energy_pj_per_byte() < 0 || m.write_energy_pj_per_byte() < 0 ||
            m.leakage_power_w() < 0) {
            c.error("energies and powers must be >= 0");
        }
    }
    std::set<std::string> buses;
    std::set<std::string> onBus;
    for (int i = 0; i < p.buses_size(); ++i) {
        const auto& b = p.buses(i);
        FieldCursor c = at.child(p, "buses", i);
        requireName(b, c, &buses);
        if (b.width_bits() <= 0 || b.width_bits() % 8 != 0) {
            c.error(b, "width_bits", "must be a positive multiple of 8");
        }
        if (b.latency_cycles() < 0 || b.energy_pj_per_beat() < 0) {
            c.error(b, b.latency_cycles() < 0 ? "latency_cycles" : "energy_pj_per_beat",
                    "must be >= 0");
        }
        for (int k = 0; k < b.masters_size(); ++k) {
            if (masters.count(b.masters(k)) == 0) {
                c.error(b, "masters", "unknown core or DMA '" + b.masters(k) + "'", k);
            } else if (!onBus.insert(b.masters(k)).second) {
                c.error(b, "masters", "'" + b.masters(k) + "' is a master on two buses", k);
            }
        }
        for (int k = 0; k < b.slaves_size(); ++k) {
            if (memories.count(b.slaves(k)) == 0) {
                c.error(b, "slaves", "unknown memory '" + b.slaves(k) + "'", k);
            }
        }
    }
    // Connectivity and placement only make sense once names are valid (no follow-on errors).
    const bool namesValid = at.diagnostics().empty();
    if (p.buses_size() == 0) {
        at.error(p, "buses", "a platform needs at least one bus connecting its cores to memory");
    } else if (namesValid) {
        for (const auto& m : masters) {
            if (onBus.count(m) == 0) {
                at.error(p, "buses", "core or DMA '" + m + "' is not a master on any bus");
            }
        }
        std::map<std::string, int> slaveOf;
        for (const auto& b : p.buses()) {
            for (const auto& s : b.slaves()) {
                ++slaveOf[s];
            }
        }
        for (const auto& m : memories) {
            if (slaveOf[m] != 1) {
                at.error(p, "buses",
                         "memory '" + m + "' must be a slave of exactly one bus (it is on " +
                             std::to_string(slaveOf[m]) + ")");
            }
        }
    }
    const auto& pl = p.placement();
    FieldCursor pc = at.child(p, "placement");
    for (const char* field : {"weights_memory", "activations_memory", "code_memory"}) {
        const auto* fd = pl.GetDescriptor()->FindFieldByName(field);
        const std::string value = pl.GetReflection()->GetString(pl, fd);
        if (value.empty()) {
            pc.error(pl, field, "missing required field");
        } else if (namesValid && memories.count(value) == 0) {
            pc.error(pl, field, "unknown memory '" + value + "'");
        }
    }
    if (p.static_power_w() < 0) {
        at.error(p, "static_power_w", "must be >= 0");
    }
}

void validateStack(const spec::StackSpec& s, const FieldCursor& at) {
    requireName(s, at);
    std::set<std::string> ops;
    for (int i = 0; i < s.kernels_size(); ++i) {
        const auto& k = s.kernels(i);
        FieldCursor c = at.child(s, "kernels", i);
        if (!k.dtype().empty() && k.dtype() != "int8" && k.dtype() != "fp32") {
            c.error(k, "dtype", "unknown dtype '" + k.dtype() + "' (expected int8 or fp32)");
        }
        const std::string key = k.op() + "/" + (k.dtype().empty() ? "int8" : k.dtype());
        if (knownOps().count(k.op()) == 0) {
            c.error(k, "op", "unknown op '" + k.op() + "'");
        } else if (!ops.insert(key).second) {
            c.error(k, "op", "duplicate kernel for op '" + k.op() + "'");
        }
        if (k.cycles_per_mac() < 0 || k.scalar_cycles_per_mac() < 0 || k.overhead_cycles() < 0 ||
            k.cycles_per_output() < 0 || k.cycles_per_input() < 0 || k.cycles_per_tap() < 0 ||
            k.im2col_cycles_per_element() < 0) {
            c.error("cycle costs must be >= 0");
        }
        if (k.weight_loads_per_mac() < 0 || k.weight_loads_per_mac() > 1) {
            c.error(k, "weight_loads_per_mac", "must be in [0, 1]");
        }
    }
    for (int i = 0; i < s.free_ops_size(); ++i) {
        if (knownOps().count(s.free_ops(i)) == 0) {
            at.error(s, "free_ops", "unknown op '" + s.free_ops(i) + "'", i);
        }
    }
    if (s.per_inference_overhead_cycles() < 0) {
        at.error(s, "per_inference_overhead_cycles", "must be >= 0");
    }
    if (s.tile_bytes() < 0 || s.max_tiles_per_kernel() < 0) {
        at.error(s, s.tile_bytes() < 0 ? "tile_bytes" : "max_tiles_per_kernel", "must be >= 0");
    }
    if (s.runtime_ram_bytes() < 0 || s.runtime_flash_bytes() < 0) {
        at.error(s, s.runtime_ram_bytes() < 0 ? "runtime_ram_bytes" : "runtime_flash_bytes",
                 "must be >= 0");
    }
}

spec::PlatformSpec loadPlatform(const std::string& nameOrPath, const ConfigPaths& paths) {
    return loadSpec<spec::PlatformSpec>("platforms", nameOrPath, paths, &validatePlatform);
}

spec::StackSpec loadStack(const std::string& nameOrPath, const ConfigPaths& paths) {
    return loadSpec<spec::StackSpec>("stacks", nameOrPath, paths, &validateStack);
}

std::vector<CatalogEntry> listPlatforms(const ConfigPaths& paths) {
    std::vector<CatalogEntry> out;
    for (const auto& name : paths.list("platforms")) {
        out.push_back({name, loadPlatform(name, paths).description()});
    }
    return out;
}

std::vector<CatalogEntry> listStacks(const ConfigPaths& paths) {
    std::vector<CatalogEntry> out;
    for (const auto& name : paths.list("stacks")) {
        out.push_back({name, loadStack(name, paths).description()});
    }
    return out;
}

} // namespace edgesim::platforms
